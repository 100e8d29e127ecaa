"""export benches: OTLP/JSON and Perfetto exports against the pool read rate; follow latency.

input    a pool of N events: the records of the shipped fixtures as a pool holds them
         (Academy's own JSON logs with every value a string, Parsl's JSON logs, and
         ev-import's parsl-db, parsl-logs, redis-log and sacct imports of the fixtures),
         repeated copy after copy with ``created`` shifted by the fixture's time span per
         copy, in one file per source
floor    ``importers.core.pool.read`` over the pool, records dropped: the pool read rate
otlp     ``otlp.write_jsonl(importers.core.pool.read(pool), out)``: every record read, mapped
         to an OTLP LogRecord and written as OTLP/JSON lines (1,000 records a line)
otlp-db  the same records through DuckDB, time ordered (``open_pool(pool).events()
         .records()``): what ``ev-import export --to otlp`` reads
perfetto ``perfetto.write_trace(open_pool(pool), out)``: things, counters, flows and every
         record as an instant

follow-latency (not a rate): ``ev-import follow POOL --json`` runs as a subprocess while
this process appends one real Academy record every 20 ms to a pool file, in two writes (a
torn line, then its end), with ``created`` = the time of the append; the latency of each
record is the time its line is read from follow's stdout minus its ``created``. Medians and
90th percentiles for ``--window 0`` (the poll interval alone) and the default window.

    python scripts/bench.py otlp --sizes 1e5,1e6 --repeat 3
    python scripts/bench.py export-db --sizes 1e5 --repeat 3
    python scripts/bench.py follow-latency
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "fixtures"


def _fixture_pool(workdir: Path) -> Path:
    """The shipped fixtures imported as a user would, into one pool (built once)."""
    pool = workdir / "export-fixture-pool"
    if pool.exists():
        return pool
    from importers.cli import main

    tmp = workdir / ".export-fixture-pool.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(FIXTURES / "academy/1.0.0/academy_home/logs", tmp / "academy")
    shutil.copytree(FIXTURES / "parsl/2026.10.26-json/runinfo/000", tmp / "parsl-json")
    for args in (["parsl-db", str(FIXTURES / "academy/1.0.0/runinfo/monitoring.db")],
                 ["parsl-logs", str(FIXTURES / "academy/1.0.0/runinfo")],
                 ["redis-log", str(FIXTURES / "redis/7.0.15/loglevel-verbose.log")],
                 ["sacct", "--file", str(FIXTURES / "slurm/sacct_P_epoch.txt")]):
        main([*args, "--pool", str(tmp), "--tz", "UTC", "-q"])
    tmp.rename(pool)
    return pool


def build(events: int, workdir: Path) -> Path:
    out = workdir / f"export-pool-{events}"
    if out.exists():
        return out
    fixture = _fixture_pool(workdir)
    files = sorted(fixture.rglob("*.jsonlog"))
    records = {f: [orjson.loads(x) for x in f.read_bytes().splitlines() if x.strip()]
               for f in files}
    times = [float(r["created"]) for rs in records.values() for r in rs if "created" in r]
    span = max(times) - min(times) + 1.0
    total = sum(len(rs) for rs in records.values())
    tmp = workdir / f".export-pool-{events}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    copies = -(-events // total)
    left = events
    for f, rs in records.items():
        share = min(left, round(events * len(rs) / total)) if f != files[-1] else left
        left -= share
        with open(tmp / f"{f.parent.name}-{f.name}", "wb", buffering=1 << 20) as fh:
            written = 0
            for copy in range(copies):
                for rec in rs:
                    if written >= share:
                        break
                    if "created" in rec:
                        shifted = float(rec["created"]) + copy * span
                        # Academy's strings stay strings, numbers numbers.
                        rec = {**rec, "created": (repr(shifted) if isinstance(
                            rec["created"], str) else shifted)}
                    fh.write(orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE))
                    written += 1
    tmp.rename(out)
    return out


def count(pool: Path) -> int:
    n = 0
    for f in pool.glob("*.jsonlog"):
        with open(f, "rb") as fh:
            n += sum(buf.count(b"\n") for buf in iter(lambda fh=fh: fh.read(1 << 20), b""))
    return n


def floor(pool: Path, out: Path) -> None:
    from importers.core.pool import read

    for _rec in read(pool):
        pass


def otlp_file(pool: Path, out: Path) -> None:
    from importers.analysis.export import otlp
    from importers.core.pool import read

    with open(out, "wb", buffering=1 << 20) as fh:
        otlp.write_jsonl(read(pool), fh)


def otlp_db(pool: Path, out: Path) -> None:
    from importers import analysis as ev
    from importers.analysis.export import otlp

    with ev.open_pool(pool) as opened, open(out, "wb", buffering=1 << 20) as fh:
        otlp.write_jsonl(opened.events().records(), fh)


def perfetto_file(pool: Path, out: Path) -> None:
    from importers import analysis as ev
    from importers.analysis.export import perfetto

    with ev.open_pool(pool) as opened, open(out, "wb", buffering=1 << 20) as fh:
        perfetto.write_trace(opened, fh)


BENCHES = {
    "otlp": (build, count, {"floor": floor, "otlp": otlp_file}),
    # Through DuckDB (open_pool): what ev-import export reads.
    "export-db": (build, count, {"floor": floor, "otlp-db": otlp_db, "perfetto": perfetto_file}),
}
SIZES = {"otlp": (1e5, 1e6), "export-db": (1e5,)}


# ---------------------------------------------------------------------------------------
# follow latency


def _latencies(window: float, n: int, interval: float) -> list[float]:
    agent = next((FIXTURES / "academy/1.0.0/academy_home/logs").rglob("285873d8-*.jsonlog"))
    sample = [orjson.loads(x) for x in agent.read_bytes().splitlines()]
    with tempfile.TemporaryDirectory(prefix="ev-follow-") as tmp:
        pool = Path(tmp) / "pool"
        pool.mkdir()
        live = pool / "live.jsonlog"
        live.write_bytes(b"")
        proc = subprocess.Popen(
            [sys.executable, "-m", "importers", "follow", str(pool), "--json",
             "--window", str(window), "--duration", str(n * interval + 3 + window)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        proc.stderr.readline()          # "following 1 files": it is looking now
        got: list[float] = []

        def reader() -> None:
            for line in proc.stdout:
                seen = time.time()
                got.append(seen - orjson.loads(line)["created"])

        thread = threading.Thread(target=reader)
        thread.start()
        with open(live, "ab", buffering=0) as fh:
            for i in range(n):
                rec = {**sample[i % len(sample)], "created": repr(time.time())}
                line = orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE)
                fh.write(line[:30])           # a torn line first, as a writer's flush lands
                fh.write(line[30:])
                time.sleep(interval)
        proc.wait(timeout=60)
        thread.join()
        if len(got) != n:
            sys.exit(f"bench: follow printed {len(got)} of {n} records")
        return got


def follow_latency(sizes, repeat: int, workdir: Path) -> list[str]:
    n = int(sizes[0]) if sizes else 200
    lines = []
    for window in (0.0, 0.3):
        lat = []
        for _ in range(repeat):
            lat += _latencies(window, n, 0.02)
        lat.sort()
        p90 = lat[int(0.9 * (len(lat) - 1))]
        lines.append(f"follow-latency --window {window}: {len(lat)} records, append -> print "
                     f"median {statistics.median(lat) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms,"
                     f" max {max(lat) * 1000:.0f} ms (poll every 0.05 s)")
    return lines


REPORTS = {"follow-latency": follow_latency}

if __name__ == "__main__":
    os.execv(sys.executable, [sys.executable, str(ROOT / "scripts" / "bench.py"), *sys.argv[1:]])
