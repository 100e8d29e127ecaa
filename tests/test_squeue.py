"""``ev-import squeue`` on real Slurm 22.05 snapshots taken while the workload ran
(fixtures/slurm/squeue_NN_<UTC time>.{txt,json}, scripts/make_slurm_fixture.sh).

The text snapshots have no time of their own and git does not keep mtimes, so the tests give
each file's time (from its name) with ``at`` or by setting the mtime of a copy.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conformance import assert_conforms
from conftest import FIXTURES
from test_sacct import ground_truth

from importers.cli import main
from importers.core.report import ImportReport
from importers.sources import squeue

SLURM = FIXTURES / "slurm"
TEXT = sorted(SLURM.glob("squeue_*.txt"))
JSON = sorted(SLURM.glob("squeue_*.json"))
TRUTH = {row["job_id"]: row for row in ground_truth(SLURM / "ground_truth.tsv")}


def taken(path: Path) -> float:
    """The UTC time in a snapshot's file name (squeue_NN_20261125T085437Z.txt)."""
    stamp = path.stem.split("_")[-1]
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()


def _text_events(report: ImportReport | None = None) -> list[dict]:
    return list(squeue.read(TEXT, at=[str(taken(p)) for p in TEXT], tz="UTC", report=report))


def test_one_snapshot_event_per_job_per_file() -> None:
    events = _text_events()
    snaps = Counter(r["ev.origin"] for r in events if r["ev.event"] == "job_snapshot")
    for path in TEXT:
        rows = len(path.read_text(encoding="utf-8").splitlines()) - 1
        assert snaps[str(path)] == rows, path.name
    assert all(r["created"] == taken(Path(r["ev.origin"])) for r in events)


def test_last_snapshot_agrees_with_the_workload() -> None:
    last = [r for r in _text_events() if r["ev.origin"] == str(TEXT[-1])
            and r["ev.event"] == "job_snapshot"]
    states = {r["slurm.jobid"]: r for r in last}
    for job_id, row in TRUTH.items():
        if "." in job_id:
            continue
        assert states[job_id]["slurm.state"] == row["expected_state"], row["key"]
    assert states["34"]["slurm.reason"] == "NonZeroExitCode"
    assert states["41"]["slurm.reason"] == "JobLaunchFailure"
    assert states["33"]["slurm.reason"] == "TimeLimit"
    assert states["37_3"]["slurm.jobid_raw"] == "46" and states["37_3"]["slurm.array_task_id"] == 3


def test_pending_reasons_seen_while_the_workload_ran() -> None:
    events = _text_events()
    reasons = {(r["slurm.jobid"], r.get("slurm.reason")) for r in events
               if r["ev.event"] == "job_snapshot" and r["slurm.state"] == "PENDING"}
    assert ("38", "JobHeldUser") in reasons
    assert ("35", "Dependency") in reasons and ("35", "DependencyNeverSatisfied") in reasons
    assert ("36", "Priority") in reasons
    first = [r for r in events if r["ev.origin"] == str(TEXT[0])]
    pending_array = next(r for r in first if r["slurm.jobid"] == "37_[1-4]")
    assert pending_array["slurm.array_task_range"] == "1-4"
    assert "slurm.start_time" not in next(r for r in first if r["slurm.jobid"] == "36")
    assert next(r for r in first if r["slurm.jobid"] == "36")["slurm.expected_start_time"] > 0


def test_state_changes_between_snapshots_with_both_times() -> None:
    changes = [r for r in _text_events() if r["ev.event"] == "job_state_change"]
    run36 = next(r for r in changes if r["slurm.jobid"] == "36"
                 and r["slurm.prev_state"] == "PENDING" and r["slurm.state"] == "RUNNING")
    assert run36["slurm.prev_snapshot_time"] == taken(TEXT[0])
    assert run36["created"] == taken(TEXT[1]) == run36["slurm.snapshot_time"]
    assert run36["formatted"] == ("job 36 multistep PENDING -> RUNNING (seen between "
                                  "2026-11-25T08:54:37Z and 2026-11-25T08:54:39Z)")
    released = next(r for r in changes if r["slurm.jobid"] == "38")
    assert (released["slurm.prev_state"], released["slurm.prev_reason"]) == (
        "PENDING", "JobHeldUser")
    timeout = next(r for r in changes if r["slurm.jobid"] == "33")
    assert (timeout["slurm.prev_state"], timeout["slurm.state"]) == ("RUNNING", "TIMEOUT")
    for rec in changes:
        assert rec["slurm.prev_snapshot_time"] < rec["created"]


def test_json_snapshots_carry_the_raw_wait_status() -> None:
    report = ImportReport()
    events = list(squeue.read(JSON, at=[str(taken(p)) for p in JSON], report=report))
    last = {r["slurm.jobid"]: r for r in events if r["ev.origin"] == str(JSON[-1])
            and r["ev.event"] == "job_snapshot"}
    assert last["34"]["slurm.exit_status_raw"] == 768
    assert (last["34"]["slurm.exit_code"], last["34"]["slurm.exit_signal"]) == (3, 0)
    assert (last["37_3"]["slurm.exit_code"], last["37_3"]["slurm.exit_signal"]) == (2, 0)
    assert (last["41"]["slurm.exit_code"], last["41"]["slurm.exit_signal"]) == (0, 9)
    for job_id, row in TRUTH.items():
        if "." not in job_id:
            assert last[job_id]["slurm.state"] == row["expected_state"], row["key"]
    assert report.assumptions["snapshot time"] == "--at (4 files)"
    assert report.assumptions["format"] == "squeue --json"


def test_snapshot_time_falls_back_to_the_file_mtime(tmp_path: Path) -> None:
    copies = []
    for index, path in enumerate(JSON[:2]):
        copy = tmp_path / f"snapshot-{'ab'[index]}.json"   # no time in the name
        shutil.copy(path, copy)
        os.utime(copy, (taken(path), taken(path)))
        copies.append(copy)
    report = ImportReport()
    events = list(squeue.read(copies, report=report))
    assert {r["created"] for r in events} == {taken(p) for p in JSON[:2]}
    assert report.assumptions["snapshot time"] == "file mtime (2 files)"


def test_snapshot_time_from_the_file_name_survives_a_copy(tmp_path: Path) -> None:
    """cp, git clone and tar give every snapshot one mtime; a time in the name
    (squeue > q_$(date -u +%Y%m%dT%H%M%SZ).txt, as the fixtures were taken) is kept, so the
    state changes between the real text snapshots are all found."""
    copies = []
    for path in TEXT:
        copy = tmp_path / path.name
        shutil.copy(path, copy)
        os.utime(copy, (1_800_000_000, 1_800_000_000))   # one mtime for all
        copies.append(copy)
    report = ImportReport()
    events = list(squeue.read(copies, report=report))
    original = list(squeue.read(TEXT, at=None))
    assert report.assumptions["snapshot time"] == f"file name ({len(TEXT)} files)"
    assert {r["created"] for r in events} == {taken(p) for p in TEXT}
    changes = [r for r in events if r["ev.event"] == "job_state_change"]
    assert changes and len(changes) == sum(r["ev.event"] == "job_state_change"
                                           for r in original)
    assert not report.problems


def test_snapshots_sharing_one_mtime_are_never_silent(tmp_path: Path) -> None:
    """No time in the names and one mtime: times and order are unknown, and snapshots of
    one time cannot show a state change (they could be the same moment twice). That was
    silent; it is named as BadTimestamp (exit 1), saying to give --at."""
    copies = []
    for index, path in enumerate(TEXT):
        copy = tmp_path / f"q{index:02d}.txt"
        shutil.copy(path, copy)
        os.utime(copy, (1_800_000_000, 1_800_000_000))
        copies.append(copy)
    report = ImportReport()
    events = list(squeue.read(list(reversed(copies)), report=report))
    assert report.problems["BadTimestamp"] == 1 and report.partial
    assert report.details["BadTimestamp"] == [
        f"{len(TEXT)} snapshots share one file mtime (q00.txt, ...): their times are unknown "
        "and they are ordered by name; give --at per file"]
    assert len({r["created"] for r in events}) == 1
    pool_dir = tmp_path / "pool"
    assert main(["squeue", *[a for c in copies for a in ("--file", str(c))], "--pool",
                 str(pool_dir), "-q"]) == 1


def test_snapshot_time_from_the_json_itself(tmp_path: Path) -> None:
    """23.02+ squeue --json has last_update; made from a real 22.05 file by adding it."""
    import orjson

    doc = orjson.loads(JSON[0].read_bytes())
    doc["last_update"] = {"set": True, "infinite": False, "number": 1795596877}
    path = tmp_path / "q.json"
    path.write_bytes(orjson.dumps(doc))
    report = ImportReport()
    events = list(squeue.read([path], at="1", report=report))
    assert {r["created"] for r in events} == {1795596877.0}
    assert report.assumptions["snapshot time"] == "from the JSON (last_update) (1 file)"


def test_pipe_in_name_and_comment_is_a_marked_guess() -> None:
    rec = next(r for r in _text_events() if r["slurm.jobid"] == "39")
    assert rec["slurm.job_name"] == "report | weekly summary"
    assert rec["slurm.comment"] == 'ev-import fixture: comment with | pipe, spaces and "quotes"'
    assert rec["slurm.work_dir"] == "/tmp/ev-slurm-workload"
    assert "ev.raw" in rec


def test_records_conform_to_the_design() -> None:
    assert assert_conforms(_text_events(), "squeue") > 100
    assert assert_conforms(squeue.read(JSON, at="1795596877"), "squeue") > 40


def test_golden_output(golden) -> None:
    golden("slurm_squeue_text", _text_events())


def test_cli_at_must_match_the_files(tmp_path, capsys) -> None:
    code = main(["squeue", "--file", str(TEXT[0]), "--file", str(TEXT[1]), "--at", "1",
                 "--at", "2", "--at", "3", "--pool", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == ("error: --at given a number of times that matches no file count: 3 times "
                   "for 2 files (give one --at for all files, or one per file in order)\n")


def test_cli_imports_snapshots(tmp_path, capsys) -> None:
    argv = ["squeue", "--pool", str(tmp_path), "--tz", "UTC"]
    for path in TEXT[:2]:
        argv += ["--file", str(path), "--at", str(taken(path))]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "snapshot time --at (2 files)" in err and "zone UTC (--tz)" in err


def test_missing_squeue_is_one_line() -> None:
    with pytest.raises(squeue.CommandFailed) as info:
        list(squeue.run(squeue="/nonexistent/squeue"))
    assert info.value.line().startswith("squeue not found: /nonexistent/squeue")


@pytest.mark.parametrize("stem", [p.stem for p in JSON])
def test_json_and_text_snapshots_give_the_same_time_keys(stem: str) -> None:
    """The same snapshot taken as --json and as text: a pending job's estimated start is
    slurm.expected_start_time in both (never slurm.start_time, which sacct uses for the real
    start), a running job's end is slurm.expected_end_time, and no estimate in the year 2163
    (start + limit of a job with no start) is kept."""
    def times(path: Path) -> dict[str, set[str]]:
        events = squeue.read_files([path], at=str(taken(path)), tz="UTC")
        return {r["slurm.jobid"]: {k for k in r if k.endswith("_time")} - {"slurm.snapshot_time"}
                for r in events if r["ev.event"] == "job_snapshot"}

    from_json, from_text = times(SLURM / f"{stem}.json"), times(SLURM / f"{stem}.txt")
    for events in (squeue.read_files([SLURM / f"{stem}.json"]),):
        for r in events:
            assert all(r[k] < 4102444800 for k in r if k.endswith("_time")), r  # < 2100
            if r.get("slurm.state") == "PENDING":
                assert "slurm.start_time" not in r and "slurm.end_time" not in r, r
    shared = set(from_json) & set(from_text)
    assert shared
    for job in shared:
        estimates = {"slurm.expected_start_time", "slurm.expected_end_time"}
        assert from_json[job] & estimates == from_text[job] & estimates, job
