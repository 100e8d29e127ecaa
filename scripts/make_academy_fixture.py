#!/usr/bin/env python3
"""Generate a REAL Academy fixture: JSON pool logs + the Parsl run dir.

An Academy ``Manager`` launches one agent (``Counter``) through a Parsl
HighThroughputExecutor wrapped in ``parsl.concurrent.ParslPoolExecutor``
(a ``concurrent.futures.Executor``), talks to it over a local HTTP exchange
(``academy.exchange.cloud.client.spawn_http_exchange`` on 127.0.0.1, no
auth, no external server), calls a few actions, then shuts it down.

Academy JSON pool logging (``academy.logging.configs.jsonpool.JSONPoolLogging``)
is on for the manager (this process) and, via the pickled log config, inside
the HTEX worker that runs the agent.  ``ACADEMY_HOME`` is set to
``<out>/academy_home`` so the pool lands in
``<out>/academy_home/logs/<pool-uuid>/<instance-uuid>.jsonlog``.  The Parsl
run dir is ``<out>/runinfo`` (``worker_debug=True``, monitoring on), so a test
can join an Academy record's ``process`` (pid) to the htex worker log whose
lines carry the same pid.

How to rerun::

    python3 -m venv /tmp/fx-parsl/vacad
    /tmp/fx-parsl/vacad/bin/pip install 'academy-py==1.0.0' \\
        'parsl[monitoring]==2026.10.26'
    /tmp/fx-parsl/vacad/bin/python scripts/make_academy_fixture.py \\
        --out fixtures/academy/1.0.0

Run it with the venv's python directly (its bin dir is put on PATH so the
LocalProvider finds ``process_worker_pool.py``).  ``<out>/runinfo``,
``<out>/academy_home`` and the metadata files are replaced on each run.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import shutil
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    from academy.agent import Agent, action
except ImportError:  # only needed when actually generating
    Agent = object  # type: ignore[assignment,misc]

    def action(f):  # type: ignore[no-redef]
        return f


class Counter(Agent):
    """Tiny agent: a couple of actions, one of which raises."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def agent_on_startup(self) -> None:
        import logging
        logging.getLogger(__name__).info("Counter agent starting, pid=%d",
                                         os.getpid())

    @action
    async def increment(self, value: int = 1) -> int:
        self.count += value
        return self.count

    @action
    async def get_count(self) -> int:
        return self.count

    @action
    async def whoami(self) -> dict:
        return {"pid": os.getpid(), "host": socket.gethostname()}

    @action
    async def explode(self) -> None:
        raise ValueError("fixture: deliberate action failure")


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def build_parsl_config(run_dir: str):
    import inspect

    from parsl.config import Config
    from parsl.executors import HighThroughputExecutor
    from parsl.providers import LocalProvider
    try:
        from parsl.monitoring.monitoring import MonitoringHub
    except ImportError:  # pragma: no cover
        from parsl.monitoring import MonitoringHub

    params = inspect.signature(HighThroughputExecutor.__init__).parameters
    kw = dict(label="htex_local", worker_debug=True, cores_per_worker=1,
              address="127.0.0.1", loopback_address="127.0.0.1",
              heartbeat_period=2, heartbeat_threshold=10,
              provider=LocalProvider(init_blocks=1, min_blocks=0,
                                     max_blocks=1))
    kw["max_workers_per_node" if "max_workers_per_node" in params
       else "max_workers"] = 2
    kw = {k: v for k, v in kw.items() if k in params}
    mparams = inspect.signature(MonitoringHub.__init__).parameters
    mkw = dict(monitoring_debug=True, resource_monitoring_enabled=True,
               resource_monitoring_interval=1,
               workflow_name="academy_fixture")
    if mparams["hub_address"].default is inspect.Parameter.empty:
        mkw["hub_address"] = "127.0.0.1"
    return Config(executors=[HighThroughputExecutor(**kw)],
                  monitoring=MonitoringHub(**mkw),
                  run_dir=run_dir, strategy="none")


async def scenario(run_dir: str, port: int) -> dict:
    # The agent class must be importable on the worker by module name, not
    # as __main__.Counter: import this file as a module.
    import make_academy_fixture as mod
    from academy.exchange.cloud.client import spawn_http_exchange
    from academy.logging.configs.jsonpool import JSONPoolLogging
    from academy.manager import Manager
    from parsl.concurrent import ParslPoolExecutor

    results: dict = {}
    log_config = JSONPoolLogging()
    results["pool_uuid"] = str(log_config.uuid)
    with spawn_http_exchange("127.0.0.1", port, timeout=30) as factory:
        with ParslPoolExecutor(build_parsl_config(run_dir)) as pool:
            async with await Manager.from_exchange_factory(
                factory, executors=pool, log_config=log_config,
            ) as manager:
                handle = await manager.launch(mod.Counter, name="counter")
                results["agent_id"] = str(handle.agent_id)
                results["ping_s"] = await handle.ping(timeout=120)
                results["increment_1"] = await handle.increment(1)
                results["increment_5"] = await handle.increment(5)
                results["get_count"] = await handle.get_count()
                results["whoami"] = await handle.whoami()
                try:
                    await handle.explode()
                except Exception as e:  # noqa: BLE001
                    results["explode"] = f"{type(e).__name__}: {e}"
                await manager.shutdown(handle, blocking=True, timeout=120)
                results["shutdown"] = "ok"
            # give the worker a moment to flush logs before the DFK stops
            await asyncio.sleep(1)
    return results


def leftovers(out: str) -> list:
    import psutil
    me = {os.getpid()} | {p.pid for p in psutil.Process().parents()}
    # our own multiprocessing helpers (resource_tracker) are not leftovers
    me |= {c.pid for c in psutil.Process().children(recursive=False)
           if "resource_tracker" in " ".join(c.cmdline())}
    bindir = os.path.dirname(sys.executable)
    res = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        if p.info["pid"] in me:
            continue
        cmd = " ".join(p.info["cmdline"] or [])
        if (out in cmd or bindir in cmd) and any(
                k in cmd for k in ("process_worker_pool", "interchange",
                                   "academy", "parsl", "multiprocessing")):
            res.append(p)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True,
                    help="output dir, e.g. fixtures/academy/<version>")
    ap.add_argument("--port", type=int, default=0,
                    help="HTTP exchange port on 127.0.0.1 (0 = pick free)")
    args = ap.parse_args()

    out = os.path.abspath(args.out)
    run_dir = os.path.join(out, "runinfo")
    home = os.path.join(out, "academy_home")
    os.makedirs(out, exist_ok=True)
    for d in (run_dir, home):
        shutil.rmtree(d, ignore_errors=True)
    for f in ("metadata.json", "README.txt"):
        if os.path.exists(os.path.join(out, f)):
            os.remove(os.path.join(out, f))

    # inherited by the LocalProvider-launched pool and its workers
    os.environ["ACADEMY_HOME"] = home
    os.environ["PATH"] = (os.path.dirname(sys.executable) + os.pathsep
                          + os.environ.get("PATH", ""))
    os.environ["PYTHONPATH"] = HERE + (
        os.pathsep + os.environ["PYTHONPATH"]
        if os.environ.get("PYTHONPATH") else "")
    sys.path.insert(0, HERE)
    os.chdir(out)

    import academy
    import parsl
    try:
        from importlib.metadata import version
        academy_version = version("academy-py")
    except Exception:  # noqa: BLE001
        academy_version = getattr(academy, "__version__", "unknown")

    started = datetime.datetime.now(datetime.timezone.utc)
    port = args.port or free_port()
    results = asyncio.run(scenario(run_dir, port))
    print(json.dumps(results, indent=2, default=str), flush=True)

    notes = []
    deadline = time.time() + 30
    procs = leftovers(out)
    while procs and time.time() < deadline:
        time.sleep(1)
        procs = leftovers(out)
    for p in procs:
        try:
            notes.append(f"killed leftover pid {p.pid}: "
                         f"{' '.join(p.cmdline())[:200]}")
            p.kill()
        except Exception:  # noqa: BLE001
            pass
    for dirpath, dirnames, _ in os.walk(run_dir):
        if "certificates" in dirnames:
            shutil.rmtree(os.path.join(dirpath, "certificates"))
            dirnames.remove("certificates")
            notes.append("removed " + os.path.relpath(
                os.path.join(dirpath, "certificates"), out))

    jsonlogs = sorted(os.path.relpath(os.path.join(dp, f), out)
                      for dp, _, fs in os.walk(home) for f in fs
                      if f.endswith(".jsonlog"))
    meta = {
        "academy_version": academy_version,
        "parsl_version": parsl.__version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "date_utc": started.isoformat(timespec="seconds"),
        "command": " ".join([sys.executable] + sys.argv),
        "exchange": f"academy HTTP exchange (spawn_http_exchange) on "
                    f"127.0.0.1:{port}",
        "executor": "parsl.concurrent.ParslPoolExecutor(HighThroughputExecutor"
                    " htex_local, LocalProvider 1 block, worker_debug=True)",
        "academy_home": "academy_home",
        "run_dir": "runinfo",
        "jsonlogs": jsonlogs,
        "results": results,
        "notes": notes,
    }
    with open(os.path.join(out, "metadata.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
    with open(os.path.join(out, "README.txt"), "w") as f:
        f.write(
            f"Real Academy {academy_version} run (Parsl {parsl.__version__}, "
            f"Python {platform.python_version()}, host "
            f"{socket.gethostname()}, {meta['date_utc']}).\n"
            f"Generated by scripts/make_academy_fixture.py:\n"
            f"  {meta['command']}\n"
            "academy_home/logs/<pool-uuid>/<instance>.jsonlog: Academy "
            "JSONPoolLogging, one file per process that initialised the "
            "pool (manager + htex worker running the agent).\n"
            "runinfo/: Parsl run dir of the HTEX executor the agent ran on "
            "(000/htex_local/block-0/<uid>/worker_N.log, monitoring.db).\n"
            "Join: jsonlog record 'process' == pid in worker_N.log lines.\n")
    print(json.dumps(meta, indent=2, sort_keys=True, default=str))


if __name__ == "__main__":
    main()
