"""``ev-import redis-log FILE...``."""

from __future__ import annotations

import argparse
import inspect
import os

from ..cli import run_units
from ..core.identity import file_units
from ..sources import redis_log


def cmd_redis_log(args: argparse.Namespace) -> int:
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
        redis_log.check_inputs(paths)  # one unusable file: one error line, exit 2
    return run_units(
        args,
        redis_log.SOURCE_NAME,
        file_units(paths),
        fill_of=lambda unit: lambda writer, report: redis_log.write_to(
            writer, unit.inputs, tz=args.tz, report=report, year=args.year, jobs=args.jobs),
    )


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "redis-log",
        parents=[common],
        help="redis-server / redis-sentinel console output or --logfile",
        description=inspect.cleandoc(cmd_redis_log.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", metavar="FILE", nargs="+", help="redis log file(s)")
    p.add_argument(
        "--year",
        type=int,
        metavar="YYYY",
        help="year of Redis 2.x/3.x lines, which print none (default: inferred per file)",
    )
    p.add_argument(
        "-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
        help="processes for big logs (>= 32 MiB, cut at prefixed notice/verbose/debug lines; "
        "default: all cores)",
    )
    p.set_defaults(run=cmd_redis_log)
