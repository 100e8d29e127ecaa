"""Several imports and a live watcher writing into one pool at once, and a reader meanwhile:
nothing lost, no duplicate files, and the reader never sees half a file.

Real inputs: Redis logs of three releases, a Parsl run dir (imported twice at the same time,
by ``parsl-logs`` and by ``auto``: one input, one file), saved sacct output, and the
watcher's own events of a small workload (as root; CI is root).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from importers.core import pool
from importers.core.report import ImportReport

RUN = FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "000"
REDIS = [FIXTURES / "redis" / "7.0.15" / "failover-master.log",
         FIXTURES / "redis" / "2.8.17" / "persistence.log"]
SACCT = FIXTURES / "slurm" / "sacct_P_local.txt"
IMPORTS = [["redis-log", str(p)] for p in REDIS] + [
    ["parsl-logs", str(RUN)], ["auto", str(RUN)], ["sacct", "--file", str(SACCT)]]


def ev(argv: list[str], out: Path) -> subprocess.Popen:
    command, _, rest = argv[0], None, argv[1:]
    return subprocess.Popen([sys.executable, "-m", "importers", command, "--pool", str(out),
                             "--tz", "UTC", "-q", *rest], cwd=ROOT, stderr=subprocess.PIPE,
                            text=True)


def run_concurrently(out: Path, watch: bool) -> dict[str, int]:
    """Start everything at once, read the pool until all finished; return figures."""
    from importers.cli import main

    expected = out.parent / "sequential"
    for argv in IMPORTS:
        assert main([argv[0], "--pool", str(expected), "--tz", "UTC", "-q", *argv[1:]]) == 0
    seen = {"reads": 0, "unparsed": 0, "errors": 0}
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            report = ImportReport()
            try:
                for rec in pool.read(out, report):
                    if rec.get("ev.event") == "unparsed" and rec.get("ev.source") == "pool":
                        seen["unparsed"] += 1
            except Exception:   # noqa: BLE001 - the point is that nothing escapes
                seen["errors"] += 1
            seen["reads"] += 1

    thread = threading.Thread(target=reader)
    thread.start()
    procs = [ev(argv, out) for argv in IMPORTS]
    watcher = None
    if watch:
        watcher = ev(["watch-procs", "--backend", "netlink", "--", "bash", "-c",
                      "for i in $(seq 20); do /bin/true; done; sleep 0.5"], out)
    try:
        for proc in procs:
            assert proc.wait(timeout=300) == 0, proc.stderr.read()
        if watcher is not None:
            assert watcher.wait(timeout=120) == 0, watcher.stderr.read()
    finally:
        done.set()
        thread.join()
    # nothing lost: each import's file is byte for byte the sequential one, and no more
    want = {p.name: p.read_bytes() for p in expected.glob("*.jsonlog")}
    have = {p.name: p.read_bytes() for p in out.glob("*.jsonlog")
            if not p.name.startswith("watch-procs-")}
    assert have == want
    lost = 0
    if watcher is not None:
        [live] = out.glob("watch-procs-*.jsonlog")
        records = [r for r in pool.read(out) if r["ev.file"] == str(live)]
        assert sum(1 for r in records if r["ev.event"] == "exec") >= 20, records[:3]
        lost = sum(r.get("linux.events_lost", 0) or 1 for r in records
                   if r["ev.event"] == "events_lost")
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    return {"files": len(have), "expected_files": len(want), "reads": seen["reads"],
            "reader_errors": seen["errors"], "reader_unparsed": seen["unparsed"],
            "events_lost": lost}


def test_writers_and_a_reader_at_once(tmp_path: Path) -> None:
    watch = os.geteuid() == 0
    if not watch and os.environ.get("CI") == "true":
        pytest.fail("CI runs as root: the watcher must take part")
    figures = run_concurrently(tmp_path / "pool", watch)
    assert figures["files"] == figures["expected_files"] == len(REDIS) + 2, \
        "one file per input: the run dir imported three times at once is one file"
    assert figures["reads"] > 0
    assert figures["reader_errors"] == 0 and figures["reader_unparsed"] == 0
    assert figures["events_lost"] == 0
