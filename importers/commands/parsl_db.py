"""``ev-import parsl-db DB``."""

from __future__ import annotations

import argparse
import inspect
import os

from ..cli import run_import
from ..sources import parsl_db


def cmd_parsl_db(args: argparse.Namespace) -> int:
    """Import a Parsl monitoring DB (any release): every row of every table as events.

    Example:
        ev-import parsl-db runinfo/monitoring.db --tz America/Chicago
        ev-import parsl-db runinfo/
    """
    db = str(parsl_db.resolve_db_path(args.db))
    return run_import(
        args,
        parsl_db.SOURCE_NAME,
        [db],
        {"tz": args.tz},
        fill=lambda writer, report: parsl_db.write_to(
            writer, db, tz=args.tz, report=report, lock_timeout=args.lock_timeout,
            jobs=args.jobs),
    )


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "parsl-db",
        parents=[common],
        help="a Parsl monitoring.db (any release)",
        description=inspect.cleandoc(cmd_parsl_db.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("db", metavar="DB", help="monitoring.db, or the runinfo/ directory holding it")
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds to wait for a writer's lock before giving up (default 5)",
    )
    p.add_argument(
        "-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
        help=f"processes for tables of {parsl_db.PARALLEL_MIN_ROWS:,} rows or more "
        "(default: all cores)",
    )
    p.set_defaults(run=cmd_parsl_db)
