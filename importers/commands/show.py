"""``ev-import show [POOL]``: events from every pool file, time ordered, one line each."""

from __future__ import annotations

import argparse
import os
import sys

from ..core.errors import EXIT_OK
from ._analysis import (
    add_command,
    add_filters,
    add_pool_argument,
    nothing_matches,
    open_from_args,
    query_from_args,
)


def cmd_show(args: argparse.Namespace) -> int:
    """Print the pool's events, time ordered across all files: local time, level, layer,
    host:pid and message on one line (coloured by level on a terminal; escape sequences in
    the pool are shown escaped, never replayed), or the records as JSON lines with --json.

    Filters combine: --where K=V (repeatable; numeric keys compare as numbers, so Academy's
    string "7" matches 7), --has K, --since/--until T, --grep RE. Exit 0 with a message on
    stderr when nothing matches.

    Example:
        ev-import show evpool --where parsl.task_id=3 --where ev.source=parsl-db
        ev-import show --has academy.agent_id --since 2026-11-25T08:45:40 --tz UTC
        ev-import show evpool --grep 'Worker [0-9]+ started' --json | jq .created
    """
    from ..analysis.show import event_lines
    from ..analysis.tables import json_line

    pool = open_from_args(args)
    query = query_from_args(pool, args)
    fields = [f for f in (args.fields or "").split(",") if f]
    out = sys.stdout
    n = 0
    if args.json:
        buf = out.buffer
        for rec in query.records():
            if fields:
                rec = {k: rec[k] for k in fields if k in rec}
            buf.write(json_line(rec))
            n += 1
    else:
        colour = out.isatty() and not os.environ.get("NO_COLOR")
        for line in event_lines(query, tz=args.tz, colour=colour, fields=fields):
            out.write(line + "\n")
            n += 1
    out.flush()
    if not n:
        print(nothing_matches(pool, args), file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = add_command(sub, common, "show", cmd_show,
                    "a pool's events, time ordered across files, one line each (or --json)")
    add_pool_argument(p)
    add_filters(p)
    p.add_argument("--fields", metavar="K,...",
                   help="print only these keys (after the time, as K=V; with --json, "
                   "objects with only these keys)")
    p.add_argument("--json", action="store_true",
                   help="the records as in the pool, one JSON object per line "
                   "(created a number)")
