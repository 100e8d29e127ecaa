"""Durations: how long things lived, as a histogram and percentiles (``durations``).

``/durations?thing=parsl.run_id,parsl.task_id`` with the same filters as the timeline; the
slowest things are listed with links to their pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import params as P
from ._common import analysis, repr_call
from ._things import ThingParams, lifetimes_of, thing_kinds

NAME = "durations"
TITLE = "Durations"
PATH = "/durations"
TEMPLATE = "durations.html"
SLOWEST = 20


@dataclass(frozen=True)
class Params(ThingParams):
    bins: int = 20

    @classmethod
    def from_query(cls, query: dict[str, list[str]]) -> Params:
        return cls(**cls.common(query), bins=P.integer(query, "bins", 20, 1, 500))


@dataclass
class DurationsPage:
    keys: list[str]
    count: int
    percentiles: list[tuple[str, float]]   # ("min", s), ("p50", s), ..., ("max", s)
    mean: float | None
    histogram: list[tuple[float, float, int]]   # (from s, to s, things)
    slowest: list[dict[str, Any]]
    kinds: list[tuple[str, list[str]]] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)


def data(pool: Any, params: Params) -> DurationsPage:
    """``durations(lifetimes(...))`` of the matching things, and the slowest of them."""
    keys, table, missing = lifetimes_of(pool, params)
    kinds = thing_kinds(pool)
    if table is None or missing or len(table) == 0:
        return DurationsPage(keys, 0, [], None, [], [], kinds, missing)
    stats = analysis().durations(table, bins=params.bins)
    percentiles = [("min", stats.min), *stats.percentiles.items(), ("max", stats.max)]
    known = table[table["duration"].notna()]
    slowest = [
        {"values": [rec[k] for k in keys], "start": rec["start"], "duration": rec["duration"],
         "events": int(rec["events"])}
        for rec in known.sort_values("duration", ascending=False).head(SLOWEST).to_dict("records")
    ]
    return DurationsPage(keys, stats.count, [(k, v) for k, v in percentiles if v is not None],
                         stats.mean, list(stats.histogram), slowest, kinds, [])


def figure(data: DurationsPage) -> Any:
    if not data.histogram:
        return None
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(
        x=[(lo + hi) / 2 for lo, hi, _ in data.histogram], y=[n for _, _, n in data.histogram],
        width=[max(hi - lo, 1e-9) for lo, hi, _ in data.histogram], name="things",
        customdata=[[lo, hi] for lo, hi, _ in data.histogram],
        hovertemplate="%{customdata[0]:.3f}–%{customdata[1]:.3f} s: %{y}<extra></extra>"))
    for name, seconds in data.percentiles:
        if name in ("p50", "p90", "p99"):
            fig.add_vline(x=seconds, line_dash="dot", line_color="#555",
                          annotation_text=f"{name} {seconds:.3f} s")
    fig.update_layout(height=380, template="plotly_white", bargap=0.02,
                      xaxis_title="duration (s)", yaxis_title="things",
                      title_text=" · ".join(data.keys),
                      margin={"l": 10, "r": 10, "t": 40, "b": 40})
    return fig


def notebook_call(params: Params) -> str:
    return (repr_call("durations", "data", thing=params.thing, where=params.where,
                      since=params.since, until=params.until)
            + "\n# or: ev.durations(ev.lifetimes(pool.events(), thing=[...]))")
