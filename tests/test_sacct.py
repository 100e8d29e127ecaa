"""``ev-import sacct`` on real Slurm 22.05 output (fixtures/slurm/, made by
scripts/make_slurm_fixture.sh from the workload of scripts/slurm_workload.sh), compared with
the workload's ground truth; and the Parsl block -> batch job join on a real Parsl run that
used a SlurmProvider on the same lab (fixtures/parsl-slurm/, scripts/make_parsl_slurm_fixture.py).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conformance import assert_conforms
from conftest import FIXTURES, without_rate

from importers.cli import main
from importers.core.report import COMMAND_FAILED, UNPARSED_LINE, ImportReport
from importers.sources import _slurm as slurm_fields
from importers.sources import parsl_db, sacct

SLURM = FIXTURES / "slurm"
PARSL_SLURM = sorted((FIXTURES / "parsl-slurm").glob("*/runinfo/monitoring.db"))


def ground_truth(path: Path) -> list[dict[str, str]]:
    """Rows of a workload's ground_truth.tsv (comment lines skipped)."""
    with open(path, encoding="utf-8") as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def by_row(events: list[dict]) -> dict[str, dict]:
    """One record per sacct row, keyed like ground truth's job_id: ``34``, ``34.batch``."""
    rows = {}
    for rec in events:
        if rec["ev.event"] == "unparsed":
            continue
        key = rec["slurm.jobid"] + (f".{rec['slurm.step']}" if "slurm.step" in rec else "")
        rows.setdefault(key, rec)
    return rows


def assert_agrees_with_workload(events: list[dict], truth: list[dict[str, str]],
                                json_exit_quirk: bool = False,
                                alternatives: dict[str, set[tuple[str, str]]] | None = None,
                                ) -> None:
    """Every job and step of the workload: state, exit code, signal, user, name, raw id.

    ``alternatives`` names rows for which a live Slurm may record another (state, exit code)
    than the workload expected, each also accepted as it is.
    """
    rows = by_row(events)
    for row in truth:
        rec = rows.get(row["job_id"])
        assert rec is not None, f"{row['key']} ({row['job_id']}) missing"
        seen = (rec["slurm.state"], f"{rec.get('slurm.exit_code')}:{rec.get('slurm.exit_signal')}")
        if seen in (alternatives or {}).get(row["key"], set()):
            continue
        assert rec["slurm.state"] == row["expected_state"], row["key"]
        code, signal = (int(x) for x in row["expected_exit_code"].split(":"))
        if json_exit_quirk and signal == 0 and code != 0:
            assert rec["slurm.exit_code"] == 0, "22.05 sacct --json reports 0 here (quirk)"
        else:
            assert (rec["slurm.exit_code"], rec["slurm.exit_signal"]) == (code, signal), row
        assert rec["slurm.jobid_raw"] == row["job_id_raw"].split(".")[0], row["key"]
        assert rec["slurm.user"] == row["user"], row["key"]
        if "." in row["job_id"]:
            assert rec["slurm.step_name"] == row["job_name"], row["key"]
        else:
            assert rec["slurm.job_name"] == row["job_name"], row["key"]
    # every job that ran has batch + extern steps; the multistep job four srun steps
    steps = defaultdict(set)
    for rec in events:
        if "slurm.step" in rec:
            steps[rec["slurm.jobid"]].add(rec["slurm.step"])
    keyed = {row["key"]: row["job_id"] for row in truth}
    assert steps[keyed["multistep"]] == {"batch", "extern", "0", "1", "2", "3"}
    assert steps[keyed["sigsteps"]] == {"batch", "extern", "0", "1"}
    assert keyed["dep"] not in steps, "the never-started job has no steps"


TRUTH = ground_truth(SLURM / "ground_truth.tsv")
TEXT_FILES = ["sacct_P_local.txt", "sacct_P_epoch.txt", "sacct_aP_local.txt"]


def _events(name: str, tz: str = "UTC", report: ImportReport | None = None) -> list[dict]:
    return list(sacct.read(SLURM / name, tz=tz, report=report))


@pytest.mark.parametrize("name", TEXT_FILES)
def test_saved_text_agrees_with_the_workload(name: str) -> None:
    assert_agrees_with_workload(_events(name), TRUTH)


def test_saved_json_agrees_with_the_workload_except_the_22_05_exit_codes() -> None:
    report = ImportReport()
    events = _events("sacct_a.json", report=report)
    assert_agrees_with_workload(events, TRUTH, json_exit_quirk=True)
    assert report.assumptions["format"] == "sacct --json (openapi/dbv0.0.38, Slurm 22.05.8)"
    assert "exit codes" in report.assumptions


def test_json_and_text_give_the_same_times_states_and_events() -> None:
    text = by_row(_events("sacct_P_epoch.txt"))
    js = by_row(_events("sacct_a.json"))
    assert text.keys() == js.keys()
    for key, rec in text.items():
        other = js[key]
        fields = ["slurm.start_time", "slurm.end_time", "slurm.state", "slurm.jobid_raw",
                  "linux.hostname", "slurm.elapsed_s"]
        if "slurm.step" not in rec:  # the JSON has no submit/eligible time for a step
            fields += ["slurm.submit_time", "slurm.eligible_time", "slurm.queue_wait_s"]
        for field in fields:
            assert rec.get(field) == other.get(field), (key, field)
    count = Counter(r["ev.event"] for r in _events("sacct_P_epoch.txt"))
    assert count == Counter(r["ev.event"] for r in _events("sacct_a.json"))


def test_local_epoch_and_other_zone_files_give_the_same_instants() -> None:
    """Saved text is local time: --tz makes a New York listing mean the same instants."""
    epoch = _events("sacct_P_epoch.txt")
    local = _events("sacct_P_local.txt", tz="UTC")
    newyork = _events("sacct_aP_tz_newyork.txt", tz="America/New_York")
    assert [r["created"] for r in epoch] == [r["created"] for r in local]
    assert [r["created"] for r in epoch] == [r["created"] for r in newyork]
    report = ImportReport()
    list(sacct.read(SLURM / "sacct_P_epoch.txt", tz="UTC", report=report))
    assert "zone" not in report.assumptions, "epoch times need no zone"
    assert report.assumptions["times"] == "epoch seconds"


def test_events_per_job_and_step_each_at_its_own_time() -> None:
    events = _events("sacct_P_local.txt")
    counts = Counter(r["ev.event"] for r in events)
    job_rows = [r for r in by_row(events).values() if "slurm.step" not in r]
    step_rows = [r for r in by_row(events).values() if "slurm.step" in r]
    assert counts["job_submit"] == len(job_rows) == 14
    assert counts["job_start"] == 13 and counts["job_eligible"] == 13, "one job never started"
    assert counts["job_end"] == 14
    assert counts["step_start"] == counts["step_end"] == len(step_rows) == 32
    for rec in events:
        time_key = {"job_submit": "slurm.submit_time", "job_eligible": "slurm.eligible_time",
                    "job_start": "slurm.start_time", "job_end": "slurm.end_time",
                    "step_start": "slurm.start_time", "step_end": "slurm.end_time"}
        assert rec["created"] == rec[time_key[rec["ev.event"]]]


def test_job_end_row_field_by_field() -> None:
    """The exit-3 job's end event: every key checked, then the count (no stowaways)."""
    [rec] = [r for r in _events("sacct_P_local.txt")
             if r["ev.event"] == "job_end" and r["slurm.jobid"] == "34"]
    expected = {
        "created": 1795596878.0,
        "formatted": "job 34 exit3 ended FAILED exit 3:0 after 0m02s",
        "name": "slurm.sacct", "levelname": "ERROR", "levelno": 40, "ev.source": "sacct",
        "ev.origin": str(SLURM / "sacct_P_local.txt"), "ev.event": "job_end", "ev.lineno": 5,
        "slurm.jobid": "34", "slurm.jobid_raw": "34", "slurm.user": "root", "slurm.uid": 0,
        "slurm.group": "root", "slurm.account": "research", "slurm.cluster": "lab",
        "slurm.partition": "debug", "slurm.qos": "normal", "slurm.state": "FAILED",
        "slurm.exit_code": 3, "slurm.exit_signal": 0, "slurm.derived_exit_code": 0,
        "slurm.derived_exit_signal": 0, "slurm.priority": 4294901732,
        "slurm.submit_time": 1795596876.0, "slurm.eligible_time": 1795596876.0,
        "slurm.start_time": 1795596876.0, "slurm.end_time": 1795596878.0,
        "slurm.queue_wait_s": 0.0, "slurm.elapsed_s": 2, "slurm.elapsed_raw": 2,
        "slurm.timelimit_s": 31536000, "slurm.timelimit_raw": 525600, "slurm.suspended_s": 0,
        "slurm.nnodes": 1, "slurm.ncpus": 1, "slurm.alloc_cpus": 1, "slurm.req_cpus": 1,
        "slurm.req_mem_bytes": 256 << 20, "slurm.req_tres": "billing=1,cpu=1,mem=256M,node=1",
        "slurm.alloc_tres": "billing=1,cpu=1,mem=256M,node=1", "slurm.total_cpu_s": 0.003,
        "slurm.user_cpu_s": 0.003, "slurm.system_cpu_s": 0, "slurm.cpu_time_raw": 2,
        "slurm.nodelist": "vm", "linux.hostname": "vm",
        "slurm.flags": ["SchedBackfill", "StartRecieved"],
        "slurm.work_dir": "/tmp/ev-slurm-workload", "slurm.job_name": "exit3",
        "slurm.submit_line": "sbatch --parsable --chdir=/tmp/ev-slurm-workload -J exit3 -o "
        "/tmp/ev-slurm-workload/slurm-%j.out --wrap echo \"about to exit 3\"; sleep 2; exit 3",
    }
    for key, value in expected.items():
        assert rec[key] == value, key
    assert sorted(rec) == sorted(expected)
    assert len(rec) == 51


def test_numbers_users_need() -> None:
    rows = by_row(_events("sacct_P_local.txt"))
    assert rows["33"]["slurm.timelimit_s"] == 60 and rows["33"]["slurm.state"] == "TIMEOUT"
    assert rows["36"]["slurm.timelimit"] == "UNLIMITED" and "slurm.timelimit_s" not in rows["36"]
    assert rows["35"]["slurm.timelimit"] == "Partition_Limit"
    assert rows["36.1"]["slurm.max_rss_bytes"] == 64636 * 1024, "srun python 50 MiB"
    assert rows["36.1"]["slurm.max_rss_bytes"] > 50 << 20
    assert rows["36.batch"]["slurm.total_cpu_s"] == 0.049
    assert rows["43"]["slurm.state"] == "CANCELLED" and rows["43"]["slurm.cancelled_by_uid"] == 0
    assert rows["40"]["slurm.derived_exit_signal"] == 11
    assert rows["39"]["slurm.queue_wait_s"] == 12.0


def test_never_started_job_has_only_submit_and_end() -> None:
    events = [r for r in _events("sacct_P_local.txt") if r["slurm.jobid"] == "35"]
    assert [r["ev.event"] for r in events] == ["job_submit", "job_end"]
    assert events[0]["slurm.reason"] == "DependencyNeverSatisfied"
    assert "slurm.start_time" not in events[0] and "linux.hostname" not in events[0]


def test_array_tasks_carry_their_own_raw_ids() -> None:
    rows = by_row(_events("sacct_P_local.txt"))
    for row in TRUTH:
        if row["key"].startswith("array_"):
            rec = rows[row["job_id"]]
            assert rec["slurm.array_job_id"] == "37"
            assert rec["slurm.array_task_id"] == int(row["key"][-1])
            assert rec["slurm.jobid_raw"] == row["job_id_raw"]
    assert rows["37_3.batch"]["slurm.array_task_id"] == 3, "steps keep the task"


def test_steps_carry_their_jobs_fields() -> None:
    rows = by_row(_events("sacct_P_local.txt"))
    step = rows["42.batch"]
    assert step["slurm.user"] == "labuser" and step["slurm.uid"] == 1001
    assert step["slurm.job_name"] == "otheruser" and step["slurm.step_name"] == "batch"
    assert step["slurm.partition"] == "debug"


def test_pipe_in_job_name_and_comment_is_split_by_the_submit_line() -> None:
    rows = by_row(_events("sacct_P_local.txt"))
    rec = rows["39"]
    assert rec["slurm.job_name"] == "report | weekly summary"
    assert rec["slurm.comment"] == 'ev-import fixture: comment with | pipe, spaces and "quotes"'
    assert rec["slurm.work_dir"] == "/tmp/ev-slurm-workload"
    assert rec["slurm.submit_line"].startswith("sbatch --parsable")
    assert "ev.raw" not in rec, "agreeing with the submit line is not a guess"


def test_other_user_listing() -> None:
    events = _events("sacct_P_labuser.txt")
    assert {r["slurm.jobid"] for r in events} == {"42"}
    assert all(r["slurm.user"] == "labuser" for r in events)


def test_records_conform_to_the_design() -> None:
    for name in [*TEXT_FILES, "sacct_a.json", "sacct_aP_tz_newyork.txt"]:
        assert assert_conforms(_events(name), "sacct") > 100


def test_golden_output(golden) -> None:
    golden("slurm_sacct_P_local", _events("sacct_P_local.txt"))
    golden("slurm_sacct_a_json", _events("sacct_a.json"))


# ---------------------------------------------------------------------------------------
# Edge cases made from the real rows (shapes the one-node lab cannot produce)


def _real_lines() -> list[str]:
    return (SLURM / "sacct_P_local.txt").read_text(encoding="utf-8").splitlines()


def test_multi_node_list_het_job_and_pending_array_range(tmp_path: Path) -> None:
    header, *rows = _real_lines()
    job36 = next(r for r in rows if r.startswith("36|")).split("|")
    names = header.split("|")
    multi = list(job36)
    multi[names.index("NodeList")] = "node[01-03,07]"
    multi[names.index("NNodes")] = "4"
    het = list(job36)
    het[0], het[1] = "7+0", "7"
    pending = list(job36)
    pending[0], pending[1] = "6_[3-9%2]", "6"
    path = tmp_path / "edge.txt"
    path.write_text("\n".join([header, "|".join(multi), "|".join(het), "|".join(pending)])
                    + "\n", encoding="utf-8")
    rows_out = by_row(list(sacct.read(path, tz="UTC")))
    assert rows_out["36"]["slurm.nodes"] == ["node01", "node02", "node03", "node07"]
    assert "linux.hostname" not in rows_out["36"]
    assert rows_out["7+0"]["slurm.het_job_id"] == "7"
    assert rows_out["7+0"]["slurm.het_job_offset"] == 0
    assert rows_out["6_[3-9%2]"]["slurm.array_task_range"] == "3-9"
    assert rows_out["6_[3-9%2]"]["slurm.array_max_running"] == 2


def test_newline_in_submit_line_joins_the_row(tmp_path: Path) -> None:
    header, first, *rest = _real_lines()
    path = tmp_path / "multiline.txt"
    path.write_text("\n".join([header, first + "\necho second line", *rest]) + "\n",
                    encoding="utf-8")
    report = ImportReport()
    events = list(sacct.read(path, tz="UTC", report=report))
    assert not report.problems[UNPARSED_LINE]
    assert by_row(events)["33"]["slurm.submit_line"].endswith("sleep 600\necho second line")
    assert len(by_row(events)) == len(by_row(_events("sacct_P_local.txt")))


def test_short_row_is_kept_as_unparsed(tmp_path: Path) -> None:
    lines = _real_lines()
    path = tmp_path / "cut.txt"
    path.write_text("\n".join(lines[:1] + ["33|33|root|0"]) + "\n", encoding="utf-8")
    report = ImportReport()
    events = list(sacct.read(path, tz="UTC", report=report))
    assert [r["ev.event"] for r in events] == ["unparsed"]
    assert events[0]["ev.raw"] == "33|33|root|0" and report.problems[UNPARSED_LINE] == 1


def test_slurm_value_shapes() -> None:
    assert slurm_fields.duration("1-02:03:04") == 93784
    assert slurm_fields.duration("0:01") == 1
    assert slurm_fields.duration("00:00.003") == 0.003
    assert slurm_fields.memory("1Gn") == (1 << 30, "node")
    assert slurm_fields.memory("4Gc") == (4 << 30, "cpu")
    assert slurm_fields.memory("3264K") == (3264 << 10, None)
    assert slurm_fields.exit_code("3:0") == (3, 0)
    assert slurm_fields.wait_status(768) == (3, 0) and slurm_fields.wait_status(9) == (0, 9)
    assert slurm_fields.state("CANCELLED by 0") == ("CANCELLED", 0)
    assert slurm_fields.job_id("37_3.batch") == {
        "jobid": "37_3", "step": "batch", "array_job_id": "37", "array_task_id": 3}
    with pytest.raises(ValueError):
        slurm_fields.duration("soon")


# ---------------------------------------------------------------------------------------
# The CLI: exact lines and exit codes


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_cli_imports_a_saved_file(tmp_path, capsys) -> None:
    path = str(SLURM / "sacct_P_local.txt")
    code, err = _run(capsys, "sacct", "--file", path, "--pool", str(tmp_path), "--tz", "UTC")
    assert code == 0
    [written] = list(tmp_path.glob("sacct-*.jsonlog"))
    err = without_rate(err)
    assert err == (f"sacct: 118 events (0 unparsed) from {path} -> {written}; format sacct "
                   "--parsable2 with header (delimiter |); zone UTC (--tz)\n")


@pytest.mark.parametrize("content, line", [
    ("", "error: empty file, not sacct output: {p} (save sacct -P output (with its header "
         "line) or sacct --json)"),
    ("JobID    JobName  Partition\n------------ ---------- ----------\n33  timeout  debug\n",
     "error: sacct output in fixed-width columns (values may be cut): {p} (save it with "
     "sacct -P (--parsable2) so every value is whole)"),
    ("JOBID|STATE\n33|RUNNING\n",
     "error: this is squeue output, not sacct: {p} (import it with ev-import squeue --file)"),
    ("hello\n", "error: not sacct --parsable2 output with a header line: {p} (save it with "
     "sacct -P -o JobID,... (without -n/--noheader), or sacct --json)"),
])
def test_cli_bad_files(tmp_path, capsys, content: str, line: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf-8")
    code, err = _run(capsys, "sacct", "--file", str(path), "--pool", str(tmp_path / "pool"))
    assert code == 2
    assert err == line.format(p=path) + "\n"
    assert not (tmp_path / "pool").exists() or not list((tmp_path / "pool").glob("*.jsonlog"))


def test_missing_sacct_is_one_line() -> None:
    with pytest.raises(sacct.CommandFailed) as info:
        list(sacct.run(jobs=["1"], sacct="/nonexistent/sacct"))
    assert info.value.line() == (
        "sacct not found: /nonexistent/sacct (run where the Slurm client is installed "
        "(Debian: slurm-client), or save sacct -P output there and import it with --file)")


def test_command_is_an_argument_list_with_epoch_times_and_free_text_last() -> None:
    argv = sacct.command(jobs=["34", "37_3"], starttime="2026-11-25T08:00", allusers=True)
    assert argv[:2] == ["sacct", "--parsable2"]
    assert argv[2] == "--delimiter=\x1f"
    fields = argv[3].removeprefix("--format=").split(",")
    assert fields[-4:] == ["WorkDir", "JobName", "Comment", "SubmitLine"]
    assert "--jobs=34,37_3" in argv and "--allusers" in argv


def test_sacct_failing_after_rows_keeps_them_and_counts_the_failure(tmp_path) -> None:
    """sacct losing slurmdbd mid-output: the rows it printed are kept, the failure is a
    counted CommandFailed (exit 1), not an error that throws them away. The stand-in sacct
    prints the real fixture in the live delimiter, then fails as sacct does."""
    fake = tmp_path / "sacct"
    fake.write_text("#!/bin/sh\n"
                    f"tr '|' '\\037' < {FIXTURES / 'slurm' / 'sacct_P_local.txt'}\n"
                    "echo 'sacct: error: slurmdbd: connection lost' >&2\nexit 1\n")
    fake.chmod(0o755)
    report = ImportReport()
    records = list(sacct.run(jobs=["33"], sacct=str(fake), report=report))
    saved = list(sacct.read_file(FIXTURES / "slurm" / "sacct_P_local.txt", tz="UTC"))
    assert len(records) == len(saved) > 0
    assert report.problems[COMMAND_FAILED] == 1 and report.partial
    assert report.details[COMMAND_FAILED] == [
        f"sacct failed: {fake} --parsable2 --jobs=33 (exit status 1: sacct: error: slurmdbd: "
        "connection lost)"]


# ---------------------------------------------------------------------------------------
# The join a post-mortem needs: Parsl block -> Slurm batch job


@pytest.mark.skipif(not PARSL_SLURM, reason="no fixtures/parsl-slurm/*/runinfo/monitoring.db")
@pytest.mark.parametrize("db", PARSL_SLURM, ids=lambda p: p.parent.parent.name)
def test_parsl_block_joins_its_slurm_batch_job(db: Path) -> None:
    """parsl.job_id = slurm.jobid gives each block's queue wait (start - submit)."""
    blocks = [r for r in parsl_db.read(db, tz="UTC") if r["ev.event"] == "block_status"]
    jobs = list(sacct.read(db.parent.parent / "sacct_P.txt", tz="UTC"))
    starts = {r["slurm.jobid"]: r for r in jobs if r["ev.event"] == "job_start"}
    joined = [(b, starts[b["parsl.job_id"]]) for b in blocks if b.get("parsl.job_id") in starts]
    assert joined, "every block's job_id should be a job sacct knows"
    assert {b["parsl.job_id"] for b, _ in joined} == {b["parsl.job_id"] for b in blocks}
    for block, job in joined:
        wait = job["slurm.start_time"] - job["slurm.submit_time"]
        assert wait == job["slurm.queue_wait_s"]
        assert wait >= 3, "a blocker job held the node, so the block waited in the queue"
        assert job["slurm.job_name"].startswith(f"parsl.{block['parsl.executor']}.block-")
        pending = min(b["created"] for b in blocks if b["parsl.block_status"] == "PENDING")
        assert abs(pending - job["slurm.submit_time"]) < 2, "Parsl saw it PENDING at submit"


def test_a_truncated_row_after_a_complete_one_is_unparsed_not_glued(tmp_path) -> None:
    """The real sacct -P output cut in the middle of a row (a killed sacct, a copy cut
    short): the cut row starts with a job id, so it is not a newline inside the previous
    row's SubmitLine. It is an unparsed record (exit 1); no job disappears."""
    lines = (FIXTURES / "slurm" / "sacct_P_local.txt").read_bytes().split(b"\n")
    cut = tmp_path / "sacct_cut.txt"
    cut.write_bytes(b"\n".join(lines[:5]) + b"\n" + lines[5][:30])
    assert lines[5][:30] == b"34.batch|34.batch||||research|"
    report = ImportReport()
    records = list(sacct.read_file(cut, tz="UTC", report=report))
    [last] = [r for r in records if r["ev.lineno"] == 6]
    assert last["ev.event"] == "unparsed" and last["ev.raw"] == lines[5][:30].decode()
    assert report.problems[UNPARSED_LINE] == 1
    # the row before it is whole: its SubmitLine holds no part of the cut row
    assert all("34.batch" not in r.get("slurm.submit_line", "") for r in records)
    pool_dir = tmp_path / "pool"
    assert main(["sacct", "--file", str(cut), "--pool", str(pool_dir), "-q"]) == 1


def test_sacct_json_cut_short_keeps_the_jobs_before_the_cut(tmp_path) -> None:
    """sacct --json is read job by job (ijson), so a document cut short (a full disk, a
    killed sacct) keeps every job before the cut, named as TruncatedInput (exit 1), instead
    of losing the whole file to one JSON error."""
    from importers.core.report import TRUNCATED_INPUT

    whole = (FIXTURES / "slurm" / "sacct_a.json").read_bytes()
    cut = tmp_path / "sacct_cut.json"
    cut.write_bytes(whole[: len(whole) // 2])
    report = ImportReport()
    records = list(sacct.read_file(cut, tz="UTC", report=report))
    full = list(sacct.read_file(FIXTURES / "slurm" / "sacct_a.json", tz="UTC"))
    assert 0 < len(records) < len(full)
    def same(recs):
        return [{k: v for k, v in r.items() if k != "ev.origin"} for r in recs]

    assert same(records) == same(full[: len(records)]), "the jobs before the cut, as whole"
    assert report.problems[TRUNCATED_INPUT] == 1
    assert main(["sacct", "--file", str(cut), "--pool", str(tmp_path / "pool"), "-q"]) == 1
