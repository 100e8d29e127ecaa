"""The process tracers' output formats, as data: each tool's header and its columns.

bpftrace ``execsnoop.bt``, bcc ``execsnoop``/``exitsnoop`` with their options (-t, -T, -x,
-U, --utc, --label) and ``bpftrace -f json`` printf records; samples are real captures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...core.record import LINUX_PID
from .keys import (
    CMDLINE,
    COMM,
    EVENT_EXEC,
    EVENT_EXIT,
    EXE,
    EXIT_CODE,
    EXIT_SIGNAL,
    EXIT_STATUS,
    FILENAME,
    KTIME,
    PARENT_COMM,
    PPID,
    SIGNAL_NAME,
    TID,
    UID,
)

# ---------------------------------------------------------------------------------------
# The formats, as data.

# One shared sub-pattern per column a tool may print (STYLE (b): reuse, don't repeat).
COLUMN_PATTERNS = {
    "tod": r"(?P<tod>\d\d:\d\d:\d\d(?:\.\d{1,6})?)",
    "elapsed_s": r"(?P<elapsed_s>\d+\.\d+)",
    "elapsed_ms": r"(?P<elapsed_ms>\d+)",
    "label": r"(?P<label>\S+)",
    "uid": r"(?P<uid>\d+)",
    "comm": r"(?P<comm>.{0,16}?)",          # a comm may hold spaces: up to 16 chars, lazy
    "pid": r"(?P<pid>\d+)",
    "ppid": r"(?P<ppid>\d+|\?)",
    "tid": r"(?P<tid>\d+)",
    "ret": r"(?P<ret>-?\d+)",
    "age": r"(?P<age>\d+\.\d+)",
    "exit": r"(?P<exit>0|code\ \d+|signal\ \d+\ \([^)]*\)(?:,\ core\ dumped)?|,\ core\ dumped)",
}


@dataclass(frozen=True)
class Variant:
    """One tool's output format: how its header looks and which columns it announces.

    ``header`` matches the header line. ``columns`` lists the columns in print order; a
    name starting with ``?`` is optional and present when the header's group of that name
    matched (``-T`` adds ``TIME``, ``-U`` adds ``UID``...). ``rest`` is the pattern of the
    free-text tail (argv). ``samples`` are real (header, line, expected groups) triples from
    the fixtures; tests run every one.
    """

    name: str
    header: re.Pattern
    columns: tuple[str, ...]
    rest: str                     # pattern of the rest of the line
    event: str
    samples: tuple[tuple[str, str, dict], ...]
    continues: bool = False       # a line matching nothing continues the previous record

    def row_pattern(self, header: re.Match) -> re.Pattern:
        parts = [COLUMN_PATTERNS[c.lstrip("?")] for c in self.columns
                 if not c.startswith("?") or header.group(c[1:])]
        return re.compile(r"^\s*" + r"\s+".join(parts) + self.rest + r"\s*$", re.VERBOSE)


VARIANTS: tuple[Variant, ...] = (
    Variant(
        name="execsnoop.bt",
        header=re.compile(r"^(?P<elapsed_ms>TIME\(ms\))\s+PID\s+ARGS\s*$"),
        columns=("elapsed_ms", "pid"),
        rest=r"\ +(?P<args>.*?)",     # "%-5d " pads the pid: the spaces are not argv
        event=EVENT_EXEC,
        continues=True,
        samples=(
            ("TIME(ms)   PID   ARGS",
             "1068       22791 /bin/sh -c exit 3",
             {"elapsed_ms": "1068", "pid": "22791", "args": "/bin/sh -c exit 3"}),
        ),
    ),
    Variant(
        name="bcc-execsnoop",
        header=re.compile(
            r"^(?P<tod>TIME\s+)?(?P<elapsed_s>TIME\(s\)\s+)?(?P<uid>UID\s+)?"
            r"PCOMM\s+PID\s+(?P<ppid>PPID\s+)?RET\s+ARGS\s*$"
        ),
        columns=("?tod", "?elapsed_s", "?uid", "comm", "pid", "?ppid", "ret"),
        rest=r"(?:\ (?P<args>.*?))?",
        event=EVENT_EXEC,
        samples=(
            ("PCOMM            PID    RET ARGS",
             "run              9660    -2 /usr/local/bin/setuidgid nobody "
             "/command/multilog t ./main",
             {"comm": "run", "pid": "9660", "ret": "-2",
              "args": "/usr/local/bin/setuidgid nobody /command/multilog t ./main"}),
            ("TIME     TIME(s) PCOMM            PID    PPID  RET ARGS",
             "14:08:23 2.849   mount            18049  1045    0 /bin/mount -p",
             {"tod": "14:08:23", "elapsed_s": "2.849", "comm": "mount", "pid": "18049",
              "ppid": "1045", "ret": "0", "args": "/bin/mount -p"}),
            ("UID   PCOMM            PID    PPID   RET ARGS",
             "1000  ls               171318 133702   0 /bin/ls --color=auto",
             {"uid": "1000", "comm": "ls", "pid": "171318", "ppid": "133702", "ret": "0",
              "args": "/bin/ls --color=auto"}),
        ),
    ),
    Variant(
        name="bcc-exitsnoop",
        header=re.compile(
            r"^(?P<tod>TIME-(?P<zone>\S+)\s+)?(?P<label>LABEL\s+)?"
            r"PCOMM\s+PID\s+PPID\s+TID\s+AGE\(s\)\s+EXIT_CODE\s*$"
        ),
        columns=("?tod", "?label", "comm", "pid", "ppid", "tid", "age", "exit"),
        rest="",
        event=EVENT_EXIT,
        samples=(
            ("PCOMM            PID    PPID   TID    AGE(s)  EXIT_CODE",
             "bash             19013  17656  19013  0.23    signal 2 (INT)",
             {"comm": "bash", "pid": "19013", "ppid": "17656", "tid": "19013",
              "age": "0.23", "exit": "signal 2 (INT)"}),
            ("TIME-UTC     LABEL PCOMM            PID    PPID   TID    AGE(s)  EXIT_CODE",
             "13:20:22.997 exit  bash             18300  17656  18300  1.65    code 65",
             {"tod": "13:20:22.997", "label": "exit", "comm": "bash", "pid": "18300",
              "ppid": "17656", "tid": "18300", "age": "1.65", "exit": "code 65"}),
        ),
    ),
)

VARIANT_NAMES = ", ".join(v.name for v in VARIANTS) + ", bpftrace-json"

# Lines tools print besides their rows: kept as ``tool_message`` events, never unparsed.
TOOL_MESSAGES = re.compile(
    r"^(?:Attaching \d+ probes?\.\.\.|ERROR: .*|WARNING: .*|"
    r"Possibly lost \d+ samples?)\s*$"
)
LOST_SAMPLES = re.compile(r"^Possibly lost (?P<n>\d+) samples?")

# bpftrace -f json: printf text ``EVENT key=value key=value...`` (values end where the next
# ``key=`` starts, so a filename with spaces survives when it is the last field).
BT_EVENT = re.compile(r"^(?P<event>[a-z][a-z0-9_]*)\s+(?P<kv>\w+=.*)$", re.DOTALL)
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
