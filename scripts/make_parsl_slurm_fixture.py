#!/usr/bin/env python3
"""Generate a REAL Parsl-on-Slurm fixture: a Parsl run whose blocks are Slurm batch jobs.

Runs a small Parsl workflow with a HighThroughputExecutor on a ``SlurmProvider`` (partition
``debug``, 1 node per block, one block) against the one-node lab cluster of
``scripts/slurm_lab.sh``, with MonitoringHub on, into ``<out>/runinfo/``. Before Parsl starts,
a "blocker" job takes both CPUs of the node for a few seconds, so the Parsl block waits in the
queue (Reason ``Resources``) and the fixture shows a real queue wait. When the run is over and
the block jobs are final in accounting, the script saves

* ``<out>/sacct_P.txt``: ``sacct -P -o <ev-import's wide field list>`` (with header) of the
  block jobs, in local time, exactly what a user would save and import with
  ``ev-import sacct --file``;
* ``<out>/metadata.json`` and ``<out>/README.txt``: versions, job ids, what was done.

CurveZMQ keys (``certificates/`` under runinfo) are deleted before the fixture is kept.

Usage (as root, lab running; the venv's python must be used so the worker pool is found)::

    python3 -m venv /tmp/fx-parsl/vnew
    /tmp/fx-parsl/vnew/bin/pip install 'parsl[monitoring]==2026.10.26'
    /tmp/fx-parsl/vnew/bin/python scripts/make_parsl_slurm_fixture.py \\
        --out fixtures/parsl-slurm/2026.10.26

The job script needs ``process_worker_pool.py`` on PATH inside the Slurm job: ``worker_init``
puts this venv's bin directory first on PATH.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)


def sacct_fields() -> str:
    from importers.sources.sacct import SACCT_FIELDS

    return ",".join(SACCT_FIELDS)


def build_config(run_dir: str):
    from parsl.config import Config
    from parsl.executors import HighThroughputExecutor
    from parsl.launchers import SingleNodeLauncher
    from parsl.monitoring.monitoring import MonitoringHub
    from parsl.providers import SlurmProvider

    bindir = os.path.dirname(sys.executable)
    provider = SlurmProvider(
        partition="debug",
        nodes_per_block=1,
        init_blocks=1,
        min_blocks=0,
        max_blocks=1,
        walltime="00:05:00",
        exclusive=False,
        launcher=SingleNodeLauncher(),
        worker_init=f"export PATH={bindir}:$PATH",
        cmd_timeout=30,
    )
    htex = HighThroughputExecutor(
        label="htex_slurm",
        provider=provider,
        address="127.0.0.1",
        cores_per_worker=1,
        max_workers_per_node=1,
        heartbeat_period=2,
        heartbeat_threshold=10,
        worker_debug=True,
    )
    hub = MonitoringHub(
        resource_monitoring_enabled=True,
        resource_monitoring_interval=1,
        workflow_name="ev_import_slurm_fixture",
    )
    return Config(executors=[htex], monitoring=hub, run_dir=run_dir, strategy="simple",
                  strategy_period=1, max_idletime=5.0)


def run_workflow(run_dir: str) -> None:
    import parsl
    from parsl import bash_app, python_app

    @python_app
    def add(a, b):
        return a + b

    @python_app
    def where():
        import os as _os
        import socket as _socket

        return _socket.gethostname(), _os.environ.get("SLURM_JOB_ID")

    @bash_app
    def hello(stdout=parsl.AUTO_LOGNAME, stderr=parsl.AUTO_LOGNAME):
        return "echo hello from job $SLURM_JOB_ID; sleep 1"

    dfk = parsl.load(build_config(run_dir))
    try:
        print("add:", add(1, 2).result(), flush=True)
        print("where:", where().result(), flush=True)
        print("hello:", hello().result(), flush=True)
        time.sleep(2)
    finally:
        dfk.cleanup()
        parsl.clear()


def block_job_ids(db: str) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("select distinct job_id from block where job_id is not null")
        return sorted({str(r[0]) for r in rows})


def wait_final(jobs: list[str], timeout: float = 120.0) -> None:
    """Poll ``sacct -j`` until every job row has a final state and an End time."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = subprocess.run(
            ["sacct", "-n", "-P", "-X", "-j", ",".join(jobs), "-o", "JobID,State,End"],
            capture_output=True, text=True, check=False,
        ).stdout.split("\n")
        rows = [r for r in out if r]
        if len(rows) >= len(jobs) and all(
            r.split("|")[1].split()[0] not in ("PENDING", "RUNNING", "COMPLETING")
            and r.split("|")[2] not in ("Unknown", "") for r in rows
        ):
            return
        time.sleep(0.5)
    sys.exit(f"block jobs {jobs} not final in accounting after {timeout:.0f}s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="e.g. fixtures/parsl-slurm/<parsl version>")
    ap.add_argument("--blocker-seconds", type=int, default=8,
                    help="how long a job holds both CPUs before Parsl's block may start")
    ap.add_argument("--run-once", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    run_dir = os.path.join(out, "runinfo")
    bindir = os.path.dirname(sys.executable)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")

    if args.run_once:
        os.chdir(out)
        run_workflow(run_dir)
        return

    import parsl

    os.makedirs(out, exist_ok=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    for name in ("metadata.json", "README.txt", "sacct_P.txt"):
        if os.path.exists(os.path.join(out, name)):
            os.remove(os.path.join(out, name))
    started = datetime.datetime.now(datetime.timezone.utc)
    ncpus = os.cpu_count() or 2
    blocker = subprocess.run(
        ["sbatch", "--parsable", "-J", "blocker", "-p", "debug", "-c", str(ncpus),
         "-o", "/dev/null", "--wrap", f"sleep {args.blocker_seconds}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip().split(";")[0]
    print(f"== blocker job {blocker} holds {ncpus} CPUs for {args.blocker_seconds}s", flush=True)
    child = [sys.executable, os.path.abspath(__file__), "--out", out, "--run-once"]
    rc = subprocess.call(child, cwd=out, timeout=600)
    print(f"== workflow exited rc={rc}", flush=True)
    if rc:
        sys.exit(rc)

    notes = []
    for dirpath, dirnames, _files in os.walk(run_dir):
        if "certificates" in dirnames:
            shutil.rmtree(os.path.join(dirpath, "certificates"))
            dirnames.remove("certificates")
            notes.append("removed " + os.path.relpath(os.path.join(dirpath, "certificates"), out))
    db = os.path.join(run_dir, "monitoring.db")
    jobs = block_job_ids(db)
    if not jobs:
        sys.exit("no block job ids in the monitoring DB")
    wait_final(jobs + [blocker])
    fields = sacct_fields()
    saved = subprocess.run(
        ["sacct", "-P", "-a", "-j", ",".join(jobs), "-o", fields],
        capture_output=True, text=True, check=True,
    ).stdout
    with open(os.path.join(out, "sacct_P.txt"), "w", encoding="utf-8") as fh:
        fh.write(saved)
    slurm_version = subprocess.run(["sacct", "--version"], capture_output=True, text=True,
                                   check=False).stdout.strip()
    meta = {
        "parsl_version": parsl.__version__,
        "slurm_version": slurm_version,
        "python_version": platform.python_version(),
        "hostname": socket.gethostname(),
        "date_utc": started.isoformat(timespec="seconds"),
        "machine_tz": time.strftime("%Z%z"),
        "block_job_ids": jobs,
        "blocker_job_id": blocker,
        "sacct_command": f"sacct -P -a -j {','.join(jobs)} -o {fields}",
        "notes": notes,
    }
    with open(os.path.join(out, "metadata.json"), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=2, sort_keys=True)
    with open(os.path.join(out, "README.txt"), "w", encoding="utf-8") as fh:
        fh.write(
            f"Parsl {parsl.__version__} on Slurm ({slurm_version}) -- generated by\n"
            "scripts/make_parsl_slurm_fixture.py on the lab cluster of scripts/slurm_lab.sh.\n\n"
            "HTEX label htex_slurm on a SlurmProvider (partition debug, 1 node per block,\n"
            "max 1 block, walltime 5 min), MonitoringHub with resource monitoring.\n"
            f"A blocker job ({blocker}) held every CPU for {args.blocker_seconds} s first,\n"
            "so the block job waited in the queue (Reason Resources).\n\n"
            f"runinfo/      Parsl's run dir (monitoring.db + logs); certificates/ removed\n"
            f"sacct_P.txt   sacct -P -a -j {','.join(jobs)} -o <ev-import's field list>\n"
            f"              (local time, machine zone {time.strftime('%Z%z')})\n\n"
            "Join: block table job_id (parsl.job_id) = sacct JobID (slurm.jobid).\n"
        )
    print(f"== block jobs {jobs}; fixture in {out}", flush=True)


if __name__ == "__main__":
    main()
