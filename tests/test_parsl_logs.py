"""``ev-import parsl-logs``: Parsl's logs of two releases (and JSON logging), line for line.

The fixtures are real runinfo/ trees (scripts/make_parsl_fixture.py): 2026.10.26 writes every
log in the ``v2022`` format, 2024.3.4 writes the interchange, manager, worker and database
manager logs in their older millisecond formats, and 2026.10.26-json uses JSONLogging.
"""

from __future__ import annotations

import os
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
JSON = FIXTURES / "parsl" / "2026.10.26-json"


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


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_formats_are_recognised_by_content(release: Path) -> None:
    formats = Counter(r.get("ev.format") for r in _read(release / "runinfo"))
    if release.name.endswith("-json"):
        assert formats["jsonlog"] > 1000
    elif release == OLD:
        # 2024: parsl.log in v2022, the HTEX and monitoring logs in their own ms formats
        assert {"v2022", "htex-interchange-ms", "htex-pool-ms", "dbm-ms", "named-ms"} <= set(
            formats)
    else:
        # 2026: everything in v2022 but the database manager
        assert set(formats) == {"v2022", "dbm-ms", None}  # None: the .sh.ec files


FAMILIES_BOTH = ["parsl_version", "run_start", "task_submitted", "task_launched",
                 "try_failed", "task_failed", "scale_out", "block_allocated", "block_launched",
                 "manager_registered", "manager_heartbeat", "tasks_sent", "worker_start",
                 "worker_task_received", "worker_task_completed", "heartbeat_sent"]
# 2024.3.4's parsl.log logs neither state changes nor the workflow info dicts.
FAMILIES_SINCE_2024 = ["workflow_start", "workflow_end", "task_state", "block_scaled_in"]


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_message_families_on_every_release(release: Path) -> None:
    events = Counter(r["ev.event"] for r in _read(release / "runinfo"))
    expected = FAMILIES_BOTH + ([] if release == OLD else FAMILIES_SINCE_2024)
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
        regs = [r for r in _read(release / "runinfo" / "000" / "htex_local" / "interchange.log")
                if r["ev.event"] == "manager_registered"]
        assert regs, release
        managers = {p.name for p in (release / "runinfo" / "000" / "htex_local").glob("block-*/*")}
        for rec in regs:
            assert rec["parsl.manager_id"] in managers
            assert rec["linux.hostname"] == "vm"
            assert rec["parsl.block_id"] in ("0", "1")
            assert rec["parsl.worker_count"] == 2
            assert rec["parsl.python_version"] == "3.11.7"
            assert rec["parsl.version"] in ("2024.03.04", "2026.10.26")


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
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
    assert {r["ev.event"] for r in records} >= set(FAMILIES_BOTH) - {"heartbeat_sent"}


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
