"""parsl-logs as a source: ``read``, ``write_to`` (parts of big logs on several cores),
``sniff`` for ``auto``, and its declaration (CLI arguments included)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import chain, groupby
from pathlib import Path
from typing import Any

from ...core.clock import Clock, naive_of_match, time_before
from ...core.errors import UnusableInput
from ...core.identity import Unit, container_units, real_path
from ...core.parallel import SPLIT_MIN_BYTES, Part, split_points, write_parts
from ...core.pool import PoolWriter
from ...core.report import UNREADABLE_FILE, ImportReport
from ...core.runner import run_units
from ...core.source import Source, add_jobs_argument, first_json_object
from .exit_codes import exit_code_records
from .formats import LINES, V2022
from .jsonlog import json_records
from .keys import SOURCE_NAME
from .paths import EXIT_CODE, FileJob, log_files, plan_files, run_dir_of
from .text import text_records


def records_of(job: FileJob, report: ImportReport, part: Part | None = None,
               zones_used: set[str] | None = None) -> Iterator[dict[str, Any]]:
    """The records of one file (or of one part of a big text file)."""
    origin = str(job.path)
    try:
        # one per file, or part of one; the run's span tells a repeated hour's time too
        clock = Clock(job.zone, job.zone_label, report, spans=list(job.spans))
        if job.kind == "json":
            yield from json_records(job.path, origin, job.base, report, clock)
        elif job.kind == "ec":
            yield from exit_code_records(job.path, origin, job.base, report)
        else:
            if part is not None and part.start > 0:
                clock.history = partial(time_before, job.path, part.start, clock, _line_time)
            seen: set[str] = set()
            yield from text_records(job.path, origin, job.base, clock, report, part, seen)
            if zones_used is not None and seen - {V2022.name}:
                zones_used.add(job.zone_label)
    except UnusableInput as exc:
        report.problem(UNREADABLE_FILE, f"{job.path}: {exc.todo or exc.what}")


def read(
    paths: Iterable[str | os.PathLike],
    *,
    tz: str | None = None,
    report: ImportReport | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the records of every Parsl log under ``paths``, file by file, streamed.

    A file that cannot be read is counted (``UnreadableFile``) and the others are still
    read; the caller (CLI) exits 1 for it.
    """
    report = report if report is not None else ImportReport()
    zones_used: set[str] = set()
    planned = plan_files(paths, tz, report)
    report.expect(sum(_size(job.path) for job in planned))
    for job in planned:
        yield from records_of(job, report, zones_used=zones_used)
    if zones_used:
        report.assume("zone of ms-format logs", "; ".join(sorted(zones_used)))


def _line_time(text: str):
    """A line's time, for the clock of a part that starts inside a repeated hour."""
    hit = LINES.match(text) if LINES.may_match(text) else None
    return None if hit is None else naive_of_match(*hit)


def is_record_start(line: bytes) -> bool:
    text = line.decode("utf-8", "replace").rstrip("\r\n")
    return LINES.may_match(text) and LINES.match(text) is not None


def _part_records(job: FileJob, part: Part, report: ImportReport) -> Iterator[dict[str, Any]]:
    zones_used: set[str] = set()
    yield from records_of(job, report, part, zones_used)
    if zones_used:
        report.assume("zone of ms-format logs", "; ".join(sorted(zones_used)))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # unreadable: records_of names it


def write_to(
    writer: PoolWriter,
    paths: Iterable[str | os.PathLike],
    *,
    tz: str | None = None,
    report: ImportReport,
    jobs: int = 1,
) -> None:
    """What ``writer.write_all(read(...))`` does, with text logs of ``SPLIT_MIN_BYTES`` or
    more cut at record boundaries and parsed by ``jobs`` processes (same output)."""
    planned = plan_files(paths, tz, report)
    report.expect(sum(_size(job.path) for job in planned))
    big = [j for j in planned if jobs > 1 and j.kind == "text"
           and _size(j.path) >= SPLIT_MIN_BYTES]
    zones_used: set[str] = set()
    # File by file in plan order, so the output is the sequential one, byte for byte.
    for is_big, group in groupby(planned, key=lambda job: job in big):
        if is_big:
            for job in group:
                parts = split_points(job.path, jobs * 2, is_record_start, count_lines=False)
                write_parts(parts, partial(_part_records, job), writer, report, jobs,
                            count_lines=True)
        else:
            writer.write_all(chain.from_iterable(
                records_of(job, report, zones_used=zones_used) for job in group))
    if zones_used:
        report.assume("zone of ms-format logs", "; ".join(sorted(zones_used)))


def sniff(head: bytes) -> bool:
    """Does a file starting with ``head`` look like a Parsl text log? (for ``auto``)"""
    for raw in head.splitlines()[:20]:
        text = raw.decode("utf-8", "replace").rstrip("\r")
        if text and LINES.match(text):
            return True
    return False


def sniff_file(path: Path, head: bytes) -> bool:
    """A Parsl log by content (for ``auto``): a text log in a known format, a Parsl
    ``*.jsonlog`` (its records name a ``funcname``), or a block's ``*.sh.ec`` in a run dir
    (an exit code, ``-`` or nothing yet)."""
    if path.name.endswith(".sh.ec") and run_dir_of(Path(real_path(path))):
        return not head.strip() or EXIT_CODE.fullmatch(head.partition(b"\n")[0]) is not None
    if path.name.endswith(".jsonlog"):
        return first_json_object(head).get("funcname") is not None
    return sniff(head)


def import_files(writer: PoolWriter, files: list[Path], tz: str | None,
                 report: ImportReport, jobs: int = 1) -> None:
    write_to(writer, files, tz=tz, report=report, jobs=jobs)


def cli(args: argparse.Namespace) -> int:
    """Import Parsl's logs: a runinfo/ dir (all runs), one run dir (000/), or log files.

    Reads parsl.log, database_manager.log, the monitoring router/radio logs, each
    executor's interchange.log and every block-N/<manager>/manager.log and worker_N.log,
    Parsl's JSON logs (*.jsonlog) and submit_scripts/*.sh.ec, whatever the release.

    Example:
        ev-import parsl-logs runinfo/
        ev-import parsl-logs runinfo/000/htex_local/interchange.log --tz Europe/Berlin
    """
    paths = [str(p) for p in args.paths]
    return run_units(
        args,
        SOURCE_NAME,
        units_of(paths),
        fill_of=lambda unit: lambda writer, report: write_to(
            writer, unit.inputs, tz=args.tz, report=report, jobs=args.jobs),
    )


def units_of(paths: list[str]) -> list[Unit]:
    """One pool file per run dir the paths cover whole, one per other log file; a path
    that cannot be imported (missing, a FIFO, not a Parsl log) is a unit of its own, whose
    import fails alone: the several-inputs rule (named, the others imported, exit 1)."""
    alone: list[Unit] = []
    present: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            present.append(p)
            continue
        try:
            log_files([p])
        except UnusableInput:
            alone.append(Unit(p, [p]))
            continue
        present.append(p)
    files = log_files(present)[0] if present else []
    roots = [p for p in present if os.path.isdir(p)]
    return alone + container_units(files, roots, run_dir_of)


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="runinfo/, a run dir, or log files")
    add_jobs_argument(p, "processes for big text logs (>= 32 MiB, cut at record boundaries; "
                      "default: all cores)")


SOURCE = Source(
    name=SOURCE_NAME,
    help="Parsl's text and JSON logs (a runinfo/ tree, a run dir, or files)",
    arguments=arguments,
    run=cli,
    read=read,
    write_to=write_to,
    sniff=sniff_file,
    import_files=import_files,
    sniff_rank=20,
    unit="run",
    container_of=run_dir_of,
)
