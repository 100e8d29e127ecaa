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
"""

from __future__ import annotations

import os
import re
import signal as _signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import orjson

from ..core.errors import UnusableInput
from ..core.record import LINUX_HOSTNAME, LINUX_PID, record, unparsed
from ..core.report import (
    EVENTS_LOST,
    INVALID_UTF8,
    UNPARSED_LINE,
    UNREADABLE_FILE,
    ImportReport,
)
from ..core.timezones import resolve_zone

SOURCE_NAME = "procs"
RECORD_NAME = "linux.proc"

# Keys (DESIGN §3: a Linux process is linux.hostname + linux.pid, over time + start_time).
PPID = "linux.ppid"
TID = "linux.tid"
UID = "linux.uid"
COMM = "linux.comm"
PARENT_COMM = "linux.parent_comm"
EXE = "linux.exe"
FILENAME = "linux.filename"
ARGV = "linux.argv"              # list of str, from /proc (live watcher)
CMDLINE = "linux.cmdline"        # argv joined with spaces, as the tools print it
EXEC_RET = "linux.exec_ret"      # execve's return value (0, or -errno)
EXIT_STATUS = "linux.exit_status"  # the raw wait status (exit_code << 8 | signal | core)
EXIT_CODE = "linux.exit_code"
EXIT_SIGNAL = "linux.exit_signal"
SIGNAL_NAME = "linux.signal_name"
CORE_DUMPED = "linux.core_dumped"
AGE = "linux.age_seconds"
KTIME = "linux.ktime_ns"         # kernel CLOCK_MONOTONIC timestamp of the event
START_TIME = "linux.start_time"
PROCESS_KEY = "linux.process_key"
BOOT_ID = "linux.boot_id"
FORMAT = "ev.format"             # which variant of DESIGN's formats produced the record
LINES = "ev.lines"               # how many input lines one record spans, when more than one
TOOL_TIME = "procs.time"         # the time column exactly as the tool printed it
LABEL = "procs.label"            # exitsnoop --label
PCOMM = "procs.pcomm"            # execsnoop's PCOMM: the task's comm before the exec
EVENTS_LOST_COUNT = "ev.events_lost"

EVENT_EXEC = "exec"
EVENT_EXEC_FAILED = "exec_failed"
EVENT_EXIT = "exit"
EVENT_FORK = "fork"
EVENT_THREAD_EXIT = "thread_exit"
EVENT_LOST = "events_lost"
EVENT_TOOL_MESSAGE = "tool_message"

SNIFF_LINES = 200
SNIFF_BYTES = 64 << 10


def signal_name(number: int) -> str | None:
    try:
        return _signal.Signals(number).name
    except ValueError:
        return None


def decode_status(status: int) -> dict[str, Any]:
    """A raw wait status (the kernel's ``task->exit_code``) -> exit code, or signal + core.

    ``768`` -> ``{exit_code: 3}``; ``9`` -> ``{exit_signal: 9, signal_name: SIGKILL}``;
    ``0x86`` -> SIGABRT with a core dump.
    """
    sig = status & 0x7F
    if sig == 0:
        return {EXIT_CODE: (status >> 8) & 0xFF}
    out: dict[str, Any] = {EXIT_SIGNAL: sig, SIGNAL_NAME: signal_name(sig)}
    if status & 0x80:
        out[CORE_DUMPED] = True
    return out


def describe_exit(fields: dict[str, Any]) -> str:
    if EXIT_SIGNAL in fields:
        text = f"killed by signal {fields[EXIT_SIGNAL]}"
        if fields.get(SIGNAL_NAME):
            text += f" ({fields[SIGNAL_NAME]})"
        if fields.get(CORE_DUMPED):
            text += ", core dumped"
        return text
    if EXIT_CODE in fields:
        return f"exit code {fields[EXIT_CODE]}"
    return "exit status unknown"


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


# ---------------------------------------------------------------------------------------
# Time bases


def parse_when(text: str | None, zone: tzinfo, what: str) -> float | None:
    """``--start``/``--boot-time``: epoch seconds, or an ISO date-time (naive = ``--tz``)."""
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UnusableInput(
            f"cannot read {what}", text,
            "give epoch seconds or an ISO time such as 2026-11-25T08:50:00",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


@dataclass
class _Extent:
    """What a pre-scan of one file learns about its clocks (for the mtime fallback)."""

    max_elapsed: float | None = None
    max_boot: float | None = None
    tod_rollovers: int = 0
    last_tod: float | None = None


class _Clock:
    """Turns one file's printed times into epoch seconds, given the bases it was offered."""

    def __init__(self, *, start: float | None, boot_time: float | None, zone: tzinfo,
                 zone_label: str, mtime: float, extent: _Extent | None,
                 report: ImportReport, origin: str) -> None:
        self.zone = zone
        self.report = report
        self.origin = origin
        self._assumed: set[str] = set()
        self.zone_label = zone_label
        self.start = start
        self.boot_time = boot_time
        self.mtime = mtime
        self.extent = extent or _Extent()
        self.day: date | None = None
        self.day_utc: date | None = None
        self.last_tod: float | None = None

    def _assume(self, key: str, what: str, value: str) -> None:
        if key not in self._assumed:
            self._assumed.add(key)
            self.report.assume(what, value)

    def elapsed(self, seconds: float) -> float:
        if self.start is not None:
            self._assume("e", "time base", "--start (tool start)")
            return self.start + seconds
        self._assume("e", "time base",
                     "file mtime = last event (no --start; times approximate)")
        return self.mtime - (self.extent.max_elapsed or 0.0) + seconds

    def boot(self, seconds: float) -> float:
        if self.boot_time is not None:
            self._assume("b", "boot time", "--boot-time")
            return self.boot_time + seconds
        self._assume("b", "boot time",
                     "file mtime = last event (no --boot-time; times approximate)")
        return self.mtime - (self.extent.max_boot or 0.0) + seconds

    def time_of_day(self, text: str, utc: bool) -> float:
        zone = timezone.utc if utc else self.zone
        if self.day is None:
            if self.start is not None:
                self.day = datetime.fromtimestamp(self.start, zone).date()
                self._assume("d", "date", "from --start")
            else:
                last = datetime.fromtimestamp(self.mtime, zone).date()
                self.day = last - timedelta(days=self.extent.tod_rollovers)
                self._assume("d", "date", "file mtime's (no --start)")
            if not utc:
                self._assume("z", "zone", self.zone_label)
        clock = time.fromisoformat(text)
        seconds = clock.hour * 3600 + clock.minute * 60 + clock.second
        if self.last_tod is not None and seconds < self.last_tod - 43200:
            self.day += timedelta(days=1)   # past midnight
        self.last_tod = seconds
        return datetime.combine(self.day, clock, zone).timestamp()


# ---------------------------------------------------------------------------------------
# The engine


@dataclass(slots=True)
class _Row:
    """One parsed tool row before its time base is known."""

    lineno: int
    raw: str
    variant: str
    event: str
    fields: dict[str, Any]
    clock: tuple[str, Any] | None   # ("elapsed"|"boot"|"tod"|"tod_utc", value)
    lines: int = 1


def _decode(line: bytes, report: ImportReport, origin: str) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        report.problem(INVALID_UTF8, origin)
        return line.decode("utf-8", "replace")


def _exec_fields(m: re.Match, variant: str) -> tuple[str, dict[str, Any]]:
    g = m.groupdict()
    args = g.get("args") or ""
    fields: dict[str, Any] = {LINUX_PID: int(g["pid"]), CMDLINE: args}
    if g.get("ppid") and g["ppid"] != "?":
        fields[PPID] = int(g["ppid"])
    if g.get("uid"):
        fields[UID] = int(g["uid"])
    event = EVENT_EXEC
    if variant == "bcc-execsnoop":
        fields[PCOMM] = g["comm"].strip()
        ret = int(g["ret"])
        fields[EXEC_RET] = ret
        # bcc submits the execve filename as the first argument it prints
        first = args.split(" ", 1)[0].strip('"')
        fields[FILENAME] = first
        if ret != 0:
            event = EVENT_EXEC_FAILED
    return event, fields


def _exit_fields(m: re.Match) -> tuple[str, dict[str, Any]]:
    g = m.groupdict()
    pid, tid = int(g["pid"]), int(g["tid"])
    fields: dict[str, Any] = {
        LINUX_PID: pid, PPID: int(g["ppid"]), COMM: g["comm"].strip(),
        AGE: float(g["age"]), LABEL: g.get("label"),
    }
    if tid != pid:
        fields[TID] = tid
    text = g["exit"]
    if text == "0":
        fields[EXIT_CODE] = 0
    elif text.startswith("code "):
        fields[EXIT_CODE] = int(text[5:])
    else:
        if text.startswith("signal "):
            sig = int(text.split()[1])
            fields[EXIT_SIGNAL] = sig
            fields[SIGNAL_NAME] = signal_name(sig)
        if "core dumped" in text:
            fields[CORE_DUMPED] = True
    return (EVENT_THREAD_EXIT if tid != pid else EVENT_EXIT), fields


def _bt_value(text: str) -> Any:
    if text.lstrip("-").isdigit():
        return int(text)
    return text


def _bpftrace_json(rec: dict, lineno: int, raw: str) -> _Row:
    """One ``bpftrace -f json`` record."""
    kind = rec.get("type")
    data = rec.get("data")
    if kind == "printf" and isinstance(data, str):
        text = data.rstrip("\n")
        m = BT_EVENT.match(text)
        if not m:
            return _Row(lineno, raw, "bpftrace-json", "printf", {"bpftrace.data": text}, None)
        event = m.group("event")
        keys = BT_FORK_KEYS if event == EVENT_FORK else BT_KEYS
        fields: dict[str, Any] = {}
        for key, value in BT_KV.findall(m.group("kv")):
            fields[keys.get(key, f"bpftrace.{key}")] = _bt_value(value)
        if fields.get(EXIT_SIGNAL) == 0:
            del fields[EXIT_SIGNAL]
        elif isinstance(fields.get(EXIT_SIGNAL), int):
            fields.pop(EXIT_CODE, None)
            fields[SIGNAL_NAME] = signal_name(fields[EXIT_SIGNAL])
        if isinstance(fields.get(EXIT_STATUS), int):
            fields.update(decode_status(fields[EXIT_STATUS]))
        if isinstance(fields.get(TID), int) and fields[TID] == fields.get(LINUX_PID):
            del fields[TID]
        elif TID in fields and event == EVENT_EXIT:
            event = EVENT_THREAD_EXIT
        ktime = fields.get(KTIME)
        clock = ("boot", ktime / 1e9) if isinstance(ktime, int) else None
        return _Row(lineno, raw, "bpftrace-json", event, fields, clock)
    if kind == "lost_events":
        count = data.get("events") if isinstance(data, dict) else None
        return _Row(lineno, raw, "bpftrace-json", EVENT_LOST, {EVENTS_LOST_COUNT: count}, None)
    if kind == "map" and isinstance(data, dict):
        return _Row(lineno, raw, "bpftrace-json", "bpftrace_map", {"bpftrace.map": data}, None)
    if kind == "attached_probes" and isinstance(data, dict):
        return _Row(lineno, raw, "bpftrace-json", EVENT_TOOL_MESSAGE,
                    {"bpftrace.probes": data.get("probes")}, None)
    event = re.sub(r"[^a-z0-9_]", "_", str(kind).lower()) or "record"
    return _Row(lineno, raw, "bpftrace-json", f"bpftrace_{event}", {"bpftrace.data": data},
                None)


def _clock_of(g: dict[str, Any], utc: bool) -> tuple[str, Any] | None:
    """The row's time: a wall clock (absolute but dateless) beats one relative to the start."""
    if g.get("elapsed_ms"):
        return ("elapsed", int(g["elapsed_ms"]) / 1000.0)
    if g.get("tod"):
        return ("tod_utc" if utc else "tod", g["tod"])
    if g.get("elapsed_s"):
        return ("elapsed", float(g["elapsed_s"]))
    return None


def _rows(path: Path, report: ImportReport, origin: str) -> Iterator[_Row | tuple]:
    """Parse one file into rows (or ``("unparsed", lineno, raw, reason)`` tuples).

    Streams: only the record being continued is held.
    """
    current: Variant | None = None
    pattern: re.Pattern | None = None
    utc = False
    pending: _Row | None = None
    after_blank = True
    variants_by_name = {v.name: v for v in VARIANTS}
    with open(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            text = _decode(line, report, origin).rstrip("\r\n")
            # the hot path first: a row of the format the last header announced
            m = pattern.match(text) if pattern is not None else None
            if m:
                if pending is not None:
                    yield pending
                    pending = None
                g = m.groupdict()
                if current.event == EVENT_EXIT:
                    event, fields = _exit_fields(m)
                else:
                    event, fields = _exec_fields(m, current.name)
                fields[TOOL_TIME] = " ".join(
                    g[k] for k in ("tod", "elapsed_s", "elapsed_ms") if g.get(k))
                row = _Row(lineno, text, current.name, event, fields, _clock_of(g, utc))
                if current.continues:
                    pending = row
                else:
                    yield row
                after_blank = False
                continue
            if not text or text.isspace():
                if pending is not None:
                    yield pending
                    pending = None
                after_blank = True
                continue
            if text.startswith('{"'):   # bpftrace -f json (self-describing)
                try:
                    obj = orjson.loads(text)
                except orjson.JSONDecodeError:
                    obj = None
                if isinstance(obj, dict) and "type" in obj:
                    if pending is not None:
                        yield pending
                        pending = None
                    yield _bpftrace_json(obj, lineno, text)
                    continue
            header = None
            for variant in VARIANTS:
                header = variant.header.match(text)
                if header:
                    break
            if header:
                if pending is not None:
                    yield pending
                    pending = None
                current = variant
                pattern = variant.row_pattern(header)
                utc = (header.groupdict().get("zone") or "").upper() == "UTC"
                after_blank = False
                continue
            if TOOL_MESSAGES.match(text):
                if pending is not None:
                    yield pending
                    pending = None
                lost = LOST_SAMPLES.match(text)
                if lost:
                    yield _Row(lineno, text, "bcc", EVENT_LOST,
                               {EVENTS_LOST_COUNT: int(lost.group("n"))}, None)
                else:
                    yield _Row(lineno, text, "tool", EVENT_TOOL_MESSAGE, {}, None)
                continue
            if (pending is not None and not after_blank and "\x00" not in text
                    and variants_by_name[pending.variant].continues):
                # execsnoop.bt prints an argv's newline raw: this line continues the record
                pending.fields[CMDLINE] += "\n" + text
                pending.raw += "\n" + text
                pending.lines += 1
                continue
            if pending is not None:
                yield pending
                pending = None
            tried = current.name if current else f"no header seen; tried {VARIANT_NAMES}"
            yield ("unparsed", lineno, text, f"no format matched: {tried}")
    if pending is not None:
        yield pending


def _scan(path: Path, origin: str) -> _Extent:
    """Pre-scan for the mtime fallback: the largest relative times, midnight crossings."""
    extent = _Extent()
    for row in _rows(path, ImportReport(), origin):
        if isinstance(row, tuple) or row.clock is None:
            continue
        kind, value = row.clock
        if kind == "elapsed":
            extent.max_elapsed = max(extent.max_elapsed or 0.0, value)
        elif kind == "boot":
            extent.max_boot = max(extent.max_boot or 0.0, value)
        else:
            clock = time.fromisoformat(value)
            seconds = clock.hour * 3600 + clock.minute * 60 + clock.second
            if extent.last_tod is not None and seconds < extent.last_tod - 43200:
                extent.tod_rollovers += 1
            extent.last_tod = seconds
    return extent


def sniff_kind(head: bytes) -> str | None:
    """``"json"`` (bpftrace -f json) or ``"text"`` (a tool's header line) when the first
    lines of ``head`` hold something our formats recognise, else None."""
    for line in head.split(b"\n")[:SNIFF_LINES]:
        text = line.decode("utf-8", "replace").rstrip("\r")
        if text.startswith('{"type"'):
            return "json"
        if any(v.header.match(text) for v in VARIANTS):
            return "text"
    return None


def sniff(head: bytes) -> bool:
    """For ``ev-import auto``: do the first bytes of a file look like our tools' output?"""
    return sniff_kind(head) is not None


def _sniff(path: Path) -> str | None:
    with open(path, "rb") as fh:
        return sniff_kind(fh.read(SNIFF_BYTES))


def _describe(event: str, fields: dict[str, Any]) -> str:
    pid = fields.get(LINUX_PID)
    if event in (EVENT_EXEC, EVENT_EXEC_FAILED):
        what = fields.get(CMDLINE) or fields.get(FILENAME) or fields.get(COMM) or ""
        head = "exec" if event == EVENT_EXEC else f"exec failed ({fields.get(EXEC_RET)})"
        parent = f" (ppid {fields[PPID]})" if PPID in fields else ""
        return f"{head} pid {pid}{parent}: {what}".replace("\n", "\\n")
    if event in (EVENT_EXIT, EVENT_THREAD_EXIT):
        who = f"pid {pid}" if event == EVENT_EXIT else f"thread {fields.get(TID)} of pid {pid}"
        comm = f" {fields[COMM]}" if fields.get(COMM) else ""
        return f"{event.replace('_', ' ')} {who}{comm}: {describe_exit(fields)}"
    if event == EVENT_FORK:
        return f"fork pid {fields.get(PPID)} -> {pid}"
    if event == EVENT_LOST:
        count = fields.get(EVENTS_LOST_COUNT)
        return f"events lost: {count if count is not None else 'unknown number'}"
    if "bpftrace.probes" in fields:
        return f"bpftrace attached {fields['bpftrace.probes']} probes"
    if "bpftrace.data" in fields:
        return f"bpftrace {event}: {fields['bpftrace.data']}"
    return event.replace("_", " ")


def read(
    files: Iterable[str | os.PathLike],
    *,
    start: str | float | None = None,
    boot_time: str | float | None = None,
    tz: str | None = None,
    host: str | None = None,
    report: ImportReport | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one record per tool row of each file (and ``unparsed`` ones for the rest).

    ``start``: when the tool started (epoch seconds or ISO time; also the date of wall clock
    columns). ``boot_time``: when the traced node booted (bpftrace ``nsecs``). ``tz``: zone
    of local wall clocks and of naive ISO times. ``host``: written as ``linux.hostname``,
    because saved output does not say which node it came from.
    """
    report = report if report is not None else ImportReport()
    zone, zone_label = resolve_zone(tz)
    start_epoch = start if isinstance(start, float) else parse_when(start, zone, "--start")
    boot_epoch = (boot_time if isinstance(boot_time, float)
                  else parse_when(boot_time, zone, "--boot-time"))
    files = [Path(f) for f in files]
    single = len(files) == 1
    for path in files:
        origin = str(path)
        try:
            mtime = path.stat().st_mtime
            if not path.is_file():
                raise IsADirectoryError(21, "is a directory")
            empty = path.stat().st_size == 0
            recognised = not empty and _sniff(path)
        except OSError as exc:
            if single:
                raise UnusableInput("cannot read", origin, exc.strerror or str(exc)) from None
            report.problem(UNREADABLE_FILE, f"{origin}: {exc.strerror or exc}")
            continue
        if empty or not recognised:
            why = "empty file" if empty else "not process-event output"
            todo = ("nothing to import" if empty else
                    f"expected the output of {VARIANT_NAMES} with its header line")
            if single:
                raise UnusableInput(why, origin, todo)
            report.problem(UNREADABLE_FILE, f"{origin}: {why}")
            continue
        extent = None
        # the mtime fallback needs the file's last relative time: one more cheap pass
        if start_epoch is None or (boot_epoch is None and recognised == "json"):
            extent = _scan(path, origin)
        clock = _Clock(start=start_epoch, boot_time=boot_epoch, zone=zone,
                       zone_label=zone_label, mtime=mtime, extent=extent,
                       report=report, origin=origin)
        yield from _records(path, origin, clock, host, report)


def _records(path: Path, origin: str, clock: _Clock, host: str | None,
             report: ImportReport) -> Iterator[dict[str, Any]]:
    last_created: float | None = None
    converters: dict[str, Callable[[Any], float]] = {
        "elapsed": clock.elapsed,
        "boot": clock.boot,
        "tod": lambda v: clock.time_of_day(v, False),
        "tod_utc": lambda v: clock.time_of_day(v, True),
    }
    for row in _rows(path, report, origin):
        if isinstance(row, tuple):
            _, lineno, raw, reason = row
            report.problem(UNPARSED_LINE)
            yield unparsed(raw, source=SOURCE_NAME, origin=origin, name=RECORD_NAME,
                           reason=reason, created=last_created, lineno=lineno)
            continue
        created = None
        fields = row.fields
        if row.clock is not None:
            kind, value = row.clock
            created = converters[kind](value)
            last_created = created
        if row.event == EVENT_LOST:
            report.problem(EVENTS_LOST, origin, count=fields.get(EVENTS_LOST_COUNT) or 1)
        fields[FORMAT] = row.variant
        if row.lines > 1:
            fields[LINES] = row.lines
        if host:
            fields[LINUX_HOSTNAME] = host
        level = "INFO"
        if row.event in (EVENT_EXEC_FAILED, EVENT_LOST) or (
                row.event == EVENT_EXIT and (fields.get(EXIT_CODE) or EXIT_SIGNAL in fields)) or (
                row.event == EVENT_TOOL_MESSAGE and row.raw.startswith(("ERROR", "WARNING"))):
            level = "WARNING"
        yield record(
            created, row.event, source=SOURCE_NAME, origin=origin, name=RECORD_NAME,
            formatted=row.raw if row.variant == "tool" else _describe(row.event, fields),
            fields=fields, levelname=level, lineno=row.lineno,
            raw=row.raw if row.lines > 1 else None,
        )
