"""Running one import: a source's records into one pool file, and what to tell the user.

The CLI and ``auto`` (and a notebook) share this: the pool file is named by its input
(:mod:`importers.core.identity`: host + real path of one file or run dir, so any command
importing the same input replaces it), written atomically, never replaced by a worse one,
and the :class:`ImportReport` collects what the importer assumed and met.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import EXIT_OK, EXIT_PARTIAL, EvImportError
from .identity import COMMAND_PREFIX, Unit, input_id
from .inputs import check_path
from .pool import PoolWriter, pool_dir
from .progress import Progress, rate_text
from .report import TRUNCATED_INPUT, UNREADABLE_FILE, ImportReport
from .terminal import printable

Reader = Callable[[ImportReport], Iterator[dict[str, Any]]]
Filler = Callable[[PoolWriter, ImportReport], None]


def _watched(records: Iterable[dict[str, Any]], progress: Progress) -> Iterator[dict[str, Any]]:
    """Refresh the display now and then for sources that read without ``advance`` calls
    (a live command, a small JSON file): one clock read per 1024 records."""
    done = 0
    for rec in records:
        yield rec
        done += 1
        if not done & 0x3FF and time.monotonic() >= progress._next:
            progress.refresh()


def shorten(inputs: list[str], show: int = 3) -> str:
    """``a, b, c (+97 more)``: a summary names a few inputs, not a thousand."""
    return ", ".join(inputs[:show]) + (f" (+{len(inputs) - show} more)"
                                       if len(inputs) > show else "")


def check_inputs(inputs: Iterable[str]) -> None:
    """Refuse, before anything is read or written, an input path that is a dangling link, a
    symlink loop or a special file (a FIFO would hang the reader). A path that does not
    exist at all is left to the importer, whose error line says what it expected there."""
    for name in inputs:
        if not str(name).startswith(COMMAND_PREFIX) and os.path.lexists(name):
            check_path(name)


def keep_better_previous(writer: PoolWriter, report: ImportReport) -> bool:
    """Never replace a pool file by a worse one: when this run wrote nothing, or its input
    could not be fully read (``UnreadableFile``, ``TruncatedInput``) and it wrote less than
    the file it would replace, the previous file stays and this run's is dropped."""
    previous = writer.previous_size()
    if not previous:
        return False
    worse_input = report.problems[UNREADABLE_FILE] or report.problems[TRUNCATED_INPUT]
    if writer.count and not (worse_input and writer.written_size() < previous):
        return False
    writer.keep_previous()
    report.assume("kept", f"the previous {writer.final.name} ({previous:,} bytes), since "
                  f"this run read {'nothing' if not writer.count else 'less'} of its input")
    return True


def write_import(
    pool: Path,
    source: str,
    inputs: list[str],
    options: dict[str, Any] | None = None,
    reader: Reader | None = None,
    *,
    fill: Filler | None = None,
    progress: bool | str = False,
    unit: str | None = None,
) -> tuple[PoolWriter, ImportReport]:
    """Import one input unit into its pool file (atomically); return the writer and report.

    The pool file is the unit's (:mod:`importers.core.identity`): ``unit`` (default: the
    ``inputs`` together) and this host name it; ``options`` do not, so a re-import with a
    corrected ``--tz`` replaces the file. ``reader`` gets the report and returns the record
    iterator; a source that writes in parallel passes ``fill(writer, report)`` instead.
    """
    check_inputs(inputs)
    report = ImportReport()
    started = time.monotonic()
    with PoolWriter(pool, source, input_id([unit] if unit else inputs)) as writer:
        display = None
        if progress:
            display = report.progress = Progress(f"{source} {shorten(inputs, 1)}", writer,
                                                 force=progress == "force")
        try:
            if fill is not None:
                fill(writer, report)
            else:
                records = reader(report)
                writer.write_all(records if display is None else _watched(records, display))
        finally:
            if display is not None:
                display.close()
                report.progress = None
        keep_better_previous(writer, report)
    report.elapsed = time.monotonic() - started
    return writer, report


def summary_line(source: str, inputs: list[str], writer: PoolWriter,
                 report: ImportReport) -> str:
    target = (f"{writer.final} kept" if writer.kept_previous else str(writer.final))
    parts = [
        f"{source}: {writer.count} events ({writer.unparsed} unparsed) from "
        f"{shorten(inputs)} -> {target}",
        rate_text(writer.count, report.elapsed, report.read, report.unit),
        *report.summary_parts(),
    ]
    return "; ".join(parts)


def run_import(
    args: argparse.Namespace,
    source: str,
    inputs: list[str],
    options: dict[str, Any] | None = None,
    reader: Reader | None = None,
    *,
    fill: Filler | None = None,
) -> int:
    """Import one source, print the one-line summary, return the exit code (0 or 1)."""
    writer, report = write_import(
        pool_dir(args.pool), source, inputs, options, reader, fill=fill,
        progress=sys.stderr.isatty() and not args.quiet,
    )
    partial = bool(writer.unparsed) or report.partial
    if not args.quiet or partial:
        print(printable(summary_line(source, inputs, writer, report)), file=sys.stderr)
    return EXIT_PARTIAL if partial else EXIT_OK


def merge_report(into: ImportReport, other: ImportReport) -> None:
    """Fold one unit's report into a run's: problems add up, differing assumptions are
    all kept (``zone UTC; UTC+1h``)."""
    into.elapsed += other.elapsed
    into.read += other.read
    into.unit = other.unit
    for what, value in other.assumptions.items():
        if what in other.tallies:
            continue          # counted: added up below
        for one in other.values.get(what, [value]):
            into.assume_also(what, one)
    into.add_tallies(other.tallies)
    for name, count in other.problems.items():
        for detail in other.details.get(name, [None]):
            into.problem(name, detail, count=0)
        into.problems[name] += count


def run_units(
    args: argparse.Namespace,
    source: str,
    units: list[Unit],
    reader_of: Callable[[Unit], Reader] | None = None,
    *,
    fill_of: Callable[[Unit], Filler] | None = None,
) -> int:
    """Import each unit into its own pool file; print one summary; return the exit code.

    The several-inputs rule (:mod:`importers.core.inputs`): a unit that cannot be imported
    is named (``UnreadableFile``) and the others are imported, exit 1; if none can be, its
    error is the one ``error:`` line, exit 2.
    """
    pool = pool_dir(args.pool)
    total = ImportReport()
    first_error: EvImportError | None = None
    writers: list[PoolWriter] = []
    inputs = [name for unit in units for name in unit.inputs]
    empty: list[str] = []
    for unit in units:
        try:
            writer, report = write_import(
                pool, source, unit.inputs, None, reader_of(unit) if reader_of else None,
                fill=fill_of(unit) if fill_of else None, unit=unit.key,
                progress=sys.stderr.isatty() and not args.quiet)
        except EvImportError as exc:
            first_error = first_error or exc
            if exc.what.startswith("empty"):   # no evidence in it, none lost: said, exit 0
                empty.append(exc.where)
            else:
                total.problem(UNREADABLE_FILE, f"{exc.where}: {exc.what}" if exc.where
                              else exc.what)
            continue
        writers.append(writer)
        merge_report(total, report)
    if empty and writers:
        total.assume("empty files, skipped", ", ".join(empty))
    if not writers and first_error is not None:
        raise first_error
    count = sum(w.count for w in writers)
    unparsed = sum(w.unparsed for w in writers)
    partial = bool(unparsed) or total.partial
    if not args.quiet or partial:
        if len(writers) == 1:
            target = f"{writers[0].final}" + (" kept" if writers[0].kept_previous else "")
        else:
            target = f"{len(writers)} pool files in {pool}"
        print(printable("; ".join([f"{source}: {count} events ({unparsed} unparsed) from "
                                   f"{shorten(inputs)} -> {target}",
                                   rate_text(count, total.elapsed, total.read, total.unit),
                                   *total.summary_parts()])),
              file=sys.stderr)
    return EXIT_PARTIAL if partial else EXIT_OK
