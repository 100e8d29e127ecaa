"""Things and their lifetimes: how long each lived, how many lived at once, how long they take.

A *thing* is a distinct tuple of values of some keys (DESIGN §3): a Parsl task is
(``parsl.run_id``, ``parsl.task_id``), an htex worker is (``parsl.manager_id``,
``parsl.worker_id``), a Slurm job is ``slurm.jobid``. Its lifetime runs from its first event
to its last, or from its first *start* event to its last *end* event when you name them.

Example (the shipped Parsl fixture, imported with ``ev-import auto fixtures/parsl``)::

    from importers import analysis as ev
    pool = ev.open_pool("evpool")
    tasks = ev.lifetimes(pool, thing=["parsl.run_id", "parsl.task_id"],
                         start="task_launched", end="task_status_done")
    ev.concurrency(tasks).max          # how many tasks were alive at once
    ev.durations(tasks).to_dict()      # percentiles and a histogram of the durations
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .load import connect, quote_ident, quote_literal
from .query import Pool, Query


@dataclass(frozen=True)
class Sql:
    """A start/end predicate written in SQL over the ``events`` columns, e.g.
    ``Sql('"parsl.task_state" = \\'running\\'')``."""

    text: str


#: A start/end predicate: an event name (``ev.event``, or the start of the message, so
#: Academy's ``"Running agent"`` works), ``{key: value}``, :class:`Sql`, or, on a DataFrame,
#: a function of the frame returning a boolean Series.
Predicate = str | Mapping[str, Any] | Sql | Callable[[Any], Any] | None

_MESSAGE = "coalesce(\"formatted\", '')"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return quote_literal(str(value))


def _predicate_sql(pred: Predicate, query: Query | None, columns: set[str]) -> str:
    if pred is None:
        return "true"
    if isinstance(pred, Sql):
        return f"({pred.text})"
    if isinstance(pred, str):
        parts = []
        if "ev.event" in columns:
            parts.append(f'"ev.event" = {quote_literal(pred)}')
        if "formatted" in columns:
            parts.append(f"starts_with({_MESSAGE}, {quote_literal(pred)})")
        return f"({' OR '.join(parts) or 'false'})"
    if isinstance(pred, Mapping):
        conds = []
        for key, value in pred.items():
            if query is not None:
                conds.append(query._condition(key, value))
            elif key in columns:
                conds.append(f"{quote_ident(key)} = {_literal(value)}")
            else:
                conds.append("false")
        return f"({' AND '.join(conds) or 'true'})"
    raise TypeError(f"unsupported predicate {pred!r} (a function works on a DataFrame only)")


def _source(events: Pool | Query | Any, thing: Sequence[str], start: Predicate,
            end: Predicate) -> tuple[Any, str, str, str, set[str]]:
    """(connection, FROM clause, start SQL, end SQL, columns) for any kind of ``events``."""
    if isinstance(events, Pool):
        events = events.events()
    if isinstance(events, Query):
        columns = set(events.pool.schema.columns) | {"ev.file"}
        return (events.pool.con, f"({events.sql(ordered=False)})",
                _predicate_sql(start, events, columns), _predicate_sql(end, events, columns),
                columns)
    import pandas as pd

    frame = events if isinstance(events, pd.DataFrame) else pd.DataFrame.from_records(events)
    frame = frame.copy()
    preds = []
    for label, pred in (("__start", start), ("__end", end)):
        if callable(pred) and not isinstance(pred, (Sql, Mapping, str)):
            frame[label] = pred(frame).astype(bool).to_numpy()
            preds.append(quote_ident(label))
        else:
            preds.append(None)
    columns = set(frame.columns)
    con = connect()   # spills under $TMPDIR like every analysis, never into the cwd
    con.register("__frame", frame)
    return (con, "__frame",
            preds[0] or _predicate_sql(start, None, columns),
            preds[1] or _predicate_sql(end, None, columns), columns)


def lifetimes(events: Pool | Query | Any, thing: Sequence[str] | str,
              start: Predicate = None, end: Predicate = None):
    """One row per thing: its keys, ``start``, ``end``, ``duration`` (s) and ``events``.

    ``events`` is a :class:`Pool`, a :class:`Query` or a DataFrame/records; records lacking
    any of the ``thing`` keys belong to no thing. Without ``start``/``end`` a thing lives
    from its first to its last event; with them, from its first matching start event to its
    last matching end event (NaN when it has none: e.g. a task that never finished).
    ``events`` counts all of the thing's events. Rows are ordered by start.

    Example::

        ev.lifetimes(pool, thing="parsl.block_id")
    """
    keys = [thing] if isinstance(thing, str) else list(thing)
    con, sql = _lifetimes_query(events, keys, start, end)
    import pandas as pd

    if sql is None:
        return pd.DataFrame(columns=[*keys, "start", "end", "duration", "events"])
    frame = con.execute(sql).df()
    frame.insert(len(keys) + 2, "duration", frame["end"] - frame["start"])
    return frame


def _lifetimes_query(events: Pool | Query | Any, keys: list[str], start: Predicate,
                     end: Predicate) -> tuple[Any, str | None]:
    if not keys:
        raise ValueError("thing needs at least one key")
    con, src, start_sql, end_sql, columns = _source(events, keys, start, end)
    missing = [k for k in keys if k not in columns]
    if missing or "created" not in columns:
        return con, None
    key_cols = ", ".join(quote_ident(k) for k in keys)
    not_null = " AND ".join(f"{quote_ident(k)} IS NOT NULL" for k in keys)
    return con, f"""
        SELECT {key_cols},
               min("created") FILTER (WHERE {start_sql}) AS "start",
               max("created") FILTER (WHERE {end_sql}) AS "end",
               count(*) AS "events"
        FROM {src} WHERE {not_null}
        GROUP BY ALL
        ORDER BY "start" NULLS LAST, {key_cols}
    """


def lifetimes_sql(events: Pool | Query, thing: Sequence[str] | str, start: Predicate = None,
                  end: Predicate = None) -> str | None:
    """The SQL :func:`lifetimes` runs (None when no record has the keys): for ``EXPLAIN``,
    or to run it yourself on ``pool.con`` (e.g. ``COPY (...) TO 'lifetimes.parquet'``)."""
    keys = [thing] if isinstance(thing, str) else list(thing)
    return _lifetimes_query(events, keys, start, end)[1]


def lifetime_records(frame, thing: Sequence[str]) -> list[dict[str, Any]]:
    """The JSON shape of ``ev-import lifetimes --json``, one dict per thing."""
    out = []
    for row in frame.itertuples(index=False):
        values = dict(zip(frame.columns, row, strict=False))
        out.append({
            "thing": {k: _plain(values[k]) for k in thing},
            "start": _plain(values["start"]),
            "end": _plain(values["end"]),
            "duration": _plain(values["duration"]),
            "events": int(values["events"]),
        })
    return out


def _plain(value: Any) -> Any:
    """numpy/pandas scalars -> JSON-able Python values; NaN/NA -> None."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover - pandas is part of the extra
        pass
    return value


# ---------------------------------------------------------------------------------------
# Concurrency


@dataclass
class Concurrency:
    """How many things were alive over time: a step series ``[(t, n), ...]`` (n holds from t
    to the next t), its maximum and the first time it was reached."""

    series: list[tuple[float, int]]
    max: int
    at: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"max": self.max, "at": self.at, "series": [[t, n] for t, n in self.series]}


def concurrency(lifetimes_df) -> Concurrency:
    """The step series of how many things were alive at once.

    A thing counts from its start to its end; one ending at the instant another starts does
    not overlap it. A thing with no end (NaN) counts until the last time in the series;
    one with no start is left out.

    Example::

        c = ev.concurrency(ev.lifetimes(pool, thing=["parsl.run_id", "parsl.task_id"]))
        c.max, c.at
    """
    steps: list[tuple[float, int]] = []
    starts = lifetimes_df["start"].tolist()
    ends = lifetimes_df["end"].tolist()
    known = [t for t in starts + ends if _finite(t)]
    horizon = max(known) if known else None
    for s, e in zip(starts, ends, strict=False):
        if not _finite(s):
            continue
        steps.append((float(s), 1))
        steps.append((float(e) if _finite(e) else float(horizon), -1))
    steps.sort(key=lambda st: (st[0], st[1]))  # ends (-1) before starts at the same time
    series: list[tuple[float, int]] = []
    alive = best = 0
    at = None
    for t, delta in steps:
        alive += delta
        if series and series[-1][0] == t:
            series[-1] = (t, alive)
        else:
            series.append((t, alive))
        if alive > best:
            best, at = alive, t
    return Concurrency(series, best, at)


def _finite(value: Any) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


# ---------------------------------------------------------------------------------------
# Durations


@dataclass
class Durations:
    """Summary of lifetimes' durations: count, min, mean, max, percentiles, histogram."""

    count: int
    min: float | None
    mean: float | None
    max: float | None
    percentiles: dict[str, float] = field(default_factory=dict)
    histogram: list[tuple[float, float, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "min": self.min, "mean": self.mean, "max": self.max,
                "percentiles": self.percentiles,
                "histogram": [{"from": lo, "to": hi, "count": n} for lo, hi, n in self.histogram]}


def durations(lifetimes_df, bins: int = 10,
              percentiles: Sequence[float] = (50, 90, 95, 99)) -> Durations:
    """Percentiles (linear interpolation) and a histogram of ``bins`` equal-width bins of the
    known durations (things without a start or end are left out).

    Example::

        ev.durations(ev.lifetimes(pool, thing="slurm.jobid")).percentiles["p50"]
    """
    import numpy as np

    values = np.asarray([d for d in lifetimes_df["duration"].tolist() if _finite(d)], float)
    if not len(values):
        return Durations(0, None, None, None)
    pct = {f"p{_label(p)}": float(np.percentile(values, p)) for p in percentiles}
    counts, edges = np.histogram(values, bins=bins)
    hist = [(float(edges[i]), float(edges[i + 1]), int(counts[i])) for i in range(len(counts))]
    return Durations(len(values), float(values.min()), float(values.mean()),
                     float(values.max()), pct, hist)


def _label(p: float) -> str:
    return re.sub(r"\.0$", "", str(p))
