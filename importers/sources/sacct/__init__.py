"""Slurm accounting (``sacct``) as wide events: one event per known time of each job and step.

Two ways in:

* **Run sacct** (``read(None, jobs=[...])``): ``sacct --parsable2`` with the wide field list
  :data:`SACCT_FIELDS`, free-text fields last, a delimiter that job names do not contain
  (``\\x1f``) and ``SLURM_TIME_FORMAT=%s``, so times are epoch seconds and no zone is guessed.
  The text form, not ``--json``: Slurm 22.05's ``sacct --json`` reports ``exit_code``
  ``SUCCESS``/0 for a job whose ``ExitCode`` is ``3:0`` (signals do come through), and the
  exit code is what a post-mortem needs most.
* **Read saved output** (``read("sacct.txt")``): ``sacct -P``/``--parsable2`` with a header
  line (any fields, any order, ``|`` or another ``--delimiter``), or ``sacct --json`` (the
  22.05 and the 23.02+ layouts). Saved text times are local time without a zone: ``tz``.

Events: ``job_submit``, ``job_eligible``, ``job_start``, ``job_end`` for a job (allocation)
row and ``step_start``, ``step_end`` for a step row, each at its own time and each carrying
every field of the row (a step also carries its job's user, partition, name...). Keys:
``slurm.jobid`` as Slurm prints it (``33``, ``37_3``, ``37_[3-9]``, ``7+0``), ``slurm.step``
(``batch``, ``extern``, ``0``), ``slurm.jobid_raw``; numbers parsed (``slurm.exit_code``,
``slurm.exit_signal``, ``slurm.elapsed_s``, ``slurm.max_rss_bytes``...); node lists expanded
(``linux.hostname`` for one node, ``slurm.nodes`` for several).

Example::

    from importers.sources import sacct
    for rec in sacct.read("fixtures/slurm/sacct_P_local.txt", tz="UTC"):
        print(rec["ev.event"], rec["slurm.jobid"], rec.get("slurm.state"))
    events = list(sacct.read(None, jobs=["34", "37"]))     # runs sacct itself

Where things are: ``fields.py`` (sacct's fields as data), ``events.py`` (a row -> its
events), ``text.py`` and ``json_output.py`` (saved output), ``live.py`` (running sacct),
``source.py`` (``read`` and the declaration).
"""

from ...core.errors import CommandFailed
from .keys import SACCT_FIELDS, SOURCE_NAME
from .live import command, run, shown
from .source import SOURCE, read, read_file

__all__ = ["SACCT_FIELDS", "SOURCE", "SOURCE_NAME", "CommandFailed", "command", "read",
           "read_file", "run", "shown"]
