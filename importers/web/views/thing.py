"""Thing page: every event carrying a key value, its lifetime, and what it is joined to.

``/thing?parsl.task_id=7`` or ``/thing?parsl.run_id=R&parsl.task_id=7`` (a thing is a set of
key values, docs/design.md §3): the URL names keys and values readably. The page lists the
events carrying all of them in time order (their ``formatted`` lines, as text), the thing's
lifetime (``lifetimes``), the identifying keys that occur on those events with other values
(the thing's neighbours: its run, block, worker pid, batch job...; each a link to its own
page), and the rows of the join chain (Academy process -> worker -> manager -> block -> batch
job) that involve it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import params as P
from ._common import analysis, columns, fetch, fetch_dicts, ident, typed_where

NAME = "thing"
TITLE = "Thing"
PATH = "/thing"
TEMPLATE = "thing.html"
PER_PAGE = 200
#: Parameters of the page itself; every other parameter name is a key of the thing.
#: ``_key``/``_value`` are what the page's own form sends (a GET form cannot name a
#: parameter after what the user typed); they mean ``/thing?<_key>=<_value>``.
RESERVED = ("page", "_key", "_value")
#: Keys that identify things or join layers (docs/design.md §3), shown as neighbours.
JOIN_KEYS = [
    "parsl.run_id", "parsl.task_id", "parsl.try_id", "parsl.executor_task_id",
    "parsl.block_id", "parsl.job_id", "parsl.executor", "parsl.manager_id", "parsl.worker_id",
    "slurm.jobid", "slurm.step", "linux.hostname", "linux.pid", "process", "hostname",
    "academy.agent_id", "academy.action_tag", "academy.message_tag", "academy.mailbox_id",
    "redis.role", "ev.source", "ev.event",
]
NEIGHBOUR_VALUES = 30


@dataclass(frozen=True)
class Params:
    keys: list[tuple[str, str]] = field(default_factory=list)
    page: int = 1

    @classmethod
    def from_query(cls, query: dict[str, list[str]]) -> Params:
        pairs = []
        for name, values in query.items():
            if name in RESERVED:
                continue
            for value in values:
                if len(value) > P.MAX_VALUE:
                    raise P.BadParam(name, f"longer than {P.MAX_VALUE:,} characters")
                pairs.append((P.key(name, name), value))
        form_key = P.text(query, "_key", max_len=P.MAX_KEY)
        if form_key is not None:
            pairs.append((P.key("_key", form_key), P.text(query, "_value", "") or ""))
        if len(pairs) > P.MAX_FILTERS:
            raise P.BadParam("key", f"more than {P.MAX_FILTERS} keys")
        return cls(keys=pairs, page=P.integer(query, "page", 1, 1, 1_000_000))

    def events_query(self) -> list[tuple[str, str]]:
        """The events view's URL query for these key values."""
        return [("where", f"{k}={v}") for k, v in self.keys]

    def query(self, **change: Any) -> list[tuple[str, Any]]:
        page = change.get("page", self.page)
        return list(self.keys) + ([("page", page)] if page != 1 else [])


@dataclass
class Lifetime:
    start: float | None
    end: float | None
    duration: float | None
    events: int


@dataclass
class ThingPage:
    keys: list[tuple[str, str]]
    total: int
    page: int
    pages: int
    records: list[dict[str, Any]]
    lifetime: Lifetime | None
    neighbours: list[tuple[str, list[tuple[Any, int]], int]]  # key, [(value, events)], distinct
    chain: list[dict[str, Any]] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)
    kinds: list[tuple[str, list[str]]] = field(default_factory=list)


def _lifetime(query: Any, keys: list[str]) -> Lifetime | None:
    table = analysis().lifetimes(query, thing=keys)
    if len(table) == 0:
        return None
    row = table.iloc[0]
    return Lifetime(_num(row["start"]), _num(row["end"]), _num(row["duration"]),
                    int(row["events"]))


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out


def _neighbours(pool: Any, query: Any, keys: list[str], cols: set[str]) -> list:
    """For each join key on the thing's events: its most frequent values and how many."""
    wanted = [k for k in JOIN_KEYS if k in cols and k not in keys]
    if not wanted:
        return []
    selected = query.sql(", ".join(ident(k) for k in wanted), ordered=False)
    parts = [f"SELECT {i} AS k, CAST({ident(k)} AS VARCHAR) AS v, count(*) AS n FROM t "
             f"WHERE {ident(k)} IS NOT NULL GROUP BY 2" for i, k in enumerate(wanted)]
    found = fetch(pool, f"""
        WITH t AS ({selected}),
             c AS ({" UNION ALL ".join(parts)})
        SELECT k, v, n, count(*) OVER (PARTITION BY k) AS distinct_values FROM c
        QUALIFY row_number() OVER (PARTITION BY k ORDER BY n DESC, v) <= {NEIGHBOUR_VALUES}
        ORDER BY k, n DESC, v""")
    out: dict[int, tuple[str, list, int]] = {}
    for k, v, n, distinct in found:
        out.setdefault(k, (wanted[k], [], distinct))[1].append((v, n))
    return [out[k] for k in sorted(out)]


def _chain(pool: Any, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Rows of the analysis join chain in which one of the thing's values appears."""
    ev = analysis()
    join_chain = getattr(ev, "join_chain", None)
    if join_chain is None:
        return []
    table = join_chain(pool)
    if hasattr(table, "df"):
        table = table.df()
    if len(table) == 0:
        return []
    wanted = {v for _, v in keys}
    mask = table.astype(str).isin(wanted).any(axis=1)
    return [{k: v for k, v in rec.items() if v == v and v is not None}
            for rec in table[mask].head(50).to_dict("records")]


def data(pool: Any, params: Params) -> ThingPage:
    cols = set(columns(pool))
    if not params.keys:  # the page's form: which thing?
        from ._things import thing_kinds
        return ThingPage(keys=[], total=0, page=1, pages=1, records=[], lifetime=None,
                         neighbours=[], kinds=thing_kinds(pool))
    missing = [k for k, _ in params.keys if k not in cols]
    names = [k for k, _ in params.keys]
    if missing:
        return ThingPage(keys=params.keys, total=0, page=1, pages=1, records=[],
                         lifetime=None, neighbours=[], missing_keys=missing)
    query = pool.events(where=typed_where(pool, params.keys))
    total = query.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(params.page, pages)
    records = fetch_dicts(pool, f"{query.sql()} LIMIT {PER_PAGE} OFFSET {(page - 1) * PER_PAGE}")
    return ThingPage(
        keys=params.keys, total=total, page=page, pages=pages, records=records,
        lifetime=_lifetime(query, names) if total else None,
        neighbours=_neighbours(pool, query, names, cols) if total else [],
        chain=_chain(pool, params.keys) if total else [],
    )


def figure(data: ThingPage) -> None:
    return None


def notebook_call(params: Params) -> str:
    keys = [k for k, _ in params.keys]
    return ("from importers import analysis as ev\n"
            "pool = ev.open_pool(POOL)\n"
            f"things = pool.events(where={params.keys!r})\n"
            "things.df()\n"
            f"ev.lifetimes(things, thing={keys!r})")
