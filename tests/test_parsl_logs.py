"""``ev-import parsl-logs``: Parsl's logs of every format era (and JSON logging), line for line.

The fixtures are real runinfo/ trees (scripts/make_parsl_fixture.py), one per era of Parsl's
log formats (formats.py has the table of which release writes which):

* 1.2.0 (Python 3.9, run in Europe/Berlin): every log in a millisecond format, the manager
  and workers with ``Rank:<n>``; parsl.log has no epoch;
* 2024.3.4: parsl.log in ``v2022``, the interchange, manager, worker, router and database
  manager logs in their millisecond formats;
* 2024.12.30 (run in America/Chicago): the same, but the router in ``v2022`` and one space
  before the interchange's messages;
* 2026.10.26: every log in ``v2022`` but the database manager's; 2026.10.26-json uses
  JSONLogging.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conformance import assert_conforms
from conftest import FIXTURES, parsl_releases

from importers.cli import main
from importers.core import pool
from importers.core.report import ImportReport
from importers.sources import parsl_db, parsl_logs

RELEASES = parsl_releases()
TEXT_RELEASES = [r for r in RELEASES if not r.name.endswith("-json")]
NEW, OLD = FIXTURES / "parsl" / "2026.10.26", FIXTURES / "parsl" / "2024.3.4"
MID, V1 = FIXTURES / "parsl" / "2024.12.30", FIXTURES / "parsl" / "1.2.0"
JSON = FIXTURES / "parsl" / "2026.10.26-json"


def _metadata(release: Path) -> dict:
    """What the fixture script recorded: Parsl and Python versions, zone, UTC offset."""
    return json.loads((release / "metadata.json").read_text())


def _ids(path: Path) -> str:
    return path.name


def _read(*paths: Path, **options) -> list[dict]:
    return list(parsl_logs.read([str(p) for p in paths], **options))


def _lines(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_every_line_of_every_log_is_accounted_for(release: Path) -> None:
    """records' lines (first line + continuation lines) + unparsed lines = lines in the file."""
    records = _read(release / "runinfo")
    covered: Counter = Counter()
    for rec in records:
        covered[rec["ev.origin"]] += rec.get("ev.line_count", 1)
    logs, _others = parsl_logs.log_files([release / "runinfo"])
    assert len(logs) >= 10
    for path in logs:
        assert covered[str(path)] == _lines(path), path
    assert not [r for r in records if r["ev.event"] == "unparsed"]


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_records_conform_to_the_design(release: Path) -> None:
    assert assert_conforms(_read(release / "runinfo"), "parsl-logs") > 1000


# Which formats each release's logs are in (None: the .sh.ec exit code files).
FORMATS = {
    "1.2.0": {"named-ms", "htex-pool-rank-ms", "dbm-ms", None},
    "2024.3.4": {"v2022", "htex-interchange-ms", "htex-pool-ms", "dbm-ms", "named-ms", None},
    "2024.12.30": {"v2022", "htex-interchange-ms", "htex-pool-ms", "dbm-ms", None},
    "2026.10.26": {"v2022", "dbm-ms", None},
    "2026.10.26-json": {"jsonlog", "v2022", None},
}


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_formats_are_recognised_by_content(release: Path) -> None:
    formats = Counter(r.get("ev.format") for r in _read(release / "runinfo"))
    assert set(formats) == FORMATS[release.name]
    if release.name.endswith("-json"):
        assert formats["jsonlog"] > 1000


# Families every release logs, and those only some do. 1.x and 2024 log "Task N completed
# (launched -> exec_done)" where 2026 logs every state change; 1.x's workflow info is in its
# monitoring message; 1.x's strategy launches init_blocks without "Scaling out" or
# "Allocated block" and scales nothing in.
FAMILIES_ALL = ["parsl_version", "run_start", "task_submitted", "task_launched", "task_state",
                "try_failed", "task_failed", "block_launched", "manager_registered",
                "manager_heartbeat", "tasks_sent", "worker_start", "worker_task_received",
                "worker_task_completed", "heartbeat_sent"]
FAMILIES_OF = {
    "1.2.0": ["workflow_start", "workflow_end"],
    "2024.3.4": ["scale_out", "block_allocated", "worker_task_finished"],
    "2024.12.30": ["scale_out", "block_allocated", "worker_task_finished", "block_scaled_in"],
    "2026.10.26": ["scale_out", "block_allocated", "worker_task_finished", "block_scaled_in",
                   "workflow_start", "workflow_end"],
}
FAMILIES_OF["2026.10.26-json"] = FAMILIES_OF["2026.10.26"]


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_message_families_on_every_release(release: Path) -> None:
    events = Counter(r["ev.event"] for r in _read(release / "runinfo"))
    expected = FAMILIES_ALL + FAMILIES_OF[release.name]
    assert [family for family in expected if not events[family]] == []
    assert events["task_launched"] == 20, "two runs x 10 tries"


def test_task_launched_field_by_field() -> None:
    """A real parsl.log line of 2024.3.4, every key checked, then the key count."""
    [rec] = [r for r in _read(OLD / "runinfo" / "000" / "parsl.log")
             if r["ev.event"] == "task_launched" and r["parsl.task_id"] == 7
             and r["parsl.try_id"] == 1]
    assert rec == {
        "created": 1795596212.195648,
        "formatted": "Parsl task 7 try 1 launched on executor htex_local with executor id 10",
        "name": "parsl.dataflow.dflow",
        "levelname": "INFO",
        "levelno": 20,
        "ev.source": "parsl-logs",
        "ev.origin": str(OLD / "runinfo" / "000" / "parsl.log"),
        "ev.event": "task_launched",
        "ev.lineno": rec["ev.lineno"],
        "ev.line_count": 1,
        "ev.format": "v2022",
        "parsl.run_dir": "000",
        "parsl.run_id": "76931974-82ab-45fa-9765-01e66abf70f1",
        "linux.pid": 19970,
        "parsl.process_name": "MainProcess",
        "parsl.thread_name": "HTEX-Queue-Management-Thread",
        "parsl.thread_id": 140134506817216,
        "parsl.logger_lineno": 725,
        "parsl.func_name": "launch_task",
        "parsl.task_id": 7,
        "parsl.try_id": 1,
        "parsl.executor": "htex_local",
        "parsl.executor_task_id": 10,
    }
    assert isinstance(rec["ev.lineno"], int)


def test_old_worker_line_field_by_field() -> None:
    """2024's worker format: bare pid, no process name, local ms time, keys from the path."""
    worker = next((OLD / "runinfo" / "000" / "htex_local" / "block-0").glob("*/worker_0.log"))
    rec = next(r for r in _read(worker) if r["ev.event"] == "worker_task_received")
    manager = worker.parent.name
    assert rec["formatted"] == f"Received executor task {rec['parsl.executor_task_id']}"
    assert rec["name"] == "worker_log"
    assert rec["ev.format"] == "htex-pool-ms"
    assert (rec["parsl.executor"], rec["parsl.block_id"], rec["parsl.manager_id"],
            rec["parsl.worker_id"]) == ("htex_local", "0", manager, 0)
    assert isinstance(rec["linux.pid"], int) and rec["parsl.thread_name"] == "MainThread"
    assert rec["parsl.run_id"] == "76931974-82ab-45fa-9765-01e66abf70f1"
    assert isinstance(rec["parsl.logger_lineno"], int) and rec["levelname"] == "INFO"
    assert "parsl.process_name" not in rec and "parsl.func_name" not in rec
    assert len(rec) == 21


def test_manager_registration_names_host_block_and_versions() -> None:
    for release in TEXT_RELEASES:
        meta = _metadata(release)
        regs = [r for r in _read(release / "runinfo" / "000" / "htex_local" / "interchange.log")
                if r["ev.event"] == "manager_registered"]
        assert regs, release
        managers = {p.name for p in (release / "runinfo" / "000" / "htex_local").glob("block-*/*")}
        for rec in regs:
            assert rec["parsl.manager_id"] in managers
            assert rec["linux.hostname"] == meta["hostname"]
            assert rec["parsl.block_id"] in ("0", "1")
            assert rec["parsl.worker_count"] == 2
            assert rec["parsl.python_version"] == meta["python_version"]
            assert rec["parsl.version"] == meta["parsl_version"]


@pytest.mark.parametrize("release", [r for r in RELEASES if r != V1], ids=_ids)
def test_join_task_to_worker_pid(release: Path) -> None:
    """parsl.log's task -> executor task id -> the worker that received it -> its pid.

    The pid is then checked against the monitoring DB's resource rows for that task, which
    psutil took from the same worker process.
    """
    records = _read(release / "runinfo")
    launched = {(r["parsl.run_id"], r["parsl.executor_task_id"]): r for r in records
                if r["ev.event"] == "task_launched"}
    received = [r for r in records if r["ev.event"] == "worker_task_received"]
    assert received
    worker_pid_of_task = {}
    for rec in received:
        launch = launched[(rec["parsl.run_id"], rec["parsl.executor_task_id"])]
        worker_pid_of_task[(rec["parsl.run_id"], launch["parsl.task_id"],
                            launch["parsl.try_id"])] = rec["linux.pid"]
    resources = [r for r in parsl_db.read(release / "runinfo" / "monitoring.db", tz="UTC")
                 if r["ev.event"] == "resource"]
    assert resources
    for res in resources:
        key = (res["parsl.run_id"], res["parsl.task_id"], res["parsl.try_id"])
        assert worker_pid_of_task[key] == res["linux.pid"], key


def test_join_academy_process_to_htex_worker_pid() -> None:
    """An Academy agent's records (process = pid, as a string) meet the htex worker's pid."""
    fixture = FIXTURES / "academy" / "1.0.0"
    academy = [r for r in pool.read(fixture / "academy_home")
               if r.get("processName", "").startswith("HTEX-Worker")]
    assert academy and all(isinstance(r["process"], int) for r in academy)
    workers = {r["linux.pid"]: r for r in _read(fixture / "runinfo")
               if "parsl.worker_id" in r and r.get("linux.pid")}
    pids = {r["process"] for r in academy}
    assert pids and pids <= set(workers)
    hit = workers[next(iter(pids))]
    assert hit["parsl.block_id"] == "0" and hit["parsl.manager_id"]


# ---------------------------------------------------------------------------------------
# Parsl 1.x (fixtures/parsl/1.2.0): its formats, what its messages say, what they cannot.


def _v1_manager_dirs(run: str) -> list[Path]:
    return sorted((V1 / "runinfo" / run / "htex_local").glob("block-*/*"))


def test_1x_fixture_imports_with_no_unparsed_line(tmp_path: Path, capsys) -> None:
    """The commands a user runs on a 1.x runinfo/: every line parsed, the zone stated."""
    assert main(["parsl-logs", str(V1 / "runinfo"), "--pool", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "(0 unparsed)" in err and "zone of ms-format logs UTC+1h inferred from the run's " \
        "submit script names and parsl.log" in err
    assert main(["auto", str(V1), "--pool", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert "auto: parsl-db: 1 files" in err and "auto: parsl-logs: 20 files" in err
    assert err.count("(0 unparsed)") == 2
    assert not [r for r in pool.read(tmp_path / "b") if r.get("ev.event") == "unparsed"]


def test_1x_worker_line_field_by_field() -> None:
    """A 1.x worker line: Rank (the worker id) where later releases print the pid; the keys
    of the modern worker_task_received family; block, manager and worker from the path."""
    [manager] = [d for d in _v1_manager_dirs("000") if (d / "worker_1.log").exists()]
    worker = manager / "worker_1.log"
    [rec] = [r for r in _read(worker) if r["ev.event"] == "worker_task_received"
             and r["parsl.executor_task_id"] == 2]
    assert rec == {
        "created": rec["created"],
        "formatted": "Received task 2",
        "name": "worker_log",
        "levelname": "INFO",
        "levelno": 20,
        "ev.source": "parsl-logs",
        "ev.origin": str(worker),
        "ev.event": "worker_task_received",
        "ev.lineno": 3,
        "ev.line_count": 1,
        "ev.format": "htex-pool-rank-ms",
        "parsl.run_dir": "000",
        "parsl.run_id": "53e9f5ea-7d35-4d6c-81f5-a88839d6b766",
        "parsl.executor": "htex_local",
        "parsl.block_id": manager.parent.name.removeprefix("block-"),
        "parsl.manager_id": manager.name,
        "parsl.worker_id": 1,
        "parsl.logger_lineno": 530,
        "parsl.rank": 1,
        "parsl.executor_task_id": 2,
    }
    # 2026-12-02 00:19:21.828 in Europe/Berlin (UTC+1), inferred from the run's files
    assert rec["created"] == pytest.approx(1796167161.828)


def test_1x_task_launched_field_by_field() -> None:
    """1.x's "Task N launched on executor X": the task and executor, but no try and no
    executor task id (1.x logs nothing that says which executor task a Parsl task became)."""
    log = V1 / "runinfo" / "000" / "parsl.log"
    [rec] = [r for r in _read(log) if r["ev.event"] == "task_launched"
             and r["parsl.task_id"] == 0]
    assert rec == {
        "created": pytest.approx(1796167160.278),  # 00:19:20.278 Europe/Berlin
        "formatted": "Task 0 launched on executor htex_local",
        "name": "parsl.dataflow.dflow",
        "levelname": "INFO",
        "levelno": 20,
        "ev.source": "parsl-logs",
        "ev.origin": str(log),
        "ev.event": "task_launched",
        "ev.lineno": rec["ev.lineno"],
        "ev.line_count": 1,
        "ev.format": "named-ms",
        "parsl.run_dir": "000",
        "parsl.run_id": "53e9f5ea-7d35-4d6c-81f5-a88839d6b766",
        "parsl.logger_lineno": 610,
        "parsl.task_id": 0,
        "parsl.executor": "htex_local",
    }


def test_1x_families_give_the_modern_keys() -> None:
    """Each 1.x message family, with the keys its modern counterpart gives."""
    records = _read(V1 / "runinfo" / "000")
    first = {}
    for rec in records:
        first.setdefault(rec["ev.event"], rec)
    state = first["task_state"]
    assert (state["formatted"], state["parsl.task_id"], state["parsl.prev_task_status_name"],
            state["parsl.task_status_name"]) == ("Task 0 completed (launched -> exec_done)", 0,
                                           "launched", "exec_done")
    failed = first["try_failed"]
    assert (failed["parsl.task_id"], failed["parsl.try_id"]) == (6, 0)
    block = first["block_launched"]
    assert (block["formatted"], block["parsl.block_id"], block["parsl.job_id"]) == (
        "Launched block 0->29899", "0", "29899")
    reg = first["manager_registered"]
    assert reg["formatted"].startswith("[MAIN] Registration info for manager b'"), \
        "1.x's thread tag stays in the message; the family is matched after it"
    assert (reg["parsl.manager_id"], reg["parsl.block_id"], reg["linux.hostname"],
            reg["parsl.version"], reg["parsl.python_version"], reg["parsl.worker_count"]) == (
        "4f800333e932", "1", "vm", "1.2.0", "3.9.18", 2)
    sent = first["tasks_sent"]
    assert (sent["parsl.executor_task_ids"], sent["parsl.manager_id"]) == ([1, 2],
                                                                           "4f800333e932")
    beat = first["manager_heartbeat"]
    assert beat["parsl.manager_id"] == "4f800333e932" and beat["parsl.channel"] in (
        "tasks", "results")
    assert first["heartbeat_sent"]["formatted"] == "Return from heartbeat: None"
    assert first["worker_start"]["parsl.worker_id"] in (0, 1)
    done = first["worker_task_completed"]
    assert done["formatted"] == f"Completed task {done['parsl.executor_task_id']}"
    start, end = first["workflow_start"], first["workflow_end"]
    assert (start["parsl.version"], start["parsl.python_version"], start["parsl.user"],
            start["linux.hostname"], start["parsl.workflow_name"]) == (
        "1.2.0", "3.9.18", "root", "vm", "ev_import_fixture")
    assert (end["parsl.tasks_completed_count"], end["parsl.tasks_failed_count"]) == (7, 1)


def test_1x_executor_task_from_interchange_to_manager_to_worker() -> None:
    """The join 1.x logs do carry: the interchange sends executor task N to manager M; a
    worker under M's directory receives and completes N."""
    for run in ("000", "001"):
        records = _read(V1 / "runinfo" / run)
        sent = {(task, r["parsl.manager_id"]) for r in records if r["ev.event"] == "tasks_sent"
                for task in r["parsl.executor_task_ids"]}
        received = [r for r in records if r["ev.event"] == "worker_task_received"]
        completed = {r["parsl.executor_task_id"] for r in records
                     if r["ev.event"] == "worker_task_completed"}
        assert len(received) == 10, "10 tries per run"
        for rec in received:
            assert (rec["parsl.executor_task_id"], rec["parsl.manager_id"]) in sent
            assert rec["parsl.executor_task_id"] in completed


def test_1x_logs_do_not_join_tasks_to_workers_the_db_does() -> None:
    """What 1.x cannot give: no executor task id on task_launched and no pid on worker lines.
    Its monitoring DB holds the worker pid (resource rows) and block (try rows) per try."""
    records = _read(V1 / "runinfo")
    launched = [r for r in records if r["ev.event"] == "task_launched"]
    assert launched and not [r for r in launched if "parsl.executor_task_id" in r]
    workers = [r for r in records if "parsl.worker_id" in r]
    assert workers and not [r for r in workers if "linux.pid" in r]
    db = list(parsl_db.read(V1 / "runinfo" / "monitoring.db", tz="Europe/Berlin"))
    assert {r["parsl.block_id"] for r in db if r["ev.event"] == "try_launched"} <= {"0", "1"}
    pids = {r["linux.pid"] for r in db if r["ev.event"] == "resource"}
    assert pids and all(isinstance(pid, int) for pid in pids)


@pytest.mark.parametrize("release", [V1, MID], ids=_ids)
def test_zone_of_a_fixture_run_elsewhere_is_inferred(release: Path) -> None:
    """1.2.0 ran in Europe/Berlin, 2024.12.30 in America/Chicago (metadata.json says so).
    1.x's parsl.log has no epoch: the first submit script's name (time.time() at the
    submission) against parsl.log's "Launched block" line gives the offset. 2024's parsl.log
    carries epoch and local time on every line."""
    meta = _metadata(release)
    report = ImportReport()
    records = list(parsl_logs.read([release / "runinfo"], report=report))
    source = ("submit script names and parsl.log" if release == V1 else "parsl.log")
    assert report.assumptions["zone of ms-format logs"] == (
        f"UTC{meta['utc_offset_seconds'] / 3600:+g}h inferred from the run's {source}")
    # An epoch inside a millisecond-format line (the interchange prints a manager's last
    # heartbeat as time.time()) agrees with the line's inferred time.
    checked = 0
    for rec in records:
        m = re.search(r"'last_heartbeat': (\d+\.\d+)", rec.get("formatted", ""))
        if m and rec["ev.format"] != "v2022":
            # (the line's time is cut to the millisecond)
            assert -0.001 <= rec["created"] - float(m[1]) < 5, rec["formatted"][:80]
            checked += 1
    assert checked >= 4
    # Workers receive a task after parsl.log launched it, within the run.
    launched = {r["parsl.task_id"]: r["created"] for r in records
                if r["ev.event"] == "task_launched" and r["parsl.run_dir"] == "000"}
    received = [r["created"] for r in records if r["ev.event"] == "worker_task_received"
                and r["parsl.run_dir"] == "000"]
    assert received and all(0 <= t - min(launched.values()) < 120 for t in received)


def test_1x_block_exit_code_names_its_block_from_the_script() -> None:
    """1.x names submit scripts parsl.localprovider.<time>.sh: the block id is read from the
    script's --block_id. Block 0 of run 000 exited 5: its manager could not reach the
    interchange (1.2's address probe timed out), as its manager.log says."""
    records = _read(V1 / "runinfo" / "000")
    jobs = {r["parsl.block_id"]: r for r in records if r["ev.event"].startswith("block_job")}
    assert set(jobs) == {"0", "1"}
    assert jobs["0"]["parsl.exit_code"] == 5 and isinstance(jobs["0"]["parsl.submit_time"],
                                                             float)
    errors = [r for r in records if r["levelname"] == "ERROR" and r.get("parsl.block_id") == "0"
              and "parsl.manager_id" in r]
    assert [r["formatted"] for r in errors] == [
        "Caught exception while trying to determine viable address to interchange"]
    assert "No viable address found" in errors[0]["parsl.exc_text"]


def test_traceback_belongs_to_the_record_above_it() -> None:
    records = _read(NEW / "runinfo" / "000" / "parsl.log")
    [failed] = [r for r in records if r["ev.event"] == "task_failed"]
    assert failed["ev.line_count"] > 5
    assert failed["parsl.exc_text"].startswith("Traceback (most recent call last):")
    assert "ValueError" in failed["parsl.exc_text"]
    assert failed["levelname"] == "ERROR"
    [config] = [r for r in records if r.get("formatted", "").startswith("Starting DataFlowKernel")]
    assert "Config(" in config["parsl.message"] and config["ev.line_count"] > 50


def test_manager_message_that_starts_on_the_next_line() -> None:
    manager = next((NEW / "runinfo" / "000" / "htex_local" / "block-0").glob("*/manager.log"))
    first = _read(manager)[0]
    assert first["formatted"].startswith("Python version: 3.11.7")
    assert "Manager ID: " in first["parsl.message"] and first["ev.line_count"] == 23


def test_json_logs_get_the_same_keys_as_text_logs() -> None:
    records = _read(JSON / "runinfo")
    launched = [r for r in records if r["ev.event"] == "task_launched"]
    assert len(launched) == 20
    rec = launched[0]
    assert rec["ev.format"] == "jsonlog" and rec["parsl.run_dir"] in ("000", "001")
    assert isinstance(rec["parsl.task_id"], int) and isinstance(rec["parsl.executor_task_id"], int)
    assert rec["parsl.run_id"] and "parsl.dfk" not in rec, "Parsl's key mapped, not doubled"
    workers = [r for r in records if r["ev.event"] == "worker_task_received"]
    assert workers and all("parsl.worker_id" in r and "linux.pid" in r for r in workers)
    assert {r["ev.event"] for r in records} >= set(FAMILIES_ALL) - {"heartbeat_sent"}


def test_zone_of_millisecond_logs_is_inferred_from_parsl_log_or_given() -> None:
    """2024's worker logs print local time: the run's parsl.log tells the offset (UTC here);
    --tz overrides it and shifts those records, not the epoch-stamped ones."""
    run = OLD / "runinfo" / "000"
    inferred = _read(run)
    chicago = _read(run, tz="America/Chicago")
    by_key = defaultdict(list)
    for a, b in zip(inferred, chicago, strict=True):
        by_key[a.get("ev.format")].append(b["created"] - a["created"])
    assert set(by_key["v2022"]) == {0.0}
    assert set(round(d) for d in by_key["htex-pool-ms"]) == {6 * 3600}
    launched = {r["parsl.executor_task_id"]: r["created"] for r in inferred
                if r["ev.event"] == "task_launched"}
    for rec in inferred:
        if rec["ev.event"] == "worker_task_received":
            assert 0 <= rec["created"] - launched[rec["parsl.executor_task_id"]] < 60
    report = ImportReport()
    list(parsl_logs.read([run], report=report))
    assert report.assumptions["zone of ms-format logs"] == (
        "UTC+0h inferred from the run's parsl.log")


def test_path_keys() -> None:
    keys = parsl_logs.path_keys(Path("/x/runinfo/012/htex_local/block-3/abc123/worker_7.log"))
    assert keys == {"parsl.run_dir": "012", "parsl.executor": "htex_local",
                    "parsl.block_id": "3", "parsl.manager_id": "abc123", "parsl.worker_id": 7}


def test_block_job_exit_codes_from_submit_scripts() -> None:
    records = _read(OLD / "runinfo" / "000" / "submit_scripts")
    codes = {(r["ev.event"], r["parsl.block_id"]) for r in records}
    assert {b for _, b in codes} == {"0", "1"}
    for rec in records:
        assert rec["parsl.executor"] == "htex_local" and rec["ev.time_from"].startswith(
            "file mtime")
        assert ("parsl.exit_code" in rec) != ("parsl.exit_code_raw" in rec)


# ---------------------------------------------------------------------------------------
# Bad input. Each case damages a copy of a real log.


@pytest.fixture
def run_copy(tmp_path: Path) -> Path:
    run = tmp_path / "runinfo" / "000"
    shutil.copytree(OLD / "runinfo" / "000", run)
    return run


def _damage(path: Path, blob: bytes, where: str = "middle") -> None:
    data = path.read_bytes().splitlines(keepends=True)
    if where == "middle":
        data.insert(len(data) // 2, blob)
    else:
        data.append(blob)
    path.write_bytes(b"".join(data))


def test_binary_junk_and_nul_bytes_become_unparsed_records(run_copy: Path, capsys) -> None:
    log = run_copy / "parsl.log"
    junk = bytes(range(1, 32)).replace(b"\n", b"") + b"\x00\xff\xfe junk\n"
    _damage(log, junk)
    records = _read(log)
    [bad] = [r for r in records if r["ev.event"] == "unparsed"]
    assert bad["ev.reason"].startswith("not text")
    assert "\x00" in bad["ev.raw"] and bad["ev.invalid_utf8"] is True
    assert sum(r.get("ev.line_count", 1) for r in records) == _lines(log)
    code = main(["parsl-logs", str(log), "--pool", str(run_copy / "pool")])
    err = capsys.readouterr().err
    assert code == 1 and "(1 unparsed)" in err and "InvalidUtf8 x1" in err


def test_invalid_utf8_in_a_record_is_kept_with_replacement_and_flagged(run_copy: Path) -> None:
    log = run_copy / "parsl.log"
    lines = log.read_bytes().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if b"Run id is:" in line)
    lines[index] = lines[index].rstrip(b"\n") + b" caf\xe9\n"
    log.write_bytes(b"".join(lines))
    report = ImportReport()
    [rec] = [r for r in parsl_logs.read([log], report=report) if r["ev.lineno"] == index + 1]
    assert rec["formatted"].endswith(" caf\ufffd") and rec["ev.invalid_utf8"] is True
    assert report.problems["InvalidUtf8"] == 1 and report.partial


def test_truncated_last_line_is_unparsed_not_swallowed(run_copy: Path) -> None:
    log = run_copy / "parsl.log"
    _damage(log, b"1795596216.9 2026-11-25 08:4", where="end")
    records = _read(log)
    assert records[-1]["ev.event"] == "unparsed"
    assert records[-1]["ev.raw"] == "1795596216.9 2026-11-25 08:4"
    assert "truncated" in records[-1]["ev.reason"]
    assert sum(r.get("ev.line_count", 1) for r in records) == _lines(log)


def test_crlf_endings_parse_like_lf(run_copy: Path) -> None:
    log = run_copy / "parsl.log"
    expected = [(r["ev.event"], r["formatted"]) for r in _read(log)]
    log.write_bytes(log.read_bytes().replace(b"\n", b"\r\n"))
    assert [(r["ev.event"], r["formatted"]) for r in _read(log)] == expected


def test_empty_file_gives_no_records(run_copy: Path) -> None:
    log = run_copy / "parsl.log"
    log.write_bytes(b"")
    assert _read(log) == []


def test_garbage_before_any_record_is_unparsed(run_copy: Path) -> None:
    log = run_copy / "htex_local" / "interchange.log"
    log.write_bytes(b"hello, not a log line\n" + log.read_bytes())
    first = _read(log)[0]
    assert first["ev.event"] == "unparsed" and first["ev.reason"].startswith("before any record")
    assert first["parsl.executor"] == "htex_local", "path keys even on unparsed records"


def test_unreadable_file_is_named_and_the_rest_imported(run_copy: Path, capsys) -> None:
    os.symlink(run_copy / "gone.log", run_copy / "htex_local" / "worker_9.log")
    pool_dir = run_copy.parent.parent / "pool"
    code = main(["parsl-logs", str(run_copy), "--pool", str(pool_dir)])
    err = capsys.readouterr().err
    assert code == 1
    assert "UnreadableFile x1" in err and "worker_9.log" in err
    [written] = list(pool_dir.glob("*.jsonlog"))
    assert sum(1 for _ in written.open("rb")) > 1000
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_path_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    code = main(["parsl-logs", str(tmp_path / "nope"), "--pool", str(tmp_path / "pool")])
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: no such file or directory: {tmp_path / 'nope'} (give a runinfo/ dir, a run "
        "dir such as runinfo/000, or log files)\n")
    assert list((tmp_path / "pool").glob("*.jsonlog")) == []


def test_the_hot_v2022_path_builds_what_the_engine_builds() -> None:
    """parsl-logs keeps a hand-written builder for its hot variant (speed); on every v2022
    line of the fixtures it must give what the engine builds from the table's declaration."""
    from importers.sources.parsl_logs.formats import LINES, V2022

    regex, build = LINES.compiled(V2022), LINES.builder(V2022)
    checked = 0
    for log in sorted(FIXTURES.glob("parsl/*/runinfo/*/parsl.log")):
        lines = log.read_bytes().decode("utf-8", "replace").split("\n")
        for rec in parsl_logs.read([log], tz="UTC"):
            if rec.get("ev.format") != "v2022":
                continue
            const = {k: rec[k] for k in ("ev.source", "ev.origin", "ev.format")}
            built, _msg = build(regex.match(lines[rec["ev.lineno"] - 1]), None, const,
                                rec["ev.lineno"])
            for key, value in built.items():
                if key != "formatted":  # a message on the next line replaces it
                    assert rec[key] == value, (key, rec)
            checked += 1
    assert checked > 1000
