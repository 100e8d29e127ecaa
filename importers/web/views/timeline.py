"""Timeline: things as bars over time, coloured by a chosen key, with concurrency under it.

``/timeline?thing=parsl.run_id,parsl.task_id&color=parsl.task_status_name``: one bar per
thing (from ``lifetimes``; the first ``n`` by start time, or the longest with
``sort=duration``), coloured by each thing's last value of the colour key, and the number of
things alive at once (``concurrency``, over all matching things, not only those drawn). The
chart zooms (drag) and the table under it links each thing to its page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .. import params as P
from ._common import analysis, columns, repr_call
from ._things import ThingParams, colour_values, label, lifetimes_of, thing_kinds

NAME = "timeline"
TITLE = "Timeline"
PATH = "/timeline"
TEMPLATE = "timeline.html"
DEFAULT_BARS = 200
MAX_BARS = 2000
#: The concurrency step series is cut to at most this many points (max per time bucket).
MAX_POINTS = 4000


@dataclass(frozen=True)
class Params(ThingParams):
    color: str | None = None
    n: int = DEFAULT_BARS
    sort: str = "start"

    @classmethod
    def from_query(cls, query: dict[str, list[str]]) -> Params:
        return cls(**cls.common(query), color=P.optional_key(query, "color"),
                   n=P.integer(query, "n", DEFAULT_BARS, 1, MAX_BARS),
                   sort=P.choice(query, "sort", ("start", "duration"), "start"))

    def query(self, **change: Any) -> list[tuple[str, Any]]:
        out = self.common_query()
        color = change.get("color", self.color)
        if color:
            out.append(("color", color))
        return out


@dataclass
class Timeline:
    keys: list[str]
    color: str | None
    total: int                                   # things matching
    shown: list[dict[str, Any]]                  # the things drawn: keys, start, end, ...
    concurrency: dict[str, Any] | None           # {"max", "at", "series"}
    kinds: list[tuple[str, list[str]]] = field(default_factory=list)
    colour_keys: list[str] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)


def _thin(series: list, limit: int = MAX_POINTS) -> list:
    """A step series cut to ``limit`` points, keeping each bucket's maximum (peaks survive)."""
    if len(series) <= limit:
        return [list(p) for p in series]
    t0, t1 = series[0][0], series[-1][0]
    width = (t1 - t0) / limit or 1.0
    buckets: dict[int, list] = {}
    for t, n in series:
        b = int((t - t0) / width)
        if b not in buckets or n > buckets[b][1]:
            buckets[b] = [t, n]
    return [buckets[b] for b in sorted(buckets)]


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def data(pool: Any, params: Params) -> Timeline:
    keys, table, missing = lifetimes_of(pool, params)
    kinds = thing_kinds(pool)
    cols = columns(pool)
    colour_keys = [c for c in cols if c.endswith(("state", "status", "status_name", "state_name",
                                                  "event", "source", "hostname", "executor",
                                                  "block_id", "manager_id", "action"))]
    if params.color and params.color not in cols:
        missing.append(params.color)
    if table is None or missing:
        return Timeline(keys, params.color, 0, [], None, kinds, colour_keys, missing)
    ev = analysis()
    conc = ev.concurrency(table)
    concurrency = conc.to_dict() if hasattr(conc, "to_dict") else dict(conc)
    concurrency["series"] = _thin(concurrency.get("series", []))
    ordered = table.sort_values(["duration", "start"] if params.sort == "duration" else
                                ["start"], ascending=params.sort != "duration")
    shown = ordered.head(params.n)
    colours = colour_values(pool, keys, params.color, params) if params.color else {}
    things = []
    for rec in shown.to_dict("records"):
        values = tuple(rec[k] for k in keys)
        thing = {"values": list(values), "start": rec["start"], "end": rec["end"],
                 "duration": rec["duration"], "events": int(rec["events"])}
        if params.color:
            thing["color"] = colours.get(values)
        things.append(thing)
    return Timeline(keys, params.color, len(table), things, concurrency, kinds,
                    colour_keys, [])


def figure(data: Timeline) -> Any:
    """Bars of the shown things over time, concurrency under them (shared, zoomable x)."""
    if not data.shown:
        return None
    import pandas as pd
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.78, 0.22],
                        vertical_spacing=0.04)
    labels = [label(t["values"]) for t in data.shown]
    if len(set(labels)) != len(labels):
        labels = [f"{lab} #{i + 1}" for i, lab in enumerate(labels)]
    groups: dict[str, list[int]] = {}
    for i, thing in enumerate(data.shown):
        key = "" if thing.get("color") is None else str(thing["color"])
        groups.setdefault(key, []).append(i)
    for name, idx in groups.items():
        idx = [i for i in idx
               if _finite(data.shown[i]["start"]) and _finite(data.shown[i]["end"])]
        if not idx:
            continue
        fig.add_trace(go.Bar(
            orientation="h", y=[labels[i] for i in idx],
            base=pd.to_datetime([data.shown[i]["start"] for i in idx], unit="s"),
            x=[max(float(data.shown[i]["duration"]), 0.0) * 1000 for i in idx],
            name=name or "(none)" if data.color else "things", showlegend=bool(data.color),
            customdata=[[data.shown[i]["duration"], data.shown[i]["events"], labels[i]]
                        for i in idx],
            hovertemplate="%{customdata[2]}<br>%{base}<br>%{customdata[0]:.3f} s, "
                          "%{customdata[1]} events<extra>%{fullData.name}</extra>",
        ), row=1, col=1)
    series = (data.concurrency or {}).get("series") or []
    if series:
        fig.add_trace(go.Scatter(
            x=pd.to_datetime([t for t, _ in series], unit="s"), y=[n for _, n in series],
            mode="lines", line_shape="hv", name="alive at once", showlegend=False,
            hovertemplate="%{x}<br>%{y} alive<extra></extra>"), row=2, col=1)
    fig.update_xaxes(type="date")
    fig.update_yaxes(autorange="reversed", type="category", categoryorder="array",
                     categoryarray=labels, row=1, col=1)
    fig.update_yaxes(title_text="at once", rangemode="tozero", row=2, col=1)
    fig.update_layout(barmode="overlay", height=min(2400, 220 + 14 * len(labels)),
                      margin={"l": 10, "r": 10, "t": 30, "b": 30},
                      title_text=" · ".join(data.keys), legend_title_text=data.color or "",
                      template="plotly_white")
    return fig


def notebook_call(params: Params) -> str:
    return (repr_call("timeline", "data", thing=params.thing, where=params.where,
                      since=params.since, until=params.until, color=params.color,
                      n=params.n if params.n != DEFAULT_BARS else None,
                      sort=params.sort if params.sort != "start" else None)
            + "\ntimeline.figure(data).show()")
