#!/usr/bin/env python3
"""Time each importer on a large input built from the real fixtures, against floors.

Machines here are noisy, so every figure is the median of ``--repeat`` runs and is reported
as a *ratio* to a floor measured in the same run, never as one absolute time. Each
measurement runs in a fresh subprocess so its peak RSS (``ru_maxrss``) is its own.

    python scripts/bench.py parsl-db                 # 10^5 and 10^6 rows, 3 repeats
    python scripts/bench.py parsl-db --sizes 1e5 --repeat 5

Benches (add one per importer in BENCHES):

parsl-db
    input   a copy of fixtures/parsl/<newest>/runinfo/monitoring.db whose status and resource
            tables are replicated with fresh task ids up to N rows in all
    floor   stdlib sqlite3 cursor over the same tables + ``orjson.dumps`` of each row tuple,
            written through a 1 MiB buffer (what reading the DB costs at the least)
    peer    ``pandas.read_sql`` of the same tables + ``orjson.dumps`` of each row dict (what
            Parsl users do today)
    ours    ``importers.parsl_db.read`` + ``PoolWriter`` (the whole ``ev-import parsl-db``)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARSL_BENCH_TABLES = ("status", "resource")


# ---------------------------------------------------------------------------------------
# parsl-db


def newest_parsl_db() -> Path:
    dbs = sorted(ROOT.glob("fixtures/parsl/*/runinfo/monitoring.db"),
                 key=lambda p: [int(x) if x.isdigit() else 0
                                for x in p.parent.parent.name.split("-")[0].split(".")])
    if not dbs:
        sys.exit("bench: no fixtures/parsl/*/runinfo/monitoring.db; run scripts/"
                 "make_parsl_fixture.py first")
    return dbs[-1]


def build_parsl_db(rows: int, workdir: Path) -> Path:
    """Replicate the real status/resource rows with fresh task ids until ``rows`` in all."""
    db = workdir / f"monitoring-{rows}.db"
    if db.exists():
        return db
    shutil.copy(newest_parsl_db(), db)
    with sqlite3.connect(db) as conn:
        base = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                for t in PARSL_BENCH_TABLES}
        max_task = conn.execute("select max(task_id) from task").fetchone()[0] + 1
        per_copy = sum(base.values())
        copies = max(0, (rows - per_copy) // per_copy)
        for table in PARSL_BENCH_TABLES:
            cols = [r[1] for r in conn.execute(f"pragma table_info({table})")]
            conn.execute(f"create temp table seed_{table} as select * from {table}")
            select = ", ".join("task_id + :offset" if c == "task_id" else c for c in cols)
            for k in range(1, copies + 1):
                conn.execute(f"insert into {table} ({', '.join(cols)}) "
                             f"select {select} from seed_{table}", {"offset": k * max_task})
        have = sum(conn.execute(f"select count(*) from {t}").fetchone()[0]
                   for t in PARSL_BENCH_TABLES)
        extra = rows - have
        if extra > 0:  # top up from the first table so the count is exact
            table = PARSL_BENCH_TABLES[0]
            cols = [r[1] for r in conn.execute(f"pragma table_info({table})")]
            select = ", ".join("task_id + :offset" if c == "task_id" else c for c in cols)
            conn.execute(f"insert into {table} ({', '.join(cols)}) select {select} "
                         f"from seed_{table} limit :n",
                         {"offset": (copies + 1) * max_task, "n": extra})
    return db


def db_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        return sum(conn.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables)


def parsl_floor(db: Path, out: Path) -> None:
    import orjson

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
    with open(out, "wb", buffering=1 << 20) as fh:
        write, dumps, opt = fh.write, orjson.dumps, orjson.OPT_APPEND_NEWLINE
        for table in tables:
            for row in conn.execute(f'select * from "{table}"'):
                write(dumps(row, option=opt))


def parsl_pandas(db: Path, out: Path) -> None:
    import orjson
    import pandas as pd

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
    with open(out, "wb", buffering=1 << 20) as fh:
        write, dumps = fh.write, orjson.dumps
        opt = orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY
        for table in tables:
            frame = pd.read_sql(f'select * from "{table}"', conn)
            for row in frame.to_dict("records"):
                write(dumps(row, option=opt, default=str))


def parsl_ours(db: Path, out: Path) -> None:
    from importers import parsl_db
    from importers.pool import PoolWriter

    with PoolWriter(out.parent, "bench", out.name) as writer:
        writer.write_all(parsl_db.read(db, tz="UTC"))


# name -> (build input of N units, count units in it, {measurement: function(input, out)})
BENCHES: dict[str, tuple[Callable[[int, Path], Path], Callable[[Path], int],
                         dict[str, Callable[[Path, Path], None]]]] = {
    "parsl-db": (build_parsl_db, db_rows,
                 {"floor": parsl_floor, "pandas": parsl_pandas, "ours": parsl_ours}),
}
PEERS = {"parsl-db": "pandas"}


# ---------------------------------------------------------------------------------------
# harness


def child(bench: str, measurement: str, path: str, outdir: str) -> None:
    """Run one measurement in this (fresh) process and print seconds and peak RSS."""
    func = BENCHES[bench][2][measurement]
    out = Path(outdir) / f"{measurement}.out"
    start = time.perf_counter()
    func(Path(path), out)
    seconds = time.perf_counter() - start
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "maxrss_mib": maxrss_kib / 1024}))


def measure(bench: str, measurement: str, path: Path, outdir: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", bench, measurement, str(path), str(outdir)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode:
        sys.exit(f"bench: {bench}/{measurement} failed:\n{proc.stderr}")
    for f in outdir.glob("*"):
        f.unlink()
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(bench: str, sizes: list[int], repeat: int, workdir: Path) -> list[dict]:
    build, count, measurements = BENCHES[bench]
    results = []
    for size in sizes:
        path = build(size, workdir)
        units = count(path)
        outdir = workdir / "out"
        outdir.mkdir(exist_ok=True)
        row = {"bench": bench, "units": units}
        for name in measurements:
            runs = [measure(bench, name, path, outdir) for _ in range(repeat)]
            row[name] = {
                "per_s": units / statistics.median(r["seconds"] for r in runs),
                "rss_mib": max(r["maxrss_mib"] for r in runs),
            }
        results.append(row)
        floor = row["floor"]["per_s"]
        peer = PEERS.get(bench)
        print(f"{bench} {units:>9,} units: floor {floor:,.0f}/s "
              f"(rss {row['floor']['rss_mib']:.0f} MiB)", flush=True)
        for name in measurements:
            if name == "floor":
                continue
            r = row[name]
            vs_peer = (f", {r['per_s'] / row[peer]['per_s']:.2f}x {peer}"
                       if peer and name != peer else "")
            print(f"    {name:>8}: {r['per_s'] / floor:.2f}x floor{vs_peer}, "
                  f"peak rss {r['rss_mib']:.0f} MiB", flush=True)
    return results


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benches", nargs="*", default=list(BENCHES), choices=list(BENCHES))
    parser.add_argument("--sizes", default="1e5,1e6",
                        help="comma-separated input sizes in units (rows, lines)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", help="keep built inputs here (default: a temp dir)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ev-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, medians of "
          f"{args.repeat} runs, inputs in {workdir}", flush=True)
    results = []
    try:
        for bench in args.benches:
            results += run(bench, sizes, args.repeat, workdir)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
