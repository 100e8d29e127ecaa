"""Parsl's monitoring database (``runinfo/monitoring.db``) as wide events.

Why reflection and not Parsl's own models: the schema changed across releases (columns
added, moved between ``task`` and ``try``, tables added), and users keep DBs from old runs.
We reflect whatever tables are there with SQLAlchemy Core, map the columns we know to the
keys of DESIGN §3 and keep every other column as ``parsl.<column>``; tables we do not know
become generic ``row`` events. Nothing is dropped.

Why not Parsl's ``Database`` class: it runs ``create_all`` on the file it opens. We open the
file read-only (``mode=ro``) so a post-mortem can never alter the evidence.

Parsl stores naive local datetimes (``2024-03-04 12:34:56.789012``); they are read in the
``--tz`` zone. Without ``--tz``, the zone is the one the logs of the run dirs beside the DB
tell (``runinfo/000/parsl.log``, as parsl-logs infers it), so DB and log events of one run
share a timeline; with no such logs, the machine's. The report says which.

Example::

    from importers.sources import parsl_db
    for rec in parsl_db.read("runinfo/monitoring.db", tz="UTC"):
        print(rec["ev.event"], rec.get("parsl.task_id"))

Where things are: ``tables.py`` (the tables Parsl writes, as data), ``rows.py`` (rows ->
events), ``database.py`` (opening the file safely), ``source.py`` (``read``, ``write_to``
and the declaration).
"""

from .database import SQLITE_MAGIC, has_parsl_tables, resolve_db_path
from .keys import SOURCE_NAME
from .source import PARALLEL_MIN_ROWS, SOURCE, read, write_to
from .tables import FORMATS, FORMATS_BY_TABLE

__all__ = ["FORMATS", "FORMATS_BY_TABLE", "PARALLEL_MIN_ROWS", "SOURCE", "SOURCE_NAME",
           "SQLITE_MAGIC", "has_parsl_tables", "read", "resolve_db_path", "write_to"]
