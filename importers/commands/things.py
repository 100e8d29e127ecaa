"""``ev-import lifetimes`` and ``ev-import concurrency``: things, how long, how many at once."""

from __future__ import annotations

import argparse
import sys

from ..core.errors import EXIT_OK, UnusableInput
from ._analysis import (
    add_command,
    add_filters,
    add_pool_argument,
    nothing_matches,
    open_from_args,
    query_from_args,
)


def _thing(args: argparse.Namespace) -> list[str]:
    keys = [k.strip() for k in args.thing.split(",") if k.strip()]
    if not keys:
        raise UnusableInput("--thing needs at least one key", args.thing,
                            "e.g. --thing parsl.run_id,parsl.task_id")
    return keys


def _lifetimes(args: argparse.Namespace):
    from .. import analysis as ev

    pool = open_from_args(args)
    keys = _thing(args)
    frame = ev.lifetimes(query_from_args(pool, args), thing=keys, start=args.start,
                         end=args.end)
    return pool, keys, frame


def cmd_lifetimes(args: argparse.Namespace) -> int:
    """One row per thing (a distinct value tuple of the --thing keys): start, end, duration
    in seconds and how many events it has. Without --start/--end a thing lives from its first
    event to its last; --start EV / --end EV name events (an ev.event value, or the start of
    the message, e.g. "Running agent"). Filters as for show. --json prints one object per
    line: {"thing": {"K": value, ...}, "start": <epoch s>, "end": <epoch s>, "duration": <s>,
    "events": <n>}; --csv a header and one row per thing.

    Example:
        ev-import lifetimes evpool --thing parsl.run_id,parsl.task_id --json
        ev-import lifetimes evpool --thing parsl.block_id --where ev.source=parsl-db --csv
    """
    from ..analysis import lifetime_records
    from ..analysis.tables import format_time, json_line, print_table, write_csv_rows, zone

    pool, keys, frame = _lifetimes(args)
    if not len(frame):
        print(nothing_matches(pool, args) + f"; or none carries {', '.join(keys)}",
              file=sys.stderr)
        return EXIT_OK
    if args.json:
        out = sys.stdout.buffer
        for obj in lifetime_records(frame, keys):
            out.write(json_line(obj))
    elif args.csv:
        write_csv_rows(list(frame.columns), frame.itertuples(index=False))
    else:
        tz = zone(args.tz)
        rows = ([*r[:len(keys)], format_time(r[len(keys)], tz), format_time(r[len(keys) + 1], tz),
                 "" if r[len(keys) + 2] != r[len(keys) + 2] else f"{r[len(keys) + 2]:.3f}",
                 r[len(keys) + 3]] for r in frame.itertuples(index=False))
        print_table([*keys, "start", "end", "duration_s", "events"], rows)
    sys.stdout.flush()
    return EXIT_OK


def cmd_concurrency(args: argparse.Namespace) -> int:
    """How many things (distinct value tuples of the --thing keys) were alive at once, over
    time: the maximum, when it was first reached, and the step series (n holds from each time
    to the next). --json prints one object: {"max": <n>, "at": <epoch s>, "series":
    [[<epoch s>, <n>], ...], "durations": {...percentiles and histogram...}}.

    Example:
        ev-import concurrency evpool --thing parsl.run_id,parsl.task_id --json
        ev-import concurrency evpool --thing parsl.manager_id,parsl.worker_id
    """
    from .. import analysis as ev
    from ..analysis.tables import format_time, json_line, zone

    pool, keys, frame = _lifetimes(args)
    if not len(frame):
        print(nothing_matches(pool, args) + f"; or none carries {', '.join(keys)}",
              file=sys.stderr)
        if args.json:
            sys.stdout.buffer.write(json_line({"max": 0, "at": None, "series": []}))
        return EXIT_OK
    conc = ev.concurrency(frame)
    if args.json:
        obj = conc.to_dict()
        obj["thing"] = keys
        obj["things"] = len(frame)
        obj["durations"] = ev.durations(frame).to_dict()
        sys.stdout.buffer.write(json_line(obj))
    else:
        tz = zone(args.tz)
        d = ev.durations(frame)
        print(f"{len(frame)} things ({', '.join(keys)}); at most {conc.max} at once, first at "
              f"{format_time(conc.at, tz)}")
        if d.count:
            print("durations (s): " + ", ".join(
                [f"min {d.min:.3f}"] + [f"{k} {v:.3f}" for k, v in d.percentiles.items()]
                + [f"max {d.max:.3f}"]))
        for t, n in conc.series:
            print(f"{format_time(t, tz)}  {n:>5}  {'#' * min(n, 60)}")
    sys.stdout.flush()
    return EXIT_OK


def _common(p: argparse.ArgumentParser) -> None:
    add_pool_argument(p)
    p.add_argument("--thing", required=True, metavar="K[,K...]",
                   help="the keys that identify a thing, e.g. parsl.run_id,parsl.task_id")
    p.add_argument("--start", metavar="EV", help="a thing starts at its first such event "
                   "(ev.event value or message prefix); default its first event")
    p.add_argument("--end", metavar="EV", help="a thing ends at its last such event; "
                   "default its last event")
    add_filters(p)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = add_command(sub, common, "lifetimes", cmd_lifetimes,
                    "start, end and duration of each thing (distinct values of some keys)")
    _common(p)
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per thing")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    p = add_command(sub, common, "concurrency", cmd_concurrency,
                    "how many things were alive at once over time, and its maximum")
    _common(p)
    p.add_argument("--json", action="store_true", help="one JSON object")
