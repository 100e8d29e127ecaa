"""Parsl's text and JSON logs as events: every line of a ``runinfo/`` tree accounted for.

The fine tracing data of a Parsl run (which executor task a Parsl task became, which worker
ran it, when a manager registered, which batch job a block is) is only in its logs. People
regex them by hand; this package does it once, by content rather than by release.

Where things are:

* ``formats.py``: the line formats (variants with real samples), one per Parsl era.
* ``families.py``: message families that become named events with keys.
* ``paths.py``: which files to read and the keys their place in ``runinfo/`` implies.
* ``text.py`` / ``jsonlog.py`` / ``exit_codes.py``: the readers of each file kind.
* ``source.py``: ``read``, ``write_to``, ``sniff`` and the source's declaration.

Zone: the ms formats print local time. Unless ``--tz`` is given, the offset is inferred from
the run's ``parsl.log``, whose ``v2022`` lines carry both the epoch and the local time, or for
Parsl 1.x (no epoch in parsl.log) from a submit script's name, which holds the epoch of the
block submission that parsl.log's "Launched block" line reports.

Example::

    from importers.sources import parsl_logs
    for rec in parsl_logs.read(["runinfo/"]):
        if rec["ev.event"] == "task_launched":
            print(rec["parsl.task_id"], rec["parsl.executor_task_id"])
"""

from .families import FAMILIES, MESSAGES, message_keys
from .formats import LINES
from .keys import SOURCE_NAME
from .paths import log_files, path_keys, run_dir_of
from .source import SOURCE, is_record_start, read, sniff, write_to

__all__ = ["FAMILIES", "LINES", "MESSAGES", "SOURCE", "SOURCE_NAME", "is_record_start",
           "log_files", "message_keys", "path_keys", "read", "run_dir_of", "sniff", "write_to"]
