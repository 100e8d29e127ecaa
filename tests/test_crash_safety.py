"""SIGKILL at random points: the pool keeps the previous file byte for byte or holds the new
one complete, never a partial ``*.jsonlog``; what a killed run left (temporary files, worker
parts, worker processes) is gone by the next run. And a killed live writer's torn last line
is skipped and reported by the reader.

Input: the real parsl.log of the 2026.10.26 fixture, repeated into one ~3 MB log (each copy
is a real run's lines), so an import lasts long enough to be killed in the middle. With
``-j 2`` it is cut into parts written by two worker processes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES, ROOT

from importers.core import pool
from importers.core.report import TRUNCATED_INPUT, ImportReport

PARSL_LOG = FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "000" / "parsl.log"
REDIS = FIXTURES / "redis" / "7.0.15" / "failover-master.log"
KILLS = int(os.environ.get("EV_CRASH_KILLS", "4"))      # per -j setting; more in the bench
ENV = {"EV_SPLIT_MIN_BYTES": str(128 << 10)}


def build_input(path: Path, copies: int) -> Path:
    data = PARSL_LOG.read_bytes()
    path.write_bytes(data * copies)
    return path


def import_cmd(log: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "importers", "parsl-logs", str(log), "--pool", str(out),
            "-j", str(jobs), "-q", "--tz", "UTC"]


def run_to_end(log: Path, out: Path, jobs: int) -> tuple[bytes, float]:
    start = time.monotonic()
    subprocess.run(import_cmd(log, out, jobs), check=False, capture_output=True, cwd=ROOT,
                   env={**os.environ, **ENV}, timeout=300)
    [written] = out.glob("*.jsonlog")
    return written.read_bytes(), time.monotonic() - start


def descendants(pid: int) -> list[int]:
    """Live (non-zombie) processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != b"Z":
            found.append(int(entry))
    return found


def kill_at_random_points(tmp_path: Path, jobs: int, kills: int, seed: int) -> dict[str, int]:
    """The crash-safety check, also run by ``python scripts/bench.py faults``: returns how
    many kills left the previous file, how many the complete new one, and checks each."""
    rng = random.Random(seed)
    log = build_input(tmp_path / "parsl.log", 16)
    new_pool = tmp_path / "expected-new"
    out = tmp_path / "pool"
    build_input(log, 15)
    previous, _ = run_to_end(log, out, jobs)                # the file a user already has
    build_input(log, 16)
    expected_new, duration = run_to_end(log, new_pool, jobs)   # what a finished run writes
    assert previous != expected_new
    [name] = [p.name for p in out.glob("*.jsonlog")]
    outcome = {"previous": 0, "new": 0}
    orphans: list[int] = []
    for _ in range(kills):
        proc = subprocess.Popen(import_cmd(log, out, jobs), cwd=ROOT,
                                env={**os.environ, **ENV}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, duration * 1.1))
        workers = descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        visible = sorted(p.name for p in out.rglob("*.jsonlog"))
        assert visible == [name], "a partial file is visible as *.jsonlog"
        data = (out / name).read_bytes()
        assert data in (previous, expected_new), "the pool file is neither old nor new"
        outcome["previous" if data == previous else "new"] += 1
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(descendants(proc.pid) or
                                                  [w for w in workers
                                                   if Path(f"/proc/{w}").exists()
                                                   and w in descendants(1)]):
            time.sleep(0.05)
        orphans += [w for w in workers if Path(f"/proc/{w}/stat").exists()
                    and b") Z" not in Path(f"/proc/{w}/stat").read_bytes()]
        if data == expected_new:      # start again from the previous file
            (out / name).write_bytes(previous)
    assert orphans == [], "worker processes outlived the killed import"
    # the next run into the pool (another input) removes what the killed runs left
    subprocess.run([sys.executable, "-m", "importers", "redis-log", str(REDIS), "--pool",
                    str(out), "-q"], check=True, cwd=ROOT)
    left = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert left == [], f"leftovers of killed runs: {left}"
    return outcome


@pytest.mark.parametrize("jobs", [1, 2])
def test_sigkill_at_random_points_leaves_old_or_new_never_partial(tmp_path: Path,
                                                                 jobs: int) -> None:
    outcome = kill_at_random_points(tmp_path, jobs, KILLS, seed=jobs)
    assert sum(outcome.values()) == KILLS


def _is_json_object(line: bytes) -> bool:
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


def test_a_killed_writers_torn_last_line_is_skipped_and_reported(tmp_path: Path) -> None:
    """A watcher killed mid-write leaves at most one line without its newline: the reader
    yields every complete line and counts the torn one as TruncatedInput."""
    src = tmp_path / "src"
    subprocess.run([sys.executable, "-m", "importers", "redis-log", str(REDIS), "--pool",
                    str(src), "-q"], check=True, cwd=ROOT)
    [whole] = src.glob("*.jsonlog")
    data = whole.read_bytes()
    rng = random.Random(7)
    for _ in range(20):
        cut = rng.randrange(1, len(data))
        torn = tmp_path / "pool"
        torn.mkdir(exist_ok=True)
        (torn / "watch-procs-x.jsonlog").write_bytes(data[:cut])
        report = ImportReport()
        records = list(pool.read(torn, report))
        complete = data[:cut].count(b"\n")
        # A cut just after a record's closing brace leaves a whole object without its
        # newline: that is a record, not a torn line (where that happens depends on the
        # length of the checkout path stored in the records).
        tail = data[:cut].rsplit(b"\n", 1)[-1]
        tail_whole = bool(tail) and _is_json_object(tail)
        assert len(records) == complete + tail_whole
        assert all(r.get("ev.event") != "unparsed" for r in records)
        torn_line = bool(tail) and not tail_whole
        assert report.problems[TRUNCATED_INPUT] == (1 if torn_line else 0)
