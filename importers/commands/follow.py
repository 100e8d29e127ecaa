"""``ev-import follow [POOL]``: ``tail -f`` over a live pool, in time order."""

from __future__ import annotations

import argparse
import inspect
import sys
from datetime import datetime
from typing import Any

import orjson

from ..core.errors import EXIT_OK, UnusableInput
from ..core.pool import pool_dir
from ..core.terminal import printable


def parse_where(items: list[str] | None) -> list[tuple[str, Any]]:
    pairs = []
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UnusableInput("--where wants KEY=VALUE", item,
                                "e.g. --where ev.source=procs")
        pairs.append((key, value))
    return pairs


def format_line(rec: dict[str, Any]) -> str:
    """One readable line: local time, source, host/process, first line of the message.
    Pool content is untrusted: control and bidi characters are shown escaped, never
    replayed on the terminal."""
    created = rec.get("created")
    when = (datetime.fromtimestamp(created).strftime("%H:%M:%S.%f")[:-3]
            if isinstance(created, (int, float)) else "--:--:--.---")
    source = rec.get("ev.source") or str(rec.get("name", "?")).split(".", 1)[0]
    host = rec.get("linux.hostname") or rec.get("hostname") or ""
    pid = rec.get("linux.pid", rec.get("process", ""))
    where = f"{host}/{pid}" if host else str(pid)
    message = str(rec.get("formatted", "")).splitlines()[0] if rec.get("formatted") else ""
    return printable(f"{when} {source:<10} {where:<12} {message}")


def cmd_follow(args: argparse.Namespace) -> int:
    """Print a live pool's new events as they are appended, from every file, in time order.

    Like `tail -f` over all of the pool's *.jsonlog files at once (a watcher's file, Academy's
    and Parsl's JSON logs being written): records are merged by `created` within a small
    window (--window, default 0.3 s), an unfinished last line is waited for, and new files
    are picked up. With --since, what the pool already holds from that time on comes first.
    Stops on Ctrl-C or after --duration seconds.

    Example:
        ev-import follow evpool --where ev.source=procs
        ev-import follow evpool --since 2026-11-25T08:50:00 --json --duration 60
    """
    from ..analysis.follow import follow

    pool = pool_dir(args.pool_dir or args.pool)
    if not pool.is_dir():
        raise UnusableInput("no such pool directory", str(pool),
                            "give the pool as POOL, --pool or $EV_POOL")
    quiet = args.quiet

    def notice(text: str) -> None:
        if not quiet:
            print(f"follow: {printable(text)}", file=sys.stderr, flush=True)

    out = sys.stdout
    records = follow(pool, where=parse_where(args.where), has=args.has or (), since=args.since,
                     grep=args.grep, window=args.window, duration=args.duration,
                     notice=notice)
    try:
        for rec in records:
            if args.json:
                out.write(orjson.dumps(rec).decode() + "\n")
            else:
                out.write(format_line(rec) + "\n")
            out.flush()
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "follow",
        parents=[common],
        help="tail -f over a live pool: new events from every file, in time order",
        description=inspect.cleandoc(cmd_follow.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("pool_dir", nargs="?", metavar="POOL",
                   help="the pool (default: --pool, $EV_POOL, else ./evpool)")
    p.add_argument("--where", action="append", metavar="K=V", help="only records with K=V")
    p.add_argument("--has", action="append", metavar="K", help="only records that have K")
    p.add_argument("--grep", metavar="RE", help="only records whose message matches RE")
    p.add_argument("--since", metavar="T",
                   help="first print what the pool holds from T on (epoch s or ISO time)")
    p.add_argument("--json", action="store_true", help="JSON lines, the records as in the pool")
    p.add_argument("--window", type=float, default=0.3, metavar="S",
                   help="how long a record waits for earlier ones from other files (0.3)")
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.set_defaults(run=cmd_follow)
