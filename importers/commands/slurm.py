"""``ev-import sacct`` and ``ev-import squeue``."""

from __future__ import annotations

import argparse
import inspect

from ..cli import run_import, run_units
from ..core.identity import file_units
from ..sources import sacct, squeue


def cmd_sacct(args: argparse.Namespace) -> int:
    """Import Slurm accounting: run sacct itself, or read saved -P / --json output.

    Run live, sacct is asked for a wide field list in --parsable2 text form with
    SLURM_TIME_FORMAT=%s (epoch times, no zone guess). Saved -P text is in local time: --tz.

    Example:
        ev-import sacct --job 1234 --job 1240_3
        ev-import sacct -S 2026-11-25T08:00 -E 2026-11-25T20:00 --allusers
        ev-import sacct --file saved_sacct_P.txt --tz America/Chicago
        ev-import sacct --file sacct.json
    """
    if args.file:
        if args.job or args.starttime or args.endtime or args.user or args.allusers:
            parser_error(args, "--file reads saved output; --job/-S/-E/--user/--allusers "
                         "only apply when ev-import runs sacct itself")
        files = list(args.file)

        def reader_of(unit):
            def reader(report):
                for path in unit.inputs:
                    yield from sacct.read_file(path, tz=args.tz, report=report)
            return reader

        return run_units(args, sacct.SOURCE_NAME, file_units(files), reader_of)
    jobs = [j for spec in args.job or () for j in spec.split(",") if j.strip()]
    argv = sacct.command(jobs=jobs, starttime=args.starttime, endtime=args.endtime,
                         user=args.user, allusers=args.allusers)
    return run_import(
        args, sacct.SOURCE_NAME, [sacct.shown(argv)], {},
        lambda report: sacct.run(jobs=jobs, starttime=args.starttime, endtime=args.endtime,
                                 user=args.user, allusers=args.allusers, report=report),
    )


def cmd_squeue(args: argparse.Namespace) -> int:
    """Import squeue snapshots: run squeue --json itself, or read saved snapshots.

    Each snapshot gives one job_snapshot event per job; across several snapshots, a job
    whose state or pending reason changed gets a job_state_change event with both times.

    Example:
        ev-import squeue                              # one live snapshot
        ev-import squeue --count 10 --interval 30     # ten, 30 s apart
        ev-import squeue --file q1.json --file q2.json
        ev-import squeue --file q.txt --at 2026-11-25T08:54:37 --tz UTC
    """
    if args.file:
        files = list(args.file)
        return run_import(
            args, squeue.SOURCE_NAME, files, {"tz": args.tz, "at": args.at},
            lambda report: squeue.read_files(files, at=args.at, tz=args.tz, report=report),
        )
    if args.at:
        parser_error(args, "--at gives the time of saved snapshots (--file)")
    return run_import(
        args, squeue.SOURCE_NAME, ["cmd:" + " ".join(squeue.command_json())],
        {"count": args.count, "interval": args.interval},
        lambda report: squeue.run(count=args.count, interval=args.interval, report=report),
    )


def parser_error(args: argparse.Namespace, message: str) -> None:
    args.parser.error(message)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "sacct",
        parents=[common],
        help="Slurm accounting: runs sacct itself, or reads saved -P / --json output",
        description=inspect.cleandoc(cmd_sacct.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--job", "-j", action="append", metavar="ID",
                   help="job id as Slurm prints it (123, 123_4, 7+0); repeatable or comma-"
                   "separated (the only way to find a job that never became eligible)")
    p.add_argument("-S", "--starttime", metavar="T",
                   help="sacct --starttime (e.g. 2026-11-25T08:00)")
    p.add_argument("-E", "--endtime", metavar="T", help="sacct --endtime")
    p.add_argument("--user", "-u", metavar="USER", help="sacct --user")
    p.add_argument("--allusers", "-a", action="store_true", help="sacct --allusers")
    p.add_argument("--file", "-f", action="append", metavar="FILE",
                   help="saved sacct -P (with header) or sacct --json output; repeatable")
    p.set_defaults(run=cmd_sacct, parser=p)

    q = sub.add_parser(
        "squeue",
        parents=[common],
        help="Slurm queue snapshots: runs squeue --json itself, or reads saved snapshots",
        description=inspect.cleandoc(cmd_squeue.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    q.add_argument("--file", "-f", action="append", metavar="FILE",
                   help="saved squeue --json or squeue -o/default text with header; "
                   "repeatable (snapshots are ordered by their time)")
    q.add_argument("--at", action="append", metavar="TIME",
                   help="time of a saved snapshot that has none of its own (epoch or ISO); "
                   "once for all files or once per file")
    q.add_argument("--count", type=int, default=1, metavar="N",
                   help="live: take N snapshots (default 1)")
    q.add_argument("--interval", type=float, default=5.0, metavar="S",
                   help="live: seconds between snapshots (default 5)")
    q.set_defaults(run=cmd_squeue, parser=q)
