"""``ev-import auto PATH...``: the CLI over :func:`importers.auto.import_paths`."""

from __future__ import annotations

import argparse
import inspect
import sys

from .. import auto
from ..core.errors import EXIT_OK, EXIT_PARTIAL
from ..core.pool import pool_dir
from ..core.source import add_jobs_argument
from ..core.terminal import printable


def cmd_auto(args: argparse.Namespace) -> int:
    """Walk PATHs, recognise every file by its content, and import each with its importer.

    Parsl monitoring DBs and logs (any release, text or JSON), Redis logs, Slurm sacct and
    squeue output, process tracer output: every registered source that can recognise its
    input. Files already in pool format (Academy's JSONPoolLogging output) are copied into
    the pool unchanged, under <pool>/copied/. Files no importer recognises are listed and
    left alone.

    With --follow, keep importing while the run writes: Parsl's and Redis's text logs are
    followed line by line (checkpointed under <pool>/.follow/, so running it again resumes
    without losing or doubling a line, through log rotation and truncation), Academy's and
    Parsl's JSON logs are copied line by line, new files are picked up, and other inputs
    (the monitoring DB) are imported again when they change. Stops on Ctrl-C or after
    --duration seconds. See docs/export.md.

    Example:
        ev-import auto runinfo/
        ev-import auto ~/runs/2026-11-25/ --pool /scratch/me/evpool --tz America/Chicago
        ev-import auto --follow runinfo/ ~/.local/share/academy/logs --duration 3600
    """
    if args.follow:
        return _follow(args)
    result = auto.import_paths(args.paths, pool_dir(args.pool), tz=args.tz,
                               copy=not args.no_copy, jobs=args.jobs,
                               progress=sys.stderr.isatty() and not args.quiet)
    if not args.quiet or result.partial:
        for line in result.summary_lines():
            print(printable(line), file=sys.stderr)
    return EXIT_PARTIAL if result.partial else EXIT_OK


def _follow(args: argparse.Namespace) -> int:
    import signal

    from ..follow_logs import follow_paths

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    def notice(text: str) -> None:
        if not args.quiet:
            print(f"auto --follow: {printable(text)}", file=sys.stderr, flush=True)

    try:
        result = follow_paths(args.paths, pool_dir(args.pool), tz=args.tz,
                              duration=args.duration, stop=lambda: bool(stopping),
                              notice=notice)
    except KeyboardInterrupt:       # the checkpoints are on disk: run again to resume
        print("auto --follow: interrupted; run the same command to resume", file=sys.stderr)
        return EXIT_OK
    if not args.quiet or result.partial:
        for line in result.summary_lines():
            print(printable(line), file=sys.stderr)
    return EXIT_PARTIAL if result.partial else EXIT_OK


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
    p.add_argument("--follow", action="store_true",
                   help="keep importing logs still being written (resumable; see docs)")
    p.add_argument("--duration", type=float, metavar="S",
                   help="with --follow: stop after S seconds (default: Ctrl-C)")
    add_jobs_argument(p, "processes for big text logs and DB tables (as each source's own "
                      "-j; default: all cores)")
    p.set_defaults(run=cmd_auto)
