"""``breakdown``: where one run's time went, in phases that add up to its wall time.

The Academy answers come from ``fixtures/demo/``, one real run of
``scripts/demo_fibonacci.py`` (16 calls of an action that sleeps 0.5 s, the client sleeping
0.5 s after each answer; Parsl HTEX, Redis, watch-procs; text logs in Europe/Berlin time).
The Parsl-only answers come from the Parsl fixtures (two local runs in one DB) and the
Parsl-on-Slurm fixture (a block that waited 5 s in the Slurm queue).
"""

from __future__ import annotations

import json

import orjson
import pytest
from conftest import FIXTURES

from importers import analysis as ev
from importers.analysis.breakdown import (
    ACADEMY_PHASES,
    PARSL_PHASES,
    BreakdownError,
    breakdown,
    runs,
)
from importers.auto import import_paths
from importers.cli import main
from importers.core import pool as pool_io

DEMO = FIXTURES / "demo"
DEMO_META = json.loads((DEMO / "metadata.json").read_text())


def _import(tmp_path_factory, name: str, path, tz: str) -> str:
    pool = tmp_path_factory.mktemp(name)
    import_paths([path], pool, tz=tz)
    return str(pool)


@pytest.fixture(scope="module")
def demo_pool(tmp_path_factory) -> str:
    return _import(tmp_path_factory, "demo", DEMO, DEMO_META["tz"])


@pytest.fixture(scope="module")
def demo(demo_pool):
    return breakdown(ev.open_pool(demo_pool), expect=16)


@pytest.fixture(scope="module")
def slurm_pool(tmp_path_factory) -> str:
    return _import(tmp_path_factory, "slurm", FIXTURES / "parsl-slurm" / "2026.10.26", "UTC")


@pytest.fixture(scope="module")
def local_pool(tmp_path_factory) -> str:
    return _import(tmp_path_factory, "local", FIXTURES / "parsl" / "2026.10.26", "UTC")


def _adds_up(b) -> None:
    assert sum(p.seconds for p in b.phases) == pytest.approx(b.wall_s, abs=1e-6)
    for p in b.phases:
        assert p.seconds >= 0
        if p.detail and p.phase in ("startup", "shutdown", "waiting_for_worker"):
            assert sum(d.seconds for d in p.detail) == pytest.approx(p.seconds, abs=1e-6)


# --------------------------------------------------------------------------- the demo run

def test_demo_phases_add_up_to_the_wall_time(demo) -> None:
    assert demo.kind == "academy"
    assert [p.phase for p in demo.phases] == list(ACADEMY_PHASES)
    _adds_up(demo)


def test_demo_action_execution_is_close_to_16_times_half_a_second(demo) -> None:
    assert demo.counts == {"actions": 16, "responses": 16, "executed": 16}
    # each action sleeps 0.5 s inside the agent: never less, and little more
    assert 8.0 <= demo.seconds("action_execution") < 8.5


def test_demo_client_time_is_the_15_sleeps_between_actions(demo) -> None:
    # the client sleeps 0.5 s after each of the 16 answers; the last sleep comes after the
    # last response, so it belongs to shutdown (its first detail, "client")
    assert 7.5 <= demo.seconds("client") < 8.0
    shutdown = {d.phase: d.seconds for d in demo.phases[-1].detail}
    assert 0.5 <= shutdown["client"] < 0.6


def test_demo_wall_time_is_the_client_process_life_seen_by_the_kernel(demo) -> None:
    [procs] = list((DEMO / "procs").glob("watch-procs-*.jsonlog"))
    mine = [r for r in pool_io.read(str(procs.parent))
            if r.get("linux.pid") == demo.client["pid"]]
    execs = [r["created"] for r in mine if r["ev.event"] in ("fork", "exec")]
    exits = [r["created"] for r in mine if r["ev.event"] == "exit"]
    assert demo.start == pytest.approx(min(execs))
    assert demo.end == pytest.approx(max(exits))


def test_demo_startup_is_split_by_layer_in_time_order(demo, demo_pool) -> None:
    startup = demo.phases[0]
    assert [d.phase for d in startup.detail] == [
        "client_start", "executor_start", "parsl_strategy_wait", "block_start", "worker_start",
        "agent_startup"]
    # parsl_strategy_wait ends when the block was submitted (parsl.log's block_launched)
    recs = list(pool_io.read(demo_pool))
    [launched] = [r["created"] for r in recs if r.get("ev.event") == "block_launched"]
    assert demo.milestones["parsl_strategy_wait"] == pytest.approx(launched)
    [dfk] = [r["created"] for r in recs
             if r.get("ev.event") == "run_start" and r.get("ev.source") == "parsl-logs"]
    # the issue's "DFK start to the first block submitted", split where the interchange
    # (the executor) started logging
    assert startup.detail[1].seconds + startup.detail[2].seconds == \
        pytest.approx(launched - dfk)
    # the agent started in the htex worker whose pid is the agent's process
    [worker] = [r for r in recs if r.get("ev.event") == "worker_start"]
    assert worker["linux.pid"] == demo.client["agent_pid"]
    running = [float(r["created"]) for r in recs
               if str(r.get("formatted", "")).startswith("Running agent")]
    assert demo.milestones["agent_startup"] == pytest.approx(min(running))


def test_demo_redis_log_in_local_time_lands_inside_the_run(demo, demo_pool) -> None:
    # redis-server prints local wall-clock time (the run was in Europe/Berlin); imported
    # with that zone its start-up lies between the client's exec and its first request
    ready = [r["created"] for r in pool_io.read(demo_pool) if r.get("ev.event") == "ready"
             and r.get("ev.source") == "redis-log"]
    assert demo.start < min(ready) < demo.milestones["first_request"]


def test_demo_answer_is_the_one_the_demo_printed(demo) -> None:
    printed = json.loads((DEMO / "breakdown.json").read_text())
    got = demo.to_dict()
    assert got["wall_s"] == pytest.approx(printed["wall_s"], abs=1e-5)
    for mine, theirs in zip(got["phases"], printed["phases"], strict=True):
        assert mine["phase"] == theirs["phase"]
        assert mine["seconds"] == pytest.approx(theirs["seconds"], abs=1e-5)
        assert [d["phase"] for d in mine.get("detail", [])] == \
            [d["phase"] for d in theirs.get("detail", [])]


def test_json_shape_is_the_issues(demo) -> None:
    d = demo.to_dict()
    assert d["naive_s"] == 16.0
    assert [p["phase"] for p in d["phases"]] == list(ACADEMY_PHASES)
    assert set(d["phases"][0]) == {"phase", "seconds", "detail"}
    assert set(d["phases"][0]["detail"][0]) == {"phase", "seconds"}
    assert orjson.loads(orjson.dumps(d)) == d


def test_naive_is_null_without_expect(demo_pool) -> None:
    assert breakdown(demo_pool).to_dict()["naive_s"] is None


def test_table_explains_the_extra_time(demo) -> None:
    text = demo.table()
    assert "naive expectation 16.00 s" in text
    assert f"wall time {demo.wall_s:.2f} s" in text
    assert f"{demo.wall_s - 16:+.2f} s more" in text
    for p in demo.phases:
        assert p.phase in text
    # the explanation adds up: the phases outside the naive model, plus the naive model's
    # phases minus the expectation, are the extra time
    outside = sum(p.seconds for p in demo.phases if p.phase not in ("action_execution",
                                                                      "client"))
    inside = demo.seconds("action_execution") + demo.seconds("client") - 16
    assert outside + inside == pytest.approx(demo.wall_s - 16)


def test_cli_prints_the_table_and_the_json(demo_pool, demo, capsys) -> None:
    assert main(["breakdown", demo_pool, "--expect", "16", "--tz", DEMO_META["tz"]]) == 0
    assert capsys.readouterr().out == demo.table(__import__("zoneinfo").ZoneInfo(
        DEMO_META["tz"]))
    assert main(["breakdown", demo_pool, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["wall_s"] == pytest.approx(demo.wall_s, abs=1e-5)
    assert out["naive_s"] is None


def test_demo_readme_table_is_the_fixtures_answer() -> None:
    # the README quotes the demo's output: it must be what breakdown printed for that run
    readme = (FIXTURES.parent / "README.md").read_text(encoding="utf-8")
    printed = (DEMO / "breakdown.txt").read_text(encoding="utf-8")
    for line in printed.splitlines()[2:]:
        if line.strip():
            assert line in readme, line


# --------------------------------------------------------------------------- Parsl only

def test_parsl_only_run_adds_up(slurm_pool) -> None:
    b = breakdown(slurm_pool, expect=1)
    assert b.kind == "parsl"
    assert [p.phase for p in b.phases] == list(PARSL_PHASES)
    _adds_up(b)
    assert b.counts == {"tasks": 3}


def test_parsl_only_waiting_for_a_worker_shows_the_slurm_queue(slurm_pool) -> None:
    b = breakdown(slurm_pool)
    recs = list(pool_io.read(slurm_pool))
    [start] = [r["created"] for r in recs if r.get("ev.event") == "job_start"]
    # submitted: parsl.log's "Launched block" or the DB's PENDING block status, the earlier
    submitted = min(r["created"] for r in recs if r.get("ev.event") == "block_launched"
                    or (r.get("ev.event") == "block_status"
                        and r.get("parsl.block_status") == "PENDING"))
    wait = {d.phase: d.seconds for d in b.phases[2].detail}
    assert b.phases[2].phase == "waiting_for_worker"
    # the first task waited for the block from its submission to the job's start (sacct)
    assert wait["batch_queue"] == pytest.approx(start - submitted, abs=1e-6)
    assert 4.5 < wait["batch_queue"] < 5.5


def test_parsl_only_per_task_phases_add_up_to_each_tasks_life(local_pool) -> None:
    b = breakdown(local_pool, run="eb9eb894")
    recs = [r for r in pool_io.read(local_pool) if r.get("ev.event") == "task_status"
            and r.get("parsl.run_id") == b.run]
    tasks = b.tasks.set_index("task")
    assert len(tasks) == 8
    for task, row in tasks.iterrows():
        times = [r["created"] for r in recs if r["parsl.task_id"] == task]
        life = max(times) - min(times)
        parts = row[["waiting_for_dependencies", "waiting_for_worker", "running",
                     "returning_results"]].sum()
        assert parts == pytest.approx(life, abs=1e-6)
    # the fixture's script retries one task once and has one that fails
    assert sorted(tasks["tries"].tolist()).count(2) >= 1
    assert "failed" in set(tasks["final_state"])


def test_parsl_only_from_parsl_log_alone(tmp_path, local_pool) -> None:
    # no monitoring DB: the task states come from parsl.log's "Task N changing state" lines
    # and "running" from the htex workers' logs; the answer is the DB's within 0.1 s
    import_paths([FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "000"], tmp_path, tz="UTC")
    b = breakdown(str(tmp_path))
    _adds_up(b)
    assert b.counts == {"tasks": 8}
    assert any("from parsl.log" in n for n in b.notes)
    db = breakdown(local_pool, run=b.run)
    assert b.wall_s == pytest.approx(db.wall_s, abs=0.1)
    for phase in ("running", "waiting_for_worker", "shutdown"):
        assert b.seconds(phase) == pytest.approx(db.seconds(phase), abs=0.1), phase


def test_two_runs_default_to_the_latest_and_say_so(local_pool) -> None:
    found = [r["run"] for r in runs(local_pool)]
    assert len(found) == 2
    b = breakdown(local_pool)
    assert b.run == found[-1]
    assert any("2 runs in the pool" in n for n in b.notes)
    assert breakdown(local_pool, run=found[0][:8]).run == found[0]


def test_unknown_run_is_one_line_and_exit_2(local_pool, capsys) -> None:
    with pytest.raises(BreakdownError, match="no run 'nope'"):
        breakdown(local_pool, run="nope")
    assert main(["breakdown", local_pool, "--run", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no run 'nope' in the pool") and err.count("\n") == 1


def test_pool_without_runs_is_one_line(tmp_path, capsys) -> None:
    (tmp_path / "x.jsonlog").write_text('{"created": 1.0, "formatted": "hello"}\n')
    assert main(["breakdown", str(tmp_path)]) == 2
    assert "no run to break down" in capsys.readouterr().err


def test_academy_launcher_run_can_be_broken_down_as_parsl(demo_pool) -> None:
    listed = runs(demo_pool)
    assert [r["kind"] for r in listed] == ["academy", "parsl"]
    assert listed[1]["agent_launcher"] is True
    b = breakdown(demo_pool, kind="parsl")
    _adds_up(b)
    assert b.counts == {"tasks": 1}  # the one Parsl task that ran the agent


# --------------------------------------------------------------------------- the sweep

def test_priority_sweep_on_hand_made_intervals(tmp_path) -> None:
    """Edge case with hand-typed records (not a real run): overlapping intervals go to the
    higher-priority phase, gaps to the default, and the total is the window."""
    import duckdb

    from importers.analysis.breakdown import _attribute

    pool = duckdb.connect()  # the sweep needs only SQL, no pool
    intervals = ("SELECT * FROM (VALUES (1.0, 4.0, 'b'), (2.0, 3.0, 'a'), (6.0, 7.0, 'b'))"
                 " AS t(s, e, label)")
    totals, _, segments = _attribute(pool, intervals, ["a", "b"], "z", 0.0, 10.0,
                                     (8.0, "end"), {})
    assert totals == pytest.approx({"z": 4.0, "b": 3.0, "a": 1.0, "end": 2.0})
    assert [s[2] for s in segments] == ["z", "b", "a", "b", "z", "b", "z", "end"]


def test_a_pool_of_thousands_of_runs_names_only_the_latest_few() -> None:
    """The run list is typed in here (this edge case needs no records): a pool of 10^8
    events holds ~10^4 runs, and the note must stay one readable line."""
    from importers.analysis.breakdown import NAMED_RUNS, _pick

    found = [{"kind": "parsl", "run": f"run-{i:05d}", "start": float(i), "end": i + 1.0}
             for i in range(20_000)]
    notes: list[str] = []
    assert _pick(found, None, None, notes)["run"] == "run-19999"
    (note,) = notes
    assert note.startswith("20000 runs in the pool; this is the latest (choose with --run: ")
    assert "run-19999" in note and "run-00000" not in note
    assert note.count("run-") == NAMED_RUNS and note.endswith(", and 19992 more: --list)")
