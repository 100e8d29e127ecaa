"""Every source that reads zone-less local times, across the night clocks go back.

In Europe/Berlin on 2026-10-25, 03:00 CEST becomes 02:00 CET at 01:00 UTC: the local hour
02:00-03:00 happens twice. Each test here takes a real fixture (recorded in UTC), moves its
times so that the change falls in the middle of it, and rewrites them as a machine in Berlin
would have printed them: the lines are real, only their times are rewritten. Imported with
``--tz Europe/Berlin``, every record must get exactly its original instant plus the shift
(so ``created`` never runs backwards), and the summary must say how the repeated hour was
read. (Fixtures recorded under a faked clock across real transitions are tested in
tests/test_dst_fixtures.py.)
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import FIXTURES

from importers.core.parallel import Part
from importers.core.report import ImportReport
from importers.sources import parsl_logs, redis_log, sacct, squeue

BERLIN = ZoneInfo("Europe/Berlin")
FALL_BACK = datetime(2026, 10, 25, 1, tzinfo=timezone.utc).timestamp()
HOUR = "ambiguous hour 2026-10-25 02:00-03:00"
SLURM = FIXTURES / "slurm"


def _local(epoch: float, fmt: str) -> str:
    return datetime.fromtimestamp(epoch, BERLIN).strftime(fmt)


def _rewrite(src: Path, dest: Path, pattern: str, fmt: str, shift: float,
             year: int | None = None) -> None:
    """Copy ``src`` with every time matching ``pattern`` (read as UTC in ``fmt``) moved by
    ``shift`` seconds and printed in Berlin's local time in the same format."""
    regex = re.compile(pattern)
    parse_fmt = fmt if year is None else f"%Y {fmt}"

    def moved(m: re.Match[str]) -> str:
        text = m.group(0) if year is None else f"{year} {m.group(0)}"
        frac = ""
        if "." in text[-4:]:
            text, frac = text[:-4], text[-4:]
        when = datetime.strptime(text, parse_fmt.removesuffix(".%f")).replace(
            tzinfo=timezone.utc).timestamp()
        return _local(when + shift, fmt.removesuffix(".%f")) + frac

    dest.write_text(regex.sub(moved, src.read_text(encoding="utf-8", errors="replace")),
                    encoding="utf-8")


def _shift_to_fall_back(times: list[float]) -> float:
    """The shift that puts the change in the middle of ``times`` (whole seconds)."""
    return float(round(FALL_BACK - (min(times) + max(times)) / 2))


def _same_instants(original: list[dict], moved: list[dict], shift: float,
                   key: Callable[[dict], object]) -> None:
    before = {key(r): r for r in original}
    after = {key(r): r for r in moved}
    assert before.keys() == after.keys()
    wrong = {k: (after[k].get("created"), before[k].get("created"))
             for k in before if before[k].get("created") is not None
             and abs(after[k]["created"] - before[k]["created"] - shift) > 1e-3}
    assert wrong == {}


def _in_the_repeated_hour(records: list[dict]) -> tuple[int, int]:
    """(records in the first occurrence, in the second) of the repeated local hour."""
    first = sum(1 for r in records if FALL_BACK - 3600 <= r.get("created", 0) < FALL_BACK)
    second = sum(1 for r in records if FALL_BACK <= r.get("created", 0) < FALL_BACK + 3600)
    return first, second


# ---------------------------------------------------------------------------------------
# Redis: 4.x+ lines with a year, 2.x lines without one


REDIS_V3 = r"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3}"
REDIS_V2 = r"(?<=\] )\d{1,2} [A-Z][a-z]{2} \d\d:\d\d:\d\d\.\d{3}"


@pytest.mark.parametrize("name,pattern,fmt,year", [
    ("7.0.15/persistence.log", REDIS_V3, "%d %b %Y %H:%M:%S.%f", None),
    ("2.8.17/persistence.log", REDIS_V2, "%d %b %H:%M:%S.%f", 2026),
])
def test_redis_log_across_the_fall_back_hour(tmp_path: Path, name: str, pattern: str,
                                            fmt: str, year: int | None) -> None:
    src = FIXTURES / "redis" / name
    original = list(redis_log.read([src], tz="UTC"))
    shift = _shift_to_fall_back([r["created"] for r in original if "created" in r])
    moved_log = tmp_path / "redis.log"
    _rewrite(src, moved_log, pattern, fmt, shift, year)
    stamp = FALL_BACK + 7200
    os.utime(moved_log, (stamp, stamp))     # the year of 2.x lines comes from the mtime
    report = ImportReport()
    moved = list(redis_log.read([moved_log], tz="Europe/Berlin", report=report))
    _same_instants(original, moved, shift, lambda r: r["ev.lineno"])
    created = [r["created"] for r in moved if "created" in r]
    assert all(b >= a - 0.1 for a, b in zip(created, created[1:], strict=False)), "never backwards"
    first, second = _in_the_repeated_hour(moved)
    assert first and second, "the log has lines in both occurrences"
    said = report.assumptions[f"{HOUR} Europe/Berlin"]
    assert said.startswith("(file order): ") and "as the second occurrence" in said


def test_redis_part_cut_in_the_second_occurrence_looks_before_its_cut(tmp_path: Path) -> None:
    """``-j``: a part whose first line is in the second 02:xx cannot see the lines before
    its cut; its clock looks back for them, so it reads what a sequential read reads."""
    src = FIXTURES / "redis" / "7.0.15" / "persistence.log"
    original = list(redis_log.read([src], tz="UTC"))
    shift = _shift_to_fall_back([r["created"] for r in original if "created" in r])
    log = tmp_path / "redis.log"
    _rewrite(src, log, REDIS_V3, "%d %b %Y %H:%M:%S.%f", shift)
    whole = list(redis_log.read([log], tz="Europe/Berlin"))
    [cut_at] = [r for r in whole if r.get("created", 0) >= FALL_BACK
                and r["ev.format"] == "v3"][:1]
    lines = log.read_bytes().split(b"\n")
    start = sum(len(line) + 1 for line in lines[:cut_at["ev.lineno"] - 1])
    part = Part(str(log), start, log.stat().st_size, cut_at["ev.lineno"])
    report = ImportReport()
    records = list(redis_log.source._part_records(log, "Europe/Berlin", None, part, report))
    assert records[0]["ev.lineno"] == cut_at["ev.lineno"]
    assert records[0]["created"] == pytest.approx(cut_at["created"])
    assert records[0]["created"] >= FALL_BACK


# ---------------------------------------------------------------------------------------
# Parsl text logs: a real run moved across the change (ms-format logs print local time)


_PARSL_V2022 = re.compile(r"^(\d{9,11}\.\d+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ", re.M)
_PARSL_MS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d{3} )", re.M)


def _move_run(src: Path, dest: Path, shift: float, printed_in=timezone.utc,
              rename: bool = False) -> None:
    """A copy of a run dir moved by ``shift`` seconds: its logs' times (local in
    ``printed_in``) printed in Berlin; with ``rename``, its submit scripts renamed after
    their moved epoch (1.x takes its offset from them)."""
    shutil.copytree(src, dest)
    for path in dest.rglob("*.log"):
        text = path.read_text(encoding="utf-8", errors="replace")
        text = _PARSL_V2022.sub(lambda m: f"{float(m[1]) + shift:.6f} "
                                f"{_local(float(m[1]) + shift, '%Y-%m-%d %H:%M:%S')} ", text)
        text = _PARSL_MS.sub(lambda m: _local(
            datetime.fromisoformat(m[1]).replace(tzinfo=printed_in).timestamp() + shift,
            "%Y-%m-%d %H:%M:%S") + m[2], text)
        path.write_text(text, encoding="utf-8")
    for path in dest.rglob("*.sh.ec"):
        when = path.stat().st_mtime + shift
        os.utime(path, (when, when))
    for path in sorted((dest / "submit_scripts").glob("*")) if rename else ():
        m = re.search(r"\.(\d{9,11}\.\d+)\.sh", path.name)
        if m:
            moved = f"{float(m[1]) + shift:.7f}".rstrip("0")
            path.rename(path.with_name(path.name.replace(m[1], moved)))


OLD_RUN = FIXTURES / "parsl" / "2024.3.4" / "runinfo" / "000"


@pytest.mark.parametrize("tz", ["Europe/Berlin", None])
def test_parsl_ms_logs_across_the_fall_back_hour(tmp_path: Path, tz: str | None) -> None:
    """With ``--tz``, and without: then the zone is learnt from parsl.log, whose lines show
    UTC+2 at the start and UTC+1 at the end, and a named zone that fits both is used."""
    original = list(parsl_logs.read([OLD_RUN], tz="UTC"))
    key = lambda r: (r["ev.origin"].split("/000/")[1], r["ev.lineno"])  # noqa: E731
    times = [r["created"] for r in original
             if r.get("created") and key(r)[0] == "parsl.log"]
    shift = _shift_to_fall_back(times)
    run = tmp_path / "runinfo" / "000"
    _move_run(OLD_RUN, run, shift)
    report = ImportReport()
    moved = list(parsl_logs.read([run], tz=tz, report=report))
    _same_instants(original, moved, shift, key)
    manager = [r for r in moved if r["ev.origin"].endswith("manager.log")]
    assert _in_the_repeated_hour(manager)[1], "ms-format lines in the second occurrence"
    by_file: dict[str, list[float]] = {}
    for r in moved:
        if r.get("created") is not None:
            by_file.setdefault(r["ev.origin"], []).append(r["created"])
    for origin, created in by_file.items():
        assert all(b >= a - 1 for a, b in zip(created, created[1:], strict=False)), origin
    [said] = [v for k, v in report.assumptions.items() if k.startswith(HOUR)]
    assert "as the second occurrence" in said and said.startswith("(file order)")


@pytest.mark.parametrize("tz", ["Europe/Berlin", None])
def test_parsl_1x_logs_across_the_fall_back_hour(tmp_path: Path, tz: str | None) -> None:
    """Parsl 1.2.0 prints local milliseconds only, in every log. Its zone comes from the
    submit script names (epochs) and the "Launched block" lines; a clock that went back is
    seen in parsl.log's own times going back an hour, so without ``--tz`` a named zone that
    fits both offsets is used, not a fixed one that would put the second half an hour off."""
    run_1x = FIXTURES / "parsl" / "1.2.0" / "runinfo" / "000"      # recorded in Berlin, CET
    original = list(parsl_logs.read([run_1x], tz="Europe/Berlin"))
    key = lambda r: (r["ev.origin"].split("/000/")[1], r["ev.lineno"])  # noqa: E731
    times = [r["created"] for r in original
             if r.get("created") and key(r)[0] == "parsl.log"]
    shift = _shift_to_fall_back(times)
    run = tmp_path / "runinfo" / "000"
    _move_run(run_1x, run, shift, printed_in=BERLIN, rename=True)
    report = ImportReport()
    moved = list(parsl_logs.read([run], tz=tz, report=report))
    timed = [r for r in original if "ev.time_from" not in r]
    _same_instants(timed, [r for r in moved if "ev.time_from" not in r], shift, key)
    assert _in_the_repeated_hour(moved) > (0, 0)
    if tz is None:
        said = report.assumptions["zone of ms-format logs"]
        assert "UTC+2h at the run's first block submission, UTC+1h after" in said


def test_parsl_part_cut_in_the_second_occurrence(tmp_path: Path) -> None:
    original = list(parsl_logs.read([OLD_RUN], tz="UTC"))
    times = [r["created"] for r in original if r.get("created")
             and r["ev.origin"].endswith("/parsl.log")]
    shift = _shift_to_fall_back(times)
    run = tmp_path / "runinfo" / "000"
    _move_run(OLD_RUN, run, shift)
    for manager in sorted(run.rglob("manager.log")):
        whole = list(parsl_logs.read([manager], tz="Europe/Berlin"))
        cut_at = next((r for r in whole if r.get("created", 0) >= FALL_BACK
                       and r["ev.lineno"] > 1), None)
        if cut_at is not None:
            break
    assert FALL_BACK <= cut_at["created"] < FALL_BACK + 3600
    lines = manager.read_bytes().split(b"\n")
    start = sum(len(line) + 1 for line in lines[:cut_at["ev.lineno"] - 1])
    part = Part(str(manager), start, manager.stat().st_size, cut_at["ev.lineno"])
    [job] = parsl_logs.source.plan_files([manager], "Europe/Berlin", ImportReport())
    records = list(parsl_logs.source.records_of(job, ImportReport(), part))
    assert records[0]["ev.lineno"] == cut_at["ev.lineno"]
    assert records[0]["created"] == pytest.approx(cut_at["created"])


# ---------------------------------------------------------------------------------------
# Slurm: sacct -P text, squeue text snapshots


SLURM_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"


def test_sacct_text_across_the_fall_back_hour(tmp_path: Path) -> None:
    """A row's Eligible, Start and End are read not before its Submit: a job that started
    in the first 02:59 and ended in the second 02:00 ends after it started. (Rows are not
    in time order: a step's Submit is its start, array tasks come after later jobs, as in
    this fixture; so a Submit on its own is read as the first occurrence.)"""
    src = SLURM / "sacct_P_local.txt"
    original = list(sacct.read(src, tz="UTC"))
    shift = _shift_to_fall_back([r["created"] for r in original if "created" in r])
    moved_file = tmp_path / "sacct.txt"
    _rewrite(src, moved_file, SLURM_TIME, "%Y-%m-%dT%H:%M:%S", shift)
    report = ImportReport()
    moved = list(sacct.read(moved_file, tz="Europe/Berlin", report=report))
    _same_instants(original, moved, shift,
                   lambda r: (r["slurm.jobid_raw"], r["ev.event"], r.get("ev.lineno")))
    for r in moved:
        times = [r[k] for k in ("slurm.submit_time", "slurm.eligible_time",
                                "slurm.start_time", "slurm.end_time") if k in r]
        assert times == sorted(times), r["slurm.jobid_raw"]
    assert _in_the_repeated_hour(moved) > (0, 0)
    said = report.assumptions[f"{HOUR} Europe/Berlin"]
    assert "as the second occurrence" in said and "as the first occurrence" in said


def test_squeue_text_times_of_a_job_in_the_order_they_happen(tmp_path: Path) -> None:
    """squeue sorts its rows by state and priority, not time, so a submit time in the
    repeated hour is read as its first occurrence (and counted); a job's start and end
    times are read not before it: jobs submitted in the first 02:59 that started in the
    second 02:00 start after they were submitted."""
    src = SLURM / "squeue_03_20261125T085444Z.txt"
    at = datetime(2026, 11, 25, 8, 54, 44, tzinfo=timezone.utc).timestamp()
    original = list(squeue.read([src], at=str(at), tz="UTC"))
    submits = [r["slurm.submit_time"] for r in original if "slurm.submit_time" in r]
    # the change one second after the earliest submit: the starts are after it
    shift = float(round(FALL_BACK - 1 - min(submits)))
    moved_file = tmp_path / "squeue.txt"
    _rewrite(src, moved_file, SLURM_TIME, "%Y-%m-%dT%H:%M:%S", shift)
    report = ImportReport()
    moved = list(squeue.read([moved_file], at=str(at + shift), tz="Europe/Berlin",
                             report=report))
    keys = ("slurm.submit_time", "slurm.start_time", "slurm.end_time")

    def times(records: list[dict], minus: float) -> list[tuple]:
        return sorted((r.get("slurm.jobid"), r["ev.event"],
                       *(r[k] - minus if k in r else None for k in keys)) for r in records)

    assert times(moved, shift) == times(original, 0.0)
    started = [r for r in moved if r.get("slurm.start_time", 0) >= FALL_BACK]
    assert started and all(r["slurm.submit_time"] < FALL_BACK for r in started)
    said = report.assumptions[f"{HOUR} Europe/Berlin"]
    assert "as the second occurrence" in said and "as the first occurrence" in said


# ---------------------------------------------------------------------------------------
# The Parsl monitoring DB: no file order; the run's span, else each column's row order


NEW_RUNINFO = FIXTURES / "parsl" / "2026.10.26" / "runinfo"


def _move_db(db: Path, shift: float) -> None:
    """Every DATETIME value of every table moved by ``shift`` and printed in Berlin's
    local time, as Parsl on a machine there stores them (naive)."""
    import sqlite3

    def moved(text: str | None) -> str | None:
        if text is None:
            return None
        when = datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()
        return datetime.fromtimestamp(when + shift, BERLIN).replace(tzinfo=None).isoformat(
            " ", "microseconds")

    conn = sqlite3.connect(db)
    conn.create_function("moved", 1, moved)
    tables = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for column in conn.execute(f'PRAGMA table_info("{table}")').fetchall():
            if column[2].upper() in ("DATETIME", "TIMESTAMP"):
                conn.execute(f'UPDATE "{table}" SET "{column[1]}" = moved("{column[1]}")')
    conn.commit()
    conn.close()


@pytest.mark.parametrize("with_runs", [True, False], ids=["run-dirs-beside", "db-alone"])
def test_parsl_db_across_the_fall_back_hour(tmp_path: Path, with_runs: bool) -> None:
    """With the run dirs beside it, a time is the occurrence inside the run's span (its
    parsl.log's first and last epochs); a DB alone is read in each time column's row order
    (rows are inserted as they arrive)."""
    from importers.sources import parsl_db

    original = list(parsl_db.read(NEW_RUNINFO / "monitoring.db", tz="UTC"))
    shift = _shift_to_fall_back([r["created"] for r in original if "created" in r])
    runinfo = tmp_path / "runinfo"
    runinfo.mkdir()
    shutil.copy(NEW_RUNINFO / "monitoring.db", runinfo / "monitoring.db")
    _move_db(runinfo / "monitoring.db", shift)
    if with_runs:
        for run in ("000", "001"):
            _move_run(NEW_RUNINFO / run, runinfo / run, shift)
    report = ImportReport()
    moved = list(parsl_db.read(runinfo / "monitoring.db", tz="Europe/Berlin", report=report))

    def times(records: list[dict], minus: float) -> list[tuple]:
        return sorted((r["name"], r["ev.event"], r.get("parsl.task_id"), r.get("parsl.try_id"),
                       round(r["created"] - minus, 3)) for r in records if "created" in r)

    assert times(moved, shift) == times(original, 0.0)
    assert _in_the_repeated_hour(moved) > (0, 0)
    said = report.assumptions[f"{HOUR} Europe/Berlin"]
    assert said.startswith("(row order)") and "second occurrence" in said
    assert ("by the run's span" in said) == with_runs


# ---------------------------------------------------------------------------------------
# procs: bcc tools' wall clocks (HH:MM:SS, no date)


def test_procs_wall_clock_across_the_fall_back_hour(tmp_path: Path) -> None:
    """Hand-typed lines (a unit test of this one edge case): execsnoop -T rows in the
    layout of bcc's own example, the first two before the change, the last two after."""
    from importers.sources import procs

    header = "TIME     TIME(s) PCOMM            PID    PPID  RET ARGS"
    rows = [("02:59:58", "0.100", 18049), ("02:59:59", "1.100", 18050),
            ("02:00:01", "3.100", 18051), ("02:00:02", "4.100", 18052)]
    path = tmp_path / "execsnoop.txt"
    path.write_text("\n".join([header, *(f"{t} {s:<7} mount            {pid}  1045    0 "
                                          "/bin/mount -p" for t, s, pid in rows)]) + "\n")
    report = ImportReport()
    records = list(procs.read([path], report=report, tz="Europe/Berlin",
                              start="2026-10-25T00:59:57+00:00"))
    created = {r["linux.pid"]: r["created"] for r in records if "linux.pid" in r}
    assert created == {18049: FALL_BACK - 2, 18050: FALL_BACK - 1,
                       18051: FALL_BACK + 1, 18052: FALL_BACK + 2}
    said = report.assumptions[f"{HOUR} Europe/Berlin"]
    assert said == ("(file order): 2 times read as the first occurrence, "
                    "2 times read as the second occurrence")
