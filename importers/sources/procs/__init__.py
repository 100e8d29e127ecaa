"""Saved output of the process tracers admins already run, as wide events.

``ev-import procs FILE...`` reads what these tools printed (stdout saved to a file):

* bpftrace's ``execsnoop.bt`` (``TIME(ms)   PID   ARGS``): milliseconds since the tool
  started; an argv that holds a newline is printed raw, so one record continues on the
  next line(s).
* bcc's ``execsnoop`` (``execsnoop-bpfcc``) plain and with ``-T`` (wall clock ``HH:MM:SS``),
  ``-t`` (seconds since the tool started), ``-x`` (failed execs, ``RET`` < 0), ``-U``
  (``UID`` column), ``-q``, old releases without ``PPID``; ``--cgroupmap``/``--mntnsmap`` and
  the ``-u``/``-n``/``-l``/``-P`` filters only select rows, so their output is the same.
* bcc's ``exitsnoop`` plain, ``-t`` (local wall clock ``HH:MM:SS.mmm``), ``--utc``,
  ``--label``, ``-x``, ``--per-thread`` (a ``TID`` that is not the ``PID`` is a thread).
* ``bpftrace -f json`` output: ``printf`` records whose text is ``EVENT key=value ...``
  (fork/exec/exit, as scripts/make_procs_fixture.sh's program prints), ``lost_events``,
  maps and the rest of bpftrace's JSON record types.

Formats are data (:data:`VARIANTS`), each with real sample lines that tests/test_procs.py
runs; the header line a tool prints selects the variant and its optional columns, and one
engine (:func:`read`) runs them all. A line that matches nothing is an ``unparsed`` record
naming the variants tried; blank lines and the header lines themselves carry no event.

Times: these tools print times relative to their own start (execsnoop.bt, execsnoop -t),
to the boot (bpftrace ``nsecs``), or as a wall clock without a date (execsnoop -T,
exitsnoop -t, local or UTC). ``--start`` says when the tool started (and the date of wall
clocks), ``--boot-time`` when the traced node booted; without them the file's mtime is taken
as the time of its last event. The report says which base was assumed.

Example::

    from importers.sources import procs
    for rec in procs.read(["execsnoop.txt"], start="2026-11-25T08:50:00", tz="UTC"):
        print(rec["ev.event"], rec.get("linux.pid"), rec.get("linux.cmdline"))

Two sources live here, sharing the process keys and the exit status decoding: ``procs``
(saved tracer output: ``formats.py``, ``rows.py``, ``source.py``; its time bases are the
file's clock, importers.core.clock) and
``watch-procs`` (live: ``proc_files.py``, ``tracker.py``, ``netlink.py``, ``bcc.py``,
``watch.py``).
"""

from .formats import BT_SAMPLES, VARIANTS, Variant
from .keys import SOURCE_NAME
from .rows import sniff
from .source import SOURCE, read
from .status import decode_status, describe_exit, signal_name
from .watch import WATCH_SOURCE, watch

SOURCES = (SOURCE, WATCH_SOURCE)

__all__ = ["BT_SAMPLES", "SOURCE", "SOURCES", "SOURCE_NAME", "VARIANTS", "WATCH_SOURCE",
           "Variant", "decode_status", "describe_exit", "read", "signal_name", "sniff", "watch"]
