"""Slurm's queue (``squeue``) snapshots as wide events.

Each snapshot gives one ``job_snapshot`` event per job, at the snapshot's time, with the job's
state and pending reason (``Priority``, ``Dependency``, ``DependencyNeverSatisfied``,
``BeginTime``, ``JobHeldUser``...). Across several snapshots, a job whose state or reason
differs from the previous snapshot that showed it also gets a ``job_state_change`` event
(``PENDING -> RUNNING`` seen between t1 and t2: ``slurm.prev_snapshot_time`` t1 and
``created`` t2, with ``slurm.prev_state`` / ``slurm.prev_reason``).

Inputs: ``squeue --json`` (22.05's flat layout and 23.02+'s, with their wrapped numbers), or
text with a header line: ``-o`` formats separated by ``|`` (or ``\\x1f``), or the default
whitespace columns. The snapshot time comes from the JSON's own ``last_update`` (23.02+),
else ``at`` (``--at``), else the file's mtime, and the report says which. Run live,
``squeue --json`` is taken (falling back to a wide ``-o`` format when JSON is missing) and the
snapshot time is the time it was taken.

Example::

    from importers.sources import squeue
    for rec in squeue.read(["q1.json", "q2.json"], at=None, tz="UTC"):
        print(rec["ev.event"], rec["slurm.jobid"], rec["slurm.state"], rec.get("slurm.reason"))

Where things are: ``json_output.py`` and ``text.py`` (one snapshot's jobs), ``events.py``
(snapshots -> events), ``snapshots.py`` (saved files), ``live.py`` (running squeue),
``source.py`` (``read`` and the declaration).
"""

from ...core.errors import CommandFailed
from .keys import SOURCE_NAME
from .live import command_json, run
from .snapshots import parse_at, read_files
from .source import SOURCE, read

__all__ = ["SOURCE", "SOURCE_NAME", "CommandFailed", "command_json", "parse_at", "read",
           "read_files", "run"]
