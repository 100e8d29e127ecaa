"""Scale bench (``python scripts/bench.py scale``): 10^4 log files and a 10^8-event pool.

Import, on the log files of a simulated 1,000-node run (``scripts/make_scale_inputs.py logs``,
10^4 files, ~426,000 lines), each measurement a fresh process, medians of ``--repeat``:

floor       read every file's lines and write a constant record per line (one process)
sequential  ``ev-import auto DIR`` (one process)
j2          ``ev-import node-import DIR -j 2`` (two local processes, batched)
parsl       ``importers.distributed.import_paths(DIR, executor=dfk)`` on a running Parsl
            HTEX executor with 2 workers (LocalProvider); its start-up and clean-up are timed
            apart, since a user's executor is already running

Big pool (``scale-pool``, or the second part of ``scale``): ``compact`` itself is timed on a
JSON pool of ``--compact-events`` (default 10^6, ~0.6 GB of JSON: 10^7 is ~6 GB and an hour
of a shared 2-core machine; deleted afterwards): events/s and MB/s. The pool of ``--events``
(default 10^8) is then built by ``make_scale_inputs.py pool``: the fixtures' pool compacted
and its rows replicated in Parquet with shifted times and ids, straight into shards in the
``compact`` layout with a manifest (10^8 JSON lines would be ~60 GB of disk and ~2 h of
CPU to write and as long to compact; the analyses read the shards exactly as a compacted
pool's). Then the CLI commands ``lifetimes``, ``concurrency`` and ``breakdown`` on it, each
a fresh process under ``/usr/bin/time -v`` with ``EV_DUCKDB_MEMORY`` = ``--memory-limit``
(default 1GB): median wall seconds, CPU seconds (user + sys) and peak RSS.

    python scripts/bench.py scale --repeat 3
    python scripts/bench.py scale --sizes 100 --repeat 1      # 100 nodes, no big pool
    python scripts/bench.py scale-pool --events 1e8 --repeat 3 --workdir /scratch/ev
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


def big_events() -> int:
    """``--events`` (bench.py sets $EV_SCALE_EVENTS)."""
    return int(float(os.environ.get("EV_SCALE_EVENTS", "1e8")))


def compact_events() -> int:
    """``--compact-events`` (bench.py sets $EV_SCALE_COMPACT_EVENTS)."""
    return int(float(os.environ.get("EV_SCALE_COMPACT_EVENTS", "1e6")))


def memory_limit() -> str:
    """``--memory-limit``: the DuckDB memory_limit of the analyses (bench.py sets it)."""
    return os.environ.get("EV_SCALE_MEMORY", "1GB")


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


#: The analyses on the big pool: the CLI commands a user runs (output to a file).
THING = "parsl.run_id,parsl.task_id"
ANALYSES = {
    "lifetimes": ["lifetimes", "{pool}", "--thing", THING, "--csv"],
    "concurrency": ["concurrency", "{pool}", "--thing", THING, "--json"],
    "breakdown": ["breakdown", "{pool}", "--json"],
}


def timed(argv: list[str], out: Path, env: dict | None = None) -> dict:
    """Run ``argv`` under ``/usr/bin/time -v`` (stdout to ``out``): wall and CPU seconds and
    peak RSS as GNU time reports them."""
    t0 = time.perf_counter()
    with open(out, "wb") as fh:
        proc = subprocess.run(["/usr/bin/time", "-v", *argv], stdout=fh,
                              stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                              cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    err = proc.stderr.decode(errors="replace")
    field = {}
    for line in err.splitlines():
        key, _, value = line.strip().rpartition(": ")
        field[key] = value
    result = {"seconds": wall, "rc": proc.returncode,
              "cpu_s": float(field.get("User time (seconds)", 0))
              + float(field.get("System time (seconds)", 0)),
              "rss_mib": int(field.get("Maximum resident set size (kbytes)", 0)) / 1024}
    if proc.returncode:
        result["error"] = [ln for ln in err.splitlines() if ln.strip()
                           and not ln.startswith("\t")][-1:]
    return result


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


def bench_analyses(pool: Path, repeat: int, workdir: Path | None = None) -> dict:
    row = {"memory_limit": memory_limit()}
    out = Path(workdir or pool.parent) / "analysis.out"
    env = {"EV_DUCKDB_MEMORY": memory_limit()}
    for name, argv in ANALYSES.items():
        cmd = [PY, "-m", "importers", *(a.format(pool=pool) for a in argv)]
        runs = [timed(cmd, out, env) for _ in range(repeat)]
        if any("error" in r for r in runs):
            print(f"    {name:>12}: failed ({runs[0].get('error')})", flush=True)
            row[name] = {"error": runs[0].get("error")}
            continue
        s = _median(runs, "seconds")
        row[name] = {"seconds": s, "cpu_s": _median(runs, "cpu_s"),
                     "rss_mib": max(r["rss_mib"] for r in runs), "runs": len(runs),
                     "output_bytes": out.stat().st_size,
                     "command": "ev-import " + " ".join(a.format(pool="POOL") for a in argv)}
        print(f"    {name:>12}: {s:.1f} s wall (median of {len(runs)}), "
              f"{row[name]['cpu_s']:.1f} s CPU, peak rss {row[name]['rss_mib']:.0f} MiB "
              f"(goal < 60 s, < 2048 MiB; memory_limit {memory_limit()})", flush=True)
    out.unlink(missing_ok=True)
    return row


def bench_compact(events: int, workdir: Path) -> dict:
    """``ev-import compact`` on a JSON pool of ``events`` replicated fixture events."""
    jpool = workdir / f"json-{events}"
    shutil.rmtree(jpool, ignore_errors=True)
    made = measure([PY, str(ROOT / "scripts" / "make_scale_inputs.py"), "pool", str(jpool),
                    "--events", str(events), "--json"])
    size = sum(p.stat().st_size for p in jpool.rglob("*.jsonlog"))
    r = timed([PY, "-m", "importers", "compact", str(jpool)], workdir / "compact.out")
    if "error" in r:
        print(f"scale compact: {events:,} events failed: {r['error']}", flush=True)
        shutil.rmtree(jpool, ignore_errors=True)
        return {"events": events, "error": r["error"]}
    shards = list((jpool / ".ev-parquet").rglob("*.parquet"))
    row = {"events": events, "json_mb": size / 1e6, "seconds": r["seconds"],
           "cpu_s": r["cpu_s"], "rss_mib": r["rss_mib"], "events_per_s": events / r["seconds"],
           "mb_per_s": size / 1e6 / r["seconds"], "shards": len(shards),
           "parquet_mb": sum(p.stat().st_size for p in shards) / 1e6,
           "memory_limit": os.environ.get("EV_COMPACT_MEMORY", "1GB")}
    print(f"scale compact: {events:,} events ({size / 1e6:.0f} MB of JSON in "
          f"{len(list(jpool.rglob('*.jsonlog')))} files, made in {made['seconds']:.0f} s) -> "
          f"{len(shards)} shards ({row['parquet_mb']:.0f} MB): {r['seconds']:.1f} s wall, "
          f"{r['cpu_s']:.1f} s CPU, {row['events_per_s']:,.0f} events/s, "
          f"{row['mb_per_s']:.1f} MB/s, peak rss {r['rss_mib']:.0f} MiB", flush=True)
    shutil.rmtree(jpool, ignore_errors=True)
    return row


def bench_pool(events: int, compact_n: int, repeat: int, workdir: Path,
               keep: bool = False) -> dict:
    row: dict = {"events": events}
    if compact_n:
        row["compact"] = bench_compact(compact_n, workdir)
    big = workdir / f"parquet-{events}"
    if (big / ".ev-parquet" / "manifest.json").exists():
        print(f"scale pool: reusing {big}", flush=True)
        made = {"seconds": 0.0}
    else:
        made = measure([PY, str(ROOT / "scripts" / "make_scale_inputs.py"), "pool", str(big),
                        "--events", str(events), "-j", "2", "--resume"])
    shards = list(big.rglob("*.parquet"))
    size = sum(p.stat().st_size for p in shards)
    rows = json.loads((big / ".ev-parquet" / "manifest.json").read_bytes())["rows"]
    print(f"scale pool: {rows:,} events as {len(shards):,} Parquet shards ({size / 1e9:.2f} GB),"
          f" replicated from the fixtures' pool in {made['seconds']:.0f} s (not compacted from "
          "JSON: see compact's rate above)", flush=True)
    row.update(rows=rows, parquet_gb=size / 1e9, shards=len(shards),
               replicate_s=made["seconds"])
    row["analyses"] = bench_analyses(big, repeat, workdir)
    if not keep:
        shutil.rmtree(big, ignore_errors=True)
    return row


def run_scale(sizes: list[int] | None, repeat: int, workdir: Path) -> list[dict]:
    nodes = sizes[0] if sizes else 1000
    results = [{"bench": "scale-import", **bench_import(nodes, repeat, workdir)}]
    if not sizes or len(sizes) > 1:
        results += run_scale_pool(sizes[1:] if sizes else None, repeat, workdir)
    return results


def run_scale_pool(sizes: list[int] | None, repeat: int, workdir: Path) -> list[dict]:
    """Only the big pool: compact's rate, then the analyses on ``--events`` events (a
    ``--workdir`` keeps the pool for another run)."""
    events = sizes[0] if sizes else big_events()
    keep = bool(os.environ.get("EV_SCALE_KEEP"))
    return [{"bench": "scale-pool",
             **bench_pool(events, min(compact_events(), events), repeat, workdir, keep)}]


BENCHES: dict = {}
RUNNERS = {"scale": run_scale, "scale-pool": run_scale_pool}


if __name__ == "__main__":
    if sys.argv[1] == "--floor":
        child_floor(*sys.argv[2:4])
    elif sys.argv[1] == "--parsl":
        child_parsl(*sys.argv[2:5])
    elif sys.argv[1] == "--rss":
        child_rss(sys.argv[2:])
    elif sys.argv[1] == "--analysis-only":
        bench_analyses(Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
