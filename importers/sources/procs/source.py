"""procs as a source: ``read`` of saved tracer output, the ``sniff`` for ``auto`` and its
declaration (CLI arguments included)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ...core.clock import Clock, parse_when
from ...core.errors import UnusableInput
from ...core.identity import file_units
from ...core.pool import PoolWriter
from ...core.record import LINUX_HOSTNAME, LINUX_PID, record, unparsed
from ...core.report import (
    EVENTS_LOST,
    UNPARSED_LINE,
    UNREADABLE_FILE,
    ImportReport,
)
from ...core.runner import run_units
from ...core.source import Source
from ...core.timezones import resolve_zone
from .formats import VARIANT_NAMES
from .keys import (
    CMDLINE,
    COMM,
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
    FILENAME,
    FORMAT,
    LINE_COUNT,
    PPID,
    RECORD_NAME,
    SOURCE_NAME,
    TID,
)
from .rows import scan, sniff, sniff_path, tool_rows
from .status import describe_exit


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
    report.expect(sum(f.stat().st_size for f in files if f.is_file()))
    for path in files:
        origin = str(path)
        try:
            mtime = path.stat().st_mtime
            if not path.is_file():
                raise IsADirectoryError(21, "is a directory")
            empty = path.stat().st_size == 0
            recognised = not empty and sniff_path(path)
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
            extent = scan(path, origin)
        clock = Clock(zone, zone_label, report, start=start_epoch, boot_time=boot_epoch,
                      mtime=mtime, extent=extent)
        yield from _records(path, origin, clock, host, report)


def _records(path: Path, origin: str, clock: Clock, host: str | None,
             report: ImportReport) -> Iterator[dict[str, Any]]:
    last_created: float | None = None
    converters: dict[str, Callable[[Any], float]] = {
        "elapsed": clock.elapsed,
        "boot": clock.boot,
        "tod": lambda v: clock.time_of_day(v, False),
        "tod_utc": lambda v: clock.time_of_day(v, True),
    }
    for row in tool_rows(path, report, origin):
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
            fields[LINE_COUNT] = row.lines
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


def sniff_file(path: Path, head: bytes) -> bool:
    return sniff(head)


def import_files(writer: PoolWriter, files: list[Path], tz: str | None,
                 report: ImportReport, jobs: int = 1) -> None:
    writer.write_all(read(files, tz=tz, report=report))


def cli(args: argparse.Namespace) -> int:
    """Import saved output of process tracers: bpftrace execsnoop.bt, bcc execsnoop and
    exitsnoop (-t, -T, -x, -U, --utc, --label), and `bpftrace -f json` printf records.

    Their times are relative (to the tool's start, or to the boot) or a wall clock without
    a date: --start says when the tool started (epoch seconds or ISO time, naive = --tz),
    --boot-time when the node booted (bpftrace nsecs); without them the file's mtime is
    taken as the time of its last event. The summary says which base was assumed.

    Example:
        ev-import procs execsnoop.txt --start 2026-11-25T08:50:00 --tz UTC --host node17
        ev-import procs sched.json --boot-time "$(uptime -s)" --host node17
    """
    files = [str(f) for f in args.files]
    return run_units(
        args,
        SOURCE_NAME,
        file_units(files),
        lambda unit: lambda report: read(unit.inputs, start=args.start,
                                         boot_time=args.boot_time, tz=args.tz,
                                         host=args.host, report=report),
    )


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="saved tool output")
    p.add_argument("--start", metavar="TIME",
                   help="when the tool started: epoch seconds or ISO time (naive = --tz)")
    p.add_argument("--boot-time", metavar="TIME",
                   help="when the traced node booted, for bpftrace nsecs (e.g. `uptime -s`)")
    p.add_argument("--host", metavar="NAME",
                   help="the node the output came from, written as linux.hostname")


SOURCE = Source(
    name=SOURCE_NAME,
    help="saved execsnoop/exitsnoop (bcc, bpftrace) and bpftrace -f json output",
    arguments=arguments,
    run=cli,
    read=read,
    sniff=sniff_file,
    import_files=import_files,
    sniff_rank=80,
)
