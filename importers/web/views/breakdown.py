"""Breakdown: "where did the time go?", per run, as a stacked bar and a table.

The numbers are those of ``ev-import breakdown --json`` (``breakdown(pool, run, expect)``):
the phases (start-up, action execution, messaging, client, shutdown) add up to the wall time,
and start-up is split by layer. Without ``run``, every Parsl run in the pool (up to
``MAX_RUNS``) gets its own bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .. import params as P
from ._common import analysis, columns, fetch, ident

NAME = "breakdown"
TITLE = "Breakdown"
PATH = "/breakdown"
TEMPLATE = "breakdown.html"
MAX_RUNS = 10
PHASE_COLOURS = {"startup": "#8c6bb1", "action_execution": "#2ca25f", "messaging": "#fd8d3c",
                 "client": "#6baed6", "shutdown": "#969696"}


@dataclass(frozen=True)
class Params:
    run: str | None = None
    expect: float | None = None

    @classmethod
    def from_query(cls, query: dict[str, list[str]]) -> Params:
        expect = P.text(query, "expect", max_len=30)
        if expect is not None:
            try:
                value = float(expect)
            except ValueError:
                raise P.BadParam("expect", f"{expect!r} is not a number of seconds") from None
            if not math.isfinite(value) or value < 0:
                raise P.BadParam("expect", "must be a finite number of seconds >= 0")
            expect = value
        return cls(run=P.text(query, "run", max_len=1000), expect=expect)


@dataclass
class RunBreakdown:
    run: str | None
    result: dict[str, Any] | None     # breakdown(...).to_dict(), the JSON shape of the CLI
    problem: str | None = None        # why there is no breakdown for this run


@dataclass
class BreakdownPage:
    runs: list[RunBreakdown] = field(default_factory=list)
    more_runs: int = 0
    unavailable: str | None = None


def _runs(pool: Any) -> tuple[list[str], int]:
    if "parsl.run_id" not in columns(pool):
        return [], 0
    k = ident("parsl.run_id")
    runs = [r[0] for r in fetch(pool,
        f"SELECT {k} FROM events WHERE {k} IS NOT NULL GROUP BY 1 "
        f"ORDER BY min(created) NULLS LAST, 1")]
    return runs[:MAX_RUNS], max(0, len(runs) - MAX_RUNS)


def data(pool: Any, params: Params) -> BreakdownPage:
    ev = analysis()
    breakdown = getattr(ev, "breakdown", None)
    if breakdown is None:
        return BreakdownPage(unavailable="this version of ev-import has no breakdown function")
    if params.run is not None:
        runs, more = [params.run], 0
    else:
        runs, more = _runs(pool)
        runs = runs or [None]
    page = BreakdownPage(more_runs=more)
    for run in runs:
        try:
            result = breakdown(pool, run=run, expect=params.expect)
        except Exception as exc:  # a run without a client, a pool without runs: say so
            page.runs.append(RunBreakdown(run, None, str(exc).splitlines()[0][:300]
                                          if str(exc) else type(exc).__name__))
            continue
        result = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        page.runs.append(RunBreakdown(run, result))
    return page


def figure(data: BreakdownPage) -> Any:
    """One horizontal stacked bar per run, one segment per phase."""
    done = [r for r in data.runs if r.result]
    if not done:
        return None
    import plotly.graph_objects as go

    labels = [(r.run or "pool")[-12:] for r in done]
    phases: list[str] = []
    for r in done:
        for phase in r.result.get("phases", []):
            if phase["phase"] not in phases:
                phases.append(phase["phase"])
    fig = go.Figure()
    for name in phases:
        secs = [next((p["seconds"] for p in r.result["phases"] if p["phase"] == name), 0.0)
                for r in done]
        fig.add_trace(go.Bar(orientation="h", y=labels, x=secs, name=name,
                             marker_color=PHASE_COLOURS.get(name),
                             hovertemplate="%{x:.3f} s<extra>%{fullData.name}</extra>"))
    fig.update_layout(barmode="stack", template="plotly_white", height=160 + 40 * len(done),
                      xaxis_title="seconds of wall time", yaxis_type="category",
                      margin={"l": 10, "r": 10, "t": 30, "b": 40}, legend_orientation="h")
    return fig


def notebook_call(params: Params) -> str:
    return ("from importers import analysis as ev\n"
            "pool = ev.open_pool(POOL)\n"
            f"ev.breakdown(pool, run={params.run!r}, expect={params.expect!r}).to_dict()")
