"""Redis's line formats, as data: one :class:`Variant` per shape of a console log line.

* ``v3``: ``PID:ROLE DD Mon YYYY HH:MM:SS.mmm LEVEL message`` (Redis 4 and later);
  ``v3-noyear``: the same without the year (Redis 3.x); ``v2``: ``[PID] DD Mon HH:MM:SS.mmm
  LEVEL message`` (Redis 2.x: no role, no year).
* ``sig``/``sig-v2``: lines written from a signal handler, with an epoch instead of a time.
* ``logo``/``crash``/``config-error``: the first line of a multi-line block.
* ``script-start``/``script-done``: util-linux ``script``'s header and trailer.
"""

from __future__ import annotations

import re

from ...core.lineformat import LineTable, Sample, Variant
from ...core.record import LINUX_PID
from .keys import LEVEL_CHAR, LEVEL_TOKENS, LEVELNOS, RECORD_NAME

TIME_V3 = "%d %b %Y %H:%M:%S.%f"
TIME_NOYEAR = "%d %b %H:%M:%S.%f"
MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

# ---------------------------------------------------------------------------------------
# The line table: one anchored pattern per line shape, each with real samples
# (fixtures/redis/<release>/). ``\#`` because re.VERBOSE treats ``#`` as a comment.

_LEVEL = r"(?P<level>[.\-*\#])"
_MSG = r"\ ?(?P<msg>.*)"          # "# " with an empty message ends in the space
LEVELS_MAP = LEVEL_TOKENS         # the printed level character -> level name (LEVELNOS)

# What the groups write (the roles time/epoch, level and msg are the engine's envelope;
# the level character is also kept raw). ``role``: the reader's, because a ``C`` is a
# child or a server on its first lines depending on what came before (reader.py).
FIELDS = {"pid": (LINUX_PID, "int"), "level": (LEVEL_CHAR, "str")}
STATEFUL = ("role",)

V3 = Variant(
    "v3",
    r"(?P<pid>\d+):(?P<role>[MSCX])\ (?P<time>\d{1,2}\ [A-Z][a-z]{2}\ \d{4}\ \d\d:\d\d:\d\d\.\d{3})"
    r"\ " + _LEVEL + _MSG,
    samples=(
        Sample("5618:M 25 Nov 2026 08:48:54.115 - Accepted 127.0.0.1:59762",
               {"pid": "5618", "role": "M", "time": "25 Nov 2026 08:48:54.115", "level": "-",
                "msg": "Accepted 127.0.0.1:59762"}),
        Sample("6572:X 25 Nov 2026 08:49:20.311 # +switch-master mymaster 127.0.0.1 61105 "
               "127.0.0.1 61106",
               {"pid": "6572", "role": "X", "time": "25 Nov 2026 08:49:20.311", "level": "#",
                "msg": "+switch-master mymaster 127.0.0.1 61105 127.0.0.1 61106"}),
        Sample("5727:M 25 Nov 2026 08:48:59.679 . The AOF directory appendonlydir doesn't exist",
               {"pid": "5727", "role": "M", "time": "25 Nov 2026 08:48:59.679", "level": ".",
                "msg": "The AOF directory appendonlydir doesn't exist"}),
        Sample("8113:M 25 Nov 2026 08:49:38.634 # ",
               {"pid": "8113", "role": "M", "time": "25 Nov 2026 08:49:38.634", "level": "#",
                "msg": ""}),
    ),
    time_format=TIME_V3,
    levels=LEVELS_MAP,
    fields=FIELDS,
    ignore=STATEFUL,
)
V3_NOYEAR = Variant(
    "v3-noyear",
    r"(?P<pid>\d+):(?P<role>[MSCX])\ (?P<time>\d{1,2}\ [A-Z][a-z]{2}\ \d\d:\d\d:\d\d\.\d{3})\ "
    + _LEVEL + _MSG,
    samples=(
        Sample("10045:C 25 Nov 08:50:36.606 * DB saved on disk",
               {"pid": "10045", "role": "C", "time": "25 Nov 08:50:36.606", "level": "*",
                "msg": "DB saved on disk"}),
    ),
    time_format=TIME_NOYEAR,
    levels=LEVELS_MAP,
    fields=FIELDS,
    ignore=STATEFUL,
)
V2 = Variant(
    "v2",
    r"\[(?P<pid>\d+)\]\ (?P<time>\d{1,2}\ [A-Z][a-z]{2}\ \d\d:\d\d:\d\d\.\d{3})\ " + _LEVEL + _MSG,
    samples=(
        Sample("[8378] 25 Nov 08:49:50.472 - Accepted 127.0.0.1:45592",
               {"pid": "8378", "time": "25 Nov 08:49:50.472", "level": "-",
                "msg": "Accepted 127.0.0.1:45592"}),
        Sample("[9546] 25 Nov 08:50:19.085 # ",
               {"pid": "9546", "time": "25 Nov 08:50:19.085", "level": "#", "msg": ""}),
    ),
    time_format=TIME_NOYEAR,
    levels=LEVELS_MAP,
    fields=FIELDS,
)
SIG = Variant(
    "sig",
    r"(?P<pid>\d+):signal-handler\ \((?P<epoch>\d+)\)\ (?P<msg>.*)",
    samples=(
        Sample("9984:signal-handler (1795596636) Received SIGTERM scheduling shutdown...",
               {"pid": "9984", "epoch": "1795596636",
                "msg": "Received SIGTERM scheduling shutdown..."}),
    ),
    level="WARNING",                         # a signal handler prints no level
    fields=FIELDS,
)
SIG_V2 = Variant(
    "sig-v2",
    r"\[(?P<pid>\d+)\ \|\ signal\ handler\]\ \((?P<epoch>\d+)\)\ (?P<msg>.*)",
    samples=(
        Sample("[8428 | signal handler] (1795596596) Received SIGTERM scheduling shutdown...",
               {"pid": "8428", "epoch": "1795596596",
                "msg": "Received SIGTERM scheduling shutdown..."}),
    ),
    level="WARNING",
    fields=FIELDS,
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
    ignore=("version",),                     # the block's own reader (blocks.py) reads it
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
    ignore=("when", "info"),                 # reader.py's script records
)
SCRIPT_DONE = Variant(
    "script-done",
    r"Script\ done\ on\ (?P<when>\d{4}-\d\d-\d\d\ \d\d:\d\d:\d\d[+-]\d\d:?\d\d)"
    r"\ \[(?P<info>.*)\]$",
    samples=(
        Sample('Script done on 2026-11-25 08:49:39+00:00 [COMMAND_EXIT_CODE="0"]',
               {"when": "2026-11-25 08:49:39+00:00", "info": 'COMMAND_EXIT_CODE="0"'}),
    ),
    ignore=("when", "info"),
)

# Every line shape has a prefix: a line that matches none is ``unparsed`` (the variants'
# continuation is the default, ``none``); multi-line blocks (logo, crash report, config
# error) are the reader's, opened by their first line's variant.
LINES = LineTable(
    "redis-log",
    [V3, V3_NOYEAR, V2, SIG, SIG_V2, LOGO, CRASH, CONFIG_ERROR, SCRIPT_START, SCRIPT_DONE],
    levelnos=LEVELNOS, record_name=RECORD_NAME, raw_time_key="redis.time_raw",
)
TIMED = (V3, V3_NOYEAR, V2)


def is_timed(variant: Variant) -> bool:
    return variant is V3 or variant is V3_NOYEAR or variant is V2


_STARTS = frozenset("0123456789[ *=S")   # first characters of the line variants


def match_line(text: str) -> tuple[Variant, re.Match[str]] | None:
    """LINES.match for lines inside blocks, most of which (INFO dumps, stack frames, the
    logo's art) cannot start any variant: their first character says so."""
    if text[:1] not in _STARTS:
        return None
    return LINES.match(text)
