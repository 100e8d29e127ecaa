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
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from ..core.errors import UnusableInput
from ..core.lineformat import LineTable, LocalTimes, Sample, Variant, read_line_blocks
from ..core.parallel import SPLIT_MIN_BYTES, Part, split_points, write_parts
from ..core.pool import PoolWriter
from ..core.record import (
    CREATED,
    EVENT,
    FORMATTED,
    LEVELNAME,
    LEVELNO,
    LINENO,
    LINUX_PID,
    NAME,
    ORIGIN,
    RAW,
    SOURCE,
    UNKNOWN_VALUES,
    known,
    unparsed,
)
from ..core.report import BAD_TIMESTAMP, UNPARSED_LINE, UNREADABLE_FILE, ImportReport
from ..core.timezones import resolve_zone

SOURCE_NAME = "redis-log"
RECORD_NAME = "redis"
SCRIPT_NAME = "script"            # util-linux script's own header/trailer lines

# Keys (DESIGN §3: a Redis server is linux.pid + redis.role).
ROLE = "redis.role"
ROLE_CHAR = "redis.role_char"
LEVEL_CHAR = "redis.level_char"
CHILD_PID = "redis.child_pid"     # on the parent's "started by pid N" events
PARENT_PID = "redis.parent_pid"   # on a child's own lines, when its fork was logged
LINE_COUNT = "ev.line_count"      # lines a record spans, when more than one
FORMAT = "ev.format"              # which line variant the record's first line matched
INVALID_UTF8_KEY = "ev.invalid_utf8"

ROLES = {"M": "master", "S": "replica", "C": "child", "X": "sentinel"}
LEVEL_TOKENS = {".": "DEBUG", "-": "VERBOSE", "*": "INFO", "#": "WARNING"}
LEVELNOS = {"DEBUG": 10, "VERBOSE": 15, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
LEVEL_INFO = {token: (name, LEVELNOS[name]) for token, name in LEVEL_TOKENS.items()}

TIME_V3 = "%d %b %Y %H:%M:%S.%f"
TIME_NOYEAR = "%d %b %H:%M:%S.%f"
MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

SNIFF_BYTES = 64 * 1024
MAX_BLOCK_LINES = 20_000          # a crash report with no END: close it here
MAX_HELD = 1_000                  # records held back waiting for a time or a role

# ---------------------------------------------------------------------------------------
# The line table: one anchored pattern per line shape, each with real samples
# (fixtures/redis/<release>/). ``\#`` because re.VERBOSE treats ``#`` as a comment.

_LEVEL = r"(?P<level>[.\-*\#])"
_MSG = r"\ ?(?P<message>.*)"      # "# " with an empty message ends in the space
LEVELS_MAP = LEVEL_TOKENS

V3 = Variant(
    "v3",
    r"(?P<pid>\d+):(?P<role>[MSCX])\ (?P<time>\d{1,2}\ [A-Z][a-z]{2}\ \d{4}\ \d\d:\d\d:\d\d\.\d{3})"
    r"\ " + _LEVEL + _MSG,
    samples=(
        Sample("5618:M 25 Nov 2026 08:48:54.115 - Accepted 127.0.0.1:59762",
               {"pid": "5618", "role": "M", "time": "25 Nov 2026 08:48:54.115", "level": "-",
                "message": "Accepted 127.0.0.1:59762"}),
        Sample("6572:X 25 Nov 2026 08:49:20.311 # +switch-master mymaster 127.0.0.1 61105 "
               "127.0.0.1 61106",
               {"pid": "6572", "role": "X", "time": "25 Nov 2026 08:49:20.311", "level": "#",
                "message": "+switch-master mymaster 127.0.0.1 61105 127.0.0.1 61106"}),
        Sample("5727:M 25 Nov 2026 08:48:59.679 . The AOF directory appendonlydir doesn't exist",
               {"pid": "5727", "role": "M", "time": "25 Nov 2026 08:48:59.679", "level": ".",
                "message": "The AOF directory appendonlydir doesn't exist"}),
        Sample("8113:M 25 Nov 2026 08:49:38.634 # ",
               {"pid": "8113", "role": "M", "time": "25 Nov 2026 08:49:38.634", "level": "#",
                "message": ""}),
    ),
    time_format=TIME_V3,
    levels=LEVELS_MAP,
)
V3_NOYEAR = Variant(
    "v3-noyear",
    r"(?P<pid>\d+):(?P<role>[MSCX])\ (?P<time>\d{1,2}\ [A-Z][a-z]{2}\ \d\d:\d\d:\d\d\.\d{3})\ "
    + _LEVEL + _MSG,
    samples=(
        Sample("10045:C 25 Nov 08:50:36.606 * DB saved on disk",
               {"pid": "10045", "role": "C", "time": "25 Nov 08:50:36.606", "level": "*",
                "message": "DB saved on disk"}),
    ),
    time_format=TIME_NOYEAR,
    levels=LEVELS_MAP,
)
V2 = Variant(
    "v2",
    r"\[(?P<pid>\d+)\]\ (?P<time>\d{1,2}\ [A-Z][a-z]{2}\ \d\d:\d\d:\d\d\.\d{3})\ " + _LEVEL + _MSG,
    samples=(
        Sample("[8378] 25 Nov 08:49:50.472 - Accepted 127.0.0.1:45592",
               {"pid": "8378", "time": "25 Nov 08:49:50.472", "level": "-",
                "message": "Accepted 127.0.0.1:45592"}),
        Sample("[9546] 25 Nov 08:50:19.085 # ",
               {"pid": "9546", "time": "25 Nov 08:50:19.085", "level": "#", "message": ""}),
    ),
    time_format=TIME_NOYEAR,
    levels=LEVELS_MAP,
)
SIG = Variant(
    "sig",
    r"(?P<pid>\d+):signal-handler\ \((?P<epoch>\d+)\)\ (?P<message>.*)",
    samples=(
        Sample("9984:signal-handler (1795596636) Received SIGTERM scheduling shutdown...",
               {"pid": "9984", "epoch": "1795596636",
                "message": "Received SIGTERM scheduling shutdown..."}),
    ),
)
SIG_V2 = Variant(
    "sig-v2",
    r"\[(?P<pid>\d+)\ \|\ signal\ handler\]\ \((?P<epoch>\d+)\)\ (?P<message>.*)",
    samples=(
        Sample("[8428 | signal handler] (1795596596) Received SIGTERM scheduling shutdown...",
               {"pid": "8428", "epoch": "1795596596",
                "message": "Received SIGTERM scheduling shutdown..."}),
    ),
)
LOGO = Variant(
    "logo",
    r"\ {8,}_\._\ *$",                       # the first line of the ASCII-art logo
    samples=(Sample("                _._                                                  ", {}),),
)
CRASH = Variant(
    "crash",
    r"===\ REDIS\ BUG\ REPORT\ START",
    samples=(Sample("=== REDIS BUG REPORT START: Cut & paste starting from here ===", {}),),
)
CONFIG_ERROR = Variant(
    "config-error",
    r"\*\*\*\ FATAL\ CONFIG\ FILE\ ERROR(?:\ \(Redis\ (?P<version>[^)]+)\))?\ \*\*\*",
    samples=(
        Sample("*** FATAL CONFIG FILE ERROR ***", {}),
        Sample("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***", {"version": "7.0.15"}),
    ),
)
SCRIPT_START = Variant(
    "script-start",
    r"Script\ started\ on\ (?P<when>\d{4}-\d\d-\d\d\ \d\d:\d\d:\d\d[+-]\d\d:?\d\d)"
    r"\ \[(?P<info>.*)\]$",
    samples=(
        Sample('Script started on 2026-11-25 08:49:39+00:00 [COMMAND="/usr/bin/redis-server '
               '/tmp/fx-redis/run/7.0.15/stdout-pty/redis.conf" <not executed on terminal>]',
               {"when": "2026-11-25 08:49:39+00:00",
                "info": 'COMMAND="/usr/bin/redis-server /tmp/fx-redis/run/7.0.15/stdout-pty/'
                        'redis.conf" <not executed on terminal>'}),
    ),
)
SCRIPT_DONE = Variant(
    "script-done",
    r"Script\ done\ on\ (?P<when>\d{4}-\d\d-\d\d\ \d\d:\d\d:\d\d[+-]\d\d:?\d\d)"
    r"\ \[(?P<info>.*)\]$",
    samples=(
        Sample('Script done on 2026-11-25 08:49:39+00:00 [COMMAND_EXIT_CODE="0"]',
               {"when": "2026-11-25 08:49:39+00:00", "info": 'COMMAND_EXIT_CODE="0"'}),
    ),
)

LINES = LineTable(
    "redis-log",
    [V3, V3_NOYEAR, V2, SIG, SIG_V2, LOGO, CRASH, CONFIG_ERROR, SCRIPT_START, SCRIPT_DONE],
)
TIMED = (V3, V3_NOYEAR, V2)


def _is_timed(variant: Variant) -> bool:
    return variant is V3 or variant is V3_NOYEAR or variant is V2


_STARTS = frozenset("0123456789[ *=S")   # first characters of the line variants


def _match_line(text: str) -> tuple[Variant, re.Match[str]] | None:
    """LINES.match for lines inside blocks, most of which (INFO dumps, stack frames, the
    logo's art) cannot start any variant: their first character says so."""
    if text[:1] not in _STARTS:
        return None
    return LINES.match(text)


# ---------------------------------------------------------------------------------------
# Message families: the text after the prefix. Each is a variant with real samples (the
# message part of fixture lines), the event it becomes, and constant keys it adds.
# Group names become ``redis.<group>`` keys; ``_ip``/``_port`` pairs become ``<x>_addr``;
# a ``client_info`` group (Redis' CLIENT LIST text) gives client id, addr and name.

INT_GROUPS = frozenset({
    "port", "child_pid", "bits", "modified", "connected_clients", "connected_replicas",
    "used_memory", "db", "keys", "volatile_keys", "slots", "changes", "seconds", "repl_offset",
    "epoch", "client_id", "rdb_bytes", "keys_loaded", "keys_expired", "cow_mb", "cow_peak_mb",
    "cow_average_mb", "replid2_offset",
})
FLOAT_GROUPS = frozenset({"load_seconds"})


@dataclass(frozen=True)
class Message:
    """One message family: its variant (pattern and samples), event, and constant keys."""

    event: str
    variant: Variant
    fields: Mapping[str, Any] = field(default_factory=dict)
    level: str | None = None     # overrides the line's level (e.g. a crash is CRITICAL)


def _m(event: str, name: str, pattern: str, *samples: tuple[str, dict[str, str]],
       fields: Mapping[str, Any] | None = None, level: str | None = None) -> Message:
    return Message(event, Variant(name, pattern, tuple(Sample(s, f) for s, f in samples)),
                   fields or {}, level)


_ADDR = r"(?P<{0}>\S+)"
_SENT_MASTER = r"master\ (?P<master_name>\S+)\ (?P<master_ip>\S+)\ (?P<master_port>\d+)"
_SENT_INSTANCE = (r"(?P<instance_type>slave|replica|sentinel)\ (?P<instance_name>\S+)\ "
                  r"(?P<instance_ip>\S+)\ (?P<instance_port>\d+)\ @\ (?P<master_name>\S+)\ "
                  r"(?P<master_ip>\S+)\ (?P<master_port>\d+)")

# Redis' CLIENT LIST text of the client that asked (real lines, long: quoted once here).
_CLOSED_INFO = (
    "id=3 addr=127.0.0.1:59762 laddr=127.0.0.1:61101 fd=7 name= age=0 "
    "idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 "
    "qbuf-free=20474 argv-mem=0 multi-mem=0 rbs=16384 rbp=7 obl=0 oll=0 "
    "omem=0 tot-mem=37632 events=r cmd=ping user=default redir=-1 resp=2"
)
_MASTER_MODE_INFO = (
    "id=6 addr=127.0.0.1:33505 fd=6 name=sentinel-0ec608bb-cmd age=4 "
    "idle=0 flags=x db=0 sub=0 psub=0 multi=3 qbuf=134 qbuf-free=32634 "
    "obl=36 oll=0 omem=0 events=r cmd=exec"
)
_SLAVE_OF_INFO = (
    "id=5 addr=127.0.0.1:47989 fd=5 name=sentinel-0ec608bb-cmd age=10 "
    "idle=0 flags=x db=0 sub=0 psub=0 multi=3 qbuf=0 qbuf-free=32768 "
    "obl=36 oll=0 omem=0 events=r cmd=exec"
)
_REPLICAOF_INFO = (
    "id=6 addr=127.0.0.1:59924 laddr=127.0.0.1:61105 fd=7 "
    "name=sentinel-104f02bd-cmd age=10 idle=0 flags=x db=0 sub=0 psub=0 "
    "ssub=0 multi=4 qbuf=197 qbuf-free=20277 argv-mem=4 multi-mem=178 "
    "rbs=1024 rbp=1024 obl=45 oll=0 omem=0 tot-mem=22574 events=r cmd=exec "
    "user=default redir=-1 resp=2"
)

MESSAGES: tuple[Message, ...] = (
    # -- startup and identity
    _m("server_start", "starting", r"oO0OoO0OoO0Oo\ Redis\ is\ starting\ oO0OoO0OoO0Oo$",
       ("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo", {})),
    _m("server_start", "server-started", r"Server\ started,\ Redis\ version\ (?P<version>\S+)$",
       ("Server started, Redis version 2.8.17", {"version": "2.8.17"})),
    _m("server_version", "version",
       r"Redis\ version=(?P<version>[^,]+),\ bits=(?P<bits>\d+),\ commit=(?P<commit>[^,]+),"
       r"\ modified=(?P<modified>\d+),\ pid=\d+,\ just\ started$",
       ("Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=5618, just started",
        {"version": "7.0.15", "bits": "64", "commit": "00000000", "modified": "0"})),
    _m("config_loaded", "config-loaded", r"Configuration\ loaded$",
       ("Configuration loaded", {})),
    _m("server_mode", "running-mode", r"Running\ mode=(?P<mode>\w+),\ port=(?P<port>\d+)\.$",
       ("Running mode=standalone, port=61101.", {"mode": "standalone", "port": "61101"}),
       ("Running mode=sentinel, port=61107.", {"mode": "sentinel", "port": "61107"})),
    _m("server_initialized", "initialized", r"Server\ initialized$",
       ("Server initialized", {})),
    _m("ready", "ready", r"Ready\ to\ accept\ connections",
       ("Ready to accept connections", {})),
    _m("ready", "ready-port",
       r"The\ server\ is\ now\ ready\ to\ accept\ connections\ on\ port\ (?P<port>\d+)$",
       ("The server is now ready to accept connections on port 61115", {"port": "61115"})),
    _m("sentinel_id", "sentinel-id", r"Sentinel\ (?:runid|ID)\ is\ (?P<sentinel_id>[0-9a-f]+)$",
       ("Sentinel runid is e0412ea45c049b64969e296a7539dbf2de29e22d",
        {"sentinel_id": "e0412ea45c049b64969e296a7539dbf2de29e22d"}),
       ("Sentinel ID is 104f02bd4f95170e804c7f9d45820e92375c2376",
        {"sentinel_id": "104f02bd4f95170e804c7f9d45820e92375c2376"})),
    # -- clients
    _m("client_accepted", "accepted", r"Accepted\ " + _ADDR.format("client_addr") + "$",
       ("Accepted 127.0.0.1:59762", {"client_addr": "127.0.0.1:59762"})),
    _m("client_closed", "closed", r"Client\ closed\ connection$",
       ("Client closed connection", {})),
    _m("client_closed", "closed-info", r"Client\ closed\ connection\ (?P<client_info>id=.*)$",
       ("Client closed connection " + _CLOSED_INFO, {"client_info": _CLOSED_INFO})),
    _m("clients_stats", "clients-connected",
       r"(?P<connected_clients>\d+)\ clients\ connected\ \((?P<connected_replicas>\d+)\ "
       r"(?:slaves|replicas)\),\ (?P<used_memory>\d+)\ bytes\ in\ use$",
       ("1 clients connected (0 slaves), 843864 bytes in use",
        {"connected_clients": "1", "connected_replicas": "0", "used_memory": "843864"}),
       ("0 clients connected (0 replicas), 876200 bytes in use",
        {"connected_clients": "0", "connected_replicas": "0", "used_memory": "876200"})),
    _m("db_stats", "db-keys",
       r"DB\ (?P<db>\d+):\ (?P<keys>\d+)\ keys\ \((?P<volatile_keys>\d+)\ volatile\)\ in\ "
       r"(?P<slots>\d+)\ slots\ HT\.$",
       ("DB 0: 3 keys (0 volatile) in 4 slots HT.",
        {"db": "0", "keys": "3", "volatile_keys": "0", "slots": "4"})),
    # -- persistence: forks and what they did
    _m("bgsave_start", "bgsave-start", r"Background\ saving\ started\ by\ pid\ (?P<child_pid>\d+)$",
       ("Background saving started by pid 8458", {"child_pid": "8458"})),
    _m("bgsave_end", "bgsave-end", r"Background\ saving\ terminated\ with\ (?P<result>success)$",
       ("Background saving terminated with success", {"result": "success"})),
    _m("aof_rewrite_start", "aof-rewrite-start",
       r"Background\ append\ only\ file\ rewriting\ started\ by\ pid\ (?P<child_pid>\d+)$",
       ("Background append only file rewriting started by pid 8475", {"child_pid": "8475"})),
    _m("aof_rewrite_end", "aof-rewrite-end",
       r"Background\ AOF\ rewrite\ terminated\ with\ (?P<result>success)$",
       ("Background AOF rewrite terminated with success", {"result": "success"})),
    _m("aof_rewrite_done", "aof-rewrite-done", r"Background\ AOF\ rewrite\ finished\ successfully$",
       ("Background AOF rewrite finished successfully", {})),
    _m("rdb_transfer_start", "rdb-transfer-start",
       r"Background\ RDB\ transfer\ started\ by\ pid\ (?P<child_pid>\d+)$",
       ("Background RDB transfer started by pid 6501", {"child_pid": "6501"})),
    _m("rdb_transfer_end", "rdb-transfer-end",
       r"Background\ RDB\ transfer\ terminated\ with\ (?P<result>success)$",
       ("Background RDB transfer terminated with success", {"result": "success"})),
    _m("db_saved", "db-saved", r"DB\ saved\ on\ disk$", ("DB saved on disk", {})),
    _m("fork_cow", "cow",
       r"(?P<purpose>RDB|AOF\ rewrite):\ (?P<cow_mb>\d+)\ MB\ of\ memory\ used\ by\ copy-on-write$",
       ("RDB: 0 MB of memory used by copy-on-write", {"purpose": "RDB", "cow_mb": "0"}),
       ("AOF rewrite: 0 MB of memory used by copy-on-write",
        {"purpose": "AOF rewrite", "cow_mb": "0"})),
    _m("fork_cow", "fork-cow",
       r"Fork\ CoW\ for\ (?P<purpose>RDB|AOF\ rewrite):\ current\ (?P<cow_mb>\d+)\ MB,\ peak\ "
       r"(?P<cow_peak_mb>\d+)\ MB,\ average\ (?P<cow_average_mb>\d+)\ MB$",
       ("Fork CoW for RDB: current 0 MB, peak 0 MB, average 0 MB",
        {"purpose": "RDB", "cow_mb": "0", "cow_peak_mb": "0", "cow_average_mb": "0"})),
    _m("save_triggered", "changes-saving",
       r"(?P<changes>\d+)\ changes\ in\ (?P<seconds>\d+)\ seconds\.\ Saving\.\.\.$",
       ("1 changes in 1 seconds. Saving...", {"changes": "1", "seconds": "1"})),
    _m("db_loaded", "db-loaded", r"DB\ loaded\ from\ disk:\ (?P<load_seconds>[\d.]+)\ seconds$",
       ("DB loaded from disk: 0.000 seconds", {"load_seconds": "0.000"})),
    _m("rdb_loaded", "rdb-loaded",
       r"Done\ loading\ RDB,\ keys\ loaded:\ (?P<keys_loaded>\d+),\ keys\ expired:\ "
       r"(?P<keys_expired>\d+)\.$",
       ("Done loading RDB, keys loaded: 4, keys expired: 0.",
        {"keys_loaded": "4", "keys_expired": "0"})),
    _m("final_save", "final-save", r"Saving\ the\ final\ RDB\ snapshot\ before\ exiting\.$",
       ("Saving the final RDB snapshot before exiting.", {})),
    # -- replication, replica side
    _m("master_connecting", "connecting", r"Connecting\ to\ MASTER\ " + _ADDR.format("master_addr")
       + "$", ("Connecting to MASTER 127.0.0.1:61118", {"master_addr": "127.0.0.1:61118"})),
    _m("master_connecting", "reconnecting",
       r"Reconnecting\ to\ MASTER\ " + _ADDR.format("master_addr") + "$",
       ("Reconnecting to MASTER 127.0.0.1:61105", {"master_addr": "127.0.0.1:61105"})),
    _m("sync_start", "sync-started", r"MASTER\ <->\ (?:SLAVE|REPLICA)\ sync\ started$",
       ("MASTER <-> SLAVE sync started", {}), ("MASTER <-> REPLICA sync started", {})),
    _m("sync_end", "sync-finished",
       r"MASTER\ <->\ (?:SLAVE|REPLICA)\ sync:\ Finished\ with\ (?P<result>success)$",
       ("MASTER <-> SLAVE sync: Finished with success", {"result": "success"}),
       ("MASTER <-> REPLICA sync: Finished with success", {"result": "success"})),
    _m("sync_receiving", "sync-receiving",
       r"MASTER\ <->\ (?:SLAVE|REPLICA)\ sync:\ receiving\ (?P<rdb_bytes>\d+)\ bytes\ from\ "
       r"master",
       ("MASTER <-> SLAVE sync: receiving 75 bytes from master", {"rdb_bytes": "75"})),
    _m("full_resync", "full-resync",
       r"Full\ resync\ from\ master:\ (?P<replid>[0-9a-f]+):(?P<repl_offset>\d+)$",
       ("Full resync from master: f35f3df53c340f44d2ec76471d7217152145ea37:1",
        {"replid": "f35f3df53c340f44d2ec76471d7217152145ea37", "repl_offset": "1"}),
       fields={"redis.resync": "full"}),
    _m("partial_resync_impossible", "partial-not-possible",
       r"Partial\ resynchronization\ not\ possible\ \((?P<reason>[^)]*)\)$",
       ("Partial resynchronization not possible (no cached master)",
        {"reason": "no cached master"}),
       fields={"redis.resync": "full"}),
    _m("partial_resync_try", "partial-try",
       r"Trying\ a\ partial\ resynchronization\ \(request\ (?P<replid>[0-9a-f]+):"
       r"(?P<repl_offset>\d+)\)\.$",
       ("Trying a partial resynchronization (request 49eae722667686967bb724e4aa1b9aeaa51c55f6:1).",
        {"replid": "49eae722667686967bb724e4aa1b9aeaa51c55f6", "repl_offset": "1"}),
       fields={"redis.resync": "partial"}),
    _m("master_link_lost", "master-lost", r"Connection\ with\ master\ lost\.$",
       ("Connection with master lost.", {})),
    _m("sync_error", "sync-error", r"Error\ condition\ on\ socket\ for\ SYNC:\ (?P<error>.+)$",
       ("Error condition on socket for SYNC: Connection refused",
        {"error": "Connection refused"})),
    _m("role_change", "master-mode", r"MASTER\ MODE\ enabled\ \(user\ request\)$",
       ("MASTER MODE enabled (user request)", {}), fields={"redis.new_role": "master"}),
    _m("role_change", "master-mode-from",
       r"MASTER\ MODE\ enabled\ \(user\ request\ from\ '(?P<client_info>.*)'\)$",
       (f"MASTER MODE enabled (user request from '{_MASTER_MODE_INFO}')",
        {"client_info": _MASTER_MODE_INFO}),
       fields={"redis.new_role": "master"}),
    _m("role_change", "slave-of",
       r"SLAVE\ OF\ " + _ADDR.format("master_addr") + r"\ enabled\ \(user\ request\)$",
       ("SLAVE OF 127.0.0.1:61119 enabled (user request)", {"master_addr": "127.0.0.1:61119"}),
       fields={"redis.new_role": "replica"}),
    _m("role_change", "slave-of-from",
       r"(?:SLAVE\ OF|REPLICAOF)\ " + _ADDR.format("master_addr")
       + r"\ enabled\ \(user\ request\ from\ '(?P<client_info>.*)'\)$",
       (f"SLAVE OF 127.0.0.1:61131 enabled (user request from '{_SLAVE_OF_INFO}')",
        {"master_addr": "127.0.0.1:61131", "client_info": _SLAVE_OF_INFO}),
       (f"REPLICAOF 127.0.0.1:61106 enabled (user request from '{_REPLICAOF_INFO}')",
        {"master_addr": "127.0.0.1:61106", "client_info": _REPLICAOF_INFO}),
       fields={"redis.new_role": "replica"}),
    _m("replid_change", "secondary-replid",
       r"Setting\ secondary\ replication\ ID\ to\ (?P<replid2>[0-9a-f]+),\ valid\ up\ to\ "
       r"offset:\ (?P<replid2_offset>\d+)\.\ New\ replication\ ID\ is\ (?P<replid>[0-9a-f]+)$",
       ("Setting secondary replication ID to 1abb78809032827010ce503a67cf57b6ee50a03a, valid up "
        "to offset: 297. New replication ID is bf6fdaa0231232c5f32314bb9830b93099379261",
        {"replid2": "1abb78809032827010ce503a67cf57b6ee50a03a", "replid2_offset": "297",
         "replid": "bf6fdaa0231232c5f32314bb9830b93099379261"})),
    # -- replication, master side
    _m("replica_sync_request", "slave-asks", r"(?:Slave|Replica)\ asks\ for\ synchronization$",
       ("Slave asks for synchronization", {})),
    _m("replica_sync_request", "replica-asks",
       r"(?:Slave|Replica)\ " + _ADDR.format("replica_addr") + r"\ asks\ for\ synchronization$",
       ("Slave 127.0.0.1:61131 asks for synchronization", {"replica_addr": "127.0.0.1:61131"}),
       ("Replica 127.0.0.1:61106 asks for synchronization",
        {"replica_addr": "127.0.0.1:61106"})),
    _m("full_resync_requested", "full-resync-requested",
       r"Full\ resync\ requested\ by\ (?:slave|replica)\.$",
       ("Full resync requested by slave.", {}), fields={"redis.resync": "full"}),
    _m("full_resync_requested", "full-resync-requested-by",
       r"Full\ resync\ requested\ by\ (?:slave|replica)\ " + _ADDR.format("replica_addr") + "$",
       ("Full resync requested by slave 127.0.0.1:61131", {"replica_addr": "127.0.0.1:61131"}),
       ("Full resync requested by replica 127.0.0.1:61106",
        {"replica_addr": "127.0.0.1:61106"}),
       fields={"redis.resync": "full"}),
    _m("partial_resync_rejected", "partial-not-accepted",
       r"Partial\ resynchronization\ not\ accepted:\ (?P<reason>.+)$",
       ("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for "
        "'49eae722667686967bb724e4aa1b9aeaa51c55f6', my replication IDs are "
        "'bf6fdaa0231232c5f32314bb9830b93099379261' and "
        "'1abb78809032827010ce503a67cf57b6ee50a03a')",
        {"reason": "Replication ID mismatch (Replica asked for "
                   "'49eae722667686967bb724e4aa1b9aeaa51c55f6', my replication IDs are "
                   "'bf6fdaa0231232c5f32314bb9830b93099379261' and "
                   "'1abb78809032827010ce503a67cf57b6ee50a03a')"}),
       fields={"redis.resync": "full"}),
    _m("bgsave_for_sync", "bgsave-for-sync", r"Starting\ BGSAVE\ for\ SYNC$",
       ("Starting BGSAVE for SYNC", {})),
    _m("bgsave_for_sync", "bgsave-for-sync-target",
       r"Starting\ BGSAVE\ for\ SYNC\ with\ target:\ (?P<target>.+)$",
       ("Starting BGSAVE for SYNC with target: disk", {"target": "disk"}),
       ("Starting BGSAVE for SYNC with target: replicas sockets", {"target": "replicas sockets"})),
    _m("replica_sync_done", "sync-with-slave",
       r"Synchronization\ with\ (?:slave|replica)\ succeeded$",
       ("Synchronization with slave succeeded", {})),
    _m("replica_sync_done", "sync-with-replica",
       r"Synchronization\ with\ (?:slave|replica)\ " + _ADDR.format("replica_addr")
       + r"\ succeeded$",
       ("Synchronization with slave 127.0.0.1:61131 succeeded",
        {"replica_addr": "127.0.0.1:61131"}),
       ("Synchronization with replica 127.0.0.1:61106 succeeded",
        {"replica_addr": "127.0.0.1:61106"})),
    _m("replica_link_lost", "replica-lost",
       r"Connection\ with\ (?:slave|replica)\ " + _ADDR.format("replica_addr") + r"\ lost\.$",
       ("Connection with slave 127.0.0.1:61118 lost.", {"replica_addr": "127.0.0.1:61118"}),
       ("Connection with replica 127.0.0.1:61105 lost.", {"replica_addr": "127.0.0.1:61105"})),
    _m("replication_backlog_created", "backlog-created",
       r"Replication\ backlog\ created,\ my\ new\ replication\ IDs\ are\ '(?P<replid>[0-9a-f]+)'"
       r"\ and\ '(?P<replid2>[0-9a-f]+)'$",
       ("Replication backlog created, my new replication IDs are "
        "'1abb78809032827010ce503a67cf57b6ee50a03a' and "
        "'0000000000000000000000000000000000000000'",
        {"replid": "1abb78809032827010ce503a67cf57b6ee50a03a",
         "replid2": "0000000000000000000000000000000000000000"})),
    # -- shutdown
    _m("signal", "received-signal",
       r"Received\ (?P<signal>SIG[A-Z]+)\ scheduling\ shutdown\.\.\.$",
       ("Received SIGTERM scheduling shutdown...", {"signal": "SIGTERM"})),
    _m("shutdown", "shutdown", r"User\ requested\ shutdown\.\.\.$",
       ("User requested shutdown...", {})),
    _m("exit", "exit", r"(?:Redis|Sentinel)\ is\ now\ ready\ to\ exit,\ bye\ bye\.\.\.$",
       ("Redis is now ready to exit, bye bye...", {}),
       ("Sentinel is now ready to exit, bye bye...", {})),
    # -- sentinel events: "+event <instance> [detail]" (sentinel.c sentinelEvent)
    _m("sentinel_event", "sentinel-master",
       r"(?P<sentinel_event>[+-][a-z][\w-]*)\ " + _SENT_MASTER + r"\ ?(?P<sentinel_detail>.*)$",
       ("+sdown master mymaster 127.0.0.1 61118",
        {"sentinel_event": "+sdown", "master_name": "mymaster", "master_ip": "127.0.0.1",
         "master_port": "61118", "sentinel_detail": ""}),
       ("+odown master mymaster 127.0.0.1 61118 #quorum 1/1",
        {"sentinel_event": "+odown", "master_name": "mymaster", "master_ip": "127.0.0.1",
         "master_port": "61118", "sentinel_detail": "#quorum 1/1"}),
       fields={"redis.instance_type": "master"}),
    _m("sentinel_event", "sentinel-instance",
       r"(?P<sentinel_event>[+-][a-z][\w-]*)\ " + _SENT_INSTANCE + r"\ ?(?P<sentinel_detail>.*)$",
       ("+promoted-slave slave 127.0.0.1:61119 127.0.0.1 61119 @ mymaster 127.0.0.1 61118",
        {"sentinel_event": "+promoted-slave", "instance_type": "slave",
         "instance_name": "127.0.0.1:61119", "instance_ip": "127.0.0.1",
         "instance_port": "61119", "master_name": "mymaster", "master_ip": "127.0.0.1",
         "master_port": "61118", "sentinel_detail": ""})),
    _m("sentinel_event", "sentinel-switch-master",
       r"(?P<sentinel_event>\+switch-master)\ (?P<master_name>\S+)\ (?P<old_master_ip>\S+)\ "
       r"(?P<old_master_port>\d+)\ (?P<master_ip>\S+)\ (?P<master_port>\d+)$",
       ("+switch-master mymaster 127.0.0.1 61118 127.0.0.1 61119",
        {"sentinel_event": "+switch-master", "master_name": "mymaster",
         "old_master_ip": "127.0.0.1", "old_master_port": "61118", "master_ip": "127.0.0.1",
         "master_port": "61119"})),
    _m("sentinel_event", "sentinel-new-epoch",
       r"(?P<sentinel_event>\+new-epoch)\ (?P<epoch>\d+)$",
       ("+new-epoch 1", {"sentinel_event": "+new-epoch", "epoch": "1"})),
    _m("sentinel_event", "sentinel-vote",
       r"(?P<sentinel_event>\+vote-for-leader)\ (?P<leader>[0-9a-f]+)\ (?P<epoch>\d+)$",
       ("+vote-for-leader e0412ea45c049b64969e296a7539dbf2de29e22d 1",
        {"sentinel_event": "+vote-for-leader",
         "leader": "e0412ea45c049b64969e296a7539dbf2de29e22d", "epoch": "1"})),
)

# A module-level table, so tests/test_formats.py checks every message sample too.
MESSAGE_TABLE = LineTable("redis-message", [m.variant for m in MESSAGES])

_LEAD = re.compile(r"[A-Za-z0-9:]+(?:\\\ |$)")


def _lead(message: Message) -> str | None:
    """The literal first word every line of this family starts with, or None.

    ``+``/``-`` stands for every sentinel event; ``None`` puts the family on the short list
    tried when no first word matches (families that start with a number or an alternation).
    """
    pattern = message.variant.pattern
    if pattern.startswith("(?P<sentinel_event>"):
        return "+"
    m = _LEAD.match(pattern)
    if m is None:
        return None
    return m.group(0).removesuffix("\\ ")


def _spec(message: Message) -> tuple[tuple[str, Callable[[str], Any] | None], ...]:
    """(key, converter) per group of the family's pattern, in group order."""
    groups = MESSAGE_TABLE.compiled(message.variant).groupindex
    return tuple(
        (f"redis.{group}", int if group in INT_GROUPS else float if group in FLOAT_GROUPS
         else None)
        for group in sorted(groups, key=groups.get)
    )


@dataclass(frozen=True)
class _Family:
    message: Message
    regex: re.Pattern[str]
    spec: tuple[tuple[str, Callable[[str], Any] | None], ...]
    post: bool                     # has ip/port pairs or client info to fold


def _index() -> tuple[dict[str, Message], dict[str, tuple[_Family, ...]], tuple[_Family, ...]]:
    """Families by the first word of their lines; the unled ones are tried after any lead's."""
    exact: dict[str, Message] = {}
    by_lead: dict[str, list[_Family]] = {}
    rest: list[_Family] = []
    for message in MESSAGES:
        regex = MESSAGE_TABLE.compiled(message.variant)
        spec = _spec(message)
        post = any(k.endswith(("_ip", "_port", "client_info")) for k, _ in spec)
        fam = _Family(message, regex, spec, post)
        lead = _lead(message)
        if not regex.groupindex:
            for sample in message.variant.samples:
                if regex.fullmatch(sample.line):
                    exact[sample.line] = message
        (by_lead.setdefault(lead, []) if lead else rest).append(fam)
    return (exact, {k: (*v, *rest) for k, v in by_lead.items()}, tuple(rest))


EXACT, BY_LEAD, UNLED = _index()
_NO_FAMILY: set[str] = set()       # messages seen to be plain ``log`` lines (bounded)
_CLIENT_FIELD = re.compile(r"(?:^|\s)(id|addr|laddr|name)=(\S*)")


def _fold(fields: dict[str, Any]) -> None:
    """``x_ip`` + ``x_port`` -> ``x_addr`` ("ip:port"); client info -> client keys."""
    for key in [k for k in fields if k.endswith("_ip")]:
        base = key[:-3]
        port = fields.pop(base + "_port", None)
        ip = fields.pop(key)
        fields[base + "_addr"] = f"{ip}:{port}" if port is not None else ip
    info = fields.pop("redis.client_info", None)
    if info:
        for name, value in _CLIENT_FIELD.findall(info):
            if value:
                fields[f"redis.client_{name}"] = int(value) if name == "id" else value


def classify(message: str) -> tuple[Message, Mapping[str, Any]] | None:
    """The message family of a message text and its keys, or None (a plain ``log`` line)."""
    hit = EXACT.get(message)
    if hit is not None:
        return hit, hit.fields
    if message in _NO_FAMILY:
        return None
    space = message.find(" ")
    lead = message if space < 0 else message[:space]
    if lead[:1] in ("+", "-") and len(lead) > 1:
        lead = "+"
    for fam in BY_LEAD.get(lead, UNLED):
        m = fam.regex.match(message)
        if m is None:
            continue
        fields: dict[str, Any] = {}
        for (key, conv), value in zip(fam.spec, m.groups()):  # noqa: B905 - same length
            if value and value not in UNKNOWN_VALUES:
                fields[key] = value if conv is None else conv(value)
        if fam.post:
            _fold(fields)
        if fam.message.fields:
            fields.update(fam.message.fields)
        return fam.message, fields
    if len(_NO_FAMILY) >= 10_000:
        _NO_FAMILY.clear()
    _NO_FAMILY.add(message)
    return None


# ---------------------------------------------------------------------------------------
# Multi-line blocks

_CRASH_FACTS = (   # (a word the line must hold, the regex, the keys of its groups)
    ("crashed", re.compile(r"Redis (\S+) crashed by signal: (\d+)(?:, si_code: (\d+))?"),
     ("redis.version", "redis.crash_signal", "redis.crash_si_code")),
    ("Accessing", re.compile(r"Accessing address: (\S+)"), ("redis.crash_address",)),
    ("Crashed", re.compile(r"Crashed running the instr?uction at: (\S+)"),
     ("redis.crash_instruction",)),
    ("assertion", re.compile(r"Failed assertion: (.*)"), ("redis.failed_assertion",)),
    ("memory test", re.compile(r"Fast memory test (PASSED|FAILED)"), ("redis.memory_test",)),
)
_INFO_KEYS = {
    "redis_version": "redis.version", "redis_mode": "redis.mode", "tcp_port": "redis.port",
    "config_file": "redis.config_file", "executable": "redis.executable",
    "run_id": "redis.run_id", "uptime_in_seconds": "redis.uptime_seconds",
    "used_memory": "redis.used_memory", "connected_clients": "redis.connected_clients",
}
_INFO_LINE = re.compile(r"([a-z_0-9]+):(.*)$")
_FRAME = re.compile(r"\(([^()]*)\)\[0x[0-9a-f]+\]$")
_ARGV = re.compile(r"argv\[(\d+)\]: '(.*)'$")
_CLIENT_ADDR = re.compile(r"(?:^|\s)addr=(\S+).*\scmd=(\S+)")


@dataclass
class _Block:
    """Lines of one multi-line block while it is being read."""

    kind: str                      # "banner", "crash", "config"
    first: int                     # line number of its first line
    lines: list[str] = field(default_factory=list)
    ended: bool = False            # crash: END seen, only the advice after it may follow
    tail: int = 0                  # crash: lines absorbed after END
    pid: int | None = None         # from its first prefixed line (banner: the line above)
    role_char: str | None = None
    created: float | None = None
    invalid_utf8: bool = False


def _signal_name(number: int) -> str | None:
    try:
        return signal.Signals(number).name
    except ValueError:
        return None


def _crash_fields(lines: list[str]) -> dict[str, Any]:
    """The facts a bug report states, from its lines (prefixes and CR already removed)."""
    fields: dict[str, Any] = {}
    frames: list[str] = []
    argv: list[str] = []
    in_info = after_eip = False
    for line in lines:
        body = line
        if line[:1].isdigit() or line[:1] == "[":
            hit = _match_line(line)
            if hit is not None and _is_timed(hit[0]):
                body = hit[1].group("message").strip()
        for word, regex, keys in _CRASH_FACTS:
            if word not in body:
                continue
            m = regex.search(body)
            if m is not None:
                for key, value in zip(keys, m.groups(), strict=False):
                    if value is not None and key not in fields:
                        fields[key] = value
        if "INFO OUTPUT" in body:
            in_info = True
            continue
        if in_info:
            if body.startswith("---"):
                in_info = False
            m = _INFO_LINE.match(body.removeprefix("# "))
            if m is not None and m.group(1) in _INFO_KEYS:
                fields.setdefault(_INFO_KEYS[m.group(1)], m.group(2).strip())
        if body.endswith("]"):
            m = _FRAME.search(body)
            if m is not None and not after_eip:  # the frame under "EIP:" repeats the top one
                frames.append(m.group(1))
        after_eip = body == "EIP:"
        if body.startswith("argv["):
            m = _ARGV.match(body)
            if m is not None:
                argv.append(m.group(2).strip('"'))
        if "addr=" in body and "redis.client_addr" not in fields:
            m = _CLIENT_ADDR.search(body)
            if m is not None:
                fields["redis.client_addr"] = m.group(1)
    for key in ("redis.crash_signal", "redis.crash_si_code", "redis.port",
                "redis.uptime_seconds", "redis.used_memory", "redis.connected_clients"):
        if key in fields:
            try:
                fields[key] = int(fields[key])
            except ValueError:
                del fields[key]
    if "redis.crash_signal" in fields:
        fields["redis.crash_signal_name"] = _signal_name(fields["redis.crash_signal"])
    if fields.get("redis.failed_assertion", "").startswith("<no assertion failed>"):
        del fields["redis.failed_assertion"]
    if frames:
        fields["redis.backtrace"] = frames
    if argv:
        fields["redis.command"] = " ".join(argv)
    return {k: v for k, v in fields.items() if known(v)}


_BANNER_FACTS = (
    (re.compile(r"Redis (\S+) \((\w+)/(\d+)\) (\d+) bit"),
     ("redis.version", "redis.git_sha1", "redis.git_dirty", "redis.bits")),
    (re.compile(r"Running in (.+?) mode"), ("redis.mode",)),
    (re.compile(r"Port: (\d+)"), ("redis.port",)),
    (re.compile(r"PID: (\d+)"), (LINUX_PID,)),
)
_MODES = {"stand alone": "standalone"}


def _banner_fields(lines: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for line in lines:
        for regex, keys in _BANNER_FACTS:
            m = regex.search(line)
            if m is not None:
                fields.update(zip(keys, m.groups(), strict=True))
    for key in ("redis.git_dirty", "redis.bits", "redis.port", LINUX_PID):
        if key in fields:
            fields[key] = int(fields[key])
    if "redis.mode" in fields:
        fields["redis.mode"] = _MODES.get(fields["redis.mode"], fields["redis.mode"])
    return fields


def _config_fields(lines: list[str]) -> dict[str, Any]:
    """``*** FATAL CONFIG FILE ERROR ***``, optionally the line and directive, the error."""
    fields: dict[str, Any] = {}
    body = [line for line in lines if line.strip()]
    m = LINES.compiled(CONFIG_ERROR).match(body[0]) if body else None
    if m is not None and m.group("version"):
        fields["redis.version"] = m.group("version")
    rest = body[1:]
    if rest and rest[0].startswith("Reading the configuration file, at line "):
        number = rest[0].rsplit(" ", 1)[1]
        if number.isdigit():
            fields["redis.config_line"] = int(number)
        rest = rest[1:]
        if rest and rest[0].startswith(">>> "):
            fields["redis.config_directive"] = rest[0][4:].strip("'")
            rest = rest[1:]
    if rest:
        fields["redis.error"] = " ".join(rest)
    return fields


# ---------------------------------------------------------------------------------------
# Years for the formats that print none


class _Years:
    """The year of yearless lines in one file: mtime first, then rollovers and anchors."""

    def __init__(self, path: Path, zone, override: int | None) -> None:
        self.path = path
        self.zone = zone
        self.override = override
        self.year: int | None = override
        self.month: int | None = None
        self.anchor: tuple[int, int] | None = None    # (year, month) of an absolute time
        self.source = "--year" if override else ""
        self.used: set[int] = set()                   # years given to yearless lines

    def see_absolute(self, year: int, month: int) -> bool:
        """An absolute time in the same file (4.x+ line, signal epoch, script header).

        Returns True when it changed the year of the yearless lines that follow."""
        self.anchor = (year, month)
        if self.override or self.year is None or self.month is None:
            return False
        expected = _year_near(year, month, self.month)
        if expected == self.year:
            if self.source == "file mtime":
                self.source = "file mtime, confirmed by an absolute time in the file"
            return False
        self.year = expected
        self.source = "neighbouring absolute times"
        return True

    def year_for(self, month: int, day: int) -> int:
        """The year of a yearless line in ``month``; carries Dec -> Jan rollovers forward."""
        if self.year is None:
            if self.anchor is not None:
                self.year = _year_near(*self.anchor, month)
                self.source = "neighbouring absolute times"
            else:
                try:
                    mtime = datetime.fromtimestamp(self.path.stat().st_mtime, self.zone)
                except OSError:
                    mtime = datetime.now(self.zone)
                later = (month, day) > (mtime.month, mtime.day)
                self.year = mtime.year - 1 if later else mtime.year
                self.source = "file mtime"
        elif self.month is not None and not self.override:
            if month - self.month <= -6:
                self.year += 1            # Dec 31 -> Jan 1
            elif month - self.month >= 6:
                self.year -= 1            # a late line from before the rollover
        self.month = month
        self.used.add(self.year)
        return self.year

    def said(self) -> str | None:
        """What to tell the user, or None when no line needed a year."""
        if not self.used:
            return None
        years = sorted(self.used)
        text = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
        return f"{text} from {self.source}"


def _year_near(year: int, month: int, other_month: int) -> int:
    """The year of ``other_month`` seen close to an absolute (year, month)."""
    if other_month - month >= 6:
        return year - 1
    if month - other_month >= 6:
        return year + 1
    return year


# ---------------------------------------------------------------------------------------
# Reading

def check_inputs(paths: Iterable[str | os.PathLike],
                 report: ImportReport | None = None) -> list[Path]:
    """The files to read, each checked to exist, be a file and look like a Redis log.

    With one file, or without a ``report``, the first that is not raises
    :class:`UnusableInput` (the CLI's exit 2). Among several files, the usable ones are read:
    an empty file is skipped and said in the report, any other unusable one is counted as
    ``UnreadableFile`` (exit 1); only when none is usable does it raise.
    """
    out: list[Path] = []
    errors: list[tuple[Path, UnusableInput]] = []
    for raw in paths:
        try:
            out.append(_check_input(Path(raw)))
        except UnusableInput as exc:
            errors.append((Path(raw), exc))
    if errors and (not out or report is None):
        raise errors[0][1]
    empty = [str(path) for path, exc in errors if exc.what.startswith("empty file")]
    if empty and report is not None:
        report.assume("empty files, skipped", ", ".join(empty))
    for path, exc in errors:
        if not exc.what.startswith("empty file") and report is not None:
            report.problem(UNREADABLE_FILE, f"{path}: {exc.what}")
    return out


def _check_input(path: Path) -> Path:
    if not path.exists():
        raise UnusableInput("no such file", str(path), "check the path to the redis log")
    if not path.is_file():
        raise UnusableInput(
            "not a file", str(path),
            "give redis-server's log files: its logfile setting, or saved console output",
        )
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise UnusableInput(
            "cannot read", str(path), exc.strerror or "check its permissions"
        ) from None
    if not head:
        raise UnusableInput(
            "empty file, not a Redis log", str(path),
            "redis-server writes its log to the logfile of redis.conf, or to stdout when "
            'logfile is ""',
        )
    if not looks_like_redis(head):
        raise UnusableInput(
            "not a Redis log", str(path),
            "no line in its first 64 KiB looks like redis-server or redis-sentinel output "
            "such as 'PID:M DD Mon YYYY HH:MM:SS.mmm * message'",
        )
    return path


def looks_like_redis(head: bytes) -> bool:
    """True when some line of ``head`` matches a line variant (prefix, block start)."""
    lines = head.split(b"\n")
    if len(head) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]                     # the last one may be cut
    for raw in lines:
        text = raw.rstrip(b"\r").decode("utf-8", "replace")
        hit = LINES.match(text)
        if hit is not None and hit[0] not in (SCRIPT_START, SCRIPT_DONE):
            return True
    return False


def read(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    tz: str | None = None,
    report: ImportReport | None = None,
    year: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the events of one or more Redis console logs, file by file, streamed.

    Raises :class:`UnusableInput` before the first record when a file is missing, empty or not
    a Redis log at all. ``year`` is the year of 2.x/3.x lines (which print none); by default
    it is inferred per file and said in ``report``.
    """
    report = report if report is not None else ImportReport()
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = check_inputs(paths, report)
    zone, zone_label = resolve_zone(tz)
    report.assume("zone", zone_label)
    times = LocalTimes(zone)
    years_said: dict[str, list[str]] = {}
    for path in files:
        yield from _file_records(path, None, times, zone, report, year, years_said)


def _file_records(path: Path, part: Part | None, times: LocalTimes, zone, report: ImportReport,
                  year: int | None, years_said: dict[str, list[str]]
                  ) -> Iterator[dict[str, Any]]:
    reader = _FileReader(path, times, zone, report, year)
    try:
        yield from reader.run(part)
    except UnusableInput as exc:      # vanished or unreadable since the check
        report.problem(UNREADABLE_FILE, f"{path}: {exc.todo or exc.what}")
    said = reader.years.said()
    if said is not None:
        years_said.setdefault(said, []).append(f"{path.parent.name}/{path.name}")
        report.assume("year", "; ".join(
            f"{what} ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
            for what, names in years_said.items()))


# A line where a big file may be cut for parallel parsing: a prefixed line of level
# notice, verbose or debug. Never inside a block: a crash report's prefixed lines are all
# warnings (#), and the logo and config errors have none.
_CUT = re.compile(
    rb"(?:\d+:[MSCX] \d{1,2} [A-Z][a-z]{2} (?:\d{4} )?|\[\d+\] \d{1,2} [A-Z][a-z]{2} )"
    rb"\d\d:\d\d:\d\d\.\d{3} [*.-] ")


def _is_record_start(line: bytes) -> bool:
    return _CUT.match(line) is not None


def _part_records(path: Path, tz: str | None, year: int | None, part: Part,
                  report: ImportReport) -> Iterator[dict[str, Any]]:
    zone, zone_label = resolve_zone(tz)
    report.assume("zone", zone_label)
    yield from _file_records(path, part, LocalTimes(zone), zone, report, year, {})


def write_to(
    writer: PoolWriter,
    paths: Iterable[str | os.PathLike],
    *,
    tz: str | None = None,
    report: ImportReport,
    year: int | None = None,
    jobs: int = 1,
) -> None:
    """What ``writer.write_all(read(...))`` does, with files of ``SPLIT_MIN_BYTES`` or more
    cut at prefixed notice/verbose/debug lines and parsed by ``jobs`` processes.

    The output is the sequential one except at the cuts: each part starts afresh, so a
    child's lines just after a cut may lack ``redis.parent_pid`` (its fork was logged before
    the cut), and a yearless line's year is inferred per part (the same rule, from the same
    mtime, so the same year unless an absolute time in an earlier part corrected it).
    """
    files = check_inputs(list(paths), report)
    zone, zone_label = resolve_zone(tz)
    report.assume("zone", zone_label)
    times = LocalTimes(zone)
    years_said: dict[str, list[str]] = {}
    for path in files:
        if jobs > 1 and path.stat().st_size >= SPLIT_MIN_BYTES:
            parts = split_points(path, jobs * 2, _is_record_start)
            write_parts(parts, partial(_part_records, path, tz, year), writer, report, jobs)
        else:
            writer.write_all(_file_records(path, None, times, zone, report, year, years_said))


def sniff(head: bytes) -> bool:
    """Does a file starting with ``head`` look like Redis console output? (for ``auto``)"""
    return looks_like_redis(head)


class _FileReader:
    """The state of one file's read: blocks, held records, pids of children and signals."""

    def __init__(self, path: Path, times: LocalTimes, zone, report: ImportReport,
                 year: int | None) -> None:
        self.path = path
        self.origin = str(path)
        self.times = times
        self.report = report
        self.years = _Years(path, zone, year)
        self.children: dict[int, int] = {}       # child pid -> parent pid
        self.roles: dict[int, str | None] = {}   # pid -> last role it logged (sig lines, 2.x)
        self.signals: dict[int, str] = {}        # pid -> signal that scheduled its shutdown
        self.starting: set[int] = set()          # pids on their first (role C) lines
        self.held: list[dict[str, Any]] = []     # records waiting for a time or a role
        self.pending: list[tuple[int, str, dict[str, Any] | None]] = []  # blanks, empty "#"
        self.last_created: float | None = None
        self._v3_cache: dict[str, float] = {}
        self._noyear_cache: dict[str, float] = {}
        self._noyear_year: int | None = None

    # -- times (None when the text is no real time: kept raw, counted as BadTimestamp)

    def _v3_time(self, text: str) -> float | None:
        head = text[:-4]
        base = self._v3_cache.get(head)
        if base is None:
            try:
                base = self.times.parse(head, TIME_V3[:-3])
            except ValueError:
                return None
            if len(self._v3_cache) >= 4096:
                self._v3_cache.clear()
            self._v3_cache[head] = base
            _day, mon, yr = head.split(" ", 3)[:3]
            if self.years.see_absolute(int(yr), MONTHS[mon]):
                self._noyear_cache.clear()
        return base + int(text[-3:]) / 1000

    def _noyear_time(self, text: str) -> float | None:
        head = text[:-4]
        base = self._noyear_cache.get(head)
        if base is None:
            day, mon = head.split(" ", 2)[:2]
            if mon not in MONTHS:
                return None
            year = self.years.year_for(MONTHS[mon], int(day))
            if year != self._noyear_year or len(self._noyear_cache) >= 4096:
                self._noyear_cache.clear()
                self._noyear_year = year
            try:
                base = self.times.parse(head, TIME_NOYEAR[:-3], year)
            except ValueError:
                return None
            self._noyear_cache[head] = base
        return base + int(text[-3:]) / 1000

    def _absolute(self, epoch: float) -> None:
        when = datetime.fromtimestamp(epoch, self.years.zone)
        if self.years.see_absolute(when.year, when.month):
            self._noyear_cache.clear()

    def _bad_time(self, rec: dict[str, Any], text: str) -> None:
        del rec[CREATED]
        rec["redis.time_raw"] = text
        self.report.problem(BAD_TIMESTAMP, f"{self.path.name}:{rec[LINENO]}")

    # -- the read

    def run(self, part: Part | None = None) -> Iterator[dict[str, Any]]:
        origin = self.origin
        match = LINES.match
        classify_ = classify
        v3, v3n, v2 = V3, V3_NOYEAR, V2
        roles = ROLES
        level_info = LEVEL_INFO
        relating = RELATING
        known_roles = self.roles
        children = self.children
        pending = self.pending
        held = self.held
        v3_cache = self._v3_cache
        noyear_cache = self._noyear_cache
        block: _Block | None = None
        # The hot path: the timed variant that matched last, tried directly; the table's
        # own match (every variant, most recent first) only when it fails.
        fast_variant = V3
        fast = LINES.compiled(V3).match
        fast_name = V3.name
        pid = None
        blocks = (read_line_blocks(self.path, self.report) if part is None else
                  read_line_blocks(self.path, self.report, start=part.start, end=part.end,
                                   first_lineno=part.lineno))
        for first, lines, bad in blocks:
            for lineno, text in enumerate(lines, first):
                invalid = bool(bad) and lineno - first in bad
                if block is not None:
                    consumed, done = self._feed(block, lineno, text)
                    if invalid and consumed:
                        block.invalid_utf8 = True
                    if done:
                        yield from self._emit(self._block_record(block))
                        block = None
                    if consumed:
                        continue
                m = fast(text)
                if m is not None:
                    variant = fast_variant
                else:
                    hit = match(text)
                    if hit is not None:
                        variant, m = hit
                        if _is_timed(variant):
                            fast_variant, fast = variant, LINES.compiled(variant).match
                            fast_name = variant.name
                if m is None:
                    if not text.strip():
                        pending.append((lineno, text, None))
                        continue
                    yield from self._flush_pending()
                    self.report.problem(UNPARSED_LINE, self.path.name)
                    yield from self._emit(unparsed(
                        text, source=SOURCE_NAME, origin=origin, name=RECORD_NAME,
                        reason=f"no format matched: {LINES.tried}", created=self.last_created,
                        lineno=lineno, fields={INVALID_UTF8_KEY: True if invalid else None},
                    ), timed=False)
                    continue
                if variant is v3 or variant is v3n or variant is v2:
                    if variant is v3:
                        pid_text, rc, time_text, level, message = m.groups()
                        created = v3_cache.get(time_text[:-4])
                        if created is None:
                            created = self._v3_time(time_text)
                        else:
                            created += int(time_text[-3:]) / 1000
                    else:
                        if variant is v2:
                            pid_text, time_text, level, message = m.groups()
                            rc = None
                        else:
                            pid_text, rc, time_text, level, message = m.groups()
                        created = noyear_cache.get(time_text[:-4])
                        if created is None:
                            created = self._noyear_time(time_text)
                        else:
                            created += int(time_text[-3:]) / 1000
                    pid = int(pid_text)
                    if rc is None:
                        role = known_roles.get(pid)
                        if role == "child" and pid not in children:
                            role = None
                    else:
                        role = roles[rc] if rc != "C" else self._child_role(pid, message)
                        known_roles[pid] = role
                    levelname, levelno = level_info[level]
                    hit = classify_(message)
                    if hit is None:
                        event = "log"
                        fields = None
                    else:
                        family, fields = hit
                        event = family.event
                        if family.level:
                            levelname = family.level
                            levelno = LEVELNOS[levelname]
                    rec = {
                        CREATED: created,
                        FORMATTED: message,
                        NAME: RECORD_NAME,
                        LEVELNAME: levelname,
                        LEVELNO: levelno,
                        SOURCE: SOURCE_NAME,
                        ORIGIN: origin,
                        EVENT: event,
                        LINENO: lineno,
                        FORMAT: fast_name if variant is fast_variant else variant.name,
                        LINUX_PID: pid,
                        LEVEL_CHAR: level,
                    }
                    if role is not None:
                        rec[ROLE] = role
                        if role == "child" and pid in children:
                            rec[PARENT_PID] = children[pid]
                    if rc is not None:
                        rec[ROLE_CHAR] = rc
                    if invalid:
                        rec[INVALID_UTF8_KEY] = True
                    if fields:
                        rec.update(fields)
                    if event in relating:
                        self._relate(event, pid, rec)
                    if created is None:
                        self._bad_time(rec, time_text)
                    else:
                        self.last_created = created
                    if not message:
                        # "# " alone: 2.x starts its bug report so; hold it to see what follows
                        pending.append((lineno, text, rec))
                        continue
                    if pending or held or role is None and rc is not None:
                        yield from self._flush_pending()
                        yield from self._emit(rec)
                    else:
                        yield rec
                    continue
                # the rare shapes
                if variant is CRASH or variant is CONFIG_ERROR:
                    kind = "crash" if variant is CRASH else "config"
                    block = self._open_block(kind, lineno, text)
                    continue
                yield from self._flush_pending()
                if variant is LOGO:
                    block = _Block("banner", lineno, [text], pid=pid)  # pid of the line above
                    continue
                if variant is SIG or variant is SIG_V2:
                    yield from self._emit(self._signal_record(m, variant, lineno, invalid))
                    continue
                yield from self._emit(self._script_record(m, variant, lineno, invalid))
        if block is not None:
            yield from self._emit(self._block_record(block))
        yield from self._flush_pending()
        yield from self._release()

    # -- roles, children, shutdown reasons

    def _child_role(self, pid: int, message: str) -> str | None:
        """Role of a ``C`` line: a child, or a server on its first lines (role not yet known)."""
        if pid in self.children:
            return "child"
        if pid in self.starting or message.startswith(("oO0OoO0OoO0Oo", "Redis version=")):
            self.starting.add(pid)
            return None
        return "child"

    def _relate(self, event: str, pid: int, rec: dict[str, Any]) -> None:
        child = rec.get(CHILD_PID)
        if child is not None:
            if len(self.children) > 100_000:
                self.children.clear()
            self.children[child] = pid
            self.roles[child] = "child"
            return
        if event == "signal":
            self.signals[pid] = rec["redis.signal"]
        elif event == "shutdown":
            sig = self.signals.pop(pid, None)
            rec["redis.shutdown_reason"] = f"signal {sig}" if sig else "SHUTDOWN command"
        elif event == "sentinel_id" and rec.get(FORMAT) == "v2":
            self.roles[pid] = rec[ROLE] = "sentinel"

    # -- output order: records held back for a time or a role go out before the next one

    def _waits(self, rec: dict[str, Any]) -> bool:
        """A server's record from before it printed its role (startup ``C`` lines, logo)."""
        return (ROLE not in rec and rec.get(LINUX_PID) in self.starting
                and rec.get(FORMAT) != "v2")

    def _emit(self, rec: dict[str, Any], timed: bool = True) -> Iterator[dict[str, Any]]:
        held = self.held
        if timed and CREATED in rec and not self._waits(rec):
            pid = rec.get(LINUX_PID)
            role = rec.get(ROLE)
            if held:
                for i, r in enumerate(held):
                    if role and ROLE not in r and r.get(LINUX_PID) == pid:
                        r[ROLE] = role
                    if CREATED not in r:
                        held[i] = {CREATED: rec[CREATED], **r}
                yield from held
                held.clear()
            if role:
                self.starting.discard(pid)
            yield rec
            return
        if held or self._waits(rec) or (CREATED not in rec and rec[EVENT] == "banner"):
            held.append(rec)
            if len(held) >= MAX_HELD:
                yield from self._release()
            return
        yield rec

    def _release(self) -> Iterator[dict[str, Any]]:
        yield from self.held
        self.held.clear()

    def _flush_pending(self) -> Iterator[dict[str, Any]]:
        """Blank lines and empty messages that turned out to start no block."""
        if not self.pending:
            return
        pending = self.pending[:]
        self.pending.clear()
        run: list[int] = []
        for lineno, _text, rec in pending:
            if rec is None:
                run.append(lineno)
                continue
            if run:
                yield from self._emit(self._blank_record(run), timed=False)
                run = []
            yield from self._emit(rec)
        if run:
            yield from self._emit(self._blank_record(run), timed=False)

    def _blank_record(self, linenos: list[int]) -> dict[str, Any]:
        rec: dict[str, Any] = {}
        if self.last_created is not None:
            rec[CREATED] = self.last_created
        rec.update({
            FORMATTED: f"{len(linenos)} blank line{'s' if len(linenos) > 1 else ''}",
            NAME: RECORD_NAME, LEVELNAME: "DEBUG", LEVELNO: 10, SOURCE: SOURCE_NAME,
            ORIGIN: self.origin, EVENT: "blank", LINENO: linenos[0],
        })
        if len(linenos) > 1:
            rec[LINE_COUNT] = len(linenos)
        return rec

    # -- blocks

    def _open_block(self, kind: str, lineno: int, text: str) -> _Block:
        """A crash report or config error: the blank lines (and 2.x's empty ``#`` line)
        printed just before its first line belong to it."""
        pending = self.pending[:]
        self.pending.clear()
        block = _Block(kind, pending[0][0] if pending else lineno)
        for _lineno, line, rec in pending:
            block.lines.append(line)
            if rec is not None and block.pid is None:
                block.pid = rec[LINUX_PID]
                block.role_char = rec.get(ROLE_CHAR)
                block.created = rec.get(CREATED)
        block.lines.append(text)
        return block

    def _feed(self, block: _Block, lineno: int, text: str) -> tuple[bool, bool]:
        """Offer a line to an open block: (consumed, block finished)."""
        if block.kind == "banner":
            if block.ended:                    # one blank line closes the logo
                if not text.strip():
                    block.lines.append(text)
                    return True, True
                return False, True
            if (text[:1] not in " |(`" and _match_line(text) is not None
                    or len(block.lines) > 40):
                return False, True             # a cut-off logo
            block.lines.append(text)
            if text.strip() == "`-.__.-'":
                block.ended = True
            return True, False
        if block.kind == "config":
            if _match_line(text) is not None or len(block.lines) > 8:
                return False, True
            block.lines.append(text)
            body = [line for line in block.lines if line.strip()]
            if len(body) >= 2 and not body[-1].startswith(("Reading the configuration file",
                                                            ">>> ")):
                return True, True
            return True, False
        # crash report
        hit = _match_line(text)
        if block.ended:
            if hit is not None or block.tail >= 20:
                return False, True
            block.lines.append(text)
            block.tail += 1
            return True, False
        if hit is not None:
            variant, m = hit
            if _is_timed(variant):
                pid = int(m.group("pid"))
                if block.pid is None:
                    block.pid = pid
                    block.role_char = m.group("role") if variant is not V2 else None
                    block.created = (self._v3_time(m.group("time")) if variant is V3
                                     else self._noyear_time(m.group("time")))
                elif pid != block.pid:
                    return False, True         # another process: the report was cut off
            elif variant is not CRASH:
                return False, True
        block.lines.append(text)
        if text.startswith("=== REDIS BUG REPORT END"):
            block.ended = True
        elif len(block.lines) >= MAX_BLOCK_LINES:
            return True, True
        return True, False

    def _block_record(self, block: _Block) -> dict[str, Any]:
        count = len(block.lines)
        if block.kind == "banner":
            fields = _banner_fields(block.lines)
            pid = fields.get(LINUX_PID)
            if fields.get("redis.mode") == "sentinel" and pid is not None:
                self.roles[pid] = "sentinel"
                fields[ROLE] = "sentinel"
            elif pid is not None and self.roles.get(pid):
                fields[ROLE] = self.roles[pid]
            # the logo of a 4.x+ server follows its own first lines: their time is its time;
            # a 2.x/3.x logo comes first, and takes the time of the line after it
            created = self.last_created if pid is not None and pid == block.pid else None
            formatted = (f"Redis {fields.get('redis.version', '?')} "
                         f"{fields.get('redis.mode', '?')} mode, port "
                         f"{fields.get('redis.port', '?')}, pid {pid if pid is not None else '?'}")
            rec = self._block_envelope(block, "banner", formatted, "INFO", created, count)
            rec.update(fields)
            return rec
        if block.kind == "config":
            fields = _config_fields(block.lines)
            where = fields.get("redis.config_line")
            formatted = ("FATAL CONFIG FILE ERROR"
                         + (f" at line {where}" if where is not None else "")
                         + (f" ('{fields['redis.config_directive']}')"
                            if "redis.config_directive" in fields else "")
                         + f": {fields.get('redis.error', '?')}")
            rec = self._block_envelope(block, "config_error", formatted, "CRITICAL",
                                       self.last_created, count)
            rec[RAW] = "\n".join(block.lines)
            rec.update(fields)
            return rec
        fields = _crash_fields(block.lines)
        if not block.ended:
            fields["redis.report_complete"] = False
        formatted = (f"Redis {fields.get('redis.version', '?')} crashed by signal "
                     f"{fields.get('redis.crash_signal', '?')}"
                     + (f" ({fields['redis.crash_signal_name']})"
                        if "redis.crash_signal_name" in fields else "")
                     + (f" running {fields['redis.command']}" if "redis.command" in fields
                        else ""))
        created = block.created if block.created is not None else self.last_created
        rec = self._block_envelope(block, "crash_report", formatted, "CRITICAL", created, count)
        if block.pid is not None:
            rec[LINUX_PID] = block.pid
            role = (ROLES.get(block.role_char) if block.role_char
                    else self.roles.get(block.pid))
            if role:
                rec[ROLE] = role
            if block.role_char:
                rec[ROLE_CHAR] = block.role_char
        rec[RAW] = "\n".join(block.lines)
        rec.update(fields)
        if block.created is not None:
            self.last_created = block.created
        return rec

    def _block_envelope(self, block: _Block, event: str, formatted: str, levelname: str,
                        created: float | None, count: int) -> dict[str, Any]:
        rec: dict[str, Any] = {}
        if created is not None:
            rec[CREATED] = created
        rec.update({
            FORMATTED: formatted, NAME: RECORD_NAME, LEVELNAME: levelname,
            LEVELNO: LEVELNOS[levelname], SOURCE: SOURCE_NAME, ORIGIN: self.origin,
            EVENT: event, LINENO: block.first, FORMAT: BLOCK_FORMATS[block.kind],
        })
        if count > 1:
            rec[LINE_COUNT] = count
        if block.invalid_utf8:
            rec[INVALID_UTF8_KEY] = True
        return rec

    # -- single lines of the rare shapes

    def _signal_record(self, m: re.Match[str], variant: Variant, lineno: int,
                       invalid: bool) -> dict[str, Any]:
        pid = int(m.group("pid"))
        created = float(m.group("epoch"))
        self._absolute(created)
        message = m.group("message")
        hit = classify(message)
        event, fields = ("log", {}) if hit is None else (hit[0].event, hit[1])
        rec = {
            CREATED: created, FORMATTED: message, NAME: RECORD_NAME, LEVELNAME: "WARNING",
            LEVELNO: 30, SOURCE: SOURCE_NAME, ORIGIN: self.origin, EVENT: event,
            LINENO: lineno, FORMAT: variant.name, LINUX_PID: pid,
        }
        role = self.roles.get(pid)
        if role:
            rec[ROLE] = role
        if invalid:
            rec[INVALID_UTF8_KEY] = True
        rec.update(fields)
        if event in RELATING:
            self._relate(event, pid, rec)
        self.last_created = created
        return rec

    def _script_record(self, m: re.Match[str], variant: Variant, lineno: int,
                       invalid: bool) -> dict[str, Any]:
        when = m.group("when")
        try:
            created: float | None = datetime.fromisoformat(when).timestamp()
        except ValueError:
            created = None
        info = m.group("info")
        fields: dict[str, Any] = {}
        if variant is SCRIPT_START:
            event = "script_start"
            cmd = _SCRIPT_COMMAND.search(info)
            if cmd:
                fields["linux.command"] = cmd.group(1)
            formatted = f"script started: {fields.get('linux.command', info)}"
        else:
            event = "script_end"
            code = _SCRIPT_EXIT.search(info)
            if code:
                fields["linux.exit_code"] = int(code.group(1))
            formatted = f"script done: exit code {fields.get('linux.exit_code', '?')}"
        rec: dict[str, Any] = {}
        if created is not None:
            rec[CREATED] = created
            self._absolute(created)
            self.last_created = created
        rec.update({
            FORMATTED: formatted, NAME: SCRIPT_NAME, LEVELNAME: "INFO", LEVELNO: 20,
            SOURCE: SOURCE_NAME, ORIGIN: self.origin, EVENT: event, LINENO: lineno,
            FORMAT: variant.name, **fields,
        })
        if invalid:
            rec[INVALID_UTF8_KEY] = True
        return rec


# Events whose keys relate processes or explain later lines (children, shutdown reasons).
RELATING = frozenset({"bgsave_start", "aof_rewrite_start", "rdb_transfer_start", "signal",
                      "shutdown", "sentinel_id"})
BLOCK_FORMATS = {"banner": "logo", "crash": "crash", "config": "config-error"}
_SCRIPT_COMMAND = re.compile(r'COMMAND="([^"]*)"')
_SCRIPT_EXIT = re.compile(r'COMMAND_EXIT_CODE="(\d+)"')
