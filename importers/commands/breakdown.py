"""``ev-import breakdown [POOL]``: where did one run's time go, per layer."""

from __future__ import annotations

import argparse
import inspect
import sys

import orjson


def cmd_breakdown(args: argparse.Namespace) -> int:
    """Split one run's wall time into phases that add up: startup (by layer), action
    execution, messaging, client time and shutdown for an Academy run; waiting for
    dependencies, waiting for a worker, running and returning results for a Parsl-only run.

    The wall time runs from the client process's first event to its last (its exec and exit
    when the run was watched with watch-procs). Every instant goes to exactly one phase, by
    priority; --expect gives the naive expectation, and the table explains the extra time.
    With --json, one object: {"wall_s", "naive_s", "phases": [{"phase", "seconds",
    "detail"}...], ...}. docs/breakdown.md describes the model.

    Example:
        ev-import breakdown demo-out/pool --expect 16
        ev-import breakdown evpool --run 5ff6bd73 --json
    """
    from ..analysis.breakdown import breakdown, runs

    pool = _pool(args)
    if args.list:
        for r in runs(pool):
            print(orjson.dumps(r).decode())
        return 0
    b = breakdown(pool, run=args.run_id, expect=args.expect, kind=args.kind)
    if args.json:
        sys.stdout.write(orjson.dumps(b.to_dict()).decode() + "\n")
    else:
        tz = None
        if args.tz:
            from zoneinfo import ZoneInfo

            tz = ZoneInfo(args.tz)
        sys.stdout.write(b.table(tz))
    return 0


def _pool(args: argparse.Namespace):
    from ..analysis import open_pool

    return open_pool(args.pool_dir or args.pool)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "breakdown",
        parents=[common],
        help="where did a run's time go: phases per layer that add up to the wall time",
        description=inspect.cleandoc(cmd_breakdown.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("pool_dir", metavar="POOL", nargs="?",
                   help="pool directory (default: --pool, $EV_POOL, else ./evpool)")
    p.add_argument("--run", dest="run_id", metavar="ID",
                   help="an Academy client id (UserId<...>), its pid, or a Parsl run id "
                   "(a unique prefix is enough); default: the latest run")
    p.add_argument("--expect", type=float, metavar="SECONDS",
                   help="the naive expectation (e.g. 16 for 16 x (0.5 s + 0.5 s))")
    p.add_argument("--kind", choices=("academy", "parsl"),
                   help="break an Academy run's agent launcher down as a Parsl run, or the "
                   "reverse (default: Academy when there are action records)")
    p.add_argument("--list", action="store_true", help="list the runs (JSON lines) and stop")
    p.add_argument("--json", action="store_true", help="one JSON object (the issue's shape)")
    p.set_defaults(run=cmd_breakdown)
