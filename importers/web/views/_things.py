"""Parameters and helpers shared by the views that are about things (timeline, durations).

A thing is a set of key values (docs/design.md §3); its lifetime comes from the analysis
``lifetimes`` function over the events that match the view's filters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import params as P
from ._common import analysis, columns, fetch, ident, typed_where
from .overview import THING_KINDS


@dataclass(frozen=True)
class ThingParams:
    thing: list[str] = field(default_factory=list)   # empty: the first kind the pool has
    where: list[tuple[str, str]] = field(default_factory=list)
    since: float | None = None
    until: float | None = None
    start: str | None = None      # the event that starts a thing's life (default: its first)
    end: str | None = None        # the event that ends it (default: its last)

    @staticmethod
    def common(query: dict[str, list[str]]) -> dict[str, Any]:
        return {"thing": P.keys(query, "thing"), "where": P.pairs(query, "where"),
                "since": P.epoch(query, "since"), "until": P.epoch(query, "until"),
                "start": P.text(query, "start", max_len=500),
                "end": P.text(query, "end", max_len=500)}

    def common_query(self) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = [("thing", ",".join(self.thing))] if self.thing else []
        out += [("where", f"{k}={v}") for k, v in self.where]
        out += [(n, getattr(self, n)) for n in ("since", "until", "start", "end")
                if getattr(self, n) is not None]
        return out


def default_thing(pool: Any) -> list[str]:
    """The first kind of thing (in THING_KINDS order) whose keys the pool has."""
    cols = set(columns(pool))
    for _, keys in THING_KINDS:
        if all(k in cols for k in keys):
            return keys
    return []


def thing_kinds(pool: Any) -> list[tuple[str, list[str]]]:
    cols = set(columns(pool))
    return [(label, keys) for label, keys in THING_KINDS if all(k in cols for k in keys)]


def lifetimes_of(pool: Any, params: ThingParams) -> tuple[list[str], Any, list[str]]:
    """(thing keys, lifetimes DataFrame, keys missing from the pool)."""
    keys = params.thing or default_thing(pool)
    cols = set(columns(pool))
    missing = [k for k in [*keys, *(k for k, _ in params.where)] if k not in cols]
    if not keys or missing:
        return keys, None, missing
    ev = analysis()
    query = pool.events(where=typed_where(pool, params.where) or None, has=tuple(keys),
                        since=params.since, until=params.until)
    table = ev.lifetimes(query, thing=keys, start=params.start, end=params.end)
    return keys, table, []


def label(values: list[Any]) -> str:
    """A short label for a thing on a chart axis (long ids keep their last 8 characters)."""
    parts = []
    for v in values:
        text = "" if v is None else str(v)
        parts.append(text if len(text) <= 14 else "…" + text[-8:])
    return " · ".join(parts)


def colour_values(pool: Any, keys: list[str], colour: str,
                  params: ThingParams) -> dict[tuple, Any]:
    """Each thing's last value of ``colour`` (e.g. a task's final state)."""
    query = pool.events(where=typed_where(pool, params.where) or None, has=(*keys, colour),
                        since=params.since, until=params.until)
    kcols = ", ".join(ident(k) for k in keys)
    sql = query.sql(f"{kcols}, arg_max({ident(colour)}, created) AS c", ordered=False)
    return {tuple(row[:-1]): row[-1] for row in fetch(pool, f"{sql} GROUP BY {kcols}")}
