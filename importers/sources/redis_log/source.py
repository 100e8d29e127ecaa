"""redis-log as a source: checks of its inputs, ``read``, ``write_to`` (big files in parts
cut at prefixed lines), the ``sniff`` for ``auto`` and its declaration."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from ...core.clock import Clock, naive_of_match, time_before
from ...core.errors import UnusableInput
from ...core.identity import file_units
from ...core.inputs import check_path
from ...core.parallel import SPLIT_MIN_BYTES, Part, split_points, write_parts
from ...core.pool import PoolWriter
from ...core.report import UNREADABLE_FILE, ImportReport
from ...core.runner import run_units
from ...core.source import Source, add_jobs_argument
from ...core.timezones import resolve_zone
from .formats import LINES, SCRIPT_DONE, SCRIPT_START
from .keys import SNIFF_BYTES, SOURCE_NAME
from .reader import FileReader

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
    if os.path.lexists(path):
        check_path(path, allow_dir=True)   # a FIFO, a dangling link, a loop: one line
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
    report.expect(sum(path.stat().st_size for path in files))
    zone, zone_label = resolve_zone(tz)
    report.assume("zone", zone_label)
    years_said: dict[str, list[str]] = {}
    for path in files:
        yield from _file_records(path, None, zone, zone_label, report, year, years_said)


def _file_records(path: Path, part: Part | None, zone, zone_label: str, report: ImportReport,
                  year: int | None, years_said: dict[str, list[str]]
                  ) -> Iterator[dict[str, Any]]:
    clock = Clock(zone, zone_label, report, path=path, year=year)   # one per file or part
    if part is not None and part.start > 0:
        clock.history = partial(time_before, path, part.start, clock,
                                partial(_line_time, clock))
    reader = FileReader(path, clock, report)
    try:
        yield from reader.run(part)
    except UnusableInput as exc:      # vanished or unreadable since the check
        report.problem(UNREADABLE_FILE, f"{path}: {exc.todo or exc.what}")
    said = clock.years_said()
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


def _line_time(clock: Clock, text: str):
    """A line's time, for the clock of a part that starts inside a repeated hour (a
    yearless line takes the year the part's clock inferred)."""
    hit = LINES.match(text)
    return None if hit is None else naive_of_match(*hit, clock.year)


def is_record_start(line: bytes) -> bool:
    return _CUT.match(line) is not None


def _part_records(path: Path, tz: str | None, year: int | None, part: Part,
                  report: ImportReport) -> Iterator[dict[str, Any]]:
    zone, zone_label = resolve_zone(tz)
    report.assume("zone", zone_label)
    yield from _file_records(path, part, zone, zone_label, report, year, {})


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
    report.expect(sum(path.stat().st_size for path in files))
    zone, zone_label = resolve_zone(tz)
    report.assume("zone", zone_label)
    years_said: dict[str, list[str]] = {}
    for path in files:
        if jobs > 1 and path.stat().st_size >= SPLIT_MIN_BYTES:
            parts = split_points(path, jobs * 2, is_record_start, count_lines=False)
            write_parts(parts, partial(_part_records, path, tz, year), writer, report, jobs,
                        count_lines=True)
        else:
            writer.write_all(_file_records(path, None, zone, zone_label, report, year,
                                           years_said))


def sniff(head: bytes) -> bool:
    """Does a file starting with ``head`` look like Redis console output? (for ``auto``)"""
    return looks_like_redis(head)


def sniff_file(path: Path, head: bytes) -> bool:
    return looks_like_redis(head)


def import_files(writer: PoolWriter, files: list[Path], tz: str | None,
                 report: ImportReport, jobs: int = 1) -> None:
    write_to(writer, files, tz=tz, report=report, jobs=jobs)


def cli(args: argparse.Namespace) -> int:
    """Import Redis console logs (redis-server, redis-sentinel; 2.x to 7.x): every line.

    Reads a server's logfile or its captured stdout (a pipe, or a tty recorded with
    `script`). Clients, saves and their child pids, replication, sentinel failovers,
    shutdowns, crash reports and config errors become named events; every other line is a
    `log` event. Times are local: --tz says in which zone. Redis 2.x and 3.x print no year:
    it is inferred from each file's mtime and any absolute time in it, unless --year says.

    Example:
        ev-import redis-log /var/log/redis/redis-server.log --tz Europe/Berlin
        ev-import redis-log master.log replica.log sentinel.log --year 2025
    """
    paths = [str(p) for p in args.files]
    if len(paths) == 1:
        check_inputs(paths)  # one unusable file: one error line, exit 2
    return run_units(
        args,
        SOURCE_NAME,
        file_units(paths),
        fill_of=lambda unit: lambda writer, report: write_to(
            writer, unit.inputs, tz=args.tz, report=report, year=args.year, jobs=args.jobs),
    )


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", metavar="FILE", nargs="+", help="redis log file(s)")
    p.add_argument(
        "--year",
        type=int,
        metavar="YYYY",
        help="year of Redis 2.x/3.x lines, which print none (default: inferred per file)",
    )
    add_jobs_argument(p, "processes for big logs (>= 32 MiB, cut at prefixed "
                      "notice/verbose/debug lines; default: all cores)")


SOURCE = Source(
    name=SOURCE_NAME,
    help="redis-server / redis-sentinel console output or --logfile",
    arguments=arguments,
    run=cli,
    read=read,
    write_to=write_to,
    sniff=sniff_file,
    import_files=import_files,
    sniff_rank=90,
)
