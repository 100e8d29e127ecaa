#!/usr/bin/env python3
"""The talk's demo, for real: where do 16 x (0.5 s action + 0.5 s client sleep) go?

An Academy ``Fibonacci`` agent runs inside a Parsl HighThroughputExecutor worker (through
``parsl.concurrent.ParslPoolExecutor``, monitoring on), with a real ``redis-server`` as the
exchange (its console output kept in ``<out>/run/redis/redis-server.log``) and Academy's
``JSONPoolLogging`` on both sides (this client process and the htex worker running the
agent). The client calls the agent's ``step`` action 16 times; the agent sleeps 0.5 s inside
each call, and the client sleeps 0.5 s after each answer. Naively that is 16 x 1.0 s = 16 s.

As root, the run is wrapped in ``ev-import watch-procs`` (every fork/exec/exit of the run's
process tree into the pool). Then everything is imported into one pool
(``ev-import auto <out>/run`` next to the watcher's file), and the script prints
``ev-import breakdown --expect 16`` (the answer, read from the pool) and writes the timeline
plot of the agent's messages against the agents' and workers' lifetimes.

Run it (``pip install '.[demo]'`` first; Debian's ``redis-server`` on PATH)::

    python scripts/demo_fibonacci.py --out demo-out

``--fixture DIR`` also copies the run's raw inputs (Academy pool files, Parsl run dir,
Redis console log, the watcher's pool file) and the answer into DIR (the shipped
``fixtures/demo/`` came from ``TZ=Europe/Berlin python scripts/demo_fibonacci.py --out
/tmp/demo --fixture fixtures/demo``: local-time text logs in a zone that is not UTC).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import logging
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:
    from academy.agent import Agent, action
except ImportError:  # the orchestrator and the docs need no Academy
    Agent = object  # type: ignore[assignment,misc]

    def action(f):  # type: ignore[no-redef]
        return f


log = logging.getLogger("demo_fibonacci")


class Fibonacci(Agent):
    """One Fibonacci number per ``step``; each step takes 0.5 s of (simulated) work."""

    def __init__(self, work_s: float = 0.5) -> None:
        super().__init__()
        self.work_s = work_s
        self.a, self.b = 0, 1

    @action
    async def step(self) -> int:
        await asyncio.sleep(self.work_s)
        self.a, self.b = self.b, self.a + self.b
        return self.a


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ev_import(*args: str) -> list[str]:
    """The ``ev-import`` of this interpreter (works from a checkout without the script)."""
    return [sys.executable, "-m", "importers", *args]


def parsl_config(run_dir: str):
    """HTEX on this machine as a user would write it: one LocalProvider block, monitoring on."""
    from parsl.config import Config
    from parsl.executors import HighThroughputExecutor
    from parsl.monitoring import MonitoringHub
    from parsl.providers import LocalProvider

    return Config(
        executors=[
            HighThroughputExecutor(
                label="htex_local",
                address="127.0.0.1",
                loopback_address="127.0.0.1",
                max_workers_per_node=1,
                cores_per_worker=1,
                provider=LocalProvider(init_blocks=1, min_blocks=0, max_blocks=1),
            )
        ],
        monitoring=MonitoringHub(
            resource_monitoring_enabled=True,
            resource_monitoring_interval=1,
            workflow_name="demo_fibonacci",
        ),
        run_dir=run_dir,
    )


async def scenario(run_dir: str, redis_port: int, iterations: int, sleep_s: float) -> dict:
    # The agent class must be importable on the worker by module name.
    import demo_fibonacci as mod
    from academy.exchange import RedisExchangeFactory
    from academy.logging.configs.jsonpool import JSONPoolLogging
    from academy.manager import Manager
    from parsl.concurrent import ParslPoolExecutor

    log_config = JSONPoolLogging()
    results: dict = {"pool_uuid": str(log_config.uuid), "values": []}
    factory = RedisExchangeFactory("127.0.0.1", redis_port)
    with ParslPoolExecutor(parsl_config(run_dir)) as pool:
        async with await Manager.from_exchange_factory(
            factory, executors=pool, log_config=log_config
        ) as manager:
            handle = await manager.launch(mod.Fibonacci, args=(sleep_s,), name="fibonacci")
            results["agent_id"] = str(handle.agent_id)
            t0 = time.monotonic()
            for i in range(iterations):
                value = await handle.step()
                log.info("iteration %d: fibonacci %d", i + 1, value,
                         extra={"demo.iteration": i + 1, "demo.value": value})
                results["values"].append(value)
                await asyncio.sleep(sleep_s)
            results["loop_s"] = time.monotonic() - t0
            await manager.shutdown(handle, blocking=True, timeout=120)
    return results


def start_redis(out: Path) -> tuple[subprocess.Popen, int]:
    """A private redis-server on a free loopback port; its console output is the log."""
    redis_dir = out / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    exe = shutil.which("redis-server")
    if exe is None:
        sys.exit("error: redis-server not found on PATH (Debian: apt-get install redis-server)")
    port = free_port()
    console = open(redis_dir / "redis-server.log", "wb")  # noqa: SIM115 (kept by the child)
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(redis_dir), "--loglevel", "verbose"],
        stdout=console, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"error: redis-server did not answer on 127.0.0.1:{port} within 20 s "
             f"(see {redis_dir / 'redis-server.log'})")


def workload(out: Path, iterations: int, sleep_s: float) -> int:
    """The run itself (the process watch-procs follows): Redis, Parsl, Academy, 16 steps."""
    run = out / "run"
    os.environ["ACADEMY_HOME"] = str(run / "academy_home")
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    os.environ["PYTHONPATH"] = str(HERE) + (
        os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
    sys.path.insert(0, str(HERE))
    redis, port = start_redis(run)
    try:
        results = asyncio.run(scenario(str(run / "runinfo"), port, iterations, sleep_s))
    finally:
        redis.send_signal(signal.SIGTERM)  # a clean shutdown, which Redis logs
        try:
            redis.wait(timeout=20)
        except subprocess.TimeoutExpired:
            redis.kill()
    results.update(redis_port=port, client_pid=os.getpid())
    (run / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results), flush=True)
    return 0


def copy_fixture(out: Path, pool: Path, dest: Path, meta: dict) -> None:
    """The run's raw inputs (not the imported pool: tests import them again) and its answer."""
    run = out / "run"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copytree(run / "academy_home", dest / "academy_home")
    shutil.copytree(run / "runinfo", dest / "runinfo",
                    ignore=shutil.ignore_patterns("certificates"))
    (dest / "redis").mkdir()
    shutil.copy2(run / "redis" / "redis-server.log", dest / "redis" / "redis-server.log")
    for f in pool.glob("watch-procs-*.jsonlog"):
        (dest / "procs").mkdir(exist_ok=True)
        shutil.copy2(f, dest / "procs" / f.name)
    shutil.copy2(run / "results.json", dest / "results.json")
    for name in ("breakdown.json", "breakdown.txt"):
        if (out / name).exists():
            shutil.copy2(out / name, dest / name)
    (dest / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    (dest / "README.txt").write_text(
        f"A real run of the talk's demo (Academy {meta['academy_version']}, Parsl "
        f"{meta['parsl_version']}, {meta['redis_version'].split(' sha')[0]}, Python "
        f"{meta['python_version']}, host {meta['hostname']}, {meta['date_utc']}, "
        f"local zone {meta['tz']}), made by scripts/demo_fibonacci.py:\n"
        f"  {meta['command']}\n"
        "academy_home/logs/<pool-uuid>/*.jsonlog: Academy JSONPoolLogging of the client and "
        "of the htex worker running the agent.\n"
        "runinfo/: the Parsl run dir (monitoring.db, parsl.log, interchange, manager and "
        "worker logs; certificates/ left out).\n"
        "redis/redis-server.log: the exchange's console output (local time).\n"
        "procs/watch-procs-*.jsonlog: ev-import watch-procs around the run (as root).\n"
        "results.json: what the client computed; breakdown.json/.txt: what\n"
        "`ev-import breakdown --expect 16` printed for this run.\n"
        "Import with: ev-import auto fixtures/demo --tz " + meta["tz"] + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="demo-out", help="run directory (default: demo-out)")
    ap.add_argument("--pool", help="pool directory (default: OUT/pool)")
    ap.add_argument("--iterations", type=int, default=16)
    ap.add_argument("--sleep", type=float, default=0.5,
                    help="seconds the action works and the client sleeps (default 0.5)")
    ap.add_argument("--no-watch", action="store_true",
                    help="do not wrap the run in ev-import watch-procs even as root")
    ap.add_argument("--fixture", help="also copy the run's inputs and answer into this dir")
    ap.add_argument("--workload", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    out = Path(args.out).resolve()
    if args.workload:
        return workload(out, args.iterations, args.sleep)

    pool = Path(args.pool).resolve() if args.pool else out / "pool"
    for d in (out / "run", pool):
        shutil.rmtree(d, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    pool.mkdir(parents=True)
    started = datetime.datetime.now(datetime.timezone.utc)

    cmd = [sys.executable, str(Path(__file__).resolve()), "--workload", "--out", str(out),
           "--iterations", str(args.iterations), "--sleep", str(args.sleep)]
    watched = os.geteuid() == 0 and not args.no_watch
    if watched:
        cmd = ev_import("watch-procs", "--pool", str(pool), "--", *cmd)
    else:
        print("demo: not root (or --no-watch): no process events; the breakdown still works",
              file=sys.stderr)
    print("demo: running", " ".join(cmd), file=sys.stderr, flush=True)
    rc = subprocess.call(cmd)
    if rc not in (0, 1):  # 1: watch-procs counted a lost event; the run itself is fine
        print(f"demo: the run failed (exit {rc})", file=sys.stderr)
        return rc

    subprocess.check_call(ev_import("auto", str(out / "run"), "--pool", str(pool)))
    expect = args.iterations * 2 * args.sleep
    bd = subprocess.run(ev_import("breakdown", str(pool), "--expect", f"{expect:g}"),
                        capture_output=True, text=True)
    sys.stdout.write(bd.stdout)
    sys.stderr.write(bd.stderr)
    (out / "breakdown.txt").write_text(bd.stdout)
    bdj = subprocess.run(ev_import("breakdown", str(pool), "--expect", f"{expect:g}", "--json"),
                         capture_output=True, text=True)
    (out / "breakdown.json").write_text(bdj.stdout)
    for name in ("timeline.png", "timeline.html"):
        p = subprocess.run(ev_import("plot", str(pool), "--preset", "academy-messages",
                                     "--out", str(out / name)), capture_output=True, text=True)
        sys.stderr.write(p.stderr)
    print(f"demo: pool {pool}; plots {out / 'timeline.png'}, {out / 'timeline.html'}",
          file=sys.stderr)

    if args.fixture:
        from importlib.metadata import version

        import academy  # noqa: F401  (versions for the record)
        import parsl

        redis_version = subprocess.run(["redis-server", "--version"], capture_output=True,
                                       text=True).stdout.strip()
        meta = {
            "academy_version": version("academy-py"),
            "parsl_version": parsl.__version__,
            "redis_version": redis_version,
            "python_version": platform.python_version(),
            "platform": platform.platform(),
            "hostname": socket.gethostname(),
            "tz": os.environ.get("TZ") or time.tzname[0],
            "date_utc": started.isoformat(timespec="seconds"),
            "command": (f"TZ={os.environ['TZ']} " if os.environ.get("TZ") else "")
            + "python scripts/demo_fibonacci.py " + " ".join(sys.argv[1:]),
            "iterations": args.iterations,
            "sleep_s": args.sleep,
            "watch_procs": watched,
        }
        copy_fixture(out, pool, Path(args.fixture).resolve(), meta)
        print(f"demo: fixture written to {args.fixture}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
