"""``ev-import auto PATH...``."""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from ..cli import summary_line, write_import
from ..core.errors import EXIT_OK, EXIT_PARTIAL, EvImportError
from ..core.pool import pool_dir
from ..sources import auto

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
    for source in auto.SOURCES:
        files = plan.by_source.get(source.name, [])
        groups = [[f] for f in files] if source.per_file else ([files] if files else [])
        events = unparsed = 0
        outputs: list[str] = []
        for group in groups:
            inputs = [str(f) for f in group]
            try:
                writer, report = write_import(
                    pool, source.name, inputs, {"tz": args.tz},
                    lambda r, g=group, s=source: s.read(g, args.tz, r), progress=progress,
                )
            except EvImportError as exc:
                details.append(f"error: {exc.line()}")
                partial = True
                continue
            events += writer.count
            unparsed += writer.unparsed
            outputs.append(str(writer.final))
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
    roots = [Path(p) for p in args.paths if Path(p).is_dir()]
    if plan.pool_files and not args.no_copy:
        for path in plan.pool_files:
            root = next((r for r in roots if r in path.parents), None)
            auto.copy_pool_file(path, pool, root)
        lines.append(f"pool files (Academy or other pools): {len(plan.pool_files)} copied "
                     f"unchanged into {pool / 'copied'}")
    elif plan.pool_files:
        lines.append(f"pool files (Academy or other pools): {len(plan.pool_files)} left where "
                     "they are (--no-copy); read them with the pool reader directly")
    if plan.unknown:
        names = ", ".join(str(p) for p in plan.unknown[:SHOW_UNKNOWN])
        more = f" (+{len(plan.unknown) - SHOW_UNKNOWN} more)" if len(plan.unknown) > \
            SHOW_UNKNOWN else ""
        lines.append(f"not recognised, not imported: {len(plan.unknown)} files: {names}{more}")
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
