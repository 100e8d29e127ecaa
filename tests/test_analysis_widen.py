"""Widening and the join chain on the shipped Academy and Parsl-on-Slurm fixtures, plus the
rules' edge cases on hand-written records (each test says which)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

pytest.importorskip("duckdb")
pytest.importorskip("pandas")

from importers import analysis as ev  # noqa: E402
from importers.cli import main  # noqa: E402

ACADEMY_PID = 28812      # the htex worker that ran the agent (fixtures/academy/1.0.0/README.txt)
ACADEMY_MANAGER = "83ae3c8fa4da"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EV_CACHE_DIR", str(tmp_path / "cache"))


def _import(tmp_path: Path, fixture: str) -> Path:
    pool = tmp_path / "pool"
    assert main(["auto", str(FIXTURES / fixture), "--pool", str(pool), "-q"]) in (0, 1)
    return pool


def test_join_chain_on_the_academy_fixture(tmp_path: Path) -> None:
    chain = ev.join_chain(ev.open_pool(_import(tmp_path, "academy")))
    [agent] = chain[chain["process"] == ACADEMY_PID].to_dict("records")
    assert agent["parsl.manager_id"] == ACADEMY_MANAGER
    assert agent["parsl.block_id"] == "0" and agent["parsl.executor"] == "htex_local"
    assert agent["linux.hostname"] == "vm"
    # LocalProvider: the block's "job" is the pid of its shell, and there is no batch queue.
    assert agent["parsl.job_id"] == "28772"
    assert agent["hops"] == ["academy->worker", "manager->host", "block->job"]
    # The client process (the user's side) ran on no worker: it is listed, unresolved.
    client = chain[chain["process"] != ACADEMY_PID].to_dict("records")
    assert client and client[0]["hops"] == []


def test_join_chain_reaches_the_slurm_queue_on_the_parsl_slurm_fixture(tmp_path: Path) -> None:
    chain = ev.join_chain(ev.open_pool(_import(tmp_path, "parsl-slurm")))
    assert len(chain) >= 1
    for row in chain.to_dict("records"):
        assert row["parsl.job_id"] == "48" and row["slurm.jobid"] == "48"
        assert row["queue_wait_s"] == 5.0 and row["queue_wait_from"] == "sacct"
        assert row["hops"] == ["manager->host", "block->job", "job->slurm", "queue_wait"]


def test_widen_academy_records_down_to_the_host(tmp_path: Path) -> None:
    pool = ev.open_pool(_import(tmp_path, "academy"))
    academy = list(pool.events(where={"name": "academy.runtime"}).records())
    workers = list(pool.events(has=["parsl.worker_id"]).records())
    nodes = list(pool.events(where={"ev.event": "node"}).records())
    out = ev.widen(academy,
                   ev.Lambda(lambda r: {"linux.pid": int(r["process"])}, "LogRecord pid"),
                   ev.Join(workers, on=["linux.pid"], keys=["parsl.manager_id"]),
                   ev.Join(nodes, on=["parsl.manager_id"], keys=["linux.hostname"]))
    assert academy and not out.conflicts
    for rec in out.records:
        assert (rec["linux.pid"], rec["parsl.manager_id"], rec["linux.hostname"]) == (
            ACADEMY_PID, ACADEMY_MANAGER, "vm")
        assert rec["ev.widened"]["linux.pid"] == "LogRecord pid"
        assert rec["ev.widened"]["parsl.manager_id"].startswith("join on linux.pid (")
        assert "worker_0.log" in rec["ev.widened"]["parsl.manager_id"]
    assert out.added == 3 * len(academy) and out.rounds == 2


def test_widen_never_overwrites_and_reports_conflicts() -> None:
    # Hand-written: one record already has a host, two sources disagree for another.
    records = [{"k": 1, "host": "a"}, {"k": 2}, {"k": 3}]
    other = [{"k": 1, "host": "b"}, {"k": 2, "host": "x"}, {"k": 2, "host": "y"},
             {"k": 3, "host": "z"}]
    out = ev.widen(records, ev.Join(other, on=["k"], keys=["host"]))
    assert [r.get("host") for r in out.records] == ["a", None, "z"]
    assert sorted((c.key, tuple(c.values)) for c in out.conflicts) == [
        ("host", ("a", "b")), ("host", ("x", "y"))]
    assert records[1] == {"k": 2}, "the input records are not modified"


def test_widen_by_implication_runs_until_nothing_changes() -> None:
    # Hand-written chain: task -> worker (one record says so) -> host (another record).
    records = [
        {"task": 1, "worker": "w1"}, {"task": 1}, {"task": 2},
        {"worker": "w1", "host": "n7"}, {"task": 2, "worker": "w2"},
    ]
    out = ev.widen(records, ev.Implied(["task"], ["worker"]), ev.Implied(["worker"], ["host"]))
    assert [r.get("host") for r in out.records] == ["n7", "n7", None, "n7", None]
    assert [r.get("worker") for r in out.records] == ["w1", "w1", "w2", "w1", "w2"]
    assert out.records[1]["ev.widened"]["worker"].startswith("implied by task (task=1;")
    assert out.rounds == 2 and not out.conflicts
