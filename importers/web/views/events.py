"""Events: the ``show`` view, filtered and paged, each event expandable to all its keys.

Filters are the analysis ``Pool.events`` filters (key=value, key presence, time window, a
regular expression over the formatted line), so the page and ``ev-import show`` agree. Only
one page of events is ever fetched (DuckDB sorts and cuts; the browser never gets the pool).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import params as P
from ._common import fetch_dicts, typed_where

NAME = "events"
TITLE = "Events"
PATH = "/events"
TEMPLATE = "events.html"
PER_PAGE = 100
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Params:
    where: list[tuple[str, str]] = field(default_factory=list)
    has: list[str] = field(default_factory=list)
    since: float | None = None
    until: float | None = None
    grep: str | None = None
    page: int = 1
    per_page: int = PER_PAGE

    @classmethod
    def from_query(cls, query: dict[str, list[str]]) -> Params:
        return cls(where=P.pairs(query, "where"), has=P.key_list(query, "has"),
                   since=P.epoch(query, "since"), until=P.epoch(query, "until"),
                   grep=P.regex(query, "grep"),
                   page=P.integer(query, "page", 1, 1, MAX_PAGE),
                   per_page=P.integer(query, "n", PER_PAGE, 10, 1000))

    def query(self, **change: Any) -> list[tuple[str, Any]]:
        """These parameters as URL query pairs (for the pager's links)."""
        merged = {"where": self.where, "has": self.has, "since": self.since,
                  "until": self.until, "grep": self.grep, "page": self.page,
                  "n": self.per_page, **change}
        out: list[tuple[str, Any]] = [("where", f"{k}={v}") for k, v in merged["where"]]
        out += [("has", k) for k in merged["has"]]
        for name in ("since", "until", "grep"):
            if merged[name] is not None:
                out.append((name, merged[name]))
        if merged["page"] != 1:
            out.append(("page", merged["page"]))
        if merged["n"] != PER_PAGE:
            out.append(("n", merged["n"]))
        return out


@dataclass
class EventsPage:
    total: int                        # events matching the filters
    page: int
    pages: int
    first_index: int                  # 1-based index of the first event shown
    records: list[dict[str, Any]]     # this page's events, keys as in the pool


def data(pool: Any, params: Params) -> EventsPage:
    """One page of the events matching ``params``, time ordered across all files."""
    query = pool.events(where=typed_where(pool, params.where) or None, has=tuple(params.has),
                        since=params.since, until=params.until, grep=params.grep)
    total = query.count()
    pages = max(1, -(-total // params.per_page))
    page = min(params.page, pages)
    offset = (page - 1) * params.per_page
    records = fetch_dicts(pool, f"{query.sql()} LIMIT {params.per_page} OFFSET {offset}")
    return EventsPage(total=total, page=page, pages=pages, first_index=offset + 1,
                      records=records)


def figure(data: EventsPage) -> None:
    return None


def notebook_call(params: Params) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in [
        ("where", params.where), ("has", params.has), ("since", params.since),
        ("until", params.until), ("grep", params.grep)] if v not in (None, []))
    return ("from importers import analysis as ev\n"
            "pool = ev.open_pool(POOL)\n"
            f"pool.events({args}).df()")
