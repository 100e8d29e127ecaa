"""Running one import: a source's records into one pool file, and what to tell the user.

The CLI and ``auto`` (and a notebook) share this: the pool file is named by the source and
its inputs and options (same inputs -> same file, so a re-import replaces it), written
atomically, and the :class:`ImportReport` collects what the importer assumed and met.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import EXIT_OK, EXIT_PARTIAL
from .pool import PoolWriter, pool_dir, source_id
from .report import ImportReport

Reader = Callable[[ImportReport], Iterator[dict[str, Any]]]
Filler = Callable[[PoolWriter, ImportReport], None]


def _progress(records: Iterable[dict[str, Any]], label: str) -> Iterator[dict[str, Any]]:
    """A live count of events on a terminal (rich), refreshed a few times a second.

    Only used when stderr is a TTY, so pipes, CI logs and tests see none of it.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed:,} events"),
        TimeElapsedColumn(),
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=None)
        last = time.monotonic()
        done = 0
        for rec in records:
            yield rec
            done += 1
            if not done & 0x3FF:
                now = time.monotonic()
                if now - last > 0.2:
                    progress.update(task, completed=done)
                    last = now


def write_import(
    pool: Path,
    source: str,
    inputs: list[str],
    options: dict[str, Any],
    reader: Reader | None = None,
    *,
    fill: Filler | None = None,
    progress: bool = False,
) -> tuple[PoolWriter, ImportReport]:
    """Import one source into one pool file (atomically); return the writer and the report.

    ``inputs`` and ``options`` name the import (same inputs + options -> same pool file, so
    a re-import replaces it); ``reader`` gets the report and returns the record iterator.
    A source that writes in parallel passes ``fill(writer, report)`` instead.
    """
    report = ImportReport()
    with PoolWriter(pool, source, source_id(source, inputs, options)) as writer:
        if fill is not None:
            fill(writer, report)
        else:
            records = reader(report)
            if progress:
                records = _progress(records, f"{source} {' '.join(inputs)}")
            writer.write_all(records)
    return writer, report


def summary_line(source: str, inputs: list[str], writer: PoolWriter,
                 report: ImportReport) -> str:
    parts = [
        f"{source}: {writer.count} events ({writer.unparsed} unparsed) from "
        f"{', '.join(inputs)} -> {writer.final}",
        *report.summary_parts(),
    ]
    return "; ".join(parts)


def run_import(
    args: argparse.Namespace,
    source: str,
    inputs: list[str],
    options: dict[str, Any],
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
        print(summary_line(source, inputs, writer, report), file=sys.stderr)
    return EXIT_PARTIAL if partial else EXIT_OK
