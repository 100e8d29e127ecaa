"""The analysis side: read a pool back and answer questions from it.

Every question is a documented function a notebook calls; the ``ev-import`` commands
``show``, ``sql``, ``lifetimes``, ``concurrency`` and ``export`` are thin layers over them.
DuckDB is the engine (out of core: it spills to disk instead of growing). Import as::

    from importers import analysis as ev
    pool = ev.open_pool("evpool")
    pool.events(where={"parsl.task_id": 3}).df()
    ev.lifetimes(pool, thing=["parsl.run_id", "parsl.task_id"])

Needs the ``analysis`` extra (``pip install 'ev-import[analysis]'``: duckdb, pandas).
"""

from __future__ import annotations

from .breakdown import Breakdown, BreakdownError, breakdown
from .chain import join_chain
from .query import Pool, Query, QueryError, open_pool, parse_time
from .things import (
    Concurrency,
    Durations,
    Sql,
    concurrency,
    durations,
    lifetime_records,
    lifetimes,
)
from .widen import Conflict, Implied, Join, Lambda, Widened, widen

__all__ = [
    "Breakdown", "BreakdownError", "Concurrency", "Conflict", "Durations", "Implied", "Join",
    "Lambda", "Pool", "Query", "QueryError", "Sql", "Widened", "breakdown", "concurrency",
    "durations", "join_chain", "lifetime_records", "lifetimes", "open_pool", "parse_time",
    "widen",
]
