"""``ev-import plot [POOL] --thing K[,K...]``: timelines, concurrency and durations."""

from __future__ import annotations

import argparse
import inspect
import sys


def _keys(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


def _where(items: list[str] | None) -> list[tuple[str, str]]:
    out = []
    for item in items or []:
        if "=" not in item:
            raise argparse.ArgumentTypeError(f"--where wants KEY=VALUE, not {item!r}")
        k, v = item.split("=", 1)
        out.append((k, v))
    return out


def cmd_plot(args: argparse.Namespace) -> int:
    """Draw things from a pool (--preset parsl-tasks and --preset academy-messages are the
    talk's two plots): one bar per thing (first to last event), coloured by a key's
    value over time (--color-by); --against draws another family of things above on the same
    time axis, --breakdown the run's phases on top. --concurrency draws how many things were
    alive at once, --hist their durations. PNG/SVG via matplotlib; .html is an interactive
    Plotly page with its JavaScript inside (it opens with no network).

    Example:
        ev-import plot evpool --preset parsl-tasks --out tasks.png
        ev-import plot demo-out/pool --preset academy-messages --out messages.html
        ev-import plot evpool --thing parsl.task_id --color-by parsl.task_status_name --out t.svg
        ev-import plot evpool --thing parsl.task_id --concurrency --out alive.png
    """
    from ..analysis import open_pool
    from ..analysis import plot as plotting
    from ..core.errors import UnusableInput

    pool = open_pool(args.pool_dir or args.pool)
    if args.preset:
        preset = plotting.PRESETS[args.preset]
        args.thing = args.thing or ",".join(preset["thing"])
        args.color_by = args.color_by or preset.get("color_by")
        args.against = args.against or ",".join(preset.get("against", [])) or None
        args.against_color_by = args.against_color_by or preset.get("against_color_by")
        args.breakdown = args.breakdown or preset.get("breakdown", False)
        args.title = args.title or preset.get("title")
    if not args.thing:
        raise UnusableInput("nothing to plot", "", "give --thing K[,K...] or --preset NAME")
    thing = _keys(args.thing)
    where = _where(args.where)
    if args.concurrency:
        res = plotting.concurrency(pool, thing, where=where, out=args.out)
        print(f"plot: {res['points']} points, max {res['max']} at once -> {res['out']}",
              file=sys.stderr)
    elif args.hist:
        res = plotting.histogram(pool, thing, where=where, out=args.out)
        print(f"plot: {res['count']} durations, median {res['median']:.3f} s -> {res['out']}",
              file=sys.stderr)
    else:
        res = plotting.timeline(
            pool, thing, color_by=args.color_by,
            against=_keys(args.against) if args.against else None,
            against_color_by=args.against_color_by, breakdown=args.breakdown,
            run=args.run_id, where=where, out=args.out, limit=args.limit, title=args.title)
        more = f" (first {res['things']} of {res['total']})" if res["total"] > res["things"] \
            else ""
        print(f"plot: {res['things']} bars{more} -> {res['out']}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "plot",
        parents=[common],
        help="timeline of things coloured by a key; --concurrency; --hist (extra [plot])",
        description=inspect.cleandoc(cmd_plot.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("pool_dir", metavar="POOL", nargs="?",
                   help="pool directory (default: --pool, $EV_POOL, else ./evpool)")
    p.add_argument("--thing", metavar="K[,K...]",
                   help="the keys that identify a thing, e.g. parsl.run_id,parsl.task_id")
    p.add_argument("--preset", choices=("parsl-tasks", "academy-messages"),
                   help="the talk's plots: Parsl task lifetimes by state; Academy message "
                   "lifetimes against the agents' timeline and the run's breakdown")
    p.add_argument("--color-by", metavar="K", help="colour each bar by this key over time")
    p.add_argument("--against", metavar="K[,K...]",
                   help="another family of things drawn above, e.g. academy.agent_id")
    p.add_argument("--against-color-by", metavar="K", help="colour key of the --against bars")
    p.add_argument("--breakdown", action="store_true",
                   help="add the run's breakdown phases as a band on top")
    p.add_argument("--run", dest="run_id", metavar="ID", help="the run for --breakdown")
    p.add_argument("--where", action="append", metavar="K=V",
                   help="only events where key K has value V (repeatable)")
    p.add_argument("--concurrency", action="store_true", help="how many things at once")
    p.add_argument("--hist", action="store_true", help="histogram of the things' durations")
    p.add_argument("--limit", type=int, default=2000, metavar="N",
                   help="draw at most N things, the first by start (default 2000)")
    p.add_argument("--title", help="the figure's title")
    p.add_argument("--out", default="timeline.png", metavar="FILE",
                   help="FILE.png, FILE.svg or FILE.html (default timeline.png)")
    p.set_defaults(run=cmd_plot)
