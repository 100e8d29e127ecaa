"""Scale bench (``python scripts/bench.py scale``): 10^4 log files and a 10^8-event pool.

Import, on the log files of a simulated 1,000-node run (``scripts/make_scale_inputs.py logs``,
10^4 files, ~426,000 lines), each measurement a fresh process, medians of ``--repeat``:

floor       read every file's lines and write a constant record per line (one process)
sequential  ``ev-import auto DIR`` (one process)
j2          ``ev-import node-import DIR -j 2`` (two local processes, batched)
parsl       ``importers.distributed.import_paths(DIR, executor=dfk)`` on a running Parsl
            HTEX executor with 2 workers (LocalProvider); its start-up and clean-up are timed
            apart, since a user's executor is already running

Big pool (``--events``, default 10^8), built by ``make_scale_inputs.py pool`` straight into
Parquet shards; ``compact`` itself is timed on a JSON pool of ``--compact-events`` (default
10^7, ~7 GB of JSON, deleted afterwards) and extrapolated linearly; then ``lifetimes``,
``concurrency`` and ``breakdown`` (when present) on the shards: seconds and peak RSS.

    python scripts/bench.py scale --repeat 3
    python scripts/bench.py scale --sizes 100 --repeat 1      # 100 nodes, no big pool
    python scripts/benches/scale.py --analysis-only POOL       # analyses of an existing pool
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

PY = sys.executable
BIG_EVENTS = int(float(os.environ.get("EV_SCALE_EVENTS", "1e8")))
COMPACT_EVENTS = int(float(os.environ.get("EV_SCALE_COMPACT_EVENTS", "1e7")))


def measure(argv: list[str], env: dict | None = None) -> dict:
    """Run ``argv``: its wall time, and what its last stdout line says if it is JSON (the
    ``--rss`` wrapper and the analysis children print their peak RSS there)."""
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env={**os.environ, **(env or {})},
                          cwd=ROOT, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"scale: {' '.join(argv)} failed:\n{proc.stderr.decode()[-2000:]}")
    result = {"seconds": seconds}
    lines = proc.stdout.decode().strip().splitlines()
    if lines and lines[-1].startswith("{"):
        result.update(json.loads(lines[-1]))
    return result


def _rss_wrap(argv: list[str]) -> list[str]:
    """Run ``argv`` under this script's ``--rss`` wrapper, which prints its peak RSS."""
    return [PY, __file__, "--rss", *argv]


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


# ---------------------------------------------------------------------------------------
# children


def child_floor(logs: str, out: str) -> None:
    record = {"created": 1795596276.097168, "formatted": "x" * 120, "name": "parsl.x",
              "levelname": "INFO", "levelno": 20, "ev.source": "parsl-logs",
              "ev.origin": logs, "ev.event": "log", "ev.lineno": 1, "linux.pid": 24208}
    import orjson
    with open(out, "wb", buffering=1 << 20) as fh:
        write, dumps, opt = fh.write, orjson.dumps, orjson.OPT_APPEND_NEWLINE
        for root, _dirs, files in os.walk(logs):
            for name in sorted(files):
                with open(os.path.join(root, name), "rb") as src:
                    for _line in src:
                        write(dumps(record, option=opt))


def child_parsl(logs: str, pool: str, workers: str) -> None:
    from parsl.config import Config
    from parsl.dataflow.dflow import DataFlowKernel
    from parsl.executors import HighThroughputExecutor
    from parsl.providers import LocalProvider

    from importers.distributed import import_paths

    os.environ["PATH"] = f"{Path(PY).parent}{os.pathsep}{os.environ['PATH']}"
    t0 = time.perf_counter()
    htex = HighThroughputExecutor(label="ev_scale", address="127.0.0.1",
                                  max_workers_per_node=int(workers), cores_per_worker=1,
                                  provider=LocalProvider(init_blocks=1, max_blocks=1))
    dfk = DataFlowKernel(Config(executors=[htex], run_dir=f"{pool}.runinfo"))
    from parsl import python_app

    ready = python_app(os.getpid, data_flow_kernel=dfk)
    pids = {f.result() for f in [ready() for _ in range(8)]}   # workers up and answering
    t1 = time.perf_counter()
    result = import_paths([logs], pool=pool, executor=dfk, tz="UTC")
    t2 = time.perf_counter()
    dfk.cleanup()
    t3 = time.perf_counter()
    print(json.dumps({"start_s": t1 - t0, "import_s": t2 - t1, "cleanup_s": t3 - t2,
                      "apps": result.apps, "workers_seen": len(pids),
                      "events": result.events}))


def child_rss(argv: list[str]) -> None:
    """Run ``argv`` and print its peak RSS (for children that fork workers)."""
    proc = subprocess.run(argv, check=False, stdout=subprocess.PIPE)
    import resource
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    last = proc.stdout.decode().strip().splitlines()
    extra = json.loads(last[-1]) if last and last[-1].startswith("{") else {}
    print(json.dumps({**extra, "rss_mib": rss, "rc": proc.returncode}))


ANALYSES = {
    "lifetimes": "import json,sys; from importers import analysis as ev; "
                 "p=ev.open_pool(sys.argv[1]); "
                 "d=ev.lifetimes(p, thing=['parsl.run_id','parsl.task_id']); "
                 "print(json.dumps({'rows': len(d), 'parquet': p.parquet}))",
    "concurrency": "import json,sys; from importers import analysis as ev; "
                   "p=ev.open_pool(sys.argv[1]); "
                   "c=ev.concurrency(ev.lifetimes(p, thing=['parsl.run_id','parsl.task_id'])); "
                   "print(json.dumps({'max': c.max, 'parquet': p.parquet}))",
    "breakdown": "import json,sys; from importers import analysis as ev; "
                 "p=ev.open_pool(sys.argv[1]); b=ev.breakdown(p); "
                 "print(json.dumps({'wall_s': b.to_dict().get('wall_s'), "
                 "'parquet': p.parquet}))",
}


def child_analysis(name: str, pool: str) -> None:
    proc = subprocess.run([PY, "-c", ANALYSES[name], pool], capture_output=True, check=False)
    import resource
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = proc.stdout.decode().strip().splitlines()
    extra = json.loads(out[-1]) if proc.returncode == 0 and out else {
        "error": proc.stderr.decode().strip().splitlines()[-1:]}
    print(json.dumps({**extra, "rss_mib": rss}))


# ---------------------------------------------------------------------------------------
# the bench


def bench_import(nodes: int, repeat: int, workdir: Path) -> dict:
    import make_scale_inputs as gen

    logs = workdir / f"logs-{nodes}"
    made = gen.make_logs(logs, nodes)
    files, lines = made["files"], made["lines"]
    runinfo = str(logs / "runinfo")
    print(f"scale import: {files:,} files, {lines:,} lines ({nodes} simulated nodes)",
          flush=True)
    pool = workdir / "pool"
    runs: dict[str, list[dict]] = {k: [] for k in ("floor", "sequential", "j2", "parsl")}
    for _ in range(repeat):
        for name in runs:
            shutil.rmtree(pool, ignore_errors=True)
            if name == "floor":
                argv = [PY, __file__, "--floor", runinfo, str(workdir / "floor.out")]
            elif name == "sequential":
                argv = [PY, "-m", "importers", "auto", runinfo, "--pool", str(pool), "-q",
                        "--tz", "UTC"]
            elif name == "j2":
                argv = [PY, "-m", "importers", "node-import", runinfo, "--pool", str(pool),
                        "-q", "--tz", "UTC", "-j", "2"]
            else:
                argv = [PY, __file__, "--parsl", runinfo, str(pool), "2"]
            r = measure(_rss_wrap(argv))
            if name == "parsl":
                r["total_s"], r["seconds"] = r["seconds"], r["import_s"]
            runs[name].append(r)
            shutil.rmtree(f"{pool}.runinfo", ignore_errors=True)
    floor = _median(runs["floor"], "seconds")
    row: dict = {"files": files, "lines": lines}
    for name, rs in runs.items():
        s = _median(rs, "seconds")
        row[name] = {"seconds": s, "files_per_s": files / s, "lines_per_s": lines / s,
                     "ms_per_file": 1000 * s / files, "x_floor": floor / s,
                     "rss_mib": max(r.get("rss_mib", 0) for r in rs)}
        extra = ""
        if name == "parsl":
            row[name]["start_s"] = _median(rs, "start_s")
            row[name]["cleanup_s"] = _median(rs, "cleanup_s")
            row[name]["apps"] = rs[0]["apps"]
            extra = (f"; executor start {row[name]['start_s']:.1f} s and clean-up "
                     f"{row[name]['cleanup_s']:.1f} s apart, {rs[0]['apps']} apps")
        print(f"    {name:>10}: {row[name]['files_per_s']:,.0f} files/s, "
              f"{row[name]['lines_per_s']:,.0f} lines/s, {row[name]['ms_per_file']:.2f} ms/file, "
              f"{row[name]['x_floor']:.2f}x floor, peak rss {row[name]['rss_mib']:.0f} MiB{extra}",
              flush=True)
    ratio = row["parsl"]["files_per_s"] / row["j2"]["files_per_s"]
    row["parsl_vs_j2"] = ratio
    print(f"    parsl / -j 2 throughput: {ratio:.2f} (goal >= 0.80); -j 2 / sequential: "
          f"{row['j2']['files_per_s'] / row['sequential']['files_per_s']:.2f}", flush=True)
    shutil.rmtree(logs, ignore_errors=True)
    shutil.rmtree(pool, ignore_errors=True)
    return row


def bench_analyses(pool: Path, repeat: int) -> dict:
    row = {}
    for name in ANALYSES:
        runs = [measure([PY, __file__, "--analysis", name, str(pool)]) for _ in range(repeat)]
        if any("error" in r for r in runs):
            print(f"    {name:>12}: not run ({runs[0]['error']})", flush=True)
            row[name] = {"error": runs[0]["error"]}
            continue
        s = _median(runs, "seconds")
        rss = max(r["rss_mib"] for r in runs)
        row[name] = {"seconds": s, "rss_mib": rss, "parquet": runs[0].get("parquet")}
        print(f"    {name:>12}: {s:.1f} s, peak rss {rss:.0f} MiB (goal < 60 s, < 2048 MiB)"
              f"{'' if runs[0].get('parquet') else ' (read from JSON, not the shards)'}",
              flush=True)
    return row


def bench_pool(events: int, compact_events: int, repeat: int, workdir: Path) -> dict:
    row: dict = {"events": events}
    if compact_events:
        jpool = workdir / f"json-{compact_events}"
        made = measure([PY, str(ROOT / "scripts" / "make_scale_inputs.py"), "pool", str(jpool),
                        "--events", str(compact_events), "--json"])
        size = sum(p.stat().st_size for p in jpool.glob("*.jsonlog"))
        r = measure(_rss_wrap([PY, "-m", "importers", "compact", str(jpool)]))
        row["compact"] = {"events": compact_events, "json_gb": size / 1e9,
                          "seconds": r["seconds"], "rss_mib": r["rss_mib"],
                          "extrapolated_s": r["seconds"] * events / compact_events}
        print(f"scale compact: {compact_events:,} events ({size / 1e9:.1f} GB of JSON, made in "
              f"{made['seconds']:.0f} s): {r['seconds']:.1f} s, peak rss {r['rss_mib']:.0f} MiB;"
              f" x{events // compact_events} -> {row['compact']['extrapolated_s'] / 60:.0f} min "
              f"for {events:,} (linear)", flush=True)
        print("    analyses on the compacted JSON pool:", flush=True)
        row["analyses_small"] = bench_analyses(jpool, 1)
        shutil.rmtree(jpool, ignore_errors=True)
    big = workdir / f"parquet-{events}"
    made = measure([PY, str(ROOT / "scripts" / "make_scale_inputs.py"), "pool", str(big),
                    "--events", str(events)])
    size = sum(p.stat().st_size for p in big.rglob("*.parquet"))
    shards = len(list(big.rglob("*.parquet")))
    print(f"scale pool: {events:,} events as {shards:,} Parquet shards ({size / 1e9:.1f} GB), "
          f"generated in {made['seconds']:.0f} s", flush=True)
    row["parquet_gb"], row["shards"] = size / 1e9, shards
    row["analyses"] = bench_analyses(big, repeat)
    shutil.rmtree(big, ignore_errors=True)
    return row


def run_scale(sizes: list[int] | None, repeat: int, workdir: Path) -> list[dict]:
    nodes = sizes[0] if sizes else 1000
    results = [{"bench": "scale-import", **bench_import(nodes, repeat, workdir)}]
    if not sizes or len(sizes) > 1:
        events = sizes[1] if sizes and len(sizes) > 1 else BIG_EVENTS
        results.append({"bench": "scale-pool",
                        **bench_pool(events, min(COMPACT_EVENTS, events), repeat, workdir)})
    return results


BENCHES: dict = {}
RUNNERS = {"scale": run_scale}


if __name__ == "__main__":
    if sys.argv[1] == "--floor":
        child_floor(*sys.argv[2:4])
    elif sys.argv[1] == "--parsl":
        child_parsl(*sys.argv[2:5])
    elif sys.argv[1] == "--rss":
        child_rss(sys.argv[2:])
    elif sys.argv[1] == "--analysis":
        child_analysis(*sys.argv[2:4])
    elif sys.argv[1] == "--analysis-only":
        bench_analyses(Path(sys.argv[2]), 1)
