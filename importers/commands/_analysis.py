"""Options shared by the commands that read a pool back (show, sql, lifetimes, ...)."""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable

from ..core.errors import EvImportError, UnusableInput


class MissingExtra(EvImportError):
    """The analysis commands need DuckDB and pandas (the ``analysis`` extra)."""


def add_command(sub: argparse._SubParsersAction, common: argparse.ArgumentParser, name: str,
                run: Callable, help: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, parents=[common], help=help,
                       description=inspect.cleandoc(run.__doc__ or ""),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(run=run)
    return p


def add_pool_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("pool_arg", nargs="?", metavar="POOL",
                   help="pool directory (default: --pool, $EV_POOL, else ./evpool)")


def add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--where", action="append", default=[], metavar="K=V",
                   help="only events whose key K equals V (numbers compare as numbers); "
                   "repeat to require several; V1,V2 is not split")
    p.add_argument("--has", action="append", default=[], metavar="K",
                   help="only events that carry key K (repeatable)")
    p.add_argument("--since", metavar="T", help="from time T: epoch seconds or ISO time "
                   "(naive = --tz, else local)")
    p.add_argument("--until", metavar="T", help="up to time T (inclusive)")
    p.add_argument("--grep", metavar="RE", help="only events whose message matches RE (RE2)")


def where_pairs(items: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UnusableInput("--where needs KEY=VALUE", item, "e.g. --where parsl.task_id=3")
        pairs.append((key, value))
    return pairs


def open_from_args(args: argparse.Namespace):
    """The pool named by POOL, else --pool, else $EV_POOL/./evpool, opened for questions."""
    try:
        from .. import analysis
    except ImportError as exc:  # duckdb or pandas missing
        raise MissingExtra(f"the analysis commands need {exc.name}", "",
                           "pip install 'ev-import[analysis]'") from None
    return analysis.open_pool(getattr(args, "pool_arg", None) or args.pool)


def query_from_args(pool, args: argparse.Namespace):
    return pool.events(where=where_pairs(args.where), has=args.has, since=args.since,
                       until=args.until, grep=args.grep, tz=args.tz)


def nothing_matches(pool, args: argparse.Namespace) -> str:
    """Why a selection is empty, in one line for stderr."""
    unknown = [k for k, _ in where_pairs(getattr(args, "where", []))] + list(
        getattr(args, "has", []))
    unknown = [k for k in unknown if pool.schema.type_of(k) is None]
    text = (f"no events match (the pool {pool.path} holds {pool.schema.rows} lines in "
            f"{len(pool.files)} files)")
    if unknown:
        text += f"; no record has the key(s) {', '.join(unknown)}"
    return text
