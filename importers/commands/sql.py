"""``ev-import sql [POOL] QUERY``: DuckDB SQL over the pool's view ``events``."""

from __future__ import annotations

import argparse
import sys

from ..core.errors import EXIT_OK, UnusableInput
from ._analysis import add_command, open_from_args


def cmd_sql(args: argparse.Namespace) -> int:
    """Run a DuckDB query over the view `events`: one row per pool record, typed columns for
    the common keys (created DOUBLE, levelno INTEGER, linux.pid BIGINT, parsl.task_id
    BIGINT, ...), every other key kept under its own name, and ev.file. Quote keys with dots:
    "parsl.task_id". Prints a table, or --csv / --json (one object per row). --schema lists
    the columns, their types, and why a key got its type.

    Example:
        ev-import sql evpool 'SELECT "ev.source", count(*) AS n FROM events GROUP BY ALL'
        ev-import sql evpool --csv 'SELECT created, formatted FROM events WHERE "linux.pid" = 28812'
        ev-import sql evpool --schema
    """
    import duckdb

    from ..analysis.tables import fetch_batches, print_table, write_csv_rows, write_json_rows

    args.words = _intermixed(args)
    if len(args.words) > 2:
        raise UnusableInput("sql takes [POOL] QUERY", " ".join(args.words),
                            "quote the query as one argument")
    if len(args.words) == 2:
        args.pool_arg, text = args.words
    elif len(args.words) == 1 and not args.schema:
        args.pool_arg, text = None, args.words[0]
    else:
        args.pool_arg, text = (args.words[0] if args.words else None), None
    pool = open_from_args(args)
    if args.schema or text is None:
        rows = [(c.name, c.sql_type, ", ".join(c.keys[1:]), c.note)
                for c in pool.schema.columns.values()]
        print_table(["column", "type", "also from", "note"], rows)
        unparsed = pool.schema.unparsed
        if unparsed:
            print(f"unparsed lines: {sum(unparsed.values())} in {len(unparsed)} file(s)",
                  file=sys.stderr)
        return EXIT_OK
    cur = pool.con.cursor()
    try:
        cur.execute(text)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnusableInput("the query failed", first,
                            'the view is `events`; quote keys with dots: "linux.pid"') from None
    if cur.description is None:
        return EXIT_OK
    columns = [d[0] for d in cur.description]
    rows = fetch_batches(cur)
    if args.csv:
        write_csv_rows(columns, rows)
    elif args.json:
        write_json_rows(columns, rows, sys.stdout.buffer)
    else:
        print_table(columns, rows)
    sys.stdout.flush()
    return EXIT_OK


def _flags(p: argparse.ArgumentParser) -> None:
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    fmt.add_argument("--json", action="store_true", help="one JSON object per row")
    p.add_argument("--schema", action="store_true",
                   help="list the view's columns and types instead of running a query")


def _intermixed(args: argparse.Namespace) -> list[str]:
    """POOL and QUERY with options between them (`sql evpool --csv 'SELECT ...'`): argparse
    takes positionals in one go, so the words after the first are parsed here."""
    rest = argparse.ArgumentParser(prog="ev-import sql", add_help=False)
    _flags(rest)
    rest.add_argument("words", nargs="*")
    ns = rest.parse_intermixed_args(args.words)
    for name in ("csv", "json", "schema"):
        setattr(args, name, getattr(args, name) or getattr(ns, name))
    if args.csv and args.json:
        raise UnusableInput("--csv and --json exclude each other", "", "choose one")
    return ns.words


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = add_command(sub, common, "sql", cmd_sql,
                    "DuckDB SQL over the pool (view `events`, typed columns)")
    p.add_argument("words", nargs=argparse.REMAINDER, metavar="[POOL] QUERY",
                   help="the pool directory (optional) and the query")
    _flags(p)
