"""Reading one saved output into rows: the header picks the variant, each line its fields."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import orjson

from ...core.clock import Extent
from ...core.inputs import lines_until_error
from ...core.record import LINUX_PID
from ...core.report import (
    INVALID_UTF8,
    ImportReport,
)
from ...core.signals import signal_name
from .formats import (
    BT_EVENT,
    BT_FORK_KEYS,
    BT_KEYS,
    BT_KV,
    LOST_SAMPLES,
    TOOL_MESSAGES,
    VARIANT_NAMES,
    VARIANTS,
    Variant,
)
from .keys import (
    AGE,
    CMDLINE,
    COMM,
    CORE_DUMPED,
    EVENT_EXEC,
    EVENT_EXEC_FAILED,
    EVENT_EXIT,
    EVENT_FORK,
    EVENT_LOST,
    EVENT_THREAD_EXIT,
    EVENT_TOOL_MESSAGE,
    EVENTS_LOST_COUNT,
    EXEC_RET,
    EXIT_CODE,
    EXIT_SIGNAL,
    EXIT_STATUS,
    FILENAME,
    KTIME,
    LABEL,
    PCOMM,
    PPID,
    SIGNAL_NAME,
    SNIFF_BYTES,
    SNIFF_LINES,
    TID,
    TOOL_TIME,
    UID,
)
from .status import decode_status

# ---------------------------------------------------------------------------------------
# The engine


@dataclass(slots=True)
class Row:
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


def bpftrace_json(rec: dict, lineno: int, raw: str) -> Row:
    """One ``bpftrace -f json`` record."""
    kind = rec.get("type")
    data = rec.get("data")
    if kind == "printf" and isinstance(data, str):
        text = data.rstrip("\n")
        m = BT_EVENT.match(text)
        if not m:
            return Row(lineno, raw, "bpftrace-json", "printf", {"bpftrace.data": text}, None)
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
        return Row(lineno, raw, "bpftrace-json", event, fields, clock)
    if kind == "lost_events":
        count = data.get("events") if isinstance(data, dict) else None
        return Row(lineno, raw, "bpftrace-json", EVENT_LOST, {EVENTS_LOST_COUNT: count}, None)
    if kind == "map" and isinstance(data, dict):
        return Row(lineno, raw, "bpftrace-json", "bpftrace_map", {"bpftrace.map": data}, None)
    if kind == "attached_probes" and isinstance(data, dict):
        return Row(lineno, raw, "bpftrace-json", EVENT_TOOL_MESSAGE,
                    {"bpftrace.probes": data.get("probes")}, None)
    event = re.sub(r"[^a-z0-9_]", "_", str(kind).lower()) or "record"
    return Row(lineno, raw, "bpftrace-json", f"bpftrace_{event}", {"bpftrace.data": data},
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


def tool_rows(path: Path, report: ImportReport, origin: str) -> Iterator[Row | tuple]:
    """Parse one file into rows (or ``("unparsed", lineno, raw, reason)`` tuples).

    Streams: only the record being continued is held.
    """
    current: Variant | None = None
    pattern: re.Pattern | None = None
    utc = False
    pending: Row | None = None
    after_blank = True
    variants_by_name = {v.name: v for v in VARIANTS}
    with open(path, "rb") as fh:
        told = 0
        for lineno, line in enumerate(lines_until_error(fh, report, origin), 1):
            if not lineno & 0x3FF:  # bytes read so far, told every 1024 lines
                at = fh.tell()
                report.advance(at - told)
                told = at
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
                row = Row(lineno, text, current.name, event, fields, _clock_of(g, utc))
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
                    yield bpftrace_json(obj, lineno, text)
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
                    yield Row(lineno, text, "bcc", EVENT_LOST,
                               {EVENTS_LOST_COUNT: int(lost.group("n"))}, None)
                else:
                    yield Row(lineno, text, "tool", EVENT_TOOL_MESSAGE, {}, None)
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
        report.advance(fh.tell() - told)
    if pending is not None:
        yield pending


def scan(path: Path, origin: str) -> Extent:
    """Pre-scan for the mtime fallback: the largest relative times, midnight crossings."""
    extent = Extent()
    for row in tool_rows(path, ImportReport(), origin):
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


def sniff_path(path: Path) -> str | None:
    with open(path, "rb") as fh:
        return sniff_kind(fh.read(SNIFF_BYTES))
