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

__all__ = [
    "Breakdown", "BreakdownError", "breakdown",
    "Concurrency", "Durations", "Pool", "Query", "QueryError", "Sql", "concurrency",
    "durations", "lifetime_records", "lifetimes", "open_pool", "parse_time",
]
