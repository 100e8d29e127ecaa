"""``ev-import auto PATH...``."""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from ..cli import summary_line, write_import
from ..core.errors import EXIT_OK, EXIT_PARTIAL, EvImportError, UnusableInput
from ..core.identity import Unit, container_units, file_units
from ..core.pool import FULL_ERRNOS, full_error, pool_dir
from ..sources import auto, parsl_logs


def units_of(source: auto.AutoSource, files: list[Path], roots: list[str]) -> list[Unit]:
    """The pool files of one source's files (:mod:`importers.core.identity`)."""
    if source.unit == "run":
        return container_units(files, roots, parsl_logs.run_dir_of)
    if source.unit == "all":
        return [Unit("", [str(f) for f in files])] if files else []
    return file_units(files)

SHOW_UNKNOWN = 5


def cmd_auto(args: argparse.Namespace) -> int:
    """Walk PATHs, recognise every file by its content, and import each with its importer.

    Parsl monitoring DBs and logs (any release, text or JSON), and the sources of later
    importers as they are added. Files already in pool format (Academy's JSONPoolLogging
    output) are copied into the pool unchanged, under <pool>/copied/. Files no importer
    recognises are listed and left alone.

    Example:
        ev-import auto runinfo/
        ev-import auto ~/runs/2026-11-25/ --pool /scratch/me/evpool --tz America/Chicago
    """
    pool = pool_dir(args.pool)
    plan = auto.classify(args.paths, pool=pool)
    progress = sys.stderr.isatty() and not args.quiet
    lines: list[str] = []
    details: list[str] = []
    partial = False
    roots = [p for p in args.paths if Path(p).is_dir()]
    for source in auto.SOURCES:
        files = plan.by_source.get(source.name, [])
        events = unparsed = 0
        outputs: list[str] = []
        for unit in units_of(source, files, roots):
            inputs = unit.inputs
            group = [Path(i) for i in inputs]
            try:
                writer, report = write_import(
                    pool, source.name, inputs, None,
                    lambda r, g=group, s=source: s.read(g, args.tz, r), progress=progress,
                    unit=unit.key or None,
                )
            except EvImportError as exc:
                details.append(f"error: {exc.line()}")
                partial = True
                continue
            events += writer.count
            unparsed += writer.unparsed
            outputs.append(str(writer.final) + (" (kept)" if writer.kept_previous else ""))
            if writer.unparsed or report.partial or report.problems:
                details.append("  " + summary_line(source.name, inputs, writer, report))
            partial = partial or bool(writer.unparsed) or report.partial
        if files:
            shown = ", ".join(outputs[:2]) + (f" (+{len(outputs) - 2} more)"
                                              if len(outputs) > 2 else "")
            lines.append(f"{source.name}: {len(files)} files, {events} events "
                         f"({unparsed} unparsed) -> {shown}")
            lines.extend(details)
        details = []
    if plan.pool_files and not args.no_copy:
        for path in plan.pool_files:
            try:
                auto.copy_pool_file(path, pool)
            except OSError as exc:
                if exc.errno in FULL_ERRNOS:
                    raise full_error(exc, pool) from None
                details.append(f"error: cannot copy {path}: {exc.strerror}")
                partial = True
        lines.append(f"pool files (Academy or other pools): {len(plan.pool_files)} copied "
                     f"unchanged into {pool / 'copied'}")
        lines.extend(details)
        details = []
    elif plan.pool_files:
        lines.append(f"pool files (Academy or other pools): {len(plan.pool_files)} left where "
                     "they are (--no-copy); read them with the pool reader directly")
    if plan.unknown:
        names = ", ".join(str(p) for p in plan.unknown[:SHOW_UNKNOWN])
        more = f" (+{len(plan.unknown) - SHOW_UNKNOWN} more)" if len(plan.unknown) > \
            SHOW_UNKNOWN else ""
        lines.append(f"not recognised, not imported: {len(plan.unknown)} files: {names}{more}")
    if plan.skipped:
        partial = True
        names = "; ".join(f"{path}: {why}" for path, why in plan.skipped[:SHOW_UNKNOWN])
        more = f" (+{len(plan.skipped) - SHOW_UNKNOWN} more)" if len(plan.skipped) > \
            SHOW_UNKNOWN else ""
        lines.append(f"skipped, cannot be read: {len(plan.skipped)}: {names}{more}")
    if plan.skipped and not plan.by_source and not plan.pool_files and not plan.unknown:
        path, why = plan.skipped[0]
        raise UnusableInput(why, path, "give directories or files to import")
    if not plan.by_source and not plan.pool_files:
        lines.append("nothing recognised to import")
    if not args.quiet or partial:
        for line in lines:
            print(f"auto: {line}" if not line.startswith(("error:", "  ")) else line,
                  file=sys.stderr)
    return EXIT_PARTIAL if partial else EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "auto",
        parents=[common],
        help="walk paths, recognise each file by content, import them all",
        description=inspect.cleandoc(cmd_auto.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="directories or files")
    p.add_argument("--no-copy", action="store_true",
                   help="leave Academy/pool *.jsonlog files where they are instead of copying")
    p.set_defaults(run=cmd_auto)
