"""``ev-import``: one thin subcommand per source.

Each subcommand parses its options, calls the source's ``read()`` and hands the records to
the pool writer; parsing lives in the importer modules, never here. Library errors
(:class:`~importers.core.errors.EvImportError`) become one ``error: ...`` line on stderr and the
exit code of DESIGN §5: 0 ok, 1 partial (some input unparsed or unreadable), 2 unusable.

Example::

    ev-import parsl-db runinfo/monitoring.db --tz UTC
    ev-import parsl-db runinfo/ --pool /scratch/me/evpool
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from . import __version__
from .core.errors import EXIT_OK, EXIT_PARTIAL, EvImportError
from .core.pool import PoolWriter, pool_dir, source_id
from .core.report import ImportReport

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


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--pool",
        metavar="DIR",
        help=f"pool directory (default: $EV_POOL, else ./evpool; now {pool_dir()})",
    )
    common.add_argument(
        "--tz",
        metavar="ZONE",
        help="zone of times printed without one (IANA name; default: this machine's zone)",
    )
    common.add_argument(
        "-q", "--quiet", action="store_true", help="no summary unless something went wrong"
    )
    return common


def command_modules() -> list:
    """Every module under importers/commands/, each adding its subcommand(s) via register().

    Discovered rather than listed, so adding a source touches no shared file.
    """
    import importlib
    import pkgutil

    from . import commands

    return [
        importlib.import_module(f"{commands.__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name)
        if not info.name.startswith("_")
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ev-import",
        description="Import workflow evidence (Parsl, Academy, Redis, Slurm, Linux) into a "
        "pool of wide JSON events that can be sorted, filtered and joined across layers.",
    )
    parser.add_argument("--version", action="version", version=f"ev-import {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = _common_options()

    for module in command_modules():
        module.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except EvImportError as exc:
        print(f"error: {exc.line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted; the pool keeps its previous files", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout/stderr closed under us (e.g. piped into head): nothing left to tell.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
        return EXIT_PARTIAL

