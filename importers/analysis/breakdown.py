"""Where did the time go? One run's wall time split into phases that add up.

The question of the talk: an Academy client calls an agent's action 16 times (0.5 s of work
each, then 0.5 s of client sleep); naively 16 s, really much more. :func:`breakdown` answers
it from a pool, per layer, with numbers that add up to the wall time.

**The model (Academy runs).** The *client* is the process that sends the action requests.
The wall time runs from the client process's first event to its last (its fork/exec and
exit when ``watch-procs`` recorded them, else its first and last log record, Parsl's
``parsl.log`` lines of its DataFlowKernel included). An agent is running from its runtime's
``Running agent`` record on. Every instant is attributed to exactly one phase, by priority:

1. ``action_execution``: some action of this client is executing inside an agent (the
   agent's ``execute_start`` .. ``execute_success``/``_exception``/``_cancelled`` records);
2. ``messaging``: an action is in flight (request ``sending`` .. response received on the
   client) and its agent is already running; detail ``request`` (before the agent starts
   executing it), ``response`` (after), ``unmatched`` (no agent-side records for it);
3. ``startup``: before the first action request is sent, or an action is in flight whose
   agent has not started running yet;
4. ``client``: otherwise (the client between actions);

and ``shutdown`` is everything after the last response is received. So the phases add up to
the wall time, by construction.

``startup`` and ``shutdown`` are split by layer from the milestones the pool holds, each
detail being the startup time up to that milestone from the previous one found:
``client_start`` (client process start -> Parsl DataFlowKernel start), ``parsl_strategy_wait``
(DFK start -> the first block submitted), ``batch_queue`` (block submitted -> its batch job
started, from sacct) or ``block_start`` (-> the block's first sign of life, without a batch
system), ``worker_start`` (-> the htex worker that ran the agent started), ``agent_startup``
(-> ``Running agent``), and ``other`` for what no milestone covers. ``executor_start``
(DFK start -> the executor's interchange logging) is split off the strategy wait: on a
loaded node starting the interchange and the monitoring router takes seconds, and the
issue's "DFK start to the first block submitted" is ``executor_start`` +
``parsl_strategy_wait``.

**Parsl-only runs** (no Academy action records): per task, time ``waiting_for_dependencies``
(``pending``), ``waiting_for_worker`` (``launched`` -> ``running``), ``running`` and
``returning_results`` (``running_ended`` -> ``exec_done``/``failed``), attributed with that
priority (running first) over the run's wall time; before the first task is submitted is
``startup``, after the last one ends is ``shutdown``, and no task alive is ``client``.

Everything heavy is SQL over the pool's ``events`` view (DuckDB): the per-action and
per-task intervals and the priority sweep (a running count per phase over the sorted
interval ends), so a pool of 10^8 events is read out of core; Python only handles one
run's handful of milestones.

Example::

    from importers import analysis as ev
    b = ev.breakdown("fixtures/demo/pool", expect=16)   # or an ev.open_pool(...) Pool
    b.to_dict()["phases"][0]                           # {'phase': 'startup', 'seconds': ...}
    print(b.table())
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from ..core.errors import UnusableInput

# Phases in the order the JSON lists them.
ACADEMY_PHASES = ("startup", "action_execution", "messaging", "client", "shutdown")
PARSL_PHASES = ("startup", "waiting_for_dependencies", "waiting_for_worker", "running",
                "returning_results", "client", "shutdown")
# Phases the naive expectation ("16 x (0.5 s work + 0.5 s client)") is made of.
WORK_PHASES = {"academy": ("action_execution", "client"), "parsl": ("running",)}

# Parsl task states -> the phase a task is in while it holds that state.
TASK_STATE_PHASE = {
    "pending": "waiting_for_dependencies",
    "joining": "waiting_for_dependencies",
    "launched": "waiting_for_worker",
    "fail_retryable": "waiting_for_worker",
    "running": "running",
    "running_ended": "returning_results",
}
TASK_END_STATES = ("exec_done", "failed", "dep_fail", "memo_done")

CLIENT_STATES = ("start", "sending", "waiting", "success", "exception", "cancelled")
RESPONSE_STATES = ("success", "exception")
EXEC_END_STATES = ("execute_success", "execute_exception", "execute_cancelled")

SEGMENT_LIMIT = 20000  # merged phase segments kept on the result for plots


class BreakdownError(UnusableInput):
    """The pool holds no run that can be broken down (or not the one asked for)."""


@dataclasses.dataclass
class Phase:
    phase: str
    seconds: float
    detail: list[Phase] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"phase": self.phase, "seconds": round(self.seconds, 6)}
        if self.detail:
            d["detail"] = [p.to_dict() for p in self.detail]
        return d


@dataclasses.dataclass
class Breakdown:
    """One run's answer. ``to_dict()`` is the JSON shape other tools read."""

    kind: str  # "academy" or "parsl"
    run: str
    start: float
    end: float
    phases: list[Phase]
    naive_s: float | None = None
    client: dict[str, Any] = dataclasses.field(default_factory=dict)
    milestones: dict[str, float] = dataclasses.field(default_factory=dict)
    segments: list[tuple[float, float, str]] | None = None
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)
    tasks: Any = None  # Parsl-only: a DataFrame, one row per task (seconds per phase)

    @property
    def wall_s(self) -> float:
        return self.end - self.start

    def seconds(self, phase: str) -> float:
        return next((p.seconds for p in self.phases if p.phase == phase), 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.wall_s, 6),
            "naive_s": self.naive_s,
            "phases": [p.to_dict() for p in self.phases],
            "kind": self.kind,
            "run": self.run,
            "start": self.start,
            "end": self.end,
            "client": self.client,
            "milestones": self.milestones,
            "counts": self.counts,
            "notes": self.notes,
        }

    def table(self, tz: datetime.tzinfo | None = None) -> str:
        """The answer for a terminal: seconds and percent per phase, the naive sum explained."""
        wall = self.wall_s
        when = datetime.datetime.fromtimestamp(self.start, tz or _local_zone())
        who = ", ".join(f"{k} {v}" for k, v in self.client.items())
        lines = [f"{self.kind} run {self.run}" + (f" ({who})" if who else ""),
                 f"from {when:%Y-%m-%d %H:%M:%S %Z}: wall time {wall:.2f} s", ""]
        width = max(len(d.phase) + 2 for p in self.phases for d in [p, *p.detail])
        width = max(width, 10)
        lines.append(f"{'phase':<{width}} {'seconds':>9} {'%':>7}")
        for p in self.phases:
            lines.append(f"{p.phase:<{width}} {p.seconds:9.2f} {_pct(p.seconds, wall):>7}")
            for d in p.detail:
                lines.append(f"  {d.phase:<{width - 2}} {d.seconds:9.2f} "
                             f"{_pct(d.seconds, wall):>7}")
        total = sum(p.seconds for p in self.phases)
        lines.append(f"{'total':<{width}} {total:9.2f} {_pct(total, wall):>7}")
        if self.naive_s is not None:
            work = WORK_PHASES[self.kind]
            worked = sum(self.seconds(p) for p in work)
            extra = wall - self.naive_s
            parts = [f"{p.phase} {p.seconds:.2f} s" for p in self.phases
                     if p.phase not in work and p.seconds >= 0.005]
            parts.append(f"{' + '.join(work)} {worked:.2f} s minus the naive "
                         f"{self.naive_s:.2f} s = {worked - self.naive_s:+.2f} s")
            lines += ["", f"naive expectation {self.naive_s:.2f} s; the run took "
                          f"{wall:.2f} s, {extra:+.2f} s more:",
                      "  " + "; ".join(parts)]
        for note in self.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines) + "\n"


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole > 0 else "-"


def _local_zone() -> datetime.tzinfo:
    return datetime.datetime.now().astimezone().tzinfo or datetime.timezone.utc


# --------------------------------------------------------------------------- SQL helpers

def q(name: str) -> str:
    """A pool key as a DuckDB identifier (keys have dots: "parsl.task_id")."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: Any) -> str:
    """A Python value as a SQL literal (pool content is data, never SQL)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


class _Cols:
    """The pool's columns: an expression for a key, or NULL when no file has that key."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.names = set(pool.sql("SELECT * FROM events LIMIT 0").columns)

    def __contains__(self, key: str) -> bool:
        return key in self.names

    def __call__(self, key: str, cast: str | None = None) -> str:
        if key not in self.names:
            return f"CAST(NULL AS {cast or 'VARCHAR'})"
        return f"TRY_CAST({q(key)} AS {cast})" if cast else q(key)


def _rows(pool: Any, sql: str) -> list[tuple]:
    return pool.sql(sql).fetchall()


def _one(pool: Any, sql: str) -> tuple:
    rows = _rows(pool, sql)
    return rows[0] if rows else ()


# --------------------------------------------------------------------------- the sweep

def _sweep(pool: Any, intervals_sql: str, labels: list[str], default: str,
           w0: float, w1: float) -> str:
    """SQL for the merged segments of [w0, w1], each labelled by the highest-priority label
    with an interval alive there (``labels`` in priority order), else ``default``.

    ``intervals_sql`` yields (s DOUBLE, e DOUBLE, label VARCHAR). The sweep is a running
    count per label over the sorted interval ends, so it is one sort, out of core.
    """
    cnt = ",\n".join(f"coalesce(sum(d) FILTER (WHERE label = {lit(lb)}), 0) AS d{i}"
                     for i, lb in enumerate(labels))
    cum = ",\n".join(f"sum(d{i}) OVER w AS c{i}" for i in range(len(labels)))
    case = " ".join(f"WHEN c{i} > 0 THEN {lit(lb)}" for i, lb in enumerate(labels))
    return f"""
    WITH iv AS (
        SELECT CAST(greatest(s, {w0!r}) AS DOUBLE) AS s,
               CAST(least(e, {w1!r}) AS DOUBLE) AS e, CAST(label AS VARCHAR) AS label
        FROM ({intervals_sql}) WHERE s IS NOT NULL AND e IS NOT NULL),
    pts AS (
        SELECT s AS t, label, 1 AS d FROM iv WHERE e > s
        UNION ALL SELECT e, label, -1 FROM iv WHERE e > s
        UNION ALL SELECT CAST({w0!r} AS DOUBLE), NULL, 0
        UNION ALL SELECT CAST({w1!r} AS DOUBLE), NULL, 0),
    agg AS (SELECT t, {cnt} FROM pts GROUP BY t),
    cum AS (SELECT t, lead(t) OVER (ORDER BY t) AS t2, {cum} FROM agg
            WINDOW w AS (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
    seg AS (SELECT t, t2, CASE {case} ELSE {lit(default)} END AS label FROM cum
            WHERE t2 IS NOT NULL AND t2 > t AND t >= {w0!r} AND t2 <= {w1!r}),
    chg AS (SELECT *, CASE WHEN label = lag(label) OVER (ORDER BY t) THEN 0 ELSE 1 END AS c
            FROM seg),
    grp AS (SELECT *, sum(c) OVER (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            AS g FROM chg)
    SELECT min(t) AS s, max(t2) AS e, any_value(label) AS label FROM grp GROUP BY g
    """


def _attribute(pool: Any, intervals_sql: str, labels: list[str], default: str,
               w0: float, w1: float, tail: tuple[float, str] | None,
               milestone_phases: dict[str, list[tuple[str, float, float]]],
               ) -> tuple[dict[str, float], dict[str, dict[str, float]], list | None]:
    """Seconds per label, per (phase, milestone detail), and the merged segments if few."""
    inner_end = tail[0] if tail else w1
    seg_sql = _sweep(pool, intervals_sql, labels, default, w0, max(w0, inner_end))
    pool.sql(f"CREATE OR REPLACE TEMP TABLE _bd_seg AS {seg_sql}")
    if tail and w1 > tail[0]:
        pool.sql(f"INSERT INTO _bd_seg VALUES ({max(w0, tail[0])!r}, {w1!r}, {lit(tail[1])})")
    # ordered, so sub-phase details come out the same every run (request before response)
    totals = dict(_rows(pool, "SELECT label, sum(e - s) FROM _bd_seg "
                              "GROUP BY label ORDER BY label"))
    details: dict[str, dict[str, float]] = {}
    for phase, spans in milestone_phases.items():
        if not spans:
            continue
        values = ", ".join(f"({lit(n)}, {a!r}, {b!r}, {i})" for i, (n, a, b) in enumerate(spans))
        rows = _rows(pool, f"""
            SELECT m.name, sum(least(s.e, m.b) - greatest(s.s, m.a)), any_value(m.i) AS i
            FROM _bd_seg s JOIN (VALUES {values}) AS m(name, a, b, i)
              ON s.label = {lit(phase)} AND s.e > m.a AND s.s < m.b
            GROUP BY m.name ORDER BY i""")
        details[phase] = {name: secs for name, secs, _ in rows}
    n = _one(pool, "SELECT count(*) FROM _bd_seg")[0]
    segments = None
    if n <= SEGMENT_LIMIT:
        segments = [tuple(r) for r in _rows(pool, "SELECT s, e, label FROM _bd_seg ORDER BY s")]
    pool.sql("DROP TABLE IF EXISTS _bd_seg")
    return {k: float(v) for k, v in totals.items()}, details, segments


def _milestone_spans(w0: float, marks: list[tuple[str, float | None]]
                     ) -> list[tuple[str, float, float]]:
    """[(name, from, to)]: each milestone's span from the previous milestone found."""
    spans = []
    prev = w0
    for name, t in marks:
        if t is None:
            continue
        if t > prev:
            spans.append((name, prev, t))
            prev = t
    return spans


def _phases(order: tuple[str, ...], totals: dict[str, float],
            details: dict[str, dict[str, float]], sub: dict[str, dict[str, float]]
            ) -> list[Phase]:
    """Phase list in ``order``; details from milestones (plus ``other``) or from sub-labels."""
    out = []
    for name in order:
        secs = sum(v for k, v in totals.items() if k == name or k.startswith(name + "/"))
        detail = []
        if name in details:
            covered = 0.0
            for dn, ds in details[name].items():
                if ds > 0:
                    detail.append(Phase(dn, ds))
                    covered += ds
            if detail and secs - covered > 1e-6:
                detail.append(Phase("other", secs - covered))
        elif name in sub:
            detail = [Phase(dn, ds) for dn, ds in sub[name].items() if ds > 0]
        out.append(Phase(name, secs, detail))
    return out


# --------------------------------------------------------------------------- runs

def runs(pool: Any) -> list[dict[str, Any]]:
    """Every run :func:`breakdown` can answer for: Academy clients, then Parsl runs (those
    whose DFK launched an Academy client's agents say ``agent_launcher``; they are
    broken down as Parsl runs only when asked, ``kind="parsl"``). Each: kind, run, start, end.

    Three grouped scans of the pool, whatever the number of runs.
    """
    pool = _as_pool(pool)
    c = _Cols(pool)
    found: list[dict[str, Any]] = []
    academy_parsl: set[str] = set()
    if "academy.action_state" in c:
        clients = _rows(pool, f"""
            SELECT {c('academy.src')}, any_value({c('process', 'BIGINT')}),
                   min(created), max(created)
            FROM events WHERE {c('academy.action_state')} = 'sending'
            GROUP BY 1 ORDER BY 3""")
        by_pid: dict[int, list[tuple]] = {}
        if clients and "parsl.run_id" in c and "linux.pid" in c:
            pids = ", ".join(str(int(p)) for _, p, _, _ in clients if p is not None) or "NULL"
            for pid, run, s, e in _rows(pool, f"""
                    SELECT {c('linux.pid', 'BIGINT')} AS pid, {c('parsl.run_id')},
                           min(created), max(created) FROM events
                    WHERE {c('parsl.run_id')} IS NOT NULL
                      AND {c('linux.pid', 'BIGINT')} IN ({pids})
                    GROUP BY 1, 2"""):
                by_pid.setdefault(pid, []).append((run, s, e))
        for client, pid, s, e in clients:
            found.append({"kind": "academy", "run": client, "client_pid": pid,
                          "start": s, "end": e})
            over = [r for r in by_pid.get(pid, []) if r[1] <= e and r[2] >= s]
            if over:
                academy_parsl.add(over[0][0])
                found[-1]["parsl_run"] = over[0][0]
    if "parsl.run_id" in c:
        for run, s, e in _rows(pool, f"""
                SELECT {c('parsl.run_id')}, min(created), max(created) FROM events
                WHERE {c('ev.event')} IN ('task_status', 'task_state')
                  AND {c('parsl.run_id')} IS NOT NULL
                GROUP BY 1 ORDER BY 2"""):
            found.append({"kind": "parsl", "run": run, "start": s, "end": e,
                          "agent_launcher": run in academy_parsl})
    return found


def _as_pool(pool: Any) -> Any:
    if hasattr(pool, "sql"):
        return pool
    from . import open_pool

    return open_pool(pool)


#: How many runs the "N runs in the pool" note names (the latest ones).
NAMED_RUNS = 8


def _pick(found: list[dict[str, Any]], run: str | None, kind: str | None,
          notes: list[str]) -> dict[str, Any]:
    cands = [r for r in found if kind is None or r["kind"] == kind]
    if kind is None:  # the Parsl run that launched agents is part of an Academy run
        cands = [r for r in cands if not r.get("agent_launcher")]
    if run is not None:
        sel = [r for r in cands
               if str(r["run"]) == run or str(r.get("client_pid")) == run
               or r.get("parsl_run") == run]
        if not sel:
            sel = [r for r in cands if str(r["run"]).startswith(run)
                   or str(r.get("parsl_run", "")).startswith(run)]
        if not sel:
            known = ", ".join(str(r["run"]) for r in cands) or "none"
            raise BreakdownError(f"no run {run!r} in the pool (runs: {known})")
        if len(sel) > 1:
            raise BreakdownError(f"run {run!r} is ambiguous: "
                                 + ", ".join(str(r["run"]) for r in sel))
        return sel[0]
    if not cands:
        raise BreakdownError(
            "no run to break down: the pool holds neither Academy action records "
            "(academy.action_state) nor Parsl task states (import monitoring.db or parsl.log)")
    if len(cands) > 1:   # name the latest few: a pool of 10^8 events holds 10^4 runs
        shown = [str(r["run"]) for r in cands[-NAMED_RUNS:]]
        more = (f", and {len(cands) - len(shown)} more: --list" if len(cands) > len(shown)
                else "")
        notes.append(f"{len(cands)} runs in the pool; this is the latest (choose with --run: "
                     + ", ".join(shown) + more + ")")
    return cands[-1]


def breakdown(pool: Any = None, run: str | None = None, expect: float | None = None,
              kind: str | None = None) -> Breakdown:
    """Break one run's wall time into phases that add up (see the module docstring).

    ``pool``: a Pool from :func:`importers.analysis.open_pool`, or a pool directory.
    ``run``: an Academy client id (``UserId<...>``), the client's pid, or a Parsl run id
    (a unique prefix is enough); default the latest run. ``expect``: the naive expectation
    in seconds (``naive_s``). ``kind``: ``academy`` or ``parsl`` to choose the model.
    """
    pool = _as_pool(pool)
    notes: list[str] = []
    chosen = _pick(runs(pool), run, kind, notes)
    if chosen["kind"] == "academy":
        b = _academy(pool, chosen)
    else:
        b = _parsl(pool, chosen)
    b.naive_s = float(expect) if expect is not None else None
    b.notes = notes + b.notes
    return b


# --------------------------------------------------------------------------- Academy

def _client_parsl_run(pool: Any, c: _Cols, pid: Any, a0: float, a1: float
                      ) -> tuple[str, float, float] | None:
    """The Parsl run whose DFK lived in the client process (its parsl.log lines carry the
    client's pid and overlap the client's Academy records)."""
    if pid is None or "parsl.run_id" not in c or "linux.pid" not in c:
        return None
    rows = _rows(pool, f"""
        SELECT {c('parsl.run_id')}, min(created), max(created) FROM events
        WHERE {c('linux.pid', 'BIGINT')} = {int(pid)} AND {c('parsl.run_id')} IS NOT NULL
        GROUP BY 1""")
    best = [r for r in rows if r[1] <= a1 and r[2] >= a0]
    return tuple(best[0]) if best else None


def _process_span(pool: Any, c: _Cols, pid: Any, a0: float, a1: float
                  ) -> tuple[float, float] | None:
    """First and last kernel event of the process (watch-procs/procs), when recorded:
    the process whose life covers the client's records."""
    if pid is None or "linux.process_key" not in c:
        return None
    rows = _rows(pool, f"""
        SELECT {c('linux.process_key')}, min(created), max(created) FROM events
        WHERE {c('name')} = 'linux.proc' AND {c('linux.pid', 'BIGINT')} = {int(pid)}
          AND {c('linux.process_key')} IS NOT NULL
        GROUP BY 1""")
    best = [r for r in rows if r[1] <= a1 and r[2] >= a0]
    return (best[0][1], best[0][2]) if best else None


def _academy(pool: Any, chosen: dict[str, Any]) -> Breakdown:
    c = _Cols(pool)
    client = chosen["run"]
    notes: list[str] = []
    state, tag = c("academy.action_state"), c("academy.action_tag")
    # One row per action of this client: the client's and the agent's side, joined by tag.
    pool.sql(f"""
        CREATE OR REPLACE TEMP TABLE _bd_act AS
        WITH r AS (
            SELECT created, {state} AS st, {tag} AS tag, {c('academy.src')} AS src,
                   {c('academy.dest')} AS dest, {c('academy.agent_id')} AS agent,
                   {c('process', 'BIGINT')} AS pid, {c('ev.file')} AS file
            FROM events WHERE {state} IS NOT NULL AND {tag} IS NOT NULL),
        mine AS (SELECT DISTINCT tag FROM r WHERE st = 'sending' AND src = {lit(client)})
        SELECT tag,
            min(created) FILTER (WHERE st = 'sending') AS sent,
            max(created) FILTER (WHERE st IN {RESPONSE_STATES}) AS received,
            min(created) FILTER (WHERE st = 'execute_start') AS x0,
            max(created) FILTER (WHERE st IN {EXEC_END_STATES}) AS x1,
            any_value(dest) FILTER (WHERE st = 'sending') AS dest,
            any_value(pid) FILTER (WHERE st = 'execute_start') AS agent_pid,
            any_value(file) FILTER (WHERE st = 'sending') AS file
        FROM r WHERE tag IN (SELECT tag FROM mine) GROUP BY tag""")
    n, n_done, n_exec, first_sent, last_recv, pid = _one(pool, f"""
        SELECT count(*), count(received), count(x0), min(sent), max(received),
               {int(chosen['client_pid']) if chosen.get('client_pid') is not None else 'NULL'}
        FROM _bd_act""")
    if n_done == 0:
        raise BreakdownError(f"client {client}: no action response was received; "
                             "nothing to break down")
    if n_done < n:
        notes.append(f"{n - n_done} of {n} actions never got a response")
    if n_exec < n_done:
        notes.append(f"{n_done - n_exec} actions have no agent-side records "
                     "(their execution counts as messaging)")
    # Agents: running from their "Running agent" record on.
    pool.sql(f"""
        CREATE OR REPLACE TEMP TABLE _bd_agent AS
        SELECT {c('academy.agent_id')} AS agent, min(created) AS running,
               any_value({c('process', 'BIGINT')}) AS pid
        FROM events WHERE {c('name')} = 'academy.runtime'
          AND {c('formatted')} LIKE 'Running agent%'
        GROUP BY 1""")
    # The client's wall time: its own Academy records, its DFK's parsl.log lines, and its
    # kernel events when watch-procs recorded them.
    file = _one(pool, "SELECT any_value(file) FROM _bd_act")[0]
    a0, a1 = _one(pool, f"""SELECT min(created), max(created) FROM events
                            WHERE {c('ev.file')} = {lit(file)}""")
    w0, w1 = a0, a1
    prun = _client_parsl_run(pool, c, pid, a0, a1)
    if prun:
        w0, w1 = min(w0, prun[1]), max(w1, prun[2])
    span = _process_span(pool, c, pid, w0, w1)
    if span:
        w0, w1 = min(w0, span[0]), max(w1, span[1])
    else:
        notes.append("no process events for the client (run it under ev-import watch-procs "
                     "for its exec and exit): the wall time runs from its first to last log "
                     "record")
    w1 = max(w1, last_recv)

    intervals = f"""
        SELECT x0 AS s, x1 AS e, 'action_execution' AS label FROM _bd_act WHERE x1 IS NOT NULL
        UNION ALL
        SELECT greatest(a.sent, g.running), coalesce(a.x0, a.received), 'messaging/request'
        FROM _bd_act a JOIN _bd_agent g ON g.agent = a.dest WHERE a.x0 IS NOT NULL
        UNION ALL
        SELECT greatest(a.x1, g.running), a.received, 'messaging/response'
        FROM _bd_act a JOIN _bd_agent g ON g.agent = a.dest WHERE a.x1 IS NOT NULL
        UNION ALL
        SELECT greatest(a.sent, coalesce(g.running, a.sent)), a.received,
               'messaging/unmatched'
        FROM _bd_act a LEFT JOIN _bd_agent g ON g.agent = a.dest WHERE a.x0 IS NULL
        UNION ALL
        SELECT a.sent, least(coalesce(g.running, a.x0, a.received), a.received), 'startup'
        FROM _bd_act a LEFT JOIN _bd_agent g ON g.agent = a.dest
        UNION ALL
        SELECT {w0!r}, {first_sent!r}, 'startup'
    """
    labels = ["action_execution", "messaging/request", "messaging/response",
              "messaging/unmatched", "startup"]

    marks, kinds = _academy_milestones(pool, c, prun, pid, w0)
    first_agent = _one(pool, """SELECT g.agent, g.running, g.pid FROM _bd_agent g
                                JOIN (SELECT DISTINCT dest FROM _bd_act) d ON d.dest = g.agent
                                ORDER BY g.running LIMIT 1""")
    running = first_agent[1] if first_agent else None
    start_marks = marks + [("agent_startup", running)]
    ends = _one(pool, f"""
        SELECT max(created) FILTER (WHERE {c('formatted')} LIKE 'Shutdown agent%'
                                      AND {c('name')} = 'academy.runtime'),
               min(created) FILTER (WHERE {c('formatted')} LIKE 'Sent shutdown request%')
        FROM events WHERE created >= {last_recv!r} AND created <= {w1!r}""")
    # The DFK's last line in the client process ("DFK cleanup complete").
    parsl_end = prun[2] if prun else None
    stop_marks = [("client", ends[1] if ends else None),
                  ("agent_shutdown", ends[0] if ends else None),
                  ("parsl_shutdown", parsl_end), ("client_exit", w1)]
    totals, details, segments = _attribute(
        pool, intervals, labels, "client", w0, w1, (last_recv, "shutdown"),
        {"startup": _milestone_spans(w0, start_marks),
         "shutdown": _milestone_spans(last_recv, stop_marks)})
    sub = {"messaging": {k.split("/", 1)[1]: v for k, v in totals.items()
                         if k.startswith("messaging/")},
           "action_execution": _exec_by_action(pool, c)}
    phases = _phases(ACADEMY_PHASES, totals, details, sub)
    milestones = {name: t for name, t in [("client_first_event", w0), *start_marks,
                                           ("first_request", first_sent),
                                           ("last_response", last_recv), *stop_marks[:-1],
                                           ("client_last_event", w1)] if t is not None}
    info = {"pid": pid}
    if prun:
        info["parsl_run"] = prun[0]
    if first_agent:
        info["agent"] = first_agent[0]
        info["agent_pid"] = first_agent[2]
    for k in kinds:
        notes.append(k)
    pool.sql("DROP TABLE IF EXISTS _bd_act")
    pool.sql("DROP TABLE IF EXISTS _bd_agent")
    return Breakdown("academy", str(client), w0, w1, phases, client=info,
                     milestones=milestones, segments=segments,
                     counts={"actions": int(n), "responses": int(n_done),
                             "executed": int(n_exec)}, notes=notes)


def _exec_by_action(pool: Any, c: _Cols) -> dict[str, float]:
    """Execution seconds per action name (a detail of action_execution; may overlap)."""
    rows = _rows(pool, f"""
        SELECT e.action, sum(a.x1 - a.x0) FROM _bd_act a JOIN (
            SELECT DISTINCT {c('academy.action_tag')} AS tag, {c('academy.action')} AS action
            FROM events WHERE {c('academy.action_state')} = 'sending') e ON e.tag = a.tag
        WHERE a.x1 IS NOT NULL GROUP BY 1 ORDER BY 1""")
    return {f"{name} (sum)": float(s) for name, s in rows} if len(rows) > 1 else {}


def _academy_milestones(pool: Any, c: _Cols, prun: tuple | None, client_pid: Any,
                        w0: float) -> tuple[list[tuple[str, float | None]], list[str]]:
    """Start-up milestones of the layers under the agent: DFK start, block submitted,
    block (batch job) started, the agent's htex worker started."""
    if not prun:
        return [], []
    run = lit(prun[0])
    ev_, rid = c("ev.event"), c("parsl.run_id")
    dfk = _one(pool, f"""SELECT min(created) FROM events WHERE {rid} = {run}
                         AND {ev_} IN ('workflow_start', 'run_start')""")[0]
    # The block that hosts the first agent: its worker's pid is the agent's process.
    agent_pid = _one(pool, """SELECT g.pid FROM _bd_agent g
                              JOIN (SELECT DISTINCT dest FROM _bd_act) d ON d.dest = g.agent
                              ORDER BY g.running LIMIT 1""")
    agent_pid = agent_pid[0] if agent_pid else None
    block = None
    worker_t = None
    if agent_pid is not None and "linux.pid" in c:
        row = _one(pool, f"""
            SELECT any_value({c('parsl.block_id')}),
                   min(created) FILTER (WHERE {ev_} = 'worker_start')
            FROM events WHERE {rid} = {run} AND {c('linux.pid', 'BIGINT')} = {int(agent_pid)}
              AND {c('parsl.block_id')} IS NOT NULL""")
        if row:
            block, worker_t = row
    return _parsl_layer_marks(pool, c, prun[0], block, dfk, worker_t)


def _parsl_layer_marks(pool: Any, c: _Cols, run_id: str, block: str | None,
                       dfk: float | None, worker_t: float | None
                       ) -> tuple[list[tuple[str, float | None]], list[str]]:
    run = lit(run_id)
    ev_, rid, bid = c("ev.event"), c("parsl.run_id"), c("parsl.block_id")
    on_block = f"AND {bid} = {lit(block)}" if block is not None else ""
    sub, job = _one(pool, f"""
        SELECT min(created), any_value({c('parsl.job_id')}) FROM events
        WHERE {rid} = {run} {on_block}
          AND ({ev_} = 'block_launched'
               OR ({ev_} = 'block_status' AND {c('parsl.block_status')} = 'PENDING'))""") \
        or (None, None)
    if block is None and sub is not None:
        block = _one(pool, f"""SELECT {bid} FROM events WHERE {rid} = {run}
                               AND {ev_} IN ('block_launched', 'block_status')
                               ORDER BY created LIMIT 1""")[0]
        on_block = f"AND {bid} = {lit(block)}" if block is not None else ""
    batch_t = None
    if job is not None and "slurm.jobid" in c:
        batch_t = _one(pool, f"""SELECT min(created) FROM events
                                 WHERE {c('slurm.jobid')} = {lit(str(job))}
                                   AND {ev_} = 'job_start'""")[0]
    alive_t = None
    if block is not None:
        alive_t = _one(pool, f"""SELECT min(created) FROM events WHERE {rid} = {run} {on_block}
                                 AND {c('parsl.manager_id')} IS NOT NULL""")[0]
    if worker_t is None and block is not None:
        worker_t = _one(pool, f"""SELECT min(created) FROM events WHERE {rid} = {run} {on_block}
                                  AND {ev_} IN ('worker_start', 'manager_registered')""")[0]
    # The executor is up when its interchange (a process since Parsl 2023) starts logging.
    ready = _one(pool, f"""SELECT min(created) FROM events WHERE {rid} = {run}
                           AND {c('ev.origin')} LIKE '%interchange.log'""")[0]
    if ready is not None and sub is not None and ready > sub:
        ready = None
    marks: list[tuple[str, float | None]] = [("client_start", dfk), ("executor_start", ready),
                                             ("parsl_strategy_wait", sub)]
    if batch_t is not None:
        marks.append(("batch_queue", batch_t))
    else:
        marks.append(("block_start", alive_t))
    marks.append(("worker_start", worker_t))
    return marks, []


# --------------------------------------------------------------------------- Parsl only

def _worker_states(c: _Cols, run_id: str) -> str:
    """Without monitoring, the DFK never logs "running": take it from the htex worker logs
    (``worker_task_received`` .. ``worker_task_finished``), joined to the task by its
    ``task_launched`` line's executor task id. SQL rows to UNION into the state stream."""
    ev_, rid, x = c("ev.event"), c("parsl.run_id"), c("parsl.executor_task_id", "BIGINT")
    exe = c("parsl.executor")
    return f"""
        UNION ALL
        SELECT l.task, u.state, u.t FROM (
            SELECT DISTINCT {c('parsl.task_id', 'BIGINT')} AS task, {x} AS x, {exe} AS exe
            FROM events WHERE {ev_} = 'task_launched' AND {rid} = {lit(run_id)}) l
        JOIN (
            SELECT {x} AS x, {exe} AS exe,
                   min(created) FILTER (WHERE {ev_} = 'worker_task_received') AS r0,
                   min(created) FILTER (WHERE {ev_} IN ('worker_task_finished',
                                                        'worker_task_completed')) AS r1
            FROM events WHERE {rid} = {lit(run_id)} AND {ev_} IN (
                'worker_task_received', 'worker_task_finished', 'worker_task_completed')
            GROUP BY ALL) w
          ON w.x = l.x AND (w.exe = l.exe OR w.exe IS NULL OR l.exe IS NULL)
        CROSS JOIN LATERAL (VALUES ('running', w.r0), ('running_ended', w.r1)) AS u(state, t)
        WHERE u.t IS NOT NULL"""


def _parsl(pool: Any, chosen: dict[str, Any]) -> Breakdown:
    c = _Cols(pool)
    run_id = chosen["run"]
    notes: list[str] = []
    ev_, rid = c("ev.event"), c("parsl.run_id")
    src = "task_status"
    state = c("parsl.task_status_name")
    has_db = _one(pool, f"""SELECT count(*) FROM events WHERE {ev_} = 'task_status'
                            AND {rid} = {lit(run_id)}""")[0]
    if not has_db:
        # parsl.log's "Task N changing state"; older pools name the state parsl.task_state
        src = "task_state"
        state = f"coalesce({c('parsl.task_status_name')}, {c('parsl.task_state')})"
        notes.append("task states from parsl.log (no monitoring DB in the pool); running "
                     "from the htex workers' logs (task received .. result sent)")
    mapping = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in TASK_STATE_PHASE.items())
    # One interval per task state held: from that state to the task's next state.
    pool.sql(f"""
        CREATE OR REPLACE TEMP TABLE _bd_task AS
        WITH st AS (
            SELECT DISTINCT {c('parsl.task_id', 'BIGINT')} AS task, {state} AS state, created
            FROM events WHERE {ev_} = {lit(src)} AND {rid} = {lit(run_id)}
              AND created IS NOT NULL
            {_worker_states(c, run_id) if not has_db else ""})
        SELECT task, state, created AS s,
               lead(created) OVER (PARTITION BY task ORDER BY created) AS e,
               CASE state {mapping} ELSE NULL END AS label
        FROM st""")
    n_tasks, first, last_end, n_open = _one(pool, f"""
        SELECT count(DISTINCT task), min(s),
               max(s) FILTER (WHERE state IN {TASK_END_STATES}),
               count(*) FILTER (WHERE e IS NULL AND state NOT IN {TASK_END_STATES})
        FROM _bd_task""")
    if not n_tasks:
        raise BreakdownError(f"Parsl run {run_id}: no task states in the pool")
    if n_open:
        notes.append(f"{n_open} tasks never reached a final state (counted up to the end)")
    # Wall time: the client process (the DFK's pid on parsl.log lines) and the run's events.
    w0, w1, pid = _one(pool, f"""
        SELECT min(created), max(created),
               any_value({c('linux.pid', 'BIGINT')}) FILTER (WHERE {ev_} = 'run_start')
        FROM events WHERE {rid} = {lit(run_id)}
          AND ({ev_} IN ('workflow_start', 'workflow_end', 'run_start', 'task_status',
                         'task_state')
               OR {c('parsl.process_name')} = 'MainProcess')""")
    if pid is not None:
        pw = _one(pool, f"""SELECT min(created), max(created) FROM events
                            WHERE {rid} = {lit(run_id)}
                              AND {c('linux.pid', 'BIGINT')} = {int(pid)}""")
        if pw and pw[0] is not None:
            w0, w1 = min(w0, pw[0]), max(w1, pw[1])
        span = _process_span(pool, c, pid, w0, w1)
        if span:
            w0, w1 = min(w0, span[0]), max(w1, span[1])
    tail_t = last_end if last_end is not None and not n_open else w1
    intervals = f"""
        SELECT s, coalesce(e, {w1!r}) AS e, label FROM _bd_task WHERE label IS NOT NULL
        UNION ALL SELECT {w0!r}, {first!r}, 'startup'"""
    labels = ["running", "returning_results", "waiting_for_worker",
              "waiting_for_dependencies", "startup"]
    dfk = _one(pool, f"""SELECT min(created) FROM events WHERE {rid} = {lit(run_id)}
                         AND {ev_} IN ('workflow_start', 'run_start')""")[0]
    first_block = _one(pool, f"""SELECT {c('parsl.block_id')} FROM events
                                 WHERE {rid} = {lit(run_id)}
                                   AND {ev_} IN ('block_launched', 'block_status')
                                 ORDER BY created LIMIT 1""")
    marks, _ = _parsl_layer_marks(pool, c, run_id, first_block[0] if first_block else None,
                                  dfk, None)
    totals, details, segments = _attribute(
        pool, intervals, labels, "client", w0, w1, (tail_t, "shutdown"),
        {"waiting_for_worker": _milestone_spans(w0, marks),
         "startup": _milestone_spans(w0, marks[:2])})
    phases = _phases(PARSL_PHASES, totals, details, {})
    tasks = pool.sql("""
        SELECT task,
               sum(e - s) FILTER (WHERE label = 'waiting_for_dependencies')
                   AS waiting_for_dependencies,
               sum(e - s) FILTER (WHERE label = 'waiting_for_worker') AS waiting_for_worker,
               sum(e - s) FILTER (WHERE label = 'running') AS running,
               sum(e - s) FILTER (WHERE label = 'returning_results') AS returning_results,
               count(*) FILTER (WHERE state = 'launched') AS tries,
               arg_max(state, s) AS final_state
        FROM _bd_task GROUP BY task ORDER BY task""").df().fillna(0.0)
    pool.sql("DROP TABLE IF EXISTS _bd_task")
    milestones = {name: t for name, t in [("client_first_event", w0), *marks,
                                           ("first_task", first), ("last_task_end", last_end),
                                           ("client_last_event", w1)] if t is not None}
    return Breakdown("parsl", str(run_id), w0, w1, phases, client={"pid": pid},
                     milestones=milestones, segments=segments,
                     counts={"tasks": int(n_tasks)}, notes=notes, tasks=tasks)
