#!/usr/bin/env python3
"""Time each importer on a large input built from the real fixtures, against floors.

Machines here are noisy, so every figure is the median of ``--repeat`` runs and is reported
as a *ratio* to a floor measured in the same run, never as one absolute time. The
measurements of one input alternate (floor, ours, ..., floor, ours, ...) so that each sees
the same load. Each measurement runs in a fresh subprocess so its peak RSS (``ru_maxrss``)
is its own.

    python scripts/bench.py parsl-db                 # 10^5 and 10^6 rows, 3 repeats
    python scripts/bench.py parsl-db --sizes 1e5 --repeat 5

Benches live in scripts/benches/<name>.py, one module per importer, each defining
``BENCHES = {name: (build(units, workdir) -> input path, count(input) -> units,
{measurement: run(input, out)})}`` with a ``floor`` measurement and ``ours``, and
``PEERS = {name: peer measurement}``. scripts/benches/_floors.py has the shared floors.
A module may also define ``REPORTS = {name: report(sizes, repeat, workdir) -> [lines]}``
for figures that are not rates (e.g. a latency), printed as they are.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(__file__).resolve().parent / "benches"


def load_benches() -> tuple[dict, dict, dict]:
    """Every scripts/benches/<name>.py contributes BENCHES (and PEERS, SIZES, REPORTS), and
    may add RUNNERS: benches with a shape of their own (``run(sizes, repeat, workdir)`` ->
    result rows, printing as they go), run only when named."""
    benches: dict = {}
    peers: dict = {}
    sizes: dict = {}
    sys.path.insert(0, str(BENCH_DIR.parent))
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = importlib.import_module(f"benches.{path.stem}")
        benches.update(module.BENCHES)
        peers.update(getattr(module, "PEERS", {}))
        sizes.update(getattr(module, "SIZES", {}))
        REPORTS.update(getattr(module, "REPORTS", {}))
        RUNNERS.update(getattr(module, "RUNNERS", {}))
    return benches, peers, sizes


REPORTS: dict = {}
RUNNERS: dict = {}


BENCHES, PEERS, SIZES = load_benches()


# ---------------------------------------------------------------------------------------
# harness


def child(bench: str, measurement: str, path: str, outdir: str) -> None:
    """Run one measurement in this (fresh) process and print seconds and peak RSS."""
    func = BENCHES[bench][2][measurement]
    out = Path(outdir) / f"{measurement}.out"
    start = time.perf_counter()
    func(Path(path), out)
    seconds = time.perf_counter() - start
    # The largest process of the measurement: this one, or a child it ran and waited for
    # (lnav, or the worker processes of a parallel import).
    maxrss_kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                     resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
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
        # Round-robin (floor, ours, ..., floor, ours, ...), not each measurement's repeats
        # in a row: on a shared machine the load changes by the minute, and a ratio is only
        # fair when both sides saw the same load.
        runs: dict[str, list[dict]] = {name: [] for name in measurements}
        for _ in range(repeat):
            for name in measurements:
                runs[name].append(measure(bench, name, path, outdir))
        for name in measurements:
            row[name] = {
                "per_s": units / statistics.median(r["seconds"] for r in runs[name]),
                "rss_mib": max(r["maxrss_mib"] for r in runs[name]),
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
    if "--faults" in sys.argv[1:]:       # the spelling of `bench.py faults`
        sys.argv = [a if a != "--faults" else "faults" for a in sys.argv]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benches", nargs="*", default=list(BENCHES),
                        choices=[*BENCHES, *REPORTS, *RUNNERS])
    parser.add_argument("--sizes", default=None,
                        help="comma-separated input sizes in units (rows, lines); default: "
                        "each bench's SIZES, else 1e5,1e6")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", help="keep built inputs here (default: a temp dir)")
    parser.add_argument("--json", help="also write the results to this file")
    scale = parser.add_argument_group("scale, scale-pool")
    scale.add_argument("--events", help="events of the big Parquet pool (default 1e8)")
    scale.add_argument("--compact-events", help="events of the JSON pool compact is timed on "
                       "(default 1e6; 0 skips it)")
    scale.add_argument("--memory-limit", help="DuckDB memory_limit of the analyses "
                       "(default 1GB)")
    args = parser.parse_args()
    for option, name in ((args.events, "EV_SCALE_EVENTS"),
                         (args.compact_events, "EV_SCALE_COMPACT_EVENTS"),
                         (args.memory_limit, "EV_SCALE_MEMORY")):
        if option is not None:
            os.environ[name] = option
    if args.workdir:          # a pool built in a kept workdir is kept for the next run
        os.environ.setdefault("EV_SCALE_KEEP", "1")
    given = [int(float(s)) for s in args.sizes.split(",")] if args.sizes else None
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ev-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, medians of "
          f"{args.repeat} runs, inputs in {workdir}", flush=True)
    results = []
    try:
        for bench in args.benches:
            if bench in RUNNERS:
                results += RUNNERS[bench](given, args.repeat, workdir)
                continue
            if bench in REPORTS:
                for line in REPORTS[bench](given, args.repeat, workdir):
                    print(line, flush=True)
                continue
            sizes = given or [int(n) for n in SIZES.get(bench, (1e5, 1e6))]
            results += run(bench, sizes, args.repeat, workdir)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
