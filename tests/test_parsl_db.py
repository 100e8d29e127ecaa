"""``ev-import parsl-db``: Parsl's monitoring DB as events, on real DBs of two releases.

The fixtures under fixtures/parsl/<release>/runinfo/monitoring.db were written by real Parsl
runs (scripts/make_parsl_fixture.py): HTEX with two LocalProvider blocks, resource
monitoring, a failing task and a task that succeeds on retry, run twice into one DB.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conformance import assert_conforms
from conftest import parsl_releases, without_rate

from importers.cli import main
from importers.core.report import UNKNOWN_COLUMN, UNKNOWN_TABLE, UNREADABLE_TABLE, ImportReport
from importers.sources import parsl_db

RELEASES = parsl_releases()
assert len(RELEASES) >= 2, "expected fixtures of a recent and an older Parsl release"


def _ids(path: Path) -> str:
    return path.name


def _db(release: Path) -> Path:
    return release / "runinfo" / "monitoring.db"


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchone()[0]


def _events(db: Path, **options) -> list[dict]:
    return list(parsl_db.read(db, tz=options.pop("tz", "UTC"), **options))


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_every_row_becomes_its_events(release: Path) -> None:
    """Per table, the number of events is what the rows say, no more and no fewer."""
    db = _db(release)
    events = Counter(rec["ev.event"] for rec in _events(db))
    assert events["workflow_start"] == _count(db, "select count(*) from workflow")
    assert events["workflow_end"] == _count(
        db, "select count(*) from workflow where time_completed is not null"
    )
    assert events["task"] == _count(db, 'select count(*) from task')
    for column, event in [
        ("task_try_time_launched", "try_launched"),
        ("task_try_time_running", "try_running"),
        ("task_try_time_returned", "try_returned"),
    ]:
        expected = _count(db, f'select count(*) from try where {column} is not null')
        assert events[event] == expected, event
    for table, event in [
        ("status", "task_status"),
        ("block", "block_status"),
        ("node", "node"),
        ("resource", "resource"),
    ]:
        assert events[event] == _count(db, f"select count(*) from {table}"), table
    assert events["workflow_start"] == 2, "the fixture script runs two workflows into one DB"
    assert events["resource"] > 0, "resource monitoring was on"
    assert "unparsed" not in events and "row" not in events


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_records_conform_to_the_design(release: Path) -> None:
    assert assert_conforms(_events(_db(release)), "parsl-db") > 100


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_status_row_field_by_field(release: Path) -> None:
    """One real status row, every field checked, then the field count (no stowaways)."""
    db = _db(release)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        task_id, name, stamp, run_id, try_id = conn.execute(
            "select task_id, task_status_name, timestamp, run_id, try_id from status "
            "where task_status_name = 'failed' order by timestamp limit 1"
        ).fetchone()
    [rec] = [
        r for r in _events(db)
        if r["ev.event"] == "task_status" and r["parsl.run_id"] == run_id
        and r["parsl.task_id"] == task_id and r["parsl.task_status_name"] == "failed"
        and r["parsl.try_id"] == try_id
    ]
    expected_created = datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc).timestamp()
    assert rec["created"] == pytest.approx(expected_created, abs=1e-6)
    assert rec["ev.source"] == "parsl-db"
    assert rec["ev.origin"] == str(db)
    assert rec["name"] == "parsl.monitoring.status"
    assert rec["levelname"] == "ERROR" and rec["levelno"] == 40
    assert rec["formatted"] == f"task {task_id} try {try_id} -> failed"
    assert isinstance(rec["parsl.task_id"], int) and isinstance(rec["parsl.try_id"], int)
    assert len(rec) == 12


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_keys_that_join_have_the_design_types(release: Path) -> None:
    """Block and job ids are strings (as a batch system prints them); pids are ints."""
    events = _events(_db(release))
    blocks = [r for r in events if r["ev.event"] == "block_status"]
    assert {r["parsl.block_id"] for r in blocks} >= {"0", "1"}, "two blocks in the fixture"
    assert all(isinstance(r["parsl.job_id"], str) for r in blocks if "parsl.job_id" in r)
    nodes = [r for r in events if r["ev.event"] == "node"]
    assert nodes and all(isinstance(r["parsl.manager_id"], str) for r in nodes)
    assert all(isinstance(r["linux.hostname"], str) for r in nodes)
    assert all(isinstance(r["parsl.active"], bool) for r in nodes)
    assert all(isinstance(r["parsl.total_memory"], int) for r in nodes)
    resources = [r for r in events if r["ev.event"] == "resource"]
    assert all(isinstance(r["linux.pid"], int) for r in resources)
    assert all(isinstance(r["parsl.psutil_process_time_user"], float) for r in resources)
    tries = [r for r in events if r["ev.event"].startswith("try_")]
    assert all(isinstance(r["parsl.try_launched_time"], float) for r in tries
               if "parsl.try_launched_time" in r)
    # the retried task: one task, two tries, the first with a fail history
    retried = Counter((r["parsl.run_id"], r["parsl.task_id"]) for r in tries
                      if r["ev.event"] == "try_launched")
    assert max(retried.values()) == 2


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_zone_of_naive_times_shifts_created_by_its_offset(release: Path) -> None:
    """Parsl stores naive local times: --tz decides what instant they mean."""
    db = _db(release)
    utc = _events(db, tz="UTC")
    chicago = _events(db, tz="America/Chicago")
    first = datetime.fromtimestamp(utc[0]["created"], timezone.utc).replace(tzinfo=None)
    offset = ZoneInfo("America/Chicago").utcoffset(first).total_seconds()
    assert len(utc) == len(chicago)
    for a, b in zip(utc, chicago, strict=True):
        if "created" in a:
            assert b["created"] - a["created"] == pytest.approx(-offset)
    report = ImportReport()
    list(parsl_db.read(db, tz="America/Chicago", report=report))
    assert report.assumptions["zone"] == "America/Chicago (--tz)"


@pytest.mark.parametrize("release", [r for r in RELEASES if r.name in ("1.2.0", "2024.12.30")],
                         ids=_ids)
def test_zone_without_tz_is_the_one_the_runs_logs_tell(release: Path, tmp_path: Path) -> None:
    """1.2.0 ran in Europe/Berlin and 2024.12.30 in America/Chicago (metadata.json): without
    --tz the DB is read in the zone its run dirs' logs tell, so a try's launch in the DB and
    the same launch in parsl.log (as parsl-logs reads it) are the same instant."""
    from importers.sources import parsl_logs

    offset = json.loads((release / "metadata.json").read_text())["utc_offset_seconds"]
    report = ImportReport()
    db = list(parsl_db.read(_db(release), report=report))
    assert report.assumptions["zone"].startswith(f"UTC{offset / 3600:+g}h inferred from run 000")
    logs = [r for r in parsl_logs.read([release / "runinfo"])
            if r["ev.event"] == "task_launched"]
    in_logs: dict = {}
    for r in logs:  # a task's first launch is its try 0 (1.x names no try)
        if r.get("parsl.try_id", 0) == 0:
            in_logs.setdefault((r["parsl.run_id"], r["parsl.task_id"]), r["created"])
    in_db = {(r["parsl.run_id"], r["parsl.task_id"]): r["created"] for r in db
             if r["ev.event"] == "try_launched" and r["parsl.try_id"] == 0}
    assert in_db and in_db.keys() <= in_logs.keys()
    for key, created in in_db.items():
        assert abs(created - in_logs[key]) < 1.0, key
    # A DB alone (no run dirs beside it) is read in the machine's zone.
    shutil.copy(_db(release), tmp_path / "monitoring.db")
    report = ImportReport()
    assert len(list(parsl_db.read(tmp_path / "monitoring.db", report=report))) == len(db)
    assert report.assumptions["zone"].endswith("(machine local; --tz to change)")


@pytest.mark.parametrize("release", RELEASES, ids=_ids)
def test_golden_output(release: Path, golden) -> None:
    """The whole import, compared with a reviewed golden file (pytest --update-goldens)."""
    golden(f"parsl_db_{release.name}", _events(_db(release)))


def test_unknown_tables_and_columns_are_kept_and_named(tmp_path: Path) -> None:
    """A DB from a future release: a new table and a new column survive as parsl.<column>.

    The extra table and column are added by this test to a copy of a real DB (an edge case
    no released Parsl has produced yet).
    """
    db = tmp_path / "monitoring.db"
    shutil.copy(_db(RELEASES[-1]), db)
    with sqlite3.connect(db) as conn:
        conn.execute("create table gpu (run_id text, timestamp datetime, util float)")
        conn.execute("insert into gpu values ('r1', '2026-01-02 03:04:05.5', 0.75)")
        conn.execute("alter table block add column queue text")
        conn.execute("update block set queue = 'debug'")
    report = ImportReport()
    events = list(parsl_db.read(db, tz="UTC", report=report))
    [row] = [r for r in events if r["ev.event"] == "row"]
    assert row["name"] == "parsl.monitoring.gpu"
    assert row["parsl.timestamp_time"] == 1767323045.5
    assert row["parsl.util"] == 0.75 and row["parsl.run_id"] == "r1"
    assert row["created"] == 1767323045.5
    assert all(r["parsl.queue"] == "debug" for r in events if r["ev.event"] == "block_status")
    assert report.details[UNKNOWN_TABLE] == ["gpu"]
    assert report.details[UNKNOWN_COLUMN] == ["block.queue"]
    assert not report.partial, "kept is not lost: unknown parts do not make an import partial"


# ---------------------------------------------------------------------------------------
# The CLI, on good and bad input: exact lines, exit codes, and an untouched pool.


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_cli_imports_into_one_pool_file_and_reimport_replaces_it(tmp_path, capsys) -> None:
    pool = tmp_path / "pool"
    db = str(_db(RELEASES[-1]))
    code, err = _run(capsys, "parsl-db", db, "--pool", str(pool), "--tz", "UTC")
    assert code == 0
    [written] = list(pool.glob("*.jsonlog"))
    n = sum(1 for _ in written.open("rb"))
    assert without_rate(err) == (
        f"parsl-db: {n} events (0 unparsed) from {db} -> {written}; zone UTC (--tz)\n"
    )
    code, _ = _run(capsys, "parsl-db", db, "--pool", str(pool), "--tz", "UTC", "-q")
    assert code == 0
    assert list(pool.iterdir()) == [written], "same source + options -> the same file, replaced"
    assert sum(1 for _ in written.open("rb")) == n


def test_cli_accepts_the_runinfo_directory(tmp_path, capsys) -> None:
    code, err = _run(capsys, "parsl-db", str(_db(RELEASES[0]).parent),
                     "--pool", str(tmp_path), "-q")
    assert code == 0 and err == ""
    assert len(list(tmp_path.glob("parsl-db-*.jsonlog"))) == 1


def _not_a_parsl_db(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("create table moz_places (id integer, url text)")
        conn.execute("insert into moz_places values (1, 'https://example.org')")


BAD_INPUTS = {
    "empty": (
        lambda p: p.write_bytes(b""),
        "error: empty file, not a Parsl monitoring DB: {db} (Parsl writes runinfo/monitoring.db "
        "when MonitoringHub is configured)",
    ),
    "text": (
        lambda p: p.write_text("2024-01-01 00:00:00 parsl.log is not a database\n"),
        "error: not an SQLite database: {db} (give the monitoring.db that Parsl's "
        "MonitoringHub wrote)",
    ),
    "binary-junk": (
        lambda p: p.write_bytes(bytes(range(256)) * 64),
        "error: not an SQLite database: {db} (give the monitoring.db that Parsl's "
        "MonitoringHub wrote)",
    ),
    "other-application": (
        _not_a_parsl_db,
        "error: not a Parsl monitoring DB: {db} (found moz_places; expected tables such as "
        "workflow, task, try, status)",
    ),
    "missing": (
        lambda p: None,
        "error: no such file: {db} (check the path to monitoring.db)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_cli_bad_input_is_one_line_exit_2_and_the_pool_untouched(case, tmp_path, capsys):
    make, expected = BAD_INPUTS[case]
    db = tmp_path / "monitoring.db"
    make(db)
    pool = tmp_path / "pool"
    pool.mkdir()
    keep = pool / "earlier.jsonlog"
    keep.write_text('{"created": 1.0}\n')
    code, err = _run(capsys, "parsl-db", str(db), "--pool", str(pool))
    assert code == 2
    assert err == expected.format(db=db) + "\n"
    assert sorted(p.name for p in pool.iterdir()) == ["earlier.jsonlog"]
    assert keep.read_text() == '{"created": 1.0}\n'


def test_cli_locked_db_is_one_line_exit_2(tmp_path, capsys) -> None:
    """A writer holding an exclusive lock (Parsl mid-commit) blocks reading: say so."""
    db = tmp_path / "monitoring.db"
    shutil.copy(_db(RELEASES[-1]), db)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("begin exclusive")
    try:
        code, err = _run(capsys, "parsl-db", str(db), "--pool", str(tmp_path / "pool"),
                         "--lock-timeout", "0.2")
    finally:
        writer.execute("rollback")
        writer.close()
    assert code == 2
    assert err == (
        f"error: database is locked by another process: {db} (Parsl may still be writing it: "
        "wait for the workflow to finish, or copy the file and import the copy)\n"
    )
    assert list((tmp_path / "pool").glob("*")) == []


def test_cli_truncated_db_imports_what_is_readable_and_exits_1(tmp_path, capsys) -> None:
    """A copy cut short (a full disk, an interrupted scp): readable rows in, the rest named."""
    src = _db(RELEASES[-1])
    full = _events(src)
    db = tmp_path / "monitoring.db"
    data = src.read_bytes()
    db.write_bytes(data[: len(data) * 2 // 3])
    pool = tmp_path / "pool"
    code, err = _run(capsys, "parsl-db", str(db), "--pool", str(pool), "--tz", "UTC")
    [written] = list(pool.glob("*.jsonlog"))
    n = sum(1 for _ in written.open("rb"))
    assert code == 1
    assert 0 < n < len(full)
    short = len(data) - len(data) * 2 // 3
    assert without_rate(err).startswith(
        f"parsl-db: {n} events (0 unparsed) from {db} -> {written}; zone UTC (--tz); "
        f"TruncatedInput x1 (monitoring.db lacks its last {short} bytes); UnreadableTable x"
    ), err
    assert " after 0 rows" in err
    assert err.count("\n") == 1


def test_truncated_header_page_is_unusable(tmp_path, capsys) -> None:
    """Cut inside the first page: not even the schema is there. Exit 2, one line."""
    db = tmp_path / "monitoring.db"
    db.write_bytes(_db(RELEASES[-1]).read_bytes()[:200])
    code, err = _run(capsys, "parsl-db", str(db), "--pool", str(tmp_path / "pool"))
    assert code == 2
    assert err.startswith("error: damaged SQLite database") or err.startswith(
        "error: not a Parsl monitoring DB"
    ), err
    assert err.count("\n") == 1


def test_unknown_zone_is_a_usage_error(tmp_path, capsys) -> None:
    code, err = _run(capsys, "parsl-db", str(_db(RELEASES[0])), "--pool", str(tmp_path),
                     "--tz", "Mars/Olympus_Mons")
    assert code == 2
    assert err == ("error: unknown time zone: Mars/Olympus_Mons (give an IANA name such as "
                   "UTC or America/Chicago)\n")


def test_reader_never_modifies_the_db(tmp_path) -> None:
    """Opened read-only: the file's bytes are the same after an import (no create_all)."""
    db = tmp_path / "monitoring.db"
    shutil.copy(_db(RELEASES[0]), db)
    before = db.read_bytes()
    assert _events(db)
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monitoring.db"]


def test_timeless_rows_are_kept_without_created(tmp_path) -> None:
    """A try row with no times at all (a launch that never happened) is not lost.

    Edge case made by hand on a copy of a real DB: the times are cleared by this test.
    """
    db = tmp_path / "monitoring.db"
    shutil.copy(_db(RELEASES[-1]), db)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "update try set task_try_time_launched = null, task_try_time_running = null, "
            "task_try_time_returned = null where task_id = 0"
        )
        n_rows = conn.execute("select count(*) from try where task_id = 0").fetchone()[0]
    events = [r for r in _events(db) if r.get("parsl.task_id") == 0
              and r["ev.event"].startswith("try_")]
    assert len(events) == n_rows
    assert all(r["ev.event"] == "try_launched" and "created" not in r for r in events)


def test_bad_timestamp_is_counted_and_kept_raw(tmp_path) -> None:
    """A time column holding garbage: the row stays, the raw value is kept, the run is partial.

    Edge case made by hand on a copy of a real DB.
    """
    db = tmp_path / "monitoring.db"
    shutil.copy(_db(RELEASES[-1]), db)
    with sqlite3.connect(db) as conn:
        conn.execute("update node set last_heartbeat = 'yesterday-ish'")
        n_rows = conn.execute("select count(*) from node").fetchone()[0]
    report = ImportReport()
    nodes = [r for r in parsl_db.read(db, tz="UTC", report=report) if r["ev.event"] == "node"]
    assert len(nodes) == n_rows
    assert all(r["parsl.last_heartbeat_raw"] == "yesterday-ish" for r in nodes)
    assert all(isinstance(r["created"], float) for r in nodes)
    assert report.partial and report.problems["BadTimestamp"] == n_rows
    assert UNREADABLE_TABLE not in report.problems
