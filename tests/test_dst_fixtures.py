"""Daylight-saving changes in real logs: a local time that happens twice, or never.

Programs that print naive local time (Redis, Parsl's millisecond-format logs and its
monitoring DB) write a log that jumps when the clocks change. fixtures/dst/ holds real runs
across the two changes of Europe/Berlin in 2026, made under Debian's libfaketime with the
clock set to just before the change and running at real speed:

* fall-back: 2026-10-25 03:00:00 CEST is 02:00:00 CET, so 02:00-03:00 happens twice. A log
  prints 02:58, 02:59, then 02:00, 02:01 again; the second 02:00 is an hour *after* 02:59.
* spring-forward: 2026-03-29 02:00:00 CET is 03:00:00 CEST, so a log jumps from 01:59:59 to
  03:00:00 and the seconds between are one second apart, not an hour and one.

Remade by ``bash scripts/make_redis_dst_fixture.sh`` and ``scripts/make_parsl_fixture.py
--fake-start`` (see fixtures/dst/*/README.txt). Each test imports with the real CLI and
checks the times against the absolute times the programs wrote themselves: Redis' answer to
``TIME`` written into its own log (``DEBUG LOG: clock check: TIME <epoch>``), and the epoch
at the start of each line of Parsl's main logs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import FIXTURES

from importers.cli import main
from importers.core import pool

DST = FIXTURES / "dst"
ZONE = "Europe/Berlin"
# Lines written a little out of order (threads, a BGSAVE child, a DB flushed in batches)
# may be this many seconds earlier than a line above them; an hour never is.
SLACK = 5.0
REDIS_LOGS = {"fall-back": DST / "redis" / "fall-back.log",
              "spring-forward": DST / "redis" / "spring-forward.log"}
CLOCK_CHECK = re.compile(r"DEBUG LOG: clock check: TIME (\d+\.\d+)$")


def _import(capsys, tmp_path: Path, *argv: str, tz: str | None = ZONE,
            ) -> tuple[dict[str, list[dict]], str]:
    """Run ``ev-import ARGV --pool tmp --tz Europe/Berlin``; records by input file, in file
    order, and the summary."""
    target = tmp_path / "pool"
    code = main([*argv, "--pool", str(target), *(["--tz", tz] if tz else [])])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code == 0, err
    by_file: dict[str, list[dict]] = defaultdict(list)
    for rec in pool.read(target):
        by_file[rec["ev.origin"]].append(rec)
    for records in by_file.values():
        records.sort(key=lambda r: (r.get("ev.lineno", 0), r.get("ev.table", "")))
    return by_file, err


def _backwards(records: list[dict]) -> list[tuple[int, float]]:
    """(line, seconds back) of each record more than SLACK earlier than the latest before it."""
    latest = None
    back = []
    for rec in records:
        created = rec.get("created")
        if created is None:
            continue
        if latest is not None and created < latest - SLACK:
            back.append((rec.get("ev.lineno", 0), round(latest - created, 3)))
        latest = created if latest is None else max(latest, created)
    return back


# ---------------------------------------------------------------------------------------
# Redis 7.0.15 (Debian's redis-server): 'PID:R DD Mon YYYY HH:MM:SS.mmm L message'


def _clock_checks(records: list[dict]) -> list[tuple[int, float, float]]:
    """(line, the epoch Redis wrote, the importer's epoch for that line's local time)."""
    found = []
    for rec in records:
        m = CLOCK_CHECK.search(rec.get("formatted", ""))
        if m:
            found.append((rec["ev.lineno"], float(m[1]), rec["created"]))
    return found


@pytest.mark.parametrize("name", ["fall-back", "spring-forward"])
def test_redis_log_across_a_clock_change_reads_every_line(name, tmp_path, capsys) -> None:
    path = REDIS_LOGS[name]
    by_file, err = _import(capsys, tmp_path, "redis-log", str(path))
    [records] = by_file.values()
    assert [r for r in records if r["ev.event"] == "unparsed"] == []
    assert len(records) == path.read_bytes().count(b"\n")
    assert f"zone {ZONE} (--tz)" in err
    # the summary counts the repeated hour's times only where there are some
    assert ("ambiguous hour 2026-10-25 02:00-03:00 Europe/Berlin" in err) == (name == "fall-back")


@pytest.mark.parametrize("name", ["fall-back", "spring-forward"])
def test_redis_times_agree_with_the_servers_own_clock(name, tmp_path, capsys) -> None:
    """Each clock check's local time, read in Europe/Berlin, is the epoch Redis wrote in it
    (TIME was asked a few milliseconds before DEBUG LOG wrote the line)."""
    by_file, _ = _import(capsys, tmp_path, "redis-log", str(REDIS_LOGS[name]))
    [records] = by_file.values()
    checks = _clock_checks(records)
    assert len(checks) >= 15
    wrong = [(line, said, read) for line, said, read in checks if not 0 <= read - said < 1.0]
    assert wrong == []


@pytest.mark.parametrize("name", ["fall-back", "spring-forward"])
def test_redis_time_never_runs_backwards(name, tmp_path, capsys) -> None:
    by_file, _ = _import(capsys, tmp_path, "redis-log", str(REDIS_LOGS[name]))
    [records] = by_file.values()
    assert _backwards(records) == []


def test_redis_spring_forward_skips_the_hour_that_never_was(tmp_path, capsys) -> None:
    """01:59:45 CET and 03:00:00 CEST are 15 s apart, and the run lasts its 300-odd s."""
    by_file, _ = _import(capsys, tmp_path, "redis-log", str(REDIS_LOGS["spring-forward"]))
    [records] = by_file.values()
    checks = _clock_checks(records)
    before = [c for c in checks if "01:59:" in _line(REDIS_LOGS["spring-forward"], c[0])]
    after = [c for c in checks if " 03:00:" in _line(REDIS_LOGS["spring-forward"], c[0])]
    assert before and after
    assert 0 < after[0][2] - before[-1][2] < 30
    span = records[-1]["created"] - records[0]["created"]
    assert 300 <= span < 330


def test_redis_fall_back_reads_the_repeated_hour_twice(tmp_path, capsys) -> None:
    """02:59:45 CEST then 02:00:01 CET: 15 s later, not 59 minutes earlier; the run lasts its
    480-odd s (a restart included), and the summary says how the repeated hour was read."""
    path = REDIS_LOGS["fall-back"]
    by_file, err = _import(capsys, tmp_path, "redis-log", str(path))
    [records] = by_file.values()
    checks = _clock_checks(records)
    before = [c for c in checks if " 02:59:" in _line(path, c[0])]
    after = [c for c in checks if " 02:00:" in _line(path, c[0])]
    assert before and after
    assert 0 < after[0][2] - before[-1][2] < 30
    span = records[-1]["created"] - records[0]["created"]
    assert 480 <= span < 520
    assert "ambiguous hour 2026-10-25 02:00-03:00 Europe/Berlin" in err


def test_the_redis_docs_example_runs(tmp_path, capsys) -> None:
    """docs/redis_log.md's command for the spring-forward fixture, as written (plus a pool)."""
    from conftest import ROOT

    docs = (ROOT / "docs" / "redis_log.md").read_text(encoding="utf-8")
    [command] = [line.strip() for line in docs.splitlines()
                 if line.startswith("    ev-import redis-log fixtures/dst/")]
    argv = command.split()[1:]
    argv[1] = str(ROOT / argv[1])
    code = main([*argv, "--pool", str(tmp_path)])
    assert code == 0
    assert "zone Europe/Berlin (--tz)" in capsys.readouterr().err


def _line(path: Path, lineno: int) -> str:
    return path.read_bytes().split(b"\n")[lineno - 1].decode()


# ---------------------------------------------------------------------------------------
# Parsl 2026.10.26, HTEX with monitoring, across the fall-back change. Its main logs print
# '<epoch> <local time> ...' (the epoch is absolute); database_manager.log prints local
# milliseconds only ('2026-10-25 02:01:02.345 ...'), and the monitoring DB naive local times.

PARSL_FALL_BACK = DST / "parsl" / "fall-back-2026.10.26" / "runinfo"
EPOCH_LINE = re.compile(rb"^(\d{9,11}\.\d+) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")
TASK_STATE = re.compile(rb"^(\d+\.\d+) .* Task (\d+) changing state from \w+ to (\w+)$")


def _parsl_span(runinfo: Path) -> tuple[float, float]:
    """The run's first and last absolute time, from the epochs that start parsl.log's lines."""
    epochs = [float(m[1]) for line in (runinfo / "000" / "parsl.log").read_bytes().splitlines()
              if (m := EPOCH_LINE.match(line))]
    return epochs[0], epochs[-1]


def _printed_epochs(path: Path) -> dict[int, float]:
    """line number -> the epoch Parsl printed at its start (lines that have one)."""
    return {n: float(m[1]) for n, line in enumerate(path.read_bytes().split(b"\n"), 1)
            if (m := EPOCH_LINE.match(line))}


def test_the_parsl_fixture_crosses_the_change() -> None:
    """The run starts before 03:00 CEST and ends after the clocks went back to 02:00 CET:
    its first and last lines print 02:58 and 02:0x, an hour apart the wrong way round."""
    change = 1792890000.0                     # 2026-10-25 01:00:00 UTC = 03:00 CEST
    for path in sorted((PARSL_FALL_BACK / "000").rglob("*.log")):
        if path.name == "monitoring_zmq_router.log":
            continue                          # two lines at start-up, nothing after
        text = path.read_text()
        assert " 02:59:" in text and " 02:00:" in text, path
    first, last = _parsl_span(PARSL_FALL_BACK)
    assert first < change - 30 and last > change + 30


def test_parsl_logs_across_a_clock_change_every_line(tmp_path, capsys) -> None:
    """Every file of the run dir: no unparsed line, and lines that print an epoch get it."""
    by_file, err = _import(capsys, tmp_path, "parsl-logs", str(PARSL_FALL_BACK))
    assert len(by_file) >= 8
    assert f"zone of ms-format logs {ZONE} (--tz)" in err
    for origin, records in by_file.items():
        assert [r["ev.lineno"] for r in records if r["ev.event"] == "unparsed"] == [], origin
        printed = _printed_epochs(Path(origin))
        off = [(r["ev.lineno"], r["created"] - printed[r["ev.lineno"]]) for r in records
               if r["ev.lineno"] in printed and abs(r["created"] - printed[r["ev.lineno"]]) > 1e-3]
        assert off == [], origin


def _in_the_file(records: list[dict]) -> list[dict]:
    """Records whose time was printed in the input. A submit script's exit-code file holds
    no time: its record takes the file's mtime (``ev.time_from``), which libfaketime does not
    fake (the kernel stamps it) and a checkout resets, so it says nothing about the run."""
    return [r for r in records if not str(r.get("ev.time_from", "")).startswith("file mtime")]


def test_parsl_log_times_stay_in_the_run(tmp_path, capsys) -> None:
    """database_manager.log prints local time only: each of its times, read in
    Europe/Berlin, lies within the run that parsl.log's epochs span (not an hour out)."""
    by_file, _ = _import(capsys, tmp_path, "parsl-logs", str(PARSL_FALL_BACK))
    first, last = _parsl_span(PARSL_FALL_BACK)
    for origin, records in by_file.items():
        outside = [(r["ev.lineno"], round(r["created"] - first))
                   for r in _in_the_file(records)
                   if not first - SLACK <= r["created"] <= last + SLACK]
        assert outside == [], origin


def test_parsl_log_time_never_runs_backwards(tmp_path, capsys) -> None:
    by_file, _ = _import(capsys, tmp_path, "parsl-logs", str(PARSL_FALL_BACK))
    for origin, records in by_file.items():
        assert _backwards(_in_the_file(records)) == [], origin


def test_parsl_monitoring_db_agrees_with_the_logs(tmp_path, capsys) -> None:
    """The DB's naive local times, read in Europe/Berlin: every one within the run, the
    workflow's start and end where parsl.log's epochs put them, and each task's 'launched'
    status where parsl.log says 'Task N changing state from pending to launched'."""
    by_file, err = _import(capsys, tmp_path, "parsl-db",
                           str(PARSL_FALL_BACK / "monitoring.db"))
    assert f"zone {ZONE} (--tz)" in err
    [records] = by_file.values()
    first, last = _parsl_span(PARSL_FALL_BACK)
    outside = [(r["ev.event"], round(r["created"] - first)) for r in records
               if not first - SLACK <= r["created"] <= last + SLACK]
    assert outside == []
    [start] = [r for r in records if r["ev.event"] == "workflow_start"]
    [end] = [r for r in records if r["ev.event"] == "workflow_end"]
    assert abs(start["created"] - first) < 2 and abs(end["created"] - last) < 2
    logged = {}
    for line in (PARSL_FALL_BACK / "000" / "parsl.log").read_bytes().splitlines():
        if (m := TASK_STATE.match(line)) and m[3] == b"launched":
            logged.setdefault(int(m[2]), float(m[1]))
    launched = {r["parsl.task_id"]: r["created"] for r in records
                if r["ev.event"] == "task_status" and r["parsl.task_status_name"] == "launched"
                and r.get("parsl.try_id") == 0}
    assert len(launched) >= 20 and launched.keys() == logged.keys()
    assert {t: round(launched[t] - logged[t], 3) for t in launched
            if abs(launched[t] - logged[t]) > 1} == {}


@pytest.mark.parametrize("command", ["parsl-logs", "parsl-db"])
def test_parsl_summary_says_how_the_repeated_hour_was_read(command, tmp_path, capsys) -> None:
    path = PARSL_FALL_BACK / ("monitoring.db" if command == "parsl-db" else "")
    _, err = _import(capsys, tmp_path, command, str(path))
    assert "ambiguous hour 2026-10-25 02:00-03:00 Europe/Berlin" in err
    assert "read as the second occurrence" in err


@pytest.mark.parametrize("command", ["parsl-logs", "parsl-db"])
def test_parsl_without_tz_learns_a_zone_that_fits_both_ends(command, tmp_path, capsys,
                                                            monkeypatch) -> None:
    """No --tz, on a machine in UTC: parsl.log's lines print the epoch and the local time,
    UTC+2h at its start and UTC+1h at its end, so the millisecond logs and the DB are read in
    a named zone that fits both (never one fixed offset), and every time is in the run."""
    monkeypatch.setenv("TZ", "UTC")
    path = PARSL_FALL_BACK / ("monitoring.db" if command == "parsl-db" else "")
    by_file, err = _import(capsys, tmp_path, command, str(path), tz=None)
    assert "a zone that fits UTC+2h at the start of the run's parsl.log, UTC+1h at its end" \
        in err
    first, last = _parsl_span(PARSL_FALL_BACK)
    for origin, records in by_file.items():
        outside = [(r.get("ev.lineno"), round(r["created"] - first))
                   for r in _in_the_file(records)
                   if not first - SLACK <= r["created"] <= last + SLACK]
        assert outside == [], origin


# ---------------------------------------------------------------------------------------
# Parsl 1.2.0 prints local milliseconds only, in every log and the DB. Two runs into one
# runinfo/: 000 crosses the change (02:59:33 CEST .. 02:00:18 CET), 001 lies wholly in the
# repeated hour's second occurrence (02:00:24 .. 02:01:14 CET). The one absolute time a 1.x
# run dir holds is in its submit scripts' names: time.time() when each block was submitted
# (parsl.localprovider.1792890025.4853916.sh), just before parsl.log's "Launched block".

PARSL_1X = DST / "parsl" / "fall-back-1.2.0" / "runinfo"
SUBMITTED = re.compile(r"\.(\d{9,11}\.\d+)\.sh$")


def _submitted(run: str) -> float:
    """The epoch of the run's first block submission, from its submit script's name."""
    return min(float(m[1]) for p in (PARSL_1X / run / "submit_scripts").iterdir()
               if (m := SUBMITTED.search(p.name)))


def _run_of(rec: dict) -> str | None:
    m = re.search(r"/runinfo/(\d{3})/", rec["ev.origin"])
    return m[1] if m else None


def test_the_1x_fixture_has_one_run_across_the_change_and_one_after_it() -> None:
    change = 1792890000.0
    assert _submitted("000") < change < _submitted("001")
    for run in ("000", "001"):
        text = (PARSL_1X / run / "parsl.log").read_text()
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ", text), "ms format"
    assert " 02:59:" in (PARSL_1X / "000" / "parsl.log").read_text()
    assert " 02:59:" not in (PARSL_1X / "001" / "parsl.log").read_text()


def _check_1x_run(run: str, by_file: dict[str, list[dict]]) -> None:
    """Every time of the run, in every file, lies between its first block submission (less
    a few seconds of start-up) and 90 s after it; no file goes backwards."""
    start = _submitted(run)
    files = {o: r for o, r in by_file.items() if f"/runinfo/{run}/" in o}
    assert len(files) >= 8
    for origin, records in files.items():
        records = _in_the_file(records)
        assert [r["ev.lineno"] for r in records if r["ev.event"] == "unparsed"] == [], origin
        outside = [(r["ev.lineno"], round(r["created"] - start)) for r in records
                   if not start - 10 <= r["created"] <= start + 90]
        assert outside == [], origin
        assert _backwards(records) == [], origin


@pytest.mark.parametrize("run", ["000", "001"])
def test_parsl_1x_logs_across_the_change(run, tmp_path, capsys) -> None:
    by_file, _ = _import(capsys, tmp_path, "parsl-logs", str(PARSL_1X))
    _check_1x_run(run, by_file)


@pytest.mark.parametrize("run", ["000", "001"])
def test_parsl_1x_monitoring_db_across_the_change(run, tmp_path, capsys) -> None:
    """The DB's rows of each workflow, read in Europe/Berlin, lie within that run."""
    by_file, _ = _import(capsys, tmp_path, "parsl-db", str(PARSL_1X / "monitoring.db"))
    [records] = by_file.values()
    began = sorted({r["parsl.run_id"]: r["created"] for r in records
                    if r["ev.event"] == "workflow_start"}.items(), key=lambda kv: kv[1])
    assert len(began) == 2
    run_id = {r["parsl.rundir"][-3:]: r["parsl.run_id"] for r in records
              if r["ev.event"] == "workflow_start"}[run]
    start = _submitted(run)
    outside = [(r["ev.event"], round(r["created"] - start)) for r in records
               if r.get("parsl.run_id") == run_id and not start - 10 <= r["created"] <= start + 90]
    assert outside == []


# ---------------------------------------------------------------------------------------
# All of it at once, as a user would: ev-import auto fixtures/dst --tz Europe/Berlin


def test_auto_over_every_dst_fixture(tmp_path, capsys) -> None:
    by_file, err = _import(capsys, tmp_path, "auto", str(DST))
    sources = {r["ev.source"] for records in by_file.values() for r in records}
    assert sources == {"redis-log", "parsl-logs", "parsl-db"}
    assert set(REDIS_LOGS.values()) <= {Path(origin) for origin in by_file}
    for origin, records in by_file.items():
        assert [r for r in records if r["ev.event"] == "unparsed"] == [], origin
        if not origin.endswith(".db"):      # a DB's rows have no file order
            assert _backwards(_in_the_file(records)) == [], origin
    for records in (by_file[str(p)] for p in REDIS_LOGS.values()):
        checks = _clock_checks(records)
        assert checks and all(0 <= read - said < 1.0 for _, said, read in checks)
    assert err.count("ambiguous hour 2026-10-25 02:00-03:00 Europe/Berlin") == 3, err
