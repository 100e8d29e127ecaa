"""``ev-import auto``: files recognised by content, each imported by its importer.

Runs on the shipped fixtures: every Parsl DB and log of both releases, the JSON-logging run
and the Academy run (whose pool files are copied in unchanged).
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from conftest import FIXTURES

from importers import auto
from importers.cli import main
from importers.core import pool
from importers.sources import parsl_db, parsl_logs

DBS = [*FIXTURES.glob("parsl/*/runinfo/monitoring.db"),
       *FIXTURES.glob("academy/*/runinfo/monitoring.db")]


# Parsl's logs: everything parsl-logs reads under these trees but Academy's pool files.
LOGS = [p for p in parsl_logs.log_files([FIXTURES / "parsl", FIXTURES / "academy"])[0]
        if "academy_home" not in p.parts]


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def test_classify_recognises_parsl_dbs_logs_and_academy_pools() -> None:
    plan = auto.classify([FIXTURES / "parsl", FIXTURES / "academy"])
    dbs = {p.relative_to(FIXTURES) for p in plan.by_source["parsl-db"]}
    assert dbs == {p.relative_to(FIXTURES) for p in DBS}
    assert set(plan.by_source["parsl-logs"]) == set(LOGS)
    assert {p.name for p in plan.pool_files} == {
        p.name for p in (FIXTURES / "academy").rglob("academy_home/**/*.jsonlog")}
    unknown = {p.name.rsplit(".", 1)[-1] for p in plan.unknown}
    assert "db" not in unknown and "log" not in unknown and "jsonlog" not in unknown


def test_content_not_names_decides(tmp_path: Path) -> None:
    """A renamed parsl.log and a DB without its usual name are still found; a .log that is
    not Parsl's is not."""
    shutil.copy(FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "000" / "parsl.log",
                tmp_path / "renamed.txt")
    shutil.copy(FIXTURES / "parsl" / "2024.3.4" / "runinfo" / "monitoring.db",
                tmp_path / "evidence.sqlite")
    (tmp_path / "other.log").write_text("this is some other program's log\n")
    plan = auto.classify([tmp_path])
    assert plan.by_source == {"parsl-db": [tmp_path / "evidence.sqlite"],
                              "parsl-logs": [tmp_path / "renamed.txt"]}
    assert plan.unknown == [tmp_path / "other.log"]


def test_auto_on_the_fixtures_imports_everything_once(tmp_path: Path, capsys) -> None:
    pool_dir = tmp_path / "pool"
    code = main(["auto", str(FIXTURES / "parsl"), str(FIXTURES / "academy"),
                 "--pool", str(pool_dir)])
    err = capsys.readouterr().err
    assert code == 0, err
    n_dbs = len(DBS)
    logs = LOGS
    lines = err.splitlines()
    assert lines[0].startswith(f"auto: parsl-db: {n_dbs} files, ")
    assert lines[1].startswith(f"auto: parsl-logs: {len(logs)} files, ")
    assert lines[2] == f"auto: pool files (Academy or other pools): 2 copied unchanged into " \
                       f"{pool_dir / 'copied'}"
    assert lines[3].startswith("auto: not recognised, not imported: ")
    assert "Traceback" not in err
    # the DB events equal what parsl-db gives for each DB, the log events what parsl-logs gives
    by_source = Counter(r["ev.source"] for r in pool.read(pool_dir) if "ev.source" in r)
    expected_db = sum(sum(1 for _ in parsl_db.read(p, tz="UTC"))
                      for p in DBS)
    assert by_source["parsl-db"] == expected_db
    assert by_source["parsl-logs"] == sum(1 for _ in parsl_logs.read(logs))
    # Academy's files are in the pool byte for byte
    for original in (FIXTURES / "academy").rglob("academy_home/**/*.jsonlog"):
        [copy] = list((pool_dir / "copied").rglob(original.name))
        assert copy.read_bytes() == original.read_bytes()
    # importing again replaces, never duplicates
    before = sorted((p.name, _count_lines(p)) for p in pool_dir.rglob("*.jsonlog"))
    assert main(["auto", str(FIXTURES / "parsl"), str(FIXTURES / "academy"),
                 "--pool", str(pool_dir), "-q"]) == 0
    assert sorted((p.name, _count_lines(p)) for p in pool_dir.rglob("*.jsonlog")) == before


def test_auto_skips_the_pool_it_writes_into(tmp_path: Path, capsys) -> None:
    work = tmp_path / "work"
    shutil.copytree(FIXTURES / "parsl" / "2024.3.4" / "runinfo", work / "runinfo")
    assert main(["auto", str(work), "--pool", str(work / "evpool"), "-q"]) == 0
    assert main(["auto", str(work), "--pool", str(work / "evpool")]) == 0
    err = capsys.readouterr().err
    assert "pool files" not in err, "its own output is not re-imported or copied"


def test_nothing_recognised_is_not_an_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("nothing to see\n")
    assert main(["auto", str(tmp_path), "--pool", str(tmp_path / "pool")]) == 0
    err = capsys.readouterr().err
    assert "auto: not recognised, not imported: 1 files: " in err
    assert "auto: nothing recognised to import" in err


def test_slurm_outputs_are_recognised_by_content(tmp_path: Path) -> None:
    """sacct -P (header), sacct --json, squeue -o text (header) and squeue --json, renamed."""
    slurm = FIXTURES / "slurm"
    names = {"sacct_P_local.txt": "a.txt", "sacct_a.json": "b.json",
             "squeue_01_20261125T085437Z.txt": "c.txt", "squeue_04_20261125T085445Z.json": "d"}
    for src, dst in names.items():
        shutil.copy(slurm / src, tmp_path / dst)
    plan = auto.classify([tmp_path])
    assert {k: sorted(p.name for p in v) for k, v in plan.by_source.items()} == {
        "sacct": ["a.txt", "b.json"], "squeue": ["c.txt", "d"]}
    assert plan.unknown == []


def test_process_tool_outputs_are_recognised_by_content(tmp_path: Path) -> None:
    procs = FIXTURES / "procs"
    shutil.copy(procs / "captured" / "bpftrace_execsnoop_bt.txt", tmp_path / "a")
    shutil.copy(procs / "captured" / "bpftrace_sched_json.txt", tmp_path / "b")
    shutil.copy(procs / "examples" / "bcc" / "exitsnoop_example.txt", tmp_path / "c")
    shutil.copy(procs / "captured" / "ENVIRONMENT.txt", tmp_path / "d")
    plan = auto.classify([tmp_path])
    assert sorted(p.name for p in plan.by_source["procs"]) == ["a", "b", "c"]
    assert [p.name for p in plan.unknown] == ["d"]


def test_redis_logs_are_recognised_by_content(tmp_path: Path) -> None:
    redis = FIXTURES / "redis"
    shutil.copy(redis / "7.0.15" / "failover-sentinel.log", tmp_path / "a")
    shutil.copy(redis / "2.8.17" / "persistence.log", tmp_path / "b")
    plan = auto.classify([tmp_path])
    assert {k: sorted(p.name for p in v) for k, v in plan.by_source.items()} == {
        "redis-log": ["a", "b"]}


def test_the_registry_lists_every_source_and_auto_knows_them() -> None:
    """Each package under importers/sources/ declares its source(s) once; auto asks every
    source that can recognise its input, which is all but the live watcher (it leaves no
    file of its own kind to recognise)."""
    from importers import sources

    names = [s.name for s in sources.all_sources()]
    assert names == ["parsl-db", "parsl-logs", "procs", "redis-log", "sacct", "squeue",
                     "watch-procs"]
    for source in sources.all_sources():
        assert callable(source.read) and source.description, source.name
    assert {s.name for s in auto.recognisers()} == set(names) - {"watch-procs"}
