"""``ev-import export [POOL] --to [FORMAT] TARGET``: a pool's events in another system's format."""

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
    Dask, Spark). Other formats are modules of importers/analysis/export/, named before the
    file (--to otlp FILE.jsonl: OpenTelemetry logs as OTLP/JSON lines, --endpoint URL to
    send them to a collector over OTLP/HTTP too; --to perfetto FILE.json: a Chrome trace
    event timeline for Perfetto) or with --format NAME.
    The file is written beside the target and renamed into place when complete.

    Example:
        ev-import export evpool --to jobs.csv --where ev.source=sacct
        ev-import export evpool --to pool.parquet
        ev-import export evpool --to tasks.csv --fields created,parsl.task_id,ev.event
        ev-import export evpool --to otlp pool.otlp.jsonl --endpoint http://127.0.0.1:4318
        ev-import export evpool --to perfetto run.trace.json --since 2026-11-25T08:45:00Z
    """
    from ..analysis import export
    from ..core.errors import UnusableInput

    if len(args.to) > 2:
        raise UnusableInput("--to takes FILE or FORMAT FILE", " ".join(args.to),
                            "e.g. --to otlp pool.otlp.jsonl")
    name = args.format or (args.to[0] if len(args.to) == 2 else None)
    target = args.to[-1]
    if len(args.to) == 1 and target.lower() in export.formats():
        if not args.endpoint:
            raise UnusableInput(f"--to {target} needs a file", target,
                                f"e.g. --to {target} FILE")
        name, target = target, None          # --to otlp --endpoint URL: no file
    pool = open_from_args(args)
    query = query_from_args(pool, args)
    fmt = export.format_for(target or name, name)
    fields = [f for f in (args.fields or "").split(",") if f] or None
    options = {"endpoint": args.endpoint} if args.endpoint else {}
    if options and fmt.name != "otlp":
        raise UnusableInput("--endpoint is for --to otlp", args.endpoint,
                            "send OTLP to a collector with --to otlp [FILE] --endpoint URL")
    n = fmt.write(query, target, fields, **options)
    if not n:
        print(nothing_matches(pool, args), file=sys.stderr)
    if not args.quiet:
        where = " and ".join(x for x in (target, args.endpoint) if x)
        print(f"export: {n} events -> {where} ({fmt.name})", file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = add_command(sub, common, "export", cmd_export,
                    "a pool's events to CSV, Parquet (or another format module)")
    add_pool_argument(p)
    p.add_argument("--to", required=True, nargs="+", metavar="TARGET",
                   help="FILE.csv, FILE.parquet (the suffix picks the format), or FORMAT "
                   "FILE: otlp FILE.jsonl, perfetto FILE.json")
    p.add_argument("--endpoint", metavar="URL",
                   help="with --to otlp: also POST the records to this OTLP/HTTP collector "
                   "(a base URL gets /v1/logs)")
    p.add_argument("--format", metavar="NAME", help="the format, when TARGET's suffix "
                   "does not say (csv, parquet, and any other format module)")
    p.add_argument("--fields", metavar="K,...", help="only these keys, in this order")
    add_filters(p)
