"""``ev-import procs FILE...`` and ``ev-import watch-procs [-- CMD ARGS...]``."""

from __future__ import annotations

import argparse
import inspect

from ..cli import run_units
from ..core.identity import file_units
from ..sources import procs, procs_watch


def cmd_procs(args: argparse.Namespace) -> int:
    """Import saved output of process tracers: bpftrace execsnoop.bt, bcc execsnoop and
    exitsnoop (-t, -T, -x, -U, --utc, --label), and `bpftrace -f json` printf records.

    Their times are relative (to the tool's start, or to the boot) or a wall clock without
    a date: --start says when the tool started (epoch seconds or ISO time, naive = --tz),
    --boot-time when the node booted (bpftrace nsecs); without them the file's mtime is
    taken as the time of its last event. The summary says which base was assumed.

    Example:
        ev-import procs execsnoop.txt --start 2026-11-25T08:50:00 --tz UTC --host node17
        ev-import procs sched.json --boot-time "$(uptime -s)" --host node17
    """
    files = [str(f) for f in args.files]
    return run_units(
        args,
        procs.SOURCE_NAME,
        file_units(files),
        lambda unit: lambda report: procs.read(unit.inputs, start=args.start,
                                               boot_time=args.boot_time, tz=args.tz,
                                               host=args.host, report=report),
    )


def cmd_watch_procs(args: argparse.Namespace) -> int:
    """Watch process fork/exec/exit events live, as root, appending them to the pool.

    Backends: bcc (Debian's python3-bpfcc, sched tracepoints only) and the netlink proc
    connector; auto tries bcc and falls back with one line saying why. Stops at the end of
    the command after --, after --duration, or on SIGINT/SIGTERM, with a final flush.

    Example:
        sudo ev-import watch-procs -- bash workload.sh
        sudo ev-import watch-procs --pid-tree 4242 --duration 3600 --pool /scratch/evpool
    """
    return procs_watch.watch(procs_watch.options_from_args(args), args.pool, quiet=args.quiet)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "procs",
        parents=[common],
        help="saved execsnoop/exitsnoop (bcc, bpftrace) and bpftrace -f json output",
        description=inspect.cleandoc(cmd_procs.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="saved tool output")
    p.add_argument("--start", metavar="TIME",
                   help="when the tool started: epoch seconds or ISO time (naive = --tz)")
    p.add_argument("--boot-time", metavar="TIME",
                   help="when the traced node booted, for bpftrace nsecs (e.g. `uptime -s`)")
    p.add_argument("--host", metavar="NAME",
                   help="the node the output came from, written as linux.hostname")
    p.set_defaults(run=cmd_procs)

    w = sub.add_parser(
        "watch-procs",
        parents=[common],
        help="live process fork/exec/exit events (root): bcc or the netlink proc connector",
        description=inspect.cleandoc(cmd_watch_procs.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    w.add_argument("--backend", choices=("auto", "bcc", "netlink"), default="auto",
                   help="auto (default) tries bcc, then the netlink proc connector")
    w.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    w.add_argument("--pid-tree", type=int, metavar="PID",
                   help="only PID and its descendants (present and future)")
    w.add_argument("--uid", type=int, metavar="UID", help="only processes of this real uid")
    w.add_argument("--threads", action="store_true",
                   help="also write thread starts/exits (thread_start, thread_exit)")
    w.add_argument("--linger", type=float, default=1.0, metavar="S",
                   help="after the command exits, wait up to S s for its tree (default 1)")
    w.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ARGS",
                   help="run CMD once subscribed, follow its process tree, stop after it")
    w.set_defaults(run=cmd_watch_procs)
