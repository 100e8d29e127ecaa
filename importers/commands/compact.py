"""``ev-import compact [POOL]``: a Parquet copy of the pool for big questions."""

from __future__ import annotations

import argparse
import inspect
import sys

from ..analysis import compact as compaction
from ..core.errors import EXIT_OK


def cmd_compact(args: argparse.Namespace) -> int:
    """Write a Parquet copy of the pool, partitioned by source and host, that analyses read.

    The copy lives in POOL/.ev-parquet/ with a manifest of the JSON files it was made from
    (size, mtime, inode). The JSON files stay the source of truth: show, sql, lifetimes and
    the other analyses read the copy only while no pool file changed, and the JSON files
    otherwise. Running compact again refreshes a stale copy and does nothing to a fresh one
    (--force rewrites it); --status only says whether it is fresh.

    Example:
        ev-import compact evpool
        ev-import compact --status evpool
    """
    if args.status:
        state = compaction.status(args.pool_dir or args.pool)
        print(f"compact: {state.pool / compaction.DIR_NAME}: {state.reason}", file=sys.stderr)
        return EXIT_OK if state.fresh else 1
    result = compaction.compact(args.pool_dir or args.pool, force=args.force)
    if not args.quiet:
        print(result.line(), file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "compact",
        parents=[common],
        help="a Parquet copy of the pool (by source and host) that analyses read while fresh",
        description=inspect.cleandoc(cmd_compact.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("pool_dir", nargs="?", metavar="POOL",
                   help="the pool (default: --pool, $EV_POOL, ./evpool)")
    p.add_argument("--force", action="store_true", help="rewrite a fresh copy too")
    p.add_argument("--status", action="store_true",
                   help="only say whether the copy is fresh (exit 0) or not (exit 1)")
    p.set_defaults(run=cmd_compact)
