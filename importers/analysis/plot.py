"""Pictures of a pool: timelines of things, how many at once, how long they took.

A *thing* is a set of keys (``parsl.task_id``, ``academy.action_tag``...). Its bar runs
from its first event to its last. ``color_by`` colours the bar by a key's value over time:
each event that carries the key starts a segment in that value's colour, up to the thing's
next such event (so a Parsl task's bar shows pending, launched, running...; a constant key
such as a worker colours the whole bar). ``against`` draws a second family of things above,
on the same time axis (the agents an Academy client talked to), and ``breakdown`` adds the
run's phases from :func:`importers.analysis.breakdown.breakdown` as a band on top.

PNG and SVG come from matplotlib (Agg, no display needed); HTML from Plotly with its
JavaScript embedded in the file (``include_plotlyjs=True``), so the page opens on a login
node or a laptop with no network, which a CDN-loaded page would not (Parsl's own monitoring
UI is blank offline for that reason).

The two plots of the talk, one call each::

    from importers.analysis import plot
    plot.timeline("evpool", ["parsl.run_id", "parsl.task_id"],
                  color_by="parsl.task_status_name", out="tasks.png")
    plot.timeline("evpool", ["academy.action_tag"], color_by="academy.action_state",
                  against=["academy.agent_id"], breakdown=True, out="messages.html")
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from ..core.errors import UnusableInput
from .breakdown import _as_pool, _Cols, lit, q

MAX_THINGS = 2000
# Stable colours for the values the talk's plots show; other values cycle through tab20.
KNOWN_COLORS = {
    # Parsl task states
    "pending": "#c7c7c7", "launched": "#ffbb78", "running": "#2ca02c",
    "running_ended": "#98df8a", "exec_done": "#1f77b4", "failed": "#d62728",
    "fail_retryable": "#ff9896", "dep_fail": "#8c564b", "memo_done": "#17becf",
    # Academy action states (client side, then agent side)
    "start": "#dbdb8d", "sending": "#bcbd22", "waiting": "#ffbb78",
    "execute_start": "#2ca02c", "execute_success": "#98df8a", "execute_exception": "#d62728",
    "success": "#1f77b4", "exception": "#d62728", "cancelled": "#7f7f7f",
    # breakdown phases
    "startup": "#ff7f0e", "action_execution": "#2ca02c", "messaging": "#9467bd",
    "client": "#1f77b4", "shutdown": "#7f7f7f", "waiting_for_dependencies": "#c7c7c7",
    "waiting_for_worker": "#ffbb78", "returning_results": "#98df8a",
}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
           "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"]


class PlotError(UnusableInput):
    """Nothing to draw, or an output the plotter cannot write."""


# Colour keys computed from the records: a lifecycle phase with a rank. Records of a thing come
# from several processes (the client logs "waiting" after the agent logged "execute_start"),
# so a record whose rank is below one already seen for that thing does not go back a phase.
DERIVED: dict[str, tuple[str, list[tuple[str, str]]]] = {
    # key: (the column it reads, [(SQL condition on that column, phase)] in lifecycle order)
    "academy.message_phase": ("academy.action_state", [
        ("v IN ('start', 'sending', 'waiting')", "request in flight"),
        ("v = 'execute_start'", "executing"),
        ("v IN ('execute_success', 'execute_exception', 'execute_cancelled')",
         "response in flight"),
        ("v IN ('success', 'exception', 'cancelled')", "received"),
    ]),
    "academy.agent_state": ("formatted", [
        ("v LIKE 'Registered AgentId%' OR v LIKE 'Launch%agent%'", "launching"),
        ("v LIKE 'Starting agent%'", "starting"),
        ("v LIKE 'Running agent%'", "running"),
        ("v LIKE 'Shutting down agent%'", "shutting down"),
        ("v LIKE 'Shutdown agent%'", "stopped"),
    ]),
}
KNOWN_COLORS.update({"request in flight": "#ffbb78", "executing": "#2ca02c",
                     "response in flight": "#9467bd", "received": "#1f77b4",
                     "launching": "#ffbb78", "starting": "#ff7f0e", "shutting down": "#c7c7c7",
                     "stopped": "#7f7f7f"})

# The talk's two plots, one flag each (``ev-import plot --preset NAME``).
PRESETS: dict[str, dict[str, Any]] = {
    "parsl-tasks": {"thing": ["parsl.run_id", "parsl.task_id"],
                    "color_by": "parsl.task_status_name",
                    "title": "Parsl task lifetimes by state"},
    "academy-messages": {"thing": ["academy.action_tag"], "color_by": "academy.message_phase",
                         "against": ["academy.agent_id"],
                         "against_color_by": "academy.agent_state", "breakdown": True,
                         "title": "Academy messages against the agents' timeline"},
}


def _where_sql(c: _Cols, where: list[tuple[str, str]] | None) -> str:
    parts = []
    for k, v in where or []:
        parts.append(f"CAST({c(k)} AS VARCHAR) = {lit(v)}")
    return " AND ".join(parts) or "TRUE"


def things(pool: Any, thing: list[str], color_by: str | None = None,
           where: list[tuple[str, str]] | None = None, limit: int = MAX_THINGS
           ) -> tuple[list[dict[str, Any]], int]:
    """Bars for each thing: [{"label", "start", "end", "segments": [(s, e, value)]}], and
    how many things there were (only the first ``limit`` by start time are returned)."""
    pool = _as_pool(pool)
    c = _Cols(pool)
    missing = [k for k in thing if k not in c]
    if missing:
        raise PlotError(f"no event in the pool has the key {missing[0]!r}")
    keys = ", ".join(f"CAST({c(k)} AS VARCHAR)" for k in thing)
    notnull = " AND ".join(f"{c(k)} IS NOT NULL" for k in thing)
    value = rank = ""
    if color_by in DERIVED:
        col, phases = DERIVED[color_by]
        v = f"CAST({c(col)} AS VARCHAR)"
        value = ", CASE " + " ".join(f"WHEN {_subst(cond, v)} THEN {lit(ph)}"
                                     for cond, ph in phases) + " END"
        rank = ", CASE " + " ".join(f"WHEN {_subst(cond, v)} THEN {i}"
                                    for i, (cond, _) in enumerate(phases)) + " END"
    elif color_by:
        value, rank = f", CAST({c(color_by)} AS VARCHAR)", ", 0"
    base = f"""SELECT {keys}, created {value} {rank}
               FROM events WHERE {notnull} AND created IS NOT NULL AND {_where_sql(c, where)}"""
    cols = [f"k{i}" for i in range(len(thing))]
    kl = ", ".join(cols)
    pool.sql(f"CREATE OR REPLACE TEMP TABLE _pl_ev AS SELECT * FROM ({base}) "
             f"AS t({kl}, created{', v, r' if color_by else ''})")
    total = pool.sql(f"SELECT count(*) FROM (SELECT DISTINCT {kl} FROM _pl_ev)").fetchall()[0][0]
    life = pool.sql(f"""SELECT {kl}, min(created) AS s, max(created) AS e FROM _pl_ev
                        GROUP BY {kl} ORDER BY s, {kl} LIMIT {int(limit)}""").fetchall()
    bars: dict[tuple, dict[str, Any]] = {}
    for row in life:
        key = tuple(row[:len(thing)])
        bars[key] = {"label": _label(thing, key), "key": dict(zip(thing, key, strict=False)),
                     "start": row[-2], "end": row[-1], "segments": []}
    if color_by and bars:
        segs = pool.sql(f"""
            WITH l AS ({f"SELECT {kl}, min(created) AS s, max(created) AS e FROM _pl_ev "
                       f"GROUP BY {kl} ORDER BY s, {kl} LIMIT {int(limit)}"}),
            x AS (SELECT x.*, l.e AS thing_end,
                         max(r) OVER (PARTITION BY {kl} ORDER BY created ROWS BETWEEN
                                      UNBOUNDED PRECEDING AND 1 PRECEDING) AS seen
                  FROM _pl_ev x JOIN l USING ({kl}) WHERE x.v IS NOT NULL),
            v AS (SELECT * FROM x WHERE seen IS NULL OR r >= seen)
            SELECT {kl}, created, coalesce(lead(created) OVER (PARTITION BY {kl}
                       ORDER BY created), thing_end) AS e2, v
            FROM v ORDER BY {kl}, created""").fetchall()
        for row in segs:
            key = tuple(row[:len(thing)])
            s, e, v = row[len(thing):]
            segs_of = bars[key]["segments"]
            if segs_of and segs_of[-1][2] == v:  # the same value again: one longer segment
                segs_of[-1] = (segs_of[-1][0], e, v)
            else:
                segs_of.append((s, e, v))
    pool.sql("DROP TABLE IF EXISTS _pl_ev")
    return list(bars.values()), int(total)


def _subst(cond: str, expr: str) -> str:
    """A DERIVED condition with its column put in for ``v``."""
    import re

    return re.sub(r"\bv\b", expr, cond)


def _label(keys: list[str], values: tuple) -> str:
    parts = []
    for k, v in zip(keys, values, strict=False):
        v = str(v)
        if len(v) > 14 and "-" in v:  # run ids and tags: a prefix is enough to tell apart
            v = v[:8]
        parts.append(v if len(keys) > 1 else f"{k.rsplit('.', 1)[-1]} {v}")
    return " ".join(parts)


def _colors(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    i = 0
    for v in values:
        if v in out:
            continue
        if v in KNOWN_COLORS:
            out[v] = KNOWN_COLORS[v]
        else:
            out[v] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def timeline(pool: Any, thing: list[str], *, color_by: str | None = None,
             against: list[str] | None = None, against_color_by: str | None = None,
             breakdown: bool = False, run: str | None = None,
             where: list[tuple[str, str]] | None = None, out: str | Path = "timeline.png",
             title: str | None = None, limit: int = MAX_THINGS) -> dict[str, Any]:
    """Draw one bar per thing (and the ``against`` things and breakdown band above it) into
    ``out`` (.png, .svg or .html). Returns what was drawn: counts and the output path."""
    pool = _as_pool(pool)
    bars, total = things(pool, thing, color_by, where, limit)
    if not bars:
        raise PlotError("no events with " + ", ".join(thing) + " in the pool")
    panels = []
    if breakdown:
        from .breakdown import breakdown as _bd

        b = _bd(pool, run=run)
        segs = b.segments or []
        band = [{"label": p, "start": b.start, "end": b.end, "segments": [
            (s, e, p) for s, e, lab in segs if lab.split("/", 1)[0] == p]}
            for p in dict.fromkeys(lab.split("/", 1)[0] for _, _, lab in segs)]
        panels.append(("breakdown of " + b.run + f" ({b.wall_s:.1f} s)", band, "phase"))
    if against:
        abars, _ = things(pool, against, against_color_by, None, limit)
        panels.append((", ".join(against), abars, against_color_by))
    name = ", ".join(thing)
    shown = f"{len(bars)} of {total}" if total > len(bars) else f"{total}"
    panels.append((f"{name} ({shown})" + (f" by {color_by}" if color_by else ""), bars,
                   color_by))
    title = title or f"{name} lifetimes" + (f" by {color_by}" if color_by else "")
    out = Path(out)
    _draw(panels, out, title)
    return {"out": str(out), "things": len(bars), "total": total,
            "panels": [p[0] for p in panels]}


def _draw(panels: list[tuple[str, list[dict], str | None]], out: Path, title: str) -> None:
    suffix = out.suffix.lower()
    if suffix == ".html":
        _draw_plotly(panels, out, title)
    elif suffix in (".png", ".svg", ".pdf"):
        _draw_matplotlib(panels, out, title)
    else:
        raise PlotError(f"cannot write {out.name}: the output must end in .png, .svg or .html")


def _t0(panels) -> float:
    return min(b["start"] for _, bars, _ in panels for b in bars)


def _draw_matplotlib(panels, out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    t0 = _t0(panels)
    heights = [max(1.2, 0.22 * len(bars) + 0.6) for _, bars, _ in panels]
    fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                             figsize=(11, min(40, sum(heights) + 1.2)),
                             gridspec_kw={"height_ratios": heights})
    values = [s[2] for _, bars, _ in panels for b in bars for s in b["segments"]]
    colors = _colors([str(v) for v in values])
    for ax, (label, bars, _cb) in zip(axes[:, 0], panels, strict=False):
        for y, b in enumerate(bars):
            ax.barh(y, max(b["end"] - b["start"], 1e-3), left=b["start"] - t0, height=0.8,
                    color="#e0e0e0" if b["segments"] else "#4c72b0", edgecolor="none")
            for s, e, v in b["segments"]:
                ax.barh(y, max(e - s, 1e-3), left=s - t0, height=0.8, color=colors[str(v)],
                        edgecolor="none")
        ax.set_yticks(range(len(bars)))
        ax.set_yticklabels([b["label"] for b in bars], fontsize=7 if len(bars) > 20 else 8)
        ax.set_ylim(len(bars) - 0.5, -0.5)
        ax.set_title(label, fontsize=9, loc="left")
        ax.grid(axis="x", alpha=0.3)
        seen = list(dict.fromkeys(str(s[2]) for b in bars for s in b["segments"]))
        if seen:
            ax.legend(handles=[Patch(color=colors[v], label=v) for v in seen[:20]],
                      fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    axes[-1, 0].set_xlabel(f"seconds since {_when(t0)}")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def _when(t: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(t).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def _draw_plotly(panels, out: Path, title: str) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    t0 = _t0(panels)
    heights = [max(1.0, len(bars)) for _, bars, _ in panels]
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[h / sum(heights) for h in heights],
                        subplot_titles=[html.escape(p[0]) for p in panels])
    values = [s[2] for _, bars, _ in panels for b in bars for s in b["segments"]]
    colors = _colors([str(v) for v in values])
    legend_done: set[str] = set()
    for row, (_, bars, _cb) in enumerate(panels, start=1):
        labels = [html.escape(b["label"]) for b in bars]
        # the whole lifetime of each thing, under its coloured segments
        fig.add_trace(go.Bar(
            y=labels, x=[max(b["end"] - b["start"], 1e-3) for b in bars],
            base=[b["start"] - t0 for b in bars], orientation="h", showlegend=False,
            marker_color=["#e0e0e0" if b["segments"] else "#4c72b0" for b in bars],
            hovertext=[f"{html.escape(b['label'])}: {b['end'] - b['start']:.3f} s"
                       for b in bars], hoverinfo="text"), row=row, col=1)
        by_value: dict[str, list] = {}
        for b, lab in zip(bars, labels, strict=False):
            for s, e, v in b["segments"]:
                by_value.setdefault(str(v), []).append((lab, s, e))
        for v, segs in by_value.items():
            fig.add_trace(go.Bar(
                y=[x[0] for x in segs], x=[max(x[2] - x[1], 1e-3) for x in segs],
                base=[x[1] - t0 for x in segs], orientation="h", name=html.escape(v),
                marker_color=colors[v], legendgroup=v, showlegend=v not in legend_done,
                hovertext=[f"{x[0]}: {html.escape(v)} {x[2] - x[1]:.3f} s" for x in segs],
                hoverinfo="text"), row=row, col=1)
            legend_done.add(v)
        fig.update_yaxes(autorange="reversed", row=row, col=1)
    fig.update_layout(barmode="overlay", title=html.escape(title),
                      height=min(4000, 200 + 22 * sum(len(b) for _, b, _ in panels)))
    fig.update_xaxes(title_text=f"seconds since {_when(t0)}", row=len(panels), col=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(str(out), include_plotlyjs=True, full_html=True)


def concurrency(pool: Any, thing: list[str], *, where: list[tuple[str, str]] | None = None,
                out: str | Path = "concurrency.png") -> dict[str, Any]:
    """How many things were alive at once: a step plot, with its maximum marked."""
    pool = _as_pool(pool)
    c = _Cols(pool)
    keys = ", ".join(c(k) for k in thing)
    notnull = " AND ".join(f"{c(k)} IS NOT NULL" for k in thing)
    rows = pool.sql(f"""
        WITH l AS (SELECT {keys}, min(created) AS s, max(created) AS e FROM events
                   WHERE {notnull} AND created IS NOT NULL AND {_where_sql(c, where)}
                   GROUP BY ALL),
        d AS (SELECT s AS t, 1 AS d FROM l UNION ALL SELECT e, -1 FROM l)
        SELECT t, sum(sum(d)) OVER (ORDER BY t) FROM d GROUP BY t ORDER BY t""").fetchall()
    if not rows:
        raise PlotError("no events with " + ", ".join(thing) + " in the pool")
    series = [(float(t), int(n)) for t, n in rows]
    peak = max(series, key=lambda x: x[1])
    t0 = series[0][0]
    out = Path(out)
    title = f"{', '.join(thing)} alive at once (max {peak[1]})"
    xs = [t - t0 for t, _ in series]
    ys = [n for _, n in series]
    if out.suffix.lower() == ".html":
        import plotly.graph_objects as go

        fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines", line_shape="hv"))
        fig.update_layout(title=html.escape(title), xaxis_title=f"seconds since {_when(t0)}",
                          yaxis_title="alive")
        fig.write_html(str(out), include_plotlyjs=True, full_html=True)
    elif out.suffix.lower() in (".png", ".svg", ".pdf"):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(10, 3.5))
        ax.step(xs, ys, where="post")
        ax.plot([peak[0] - t0], [peak[1]], "o", color="#d62728")
        ax.set_xlabel(f"seconds since {_when(t0)}")
        ax.set_ylabel("alive")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(out, dpi=110)
        plt.close(fig)
    else:
        raise PlotError(f"cannot write {out.name}: the output must end in .png, .svg or .html")
    return {"out": str(out), "max": peak[1], "at": peak[0], "points": len(series)}


def histogram(pool: Any, thing: list[str], *, where: list[tuple[str, str]] | None = None,
              out: str | Path = "durations.png", bins: int = 30) -> dict[str, Any]:
    """Durations of the things (last event - first event): a histogram with the median."""
    pool = _as_pool(pool)
    c = _Cols(pool)
    keys = ", ".join(c(k) for k in thing)
    notnull = " AND ".join(f"{c(k)} IS NOT NULL" for k in thing)
    durs = [r[0] for r in pool.sql(f"""
        SELECT max(created) - min(created) FROM events
        WHERE {notnull} AND created IS NOT NULL AND {_where_sql(c, where)}
        GROUP BY {keys}""").fetchall()]
    if not durs:
        raise PlotError("no events with " + ", ".join(thing) + " in the pool")
    durs.sort()
    median = durs[len(durs) // 2]
    out = Path(out)
    title = f"{', '.join(thing)}: {len(durs)} durations, median {median:.3f} s"
    if out.suffix.lower() == ".html":
        import plotly.graph_objects as go

        fig = go.Figure(go.Histogram(x=durs, nbinsx=bins))
        fig.update_layout(title=html.escape(title), xaxis_title="seconds",
                          yaxis_title="count")
        fig.write_html(str(out), include_plotlyjs=True, full_html=True)
    elif out.suffix.lower() in (".png", ".svg", ".pdf"):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 3.5))
        ax.hist(durs, bins=max(1, min(bins, int(math.sqrt(len(durs))) + 1)))
        ax.axvline(median, color="#d62728", linestyle="--", label=f"median {median:.3f} s")
        ax.set_xlabel("seconds")
        ax.set_ylabel("count")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out, dpi=110)
        plt.close(fig)
    else:
        raise PlotError(f"cannot write {out.name}: the output must end in .png, .svg or .html")
    return {"out": str(out), "count": len(durs), "median": median}


__all__ = ["timeline", "concurrency", "histogram", "things", "PlotError", "q"]
