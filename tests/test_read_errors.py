"""A read error in the middle of a file (EIO: a bad disk block, a lost NFS server).

Each importer once let the ``OSError`` escape: a traceback, and the rest of a run dir lost.
Now what was read before the error is kept and parsed as if the file ended there, the file
is named (``UnreadableFile ... Input/output error after byte N``), the other inputs are
imported, and the exit code is 1.

The error is real as far as the program can tell: tests/tools/eio_preload.c, built here with
the system C compiler and preloaded (LD_PRELOAD), makes read(2)/pread(2) of one file return
a short read up to a byte offset and then fail with EIO, with no FUSE or device-mapper. The
inputs are real fixtures, repeated where a file must be bigger than the 64 KiB an importer
reads first to recognise its format (the error must come after that).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES, ROOT

from importers.core import pool

SHIM_SOURCE = Path(__file__).parent / "tools" / "eio_preload.c"


def build_shim(directory: Path) -> Path | None:
    """The EIO shim built into ``directory``, or None without a C compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    out = directory / "eio_preload.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(out), str(SHIM_SOURCE),
                    "-ldl"], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def shim(tmp_path_factory) -> Path:
    built = build_shim(tmp_path_factory.mktemp("shim"))
    if built is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must have a C compiler to build the EIO shim (apt-get install gcc)")
        pytest.skip("no C compiler to build the EIO shim")
    return built


def import_with_eio(shim: Path, bad: Path, at: int, argv: list[str],
                    pool_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LD_PRELOAD": str(shim), "EV_EIO_PATH": os.path.realpath(bad),
           "EV_EIO_AT": str(at)}
    return subprocess.run([sys.executable, "-m", "importers", *argv, "--pool", str(pool_dir)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def repeated(source: Path, times: int, out: Path, keep_header: bool = False) -> Path:
    """A real file repeated ``times`` times (its header line once, when it has one)."""
    lines = source.read_bytes().splitlines(keepends=True)
    header, body = (lines[:1], lines[1:]) if keep_header else ([], lines)
    out.write_bytes(b"".join(header) + b"".join(body) * times)
    return out


def covered_lines(records: list[dict], origin: str) -> set[int]:
    covered: set[int] = set()
    for rec in records:
        if rec.get("ev.origin") == origin and isinstance(rec.get("ev.lineno"), int):
            covered.update(range(rec["ev.lineno"], rec["ev.lineno"]
                                 + (rec.get("ev.line_count") or 1)))
    return covered


def assert_kept_before_the_error(path: Path, at: int, records: list[dict],
                                 header_lines: int = 0) -> None:
    """Every complete line before the bad byte is in a record; lines after it are not."""
    data = path.read_bytes()
    complete = data[:at].count(b"\n")           # lines 1..complete end before the error
    covered = covered_lines(records, str(path))
    blank = {n for n, line in enumerate(data.split(b"\n"), 1) if not line.strip()}
    wanted = set(range(header_lines + 1, complete + 1)) - blank
    assert wanted <= covered, sorted(wanted - covered)[:5]
    assert max(covered) <= complete + 1         # nothing invented past the error


def said(proc: subprocess.CompletedProcess, path: Path) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    assert f"UnreadableFile x1 ({path}: Input/output error" in proc.stderr, proc.stderr


TEXT_CASES = {
    # name: (real source, copies, header line kept once, importer argv before the file)
    "redis-log": (FIXTURES / "redis" / "7.0.15" / "failover-master.log", 45, False,
                  ["redis-log", "--tz", "UTC"]),
    "sacct": (FIXTURES / "slurm" / "sacct_P_local.txt", 20, True,
              ["sacct", "--tz", "UTC", "--file"]),
    "squeue": (FIXTURES / "slurm" / "squeue_01_20261125T085437Z.txt", 150, True,
               ["squeue", "--tz", "UTC", "--file"]),
}


@pytest.mark.parametrize("name", sorted(TEXT_CASES))
def test_text_inputs_keep_what_was_read(shim: Path, tmp_path: Path, name: str) -> None:
    source, times, header, argv = TEXT_CASES[name]
    path = repeated(source, times, tmp_path / source.name, keep_header=header)
    at = path.stat().st_size * 3 // 4
    proc = import_with_eio(shim, path, at, [*argv, str(path)], tmp_path / "pool")
    said(proc, path)
    records = list(pool.read(tmp_path / "pool"))
    if name == "squeue":     # one snapshot: its lines, no line numbers past the error
        assert_kept_before_the_error(path, at, records, header_lines=1)
    else:
        assert_kept_before_the_error(path, at, records, header_lines=1 if header else 0)


def test_process_events_keep_what_was_read(shim: Path, tmp_path: Path) -> None:
    source = FIXTURES / "procs" / "captured" / "bpftrace_execsnoop_bt.txt"
    path = repeated(source, 350, tmp_path / "execsnoop.txt")
    at = path.stat().st_size * 3 // 4
    proc = import_with_eio(shim, path, at, ["procs", str(path), "--start",
                                            "2026-11-25T08:50:00", "--tz", "UTC"],
                           tmp_path / "pool")
    said(proc, path)
    linenos = [r["ev.lineno"] for r in pool.read(tmp_path / "pool") if "ev.lineno" in r]
    complete = path.read_bytes()[:at].count(b"\n")
    assert complete - 5 <= max(linenos) <= complete + 1


def test_a_run_dir_loses_only_the_rest_of_the_bad_file(shim: Path, tmp_path: Path) -> None:
    """The defect as reported: EIO in parsl.log lost every other file of the run dir."""
    runinfo = tmp_path / "runinfo"
    shutil.copytree(FIXTURES / "parsl" / "2026.10.26" / "runinfo", runinfo)
    bad = runinfo / "000" / "parsl.log"
    at = bad.stat().st_size // 2
    proc = import_with_eio(shim, bad, at, ["parsl-logs", str(runinfo), "--tz", "UTC"],
                           tmp_path / "pool")
    said(proc, bad)
    records = list(pool.read(tmp_path / "pool"))
    assert_kept_before_the_error(bad, at, records)
    clean = subprocess.run([sys.executable, "-m", "importers", "parsl-logs", str(runinfo),
                            "--tz", "UTC", "--pool", str(tmp_path / "clean")],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert clean.returncode == 0, clean.stderr
    want = {r["ev.origin"] for r in pool.read(tmp_path / "clean")}
    assert {r["ev.origin"] for r in records} == want     # every other file imported


def test_sacct_json_keeps_the_jobs_before_the_error(shim: Path, tmp_path: Path) -> None:
    path = FIXTURES / "slurm" / "sacct_a.json"
    at = path.stat().st_size // 2
    proc = import_with_eio(shim, path, at, ["sacct", "--file", str(path)], tmp_path / "pool")
    said(proc, path)
    jobs = {r["slurm.jobid"] for r in pool.read(tmp_path / "pool")}
    everything = {job["job_id"] for job in orjson.loads(path.read_bytes())["jobs"]}
    assert jobs and len(jobs) < len(everything)


def test_a_monitoring_db_names_the_tables_it_could_not_read(shim: Path,
                                                            tmp_path: Path) -> None:
    """SQLite reads with pread(2): its "disk I/O error" is per table, each named."""
    path = FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "monitoring.db"
    proc = import_with_eio(shim, path, path.stat().st_size // 2, ["parsl-db", str(path)],
                           tmp_path / "pool")
    assert "Traceback" not in proc.stderr and proc.returncode == 1, proc.stderr
    assert "UnreadableTable x" in proc.stderr
    assert list(pool.read(tmp_path / "pool"))


def test_auto_names_a_file_it_cannot_read_and_imports_the_others(shim: Path,
                                                                 tmp_path: Path) -> None:
    tree = tmp_path / "redis"
    shutil.copytree(FIXTURES / "redis" / "7.0.15", tree)
    bad = tree / "failover-master.log"
    proc = import_with_eio(shim, bad, 100, ["auto", str(tree), "--tz", "UTC"],
                           tmp_path / "pool")
    assert "Traceback" not in proc.stderr and proc.returncode == 1, proc.stderr
    assert f"skipped, cannot be read: 1: {bad}: " in proc.stderr
    origins = {r["ev.origin"] for r in pool.read(tmp_path / "pool")}
    clean = subprocess.run([sys.executable, "-m", "importers", "auto", str(tree), "--tz", "UTC",
                            "--pool", str(tmp_path / "clean")],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert clean.returncode == 0, clean.stderr
    assert origins == {r["ev.origin"] for r in pool.read(tmp_path / "clean")} - {str(bad)}
