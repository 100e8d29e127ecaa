"""The process tracers' output formats, as data: each tool's header and its columns.

bpftrace ``execsnoop.bt``, bcc ``execsnoop``/``exitsnoop`` with their options (-t, -T, -x,
-U, --utc, --label) and ``bpftrace -f json`` printf records; samples are real captures.
"""

from __future__ import annotations

import re

from ...core.lineformat import CONTINUE_UNTIL_BLANK, LineTable, Sample, Variant
from ...core.record import LINUX_PID
from .keys import (
    AGE,
    CMDLINE,
    COMM,
    EVENT_EXEC,
    EVENT_EXIT,
    EVENTS_LOST_COUNT,
    EXE,
    EXEC_RET,
    EXIT_CODE,
    EXIT_SIGNAL,
    EXIT_STATUS,
    FILENAME,
    KTIME,
    LABEL,
    PARENT_COMM,
    PCOMM,
    PPID,
    SIGNAL_NAME,
    TID,
    UID,
)

# ---------------------------------------------------------------------------------------
# The formats, as data: one columned Variant per tool (its header line selects it and says
# which optional columns the rows have), run by the shared engine (importers.core.lineformat).

# One shared sub-pattern per column a tool may print (STYLE (b): reuse, don't repeat).
COLUMN_PATTERNS = {
    "tod": r"(?P<tod>\d\d:\d\d:\d\d(?:\.\d{1,6})?)",
    "elapsed_s": r"(?P<elapsed_s>\d+\.\d+)",
    "elapsed_ms": r"(?P<elapsed_ms>\d+)",
    "label": r"(?P<label>\S+)",
    "uid": r"(?P<uid>\d+)",
    "comm": r"(?P<comm>.{0,16}?)",          # a comm may hold spaces: up to 16 chars, lazy
    "pid": r"(?P<pid>\d+)",
    "ppid": r"(?:(?P<ppid>\d+)|\?)",        # "?": the parent was not known
    "tid": r"(?P<tid>\d+)",
    "ret": r"(?P<ret>-?\d+)",
    "age": r"(?P<age>\d+\.\d+)",
    "exit": r"(?P<exit>0|code\ \d+|signal\ \d+\ \([^)]*\)(?:,\ core\ dumped)?|,\ core\ dumped)",
}

# The time columns, which the file's clock (clock.py) reads: a wall clock (absolute but
# dateless) beats one relative to the tool's start. Kept as ``TOOL_TIME`` as printed.
CLOCK_GROUPS = ("tod", "elapsed_s", "elapsed_ms")

# What each variant writes, in record order (the engine's field reader keeps this order;
# ``stripped``: the value without surrounding spaces). ``exit`` is decoded by rows.py.
EXEC_FIELDS = {"pid": (LINUX_PID, "int"), "args": (CMDLINE, "str"), "ppid": (PPID, "int"),
               "uid": (UID, "int"), "comm": (PCOMM, "stripped"), "ret": (EXEC_RET, "int")}
EXIT_FIELDS = {"pid": (LINUX_PID, "int"), "ppid": (PPID, "int"), "comm": (COMM, "stripped"),
               "age": (AGE, "float"), "label": (LABEL, "str"), "tid": (TID, "int")}

EXECSNOOP_BT = Variant(
    name="execsnoop.bt",
    header=r"^(?P<elapsed_ms>TIME\(ms\))\s+PID\s+ARGS\s*$",
    columns=("elapsed_ms", "pid"),
    column_patterns=COLUMN_PATTERNS,
    pattern=r"\ +(?P<args>.*?)",     # "%-5d " pads the pid: the spaces are not argv
    fields={"pid": EXEC_FIELDS["pid"], "args": EXEC_FIELDS["args"]},
    ignore=CLOCK_GROUPS,
    continuation=CONTINUE_UNTIL_BLANK,   # an argv's newline is printed raw
    samples=(
        Sample("1068       22791 /bin/sh -c exit 3",
               {"elapsed_ms": "1068", "pid": "22791", "args": "/bin/sh -c exit 3"},
               header="TIME(ms)   PID   ARGS"),
    ),
)
BCC_EXECSNOOP = Variant(
    name="bcc-execsnoop",
    header=(r"^(?P<tod>TIME\s+)?(?P<elapsed_s>TIME\(s\)\s+)?(?P<uid>UID\s+)?"
            r"PCOMM\s+PID\s+(?P<ppid>PPID\s+)?RET\s+ARGS\s*$"),
    columns=("?tod", "?elapsed_s", "?uid", "comm", "pid", "?ppid", "ret"),
    column_patterns=COLUMN_PATTERNS,
    pattern=r"(?:\ (?P<args>.*?))?",
    fields=EXEC_FIELDS,
    ignore=CLOCK_GROUPS,
    samples=(
        Sample("run              9660    -2 /usr/local/bin/setuidgid nobody "
               "/command/multilog t ./main",
               {"comm": "run", "pid": "9660", "ret": "-2",
                "args": "/usr/local/bin/setuidgid nobody /command/multilog t ./main"},
               header="PCOMM            PID    RET ARGS"),
        Sample("14:08:23 2.849   mount            18049  1045    0 /bin/mount -p",
               {"tod": "14:08:23", "elapsed_s": "2.849", "comm": "mount", "pid": "18049",
                "ppid": "1045", "ret": "0", "args": "/bin/mount -p"},
               header="TIME     TIME(s) PCOMM            PID    PPID  RET ARGS"),
        Sample("1000  ls               171318 133702   0 /bin/ls --color=auto",
               {"uid": "1000", "comm": "ls", "pid": "171318", "ppid": "133702", "ret": "0",
                "args": "/bin/ls --color=auto"},
               header="UID   PCOMM            PID    PPID   RET ARGS"),
    ),
)
BCC_EXITSNOOP = Variant(
    name="bcc-exitsnoop",
    header=(r"^(?P<tod>TIME-(?P<zone>\S+)\s+)?(?P<label>LABEL\s+)?"
            r"PCOMM\s+PID\s+PPID\s+TID\s+AGE\(s\)\s+EXIT_CODE\s*$"),
    columns=("?tod", "?label", "comm", "pid", "ppid", "tid", "age", "exit"),
    column_patterns=COLUMN_PATTERNS,
    pattern="",
    fields=EXIT_FIELDS,
    ignore=(*CLOCK_GROUPS, "exit"),
    samples=(
        Sample("bash             19013  17656  19013  0.23    signal 2 (INT)",
               {"comm": "bash", "pid": "19013", "ppid": "17656", "tid": "19013",
                "age": "0.23", "exit": "signal 2 (INT)"},
               header="PCOMM            PID    PPID   TID    AGE(s)  EXIT_CODE"),
        Sample("13:20:22.997 exit  bash             18300  17656  18300  1.65    code 65",
               {"tod": "13:20:22.997", "label": "exit", "comm": "bash", "pid": "18300",
                "ppid": "17656", "tid": "18300", "age": "1.65", "exit": "code 65"},
               header="TIME-UTC     LABEL PCOMM            PID    PPID   TID    AGE(s)  "
                      "EXIT_CODE"),
    ),
)

# Lines tools print besides their rows: kept as ``tool_message`` events, never unparsed.
TOOL_MESSAGE = Variant(
    name="tool-message",
    pattern=r"(?:Attaching\ \d+\ probes?\.\.\.|ERROR:\ .*|WARNING:\ .*)\s*$",
    samples=(
        Sample("Attaching 3 probes...", {}),   # fixtures/procs/captured/bpftrace_sched_json
        Sample('ERROR: Unknown error -1: couldn\'t set RLIMIT_MEMLOCK for bpftrace. If your '
               'program is not loading, you can try "ulimit -l 8192" to fix the problem', {}),
    ),
)
LOST_SAMPLES = Variant(
    name="lost-samples",
    pattern=r"Possibly\ lost\ (?P<n>\d+)\ samples?\s*$",
    fields={"n": (EVENTS_LOST_COUNT, "int")},
    samples=(
        # libbcc's perf reader prints this (src/cc/perf_reader.c: "Possibly lost %" PRIu64
        # " samples"); the captured runs lost none, so the number here is filled in.
        Sample("Possibly lost 12 samples", {"n": "12"}),
    ),
)

TOOLS = LineTable("procs", [EXECSNOOP_BT, BCC_EXECSNOOP, BCC_EXITSNOOP, TOOL_MESSAGE,
                            LOST_SAMPLES])
VARIANTS: tuple[Variant, ...] = (EXECSNOOP_BT, BCC_EXECSNOOP, BCC_EXITSNOOP)

VARIANT_NAMES = ", ".join(v.name for v in VARIANTS) + ", bpftrace-json"
# The event a row of each columned variant is (a failed exec, a thread's exit: rows.py).
EVENT_OF = {EXECSNOOP_BT.name: EVENT_EXEC, BCC_EXECSNOOP.name: EVENT_EXEC,
            BCC_EXITSNOOP.name: EVENT_EXIT}

# bpftrace -f json: printf text ``EVENT key=value key=value...`` (values end where the next
# ``key=`` starts, so a filename with spaces survives when it is the last field).
BT_PRINTF = Variant(
    name="bpftrace-printf",
    pattern=r"(?s)(?P<event>[a-z][a-z0-9_]*)\s+(?P<kv>\w+=.*)$",
    ignore=("event", "kv"),        # rows.py splits kv with BT_KV and names keys by BT_KEYS
    samples=(
        # the text of fixtures/procs/captured/bpftrace_sched_json.txt's printf records
        Sample("exit ts=486618314049 pid=22792 ppid=22759 comm=sleep code=0 signal=9",
               {"event": "exit",
                "kv": "ts=486618314049 pid=22792 ppid=22759 comm=sleep code=0 signal=9"}),
    ),
)
BT_LINES = LineTable("procs-bpftrace-printf", [BT_PRINTF])
BT_KV = re.compile(r"(\w+)=(.*?)(?=\s+\w+=|\s*$)", re.DOTALL)
BT_KEYS = {
    "pid": LINUX_PID, "ppid": PPID, "tid": TID, "uid": UID, "comm": COMM, "exe": EXE,
    "filename": FILENAME, "code": EXIT_CODE, "signal": EXIT_SIGNAL, "ts": KTIME,
    "old_pid": "linux.old_pid", "args": CMDLINE, "argv": CMDLINE, "status": EXIT_STATUS,
    "parent_pid": PPID, "child_pid": LINUX_PID,
}
# In a fork record, ``comm`` is the forking parent's name (the child has none of its own yet).
BT_FORK_KEYS = {**BT_KEYS, "comm": PARENT_COMM}
BT_SAMPLES = (
    ('{"type": "printf", "data": "exit ts=486618314049 pid=22792 ppid=22759 comm=sleep '
     'code=0 signal=9\\n"}',
     {"event": "exit", KTIME: 486618314049, LINUX_PID: 22792, PPID: 22759, COMM: "sleep",
      EXIT_SIGNAL: 9, SIGNAL_NAME: "SIGKILL"}),
)
