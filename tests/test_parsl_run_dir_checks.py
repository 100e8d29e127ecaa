"""Files inside a Parsl run dir are format-checked too (docs/design.md §5).

A run dir is where users and scripts drop other things: a Redis log, an sacct dump, an
Academy pool file, junk. ``parsl-logs`` once read every ``*.log``/``*.jsonlog``/``*.sh.ec``
in it as a Parsl log (a Redis log became dozens of ``unparsed`` Parsl records). The rule now:
a file at a Parsl log's place whose head matches no Parsl format is **not read, and named**
(``ForeignFile``, exit 1); it is not read as ``unparsed`` because its lines are another
source's evidence (``auto`` imports them with that source), or none at all (junk), and
would be mislabelled as Parsl's. A file with nothing written yet (empty, blank, NULs left by
a crash) or only the start of a first record is Parsl's by place, as before.

The run dir is a copy of a real one (fixtures/parsl/2026.10.26, scripts/make_parsl_fixture*)
and the strangers are real files from fixtures/ (Redis, sacct, Academy, the bad corpus).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES

from importers.cli import main
from importers.core.report import ImportReport
from importers.sources import parsl_logs

REAL_RUNINFO = FIXTURES / "parsl" / "2026.10.26" / "runinfo"
ACADEMY_POOL_FILE = next((FIXTURES / "academy" / "1.0.0" / "academy_home" / "logs").rglob(
    "*.jsonlog"))

# (where in the run dir, which real file is copied there): each is not a Parsl log
STRANGERS = {
    "000/redis.log": FIXTURES / "redis" / "7.0.15" / "failover-master.log",
    "000/sacct.log": FIXTURES / "slurm" / "sacct_P_local.txt",
    "000/htex_local/block-0/cf4e7d97f4b8/junk.log": FIXTURES / "bad" / "random-bytes",
    "000/htex_local/block-1/a153b77f627e/squeue.log":
        FIXTURES / "slurm" / "squeue_01_20261125T085437Z.txt",
    "000/academy.jsonlog": ACADEMY_POOL_FILE,
    "000/submit_scripts/parsl.htex_local.block-7.1795596273.8.sh.ec":
        FIXTURES / "bad" / "random-bytes-with-newlines",
}
# Parsl's by place, read as before: nothing or nothing yet written
BY_PLACE = {
    "000/htex_local/block-0/cf4e7d97f4b8/worker_7.log": b"",
    "000/htex_local/block-1/a153b77f627e/worker_8.log": b"\0" * 4096,
    "000/htex_local/block-1/a153b77f627e/worker_9.log": b"2026-11-25 08:44:35.12",
}


def runinfo_with_strangers(tmp_path: Path) -> Path:
    runinfo = tmp_path / "runinfo"
    shutil.copytree(REAL_RUNINFO, runinfo)
    for rel, source in STRANGERS.items():
        shutil.copyfile(source, runinfo / rel)
    for rel, data in BY_PLACE.items():
        (runinfo / rel).write_bytes(data)
    return runinfo


def records(pool: Path) -> list[dict]:
    return [orjson.loads(line) for f in sorted(pool.rglob("*.jsonlog"))
            for line in f.read_bytes().splitlines()]


def without_paths(recs: list[dict], root: Path) -> list[bytes]:
    """Records with the run dir's location taken out, to compare two copies of a run."""
    out = []
    for rec in recs:
        rec = {k: v for k, v in rec.items() if k != "ev.import_time"}
        out.append(orjson.dumps(rec, option=orjson.OPT_SORT_KEYS).replace(
            str(root).encode(), b"RUNINFO"))
    return sorted(out)


def test_strangers_in_a_run_dir_are_named_not_read(tmp_path: Path) -> None:
    runinfo = runinfo_with_strangers(tmp_path)
    report = ImportReport()
    got = list(parsl_logs.read([runinfo], tz="UTC", report=report))
    stranger_paths = {str(runinfo / rel) for rel in STRANGERS}
    assert report.problems["ForeignFile"] == len(STRANGERS)
    named = {detail.split(": ")[0] for detail in report.details["ForeignFile"]}
    assert named == stranger_paths
    assert not stranger_paths & {r["ev.origin"] for r in got}
    assert report.partial                                   # exit 1: never silent
    # what is Parsl's is read exactly as from the clean run dir
    clean = tmp_path / "clean" / "runinfo"
    shutil.copytree(REAL_RUNINFO, clean)
    want = list(parsl_logs.read([clean], tz="UTC"))
    by_place = {str(runinfo / rel) for rel in BY_PLACE}
    got = [r for r in got if r["ev.origin"] not in by_place]
    assert without_paths(got, runinfo) == without_paths(want, clean)


def test_the_summary_names_them_and_exits_1(tmp_path: Path, capsys) -> None:
    runinfo = runinfo_with_strangers(tmp_path)
    assert main(["parsl-logs", str(runinfo), "--pool", str(tmp_path / "pool"), "--tz",
                 "UTC"]) == 1
    err = capsys.readouterr().err
    assert f"ForeignFile x{len(STRANGERS)} (" in err
    assert f"{runinfo / '000/redis.log'}: not a Parsl log" in err
    assert "not a Parsl *.jsonlog" in err and "not an exit code" in err
    by_place = {str(runinfo / rel) for rel in BY_PLACE}
    assert not [r for r in records(tmp_path / "pool") if r.get("ev.event") == "unparsed"
                and r["ev.origin"] not in by_place]


def test_auto_gives_each_stranger_to_its_own_importer(tmp_path: Path, capsys) -> None:
    """``auto`` recognises every file by content: the Redis log and the sacct and squeue
    dumps in the run dir go to their importers, the Academy file is copied as a pool file,
    the junk is listed as not recognised, and the Parsl pool file equals the clean run's."""
    runinfo = runinfo_with_strangers(tmp_path)
    pool = tmp_path / "pool"
    assert main(["auto", str(runinfo), "--pool", str(pool), "--tz", "UTC"]) == 1
    out = capsys.readouterr().err
    recs = records(pool)
    by_origin = {}
    for rec in recs:
        by_origin.setdefault(rec.get("ev.origin"), set()).add(rec.get("ev.source"))
    assert by_origin[str(runinfo / "000/redis.log")] == {"redis-log"}
    assert by_origin[str(runinfo / "000/sacct.log")] == {"sacct"}
    assert by_origin[str(runinfo / "000/htex_local/block-1/a153b77f627e/squeue.log")] == {
        "squeue"}
    assert "junk.log" in out and "not recognised" in out
    # only what no importer took is named: the junk and the junk exit-code file (exit 1)
    assert "ForeignFile x2 (" in out and f"{runinfo / '000/redis.log'}: not" not in out
    assert list((pool / "copied").rglob("academy.jsonlog"))
    by_place = {str(runinfo / rel) for rel in BY_PLACE}
    parsl = [r for r in recs if r.get("ev.source") == "parsl-logs"
             and r["ev.origin"] not in by_place]
    clean = tmp_path / "clean" / "runinfo"
    shutil.copytree(REAL_RUNINFO, clean)
    want = list(parsl_logs.read([clean], tz="UTC"))
    assert without_paths(parsl, runinfo) == without_paths(want, clean)


def test_a_stranger_given_by_name_is_refused(tmp_path: Path, capsys) -> None:
    """Inside a run dir or not, a file given by name is checked: alone it is one error line
    (exit 2); beside a good one it is named (UnreadableFile) and the good one imported."""
    runinfo = runinfo_with_strangers(tmp_path)
    redis = runinfo / "000" / "redis.log"
    assert main(["parsl-logs", str(redis), "--pool", str(tmp_path / "p1")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: not a Parsl log (no line in its first 64 KiB is in a Parsl "
                          f"log format): {redis} (") and err.count("\n") == 1
    good = runinfo / "000" / "parsl.log"
    assert main(["parsl-logs", str(good), str(redis), "--pool", str(tmp_path / "p2"),
                 "--tz", "UTC"]) == 1
    err = capsys.readouterr().err
    assert f"UnreadableFile x1 ({redis}: not a Parsl log" in err
    assert {r["ev.origin"] for r in records(tmp_path / "p2")} == {str(good)}


@pytest.mark.parametrize("rel", sorted(BY_PLACE))
def test_nothing_yet_written_is_parsls_by_place(tmp_path: Path, rel: str) -> None:
    """An empty log, a block of NULs, a first record still being written: read as before
    (the NULs and the partial line as ``unparsed``, so every line is accounted for)."""
    runinfo = runinfo_with_strangers(tmp_path)
    report = ImportReport()
    got = list(parsl_logs.read([runinfo / rel], tz="UTC", report=report))
    assert "ForeignFile" not in report.problems
    lines = len(BY_PLACE[rel].splitlines())
    assert sum(r.get("ev.line_count", 1) for r in got) == lines
