"""A stand-in for ``importers.analysis`` until it lands on main (removed then).

Only what the web views call: ``open_pool(path) -> Pool`` with ``.sql``, ``.events`` and a
``Query`` with ``.relation/.count/.records``; built straight on DuckDB's read_json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from importers.core.pool import pool_files


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Pool:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.con = duckdb.connect()
        files = [str(f) for f in pool_files(self.path)]
        if not files:
            self.con.execute("CREATE VIEW events AS SELECT NULL::DOUBLE AS created LIMIT 0")
            return
        import pandas as pd

        from importers.core.pool import read

        frame = pd.DataFrame.from_records(
            [{k: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v))
              for k, v in r.items()} for r in read(self.path)])
        frame = frame.rename(columns={"ev.file": "__file"})
        for c in frame.columns:
            if frame[c].dtype == object:
                frame[c] = frame[c].map(lambda v: None if v is None or v != v else str(v))
        self.con.register("frame", frame)
        self.con.execute("CREATE TABLE raw AS SELECT * FROM frame")
        self.con.unregister("frame")
        cols = [c[0] for c in self.con.execute("DESCRIBE raw").fetchall()]
        select = []
        for c in cols:
            if c == "__file":
                select.append(f'__file AS {q("ev.file")}')
            elif c in ("created",):
                select.append(f"TRY_CAST({q(c)}::VARCHAR AS DOUBLE) AS {q(c)}")
            elif c in ("levelno", "linux.pid", "process", "parsl.task_id"):
                select.append(f"TRY_CAST({q(c)}::VARCHAR AS BIGINT) AS {q(c)}")
            else:
                select.append(q(c))
        self.con.execute(f"CREATE VIEW events AS SELECT {', '.join(select)} FROM raw")

    def sql(self, query: str, params: list | None = None) -> duckdb.DuckDBPyRelation:
        return self.con.sql(query, params=params)

    def events(self, where=None, has=(), since=None, until=None, grep=None) -> Query:
        return Query(self, list((where or {}).items()) if isinstance(where, dict)
                     else list(where or []), list(has), since, until, grep)

    def close(self) -> None:
        self.con.close()


@dataclass
class Query:
    pool: Pool
    where: list = field(default_factory=list)
    has: list = field(default_factory=list)
    since: Any = None
    until: Any = None
    grep: Any = None

    def _sql(self) -> tuple[str, list]:
        conds, params = [], []
        for k, v in self.where:
            v = v[0] if isinstance(v, list) else v
            conds.append(f"CAST({q(k)} AS VARCHAR) = ?")
            params.append(str(v))
        for k in self.has:
            conds.append(f"{q(k)} IS NOT NULL")
        if self.since is not None:
            conds.append("created >= ?")
            params.append(float(self.since))
        if self.until is not None:
            conds.append("created <= ?")
            params.append(float(self.until))
        if self.grep:
            conds.append("regexp_matches(coalesce(formatted, ''), ?)")
            params.append(self.grep)
        where = " AND ".join(conds) or "true"
        return f"SELECT * FROM events WHERE {where} ORDER BY created NULLS FIRST", params

    def relation(self) -> duckdb.DuckDBPyRelation:
        sql, params = self._sql()
        return self.pool.con.sql(sql, params=params)

    def count(self) -> int:
        sql, params = self._sql()
        return self.pool.con.execute(f"SELECT count(*) FROM ({sql})", params).fetchall()[0][0]

    def records(self):
        rel = self.relation()
        cols = rel.columns
        for row in rel.fetchall():
            yield {c: v for c, v in zip(cols, row, strict=True) if v is not None}


def open_pool(pool=None) -> Pool:
    return Pool(Path(pool or "evpool"))


def lifetimes(events, thing, start=None, end=None):  # start/end ignored here
    keys = list(thing)
    rel = events.relation() if hasattr(events, "relation") else events.sql("SELECT * FROM events")
    not_null = " AND ".join(f"{q(k)} IS NOT NULL" for k in keys)
    kcols = ", ".join(q(k) for k in keys)
    df = rel.filter(not_null).aggregate(
        f"{kcols}, min(created) AS start, max(created) AS \"end\", count(*) AS events",
        kcols).df()
    df["duration"] = df["end"] - df["start"]
    return df.sort_values("start").reset_index(drop=True)[
        [*keys, "start", "end", "duration", "events"]]


@dataclass
class Concurrency:
    series: list
    max: int
    at: float | None

    def to_dict(self):
        return {"max": self.max, "at": self.at, "series": [list(p) for p in self.series]}


def concurrency(df):
    deltas = {}
    for s, e in zip(df["start"], df["end"], strict=True):
        if s != s or e != e:
            continue
        deltas[s] = deltas.get(s, 0) + 1
        deltas[e] = deltas.get(e, 0) - 1
    n, best, at, series = 0, 0, None, []
    for t in sorted(deltas):
        n += deltas[t]
        series.append((t, n))
        if n > best:
            best, at = n, t
    return Concurrency(series, best, at)


@dataclass
class Durations:
    count: int
    min: Any
    mean: Any
    max: Any
    percentiles: dict = field(default_factory=dict)
    histogram: list = field(default_factory=list)


def durations(df, bins=10, percentiles=(50, 90, 95, 99)):
    import numpy as np

    d = df["duration"].dropna().to_numpy(dtype=float)
    if len(d) == 0:
        return Durations(0, None, None, None)
    pct = {f"p{p}": float(np.percentile(d, p)) for p in percentiles}
    counts, edges = np.histogram(d, bins=bins)
    hist = [(float(edges[i]), float(edges[i + 1]), int(counts[i])) for i in range(len(counts))]
    return Durations(len(d), float(d.min()), float(d.mean()), float(d.max()), pct, hist)
