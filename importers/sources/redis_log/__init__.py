"""Redis console logs (redis-server, redis-sentinel) as events: every line accounted for.

Redis is often the Academy exchange, and its console log is the only record of what the
server did: clients, saves, replication, failover, crashes. It is read by content, whatever
the release, from a ``logfile`` or from captured stdout (a pipe or a tty):

* ``v3``: ``PID:ROLE DD Mon YYYY HH:MM:SS.mmm LEVEL message`` (Redis 4 and later);
  ``v3-noyear``: the same without the year (Redis 3.x); ``v2``: ``[PID] DD Mon HH:MM:SS.mmm
  LEVEL message`` (Redis 2.x: no role, no year). ROLE is ``M`` master, ``S`` replica, ``C``
  child (a fork doing a save or rewrite; also the server itself on its first startup lines,
  before it knows its role), ``X`` sentinel. LEVEL is ``.`` debug, ``-`` verbose, ``*``
  notice, ``#`` warning.
* ``sig``/``sig-v2``: lines written from a signal handler, with an epoch instead of a time.
* Multi-line blocks printed without a prefix, each one event: the ASCII-art ``banner``
  (the logo, on a tty or in 2.x/3.x logfiles), the ``crash_report`` (``=== REDIS BUG REPORT
  START`` ... ``END`` and the advice printed after it), the ``config_error`` block printed
  before logging starts (``*** FATAL CONFIG FILE ERROR ***``).
* ``script-start``/``script-done``: the header and trailer that util-linux ``script`` writes
  around a captured tty session. Not Redis, but common around captured output; kept as
  ``script_start``/``script_end`` events rather than unparsed lines.

Message families that say what happened (a client accepted, a save started by child pid N,
a full resync, a sentinel ``+switch-master``...) become named events with keys; every other
message is a ``log`` event with its level. Blank lines that belong to no block become one
``blank`` event per run. A line that matches nothing is an ``unparsed`` record, counted.

Times are local with no zone: ``--tz`` applies. 2.x and 3.x lines have no year: it is taken
from the file's mtime (the last line is no later than the mtime), then carried forward with
Dec -> Jan rollovers, and corrected by any absolute time in the same file (a signal-handler
epoch, a 4.x+ line, ``script``'s header); the report says which. ``year=`` overrides it.

Example::

    from importers.sources import redis_log
    for rec in redis_log.read(["redis.log"], tz="UTC"):
        if rec["ev.event"] == "bgsave_start":
            print(rec["linux.pid"], "forked", rec["redis.child_pid"])

Where things are: ``formats.py`` (line variants), ``families.py`` (message families),
``blocks.py`` (crash report, logo, config error), ``reader.py`` (the reader of one file),
``source.py`` (``read``, ``write_to``, the declaration). The year inference and the zone
live in the file's clock (importers.core.clock.Clock), shared with the other sources.
"""

from .families import MESSAGES, classify
from .formats import LINES
from .keys import SOURCE_NAME
from .source import SOURCE, check_inputs, looks_like_redis, read, sniff, write_to

__all__ = ["LINES", "MESSAGES", "SOURCE", "SOURCE_NAME", "check_inputs", "classify",
           "looks_like_redis", "read", "sniff", "write_to"]
