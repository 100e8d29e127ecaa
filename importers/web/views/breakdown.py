"""Breakdown: "where did the time go?", per run, as a stacked bar and a table.

The numbers are those of ``ev-import breakdown --json`` (``breakdown(pool, run, expect)``):
the phases (start-up, action execution, messaging, client, shutdown) add up to the wall time,
and start-up is split by layer. Without ``run``, the latest run (or the latest ``runs=N``,
up to ``MAX_RUNS``) gets a bar each; every other run the breakdown finds (Academy clients,
Parsl runs) is a link to its own.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any

from importers.core.errors import EvImportError

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
    runs: int = 1

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
        return cls(run=P.text(query, "run", max_len=1000), expect=expect,
                   runs=P.integer(query, "runs", 1, 1, MAX_RUNS))


@dataclass
class RunBreakdown:
    run: str | None
    result: dict[str, Any] | None     # breakdown(...).to_dict(), the JSON shape of the CLI
    problem: str | None = None        # why there is no breakdown for this run
    kind: str | None = None           # "academy" or "parsl"


@dataclass
class BreakdownPage:
    runs: list[RunBreakdown] = field(default_factory=list)     # latest first
    other_runs: list[str] = field(default_factory=list)        # not broken down here
    unavailable: str | None = None


def _breakdown_module() -> Any:
    """``importers.analysis.breakdown`` (the module: ``ev.breakdown`` is its function)."""
    import importlib

    try:
        return importlib.import_module("importers.analysis.breakdown")
    except ImportError:
        return None


def _runs(pool: Any, module: Any) -> list[tuple[str, str | None]]:
    """(run, kind) of every run the breakdown can answer for, oldest first."""
    if module is not None and hasattr(module, "runs"):
        return [(str(r["run"]), r.get("kind")) for r in module.runs(pool)
                if not r.get("agent_launcher")]
    if "parsl.run_id" not in columns(pool):
        return []
    k = ident("parsl.run_id")
    return [(r[0], None) for r in fetch(
        pool, f"SELECT {k} FROM events WHERE {k} IS NOT NULL GROUP BY 1 "
              f"ORDER BY min(created) NULLS LAST, 1")]


def data(pool: Any, params: Params) -> BreakdownPage:
    """``breakdown(pool, run, expect)`` of the run asked for, else of the latest runs."""
    module = _breakdown_module()
    breakdown = getattr(module, "breakdown", None) or getattr(analysis(), "breakdown", None)
    if breakdown is None:
        return BreakdownPage(unavailable="this version of ev-import has no breakdown function")
    if params.run is not None:
        chosen, others = [(params.run, None)], []
    else:
        every = _runs(pool, module)
        chosen, others = every[-params.runs:], every[:-params.runs]
    page = BreakdownPage(other_runs=[r for r, _ in others])
    takes_kind = "kind" in inspect.signature(breakdown).parameters
    for run, kind in reversed(chosen):
        try:
            if takes_kind and kind is not None:
                result = breakdown(pool, run=run, expect=params.expect, kind=kind)
            else:
                result = breakdown(pool, run=run, expect=params.expect)
        except EvImportError as exc:  # no such run, a run without a client: say so
            page.runs.append(RunBreakdown(run, None, exc.line()))
            continue
        result = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        page.runs.append(RunBreakdown(run, result, kind=kind or result.get("kind")))
    return page


def figure(data: BreakdownPage) -> Any:
    """One horizontal stacked bar per run, one segment per phase."""
    done = [r for r in data.runs if r.result]
    if not done:
        return None
    import plotly.graph_objects as go

    labels = [f"{r.kind or 'run'} …{(r.run or 'pool')[-10:]}" for r in done]
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
                      margin={"l": 10, "r": 10, "t": 40, "b": 40},
                      legend={"orientation": "h", "traceorder": "normal", "y": 1.02,
                              "yanchor": "bottom", "x": 0})
    return fig


def notebook_call(params: Params) -> str:
    return ("from importers import analysis as ev\n"
            "pool = ev.open_pool(POOL)\n"
            f"ev.breakdown(pool, run={params.run!r}, expect={params.expect!r}).to_dict()\n"
            "# every run it can answer for: importers.analysis.breakdown.runs(pool)")
