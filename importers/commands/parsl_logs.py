"""``ev-import parsl-logs PATH...``."""

from __future__ import annotations

import argparse
import inspect
import os

from ..cli import run_units
from ..core.identity import Unit, container_units
from ..sources import parsl_logs


def units_of(paths: list[str]) -> list[Unit]:
    """One unit per run dir the paths cover whole, one per other log file; a path that does
    not exist is a unit of its own, whose import fails alone (exit 1 if others worked)."""
    missing = [Unit(p, [p]) for p in paths if not os.path.lexists(p)]
    present = [p for p in paths if os.path.lexists(p)]
    files = parsl_logs.log_files(present)[0] if present else []
    roots = [p for p in present if os.path.isdir(p)]
    return missing + container_units(files, roots, parsl_logs.run_dir_of)


def cmd_parsl_logs(args: argparse.Namespace) -> int:
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
        parsl_logs.SOURCE_NAME,
        units_of(paths),
        fill_of=lambda unit: lambda writer, report: parsl_logs.write_to(
            writer, unit.inputs, tz=args.tz, report=report, jobs=args.jobs),
    )


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "parsl-logs",
        parents=[common],
        help="Parsl's text and JSON logs (a runinfo/ tree, a run dir, or files)",
        description=inspect.cleandoc(cmd_parsl_logs.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="runinfo/, a run dir, or log files")
    p.add_argument(
        "-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
        help="processes for big text logs (>= 32 MiB, cut at record boundaries; "
        "default: all cores)",
    )
    p.set_defaults(run=cmd_parsl_logs)
