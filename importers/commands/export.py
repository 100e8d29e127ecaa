"""``ev-import export [POOL] --to TARGET``: a pool's events in another system's format."""

from __future__ import annotations

import argparse
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


def cmd_export(args: argparse.Namespace) -> int:
    """Write the pool's events (time ordered, with the same filters as show) to TARGET in the
    format its suffix names: FILE.csv (a header, one row per event, one column per key some
    event carries: for spreadsheets) or FILE.parquet (typed columns: for large pools, pandas,
    Dask, Spark). Other formats are modules of importers/analysis/export/ (--format NAME).
    The file is written beside the target and renamed into place when complete.

    Example:
        ev-import export evpool --to jobs.csv --where ev.source=sacct
        ev-import export evpool --to pool.parquet
        ev-import export evpool --to tasks.csv --fields created,parsl.task_id,ev.event
    """
    from ..analysis import export

    pool = open_from_args(args)
    query = query_from_args(pool, args)
    fmt = export.format_for(args.to, args.format)
    fields = [f for f in (args.fields or "").split(",") if f] or None
    n = fmt.write(query, args.to, fields)
    if not n:
        print(nothing_matches(pool, args), file=sys.stderr)
    if not args.quiet:
        print(f"export: {n} events -> {args.to} ({fmt.name})", file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = add_command(sub, common, "export", cmd_export,
                    "a pool's events to CSV, Parquet (or another format module)")
    add_pool_argument(p)
    p.add_argument("--to", required=True, metavar="TARGET",
                   help="FILE.csv or FILE.parquet (the suffix picks the format)")
    p.add_argument("--format", metavar="NAME", help="the format, when TARGET's suffix "
                   "does not say (csv, parquet, and any other format module)")
    p.add_argument("--fields", metavar="K,...", help="only these keys, in this order")
    add_filters(p)
