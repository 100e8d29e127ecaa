"""The Slurm recipe of docs/many_nodes.md on the one-node lab (scripts/ci/slurm.sh starts it).

Two "nodes" are two ``srun`` steps at the end of one batch script, each with its own
node-local dir (what Parsl's ``worker_logdir_root=/tmp/$USER/$SLURM_JOB_ID`` leaves on each
node) and its own host name: the lab has one node, so ``$EV_HOST``, the override meant for
tests, stands in for the second hostname. Each step writes its own pool file into the shared
pool; a re-run on one node replaces that node's file and leaves the other's untouched.

Skipped with the reason where there is no Slurm; under CI=true a missing Slurm fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES, ROOT

RUN_000 = FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "000"
JOB_DIR = "4242"   # stands for $SLURM_JOB_ID: the all-digit dir above <label>/block-N/


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "not root: the Slurm lab (scripts/slurm_lab.sh) needs root"
    if not shutil.which("sbatch") or not shutil.which("srun"):
        return "no Slurm client here: run scripts/ci/slurm.sh (as root) first"
    probe = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                           check=False, timeout=30)
    if probe.returncode != 0 or not any(s.startswith(("idle", "mix", "alloc"))
                                        for s in probe.stdout.split()):
        return f"the Slurm lab's node is not up: {probe.stdout.strip() or probe.stderr.strip()}"
    return None


@pytest.fixture(scope="module")
def slurm() -> None:
    why = _why_not()
    if why and os.environ.get("CI") == "true":
        pytest.fail(f"{why} (CI starts the lab with scripts/ci/slurm.sh)")
    if why:
        pytest.skip(why)


def _node_local(root: Path, block: str) -> Path:
    """What one node's /tmp/$USER/$SLURM_JOB_ID holds: its own block's manager and workers."""
    top = root / JOB_DIR
    shutil.copytree(RUN_000 / "htex_local" / block, top / "htex_local" / block)
    return top


def _pool_files(pool: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(pool.glob("*.jsonlog"))}


def _managers(body: bytes) -> set[str]:
    return {rec["parsl.manager_id"] for rec in map(orjson.loads, body.splitlines())
            if "parsl.manager_id" in rec}


def _env() -> dict[str, str]:
    return dict(os.environ)   # the installed ev-import, as srun and slurmd would run it


def test_two_nodes_write_their_own_files_and_a_rerun_replaces_only_its_own(
        tmp_path, slurm) -> None:
    a = _node_local(tmp_path / "node-a-tmp", "block-0")
    b = _node_local(tmp_path / "node-b-tmp", "block-1")
    pool = tmp_path / "shared-pool"
    step = f"{sys.executable} -m importers node-import --pool {pool} --tz UTC -j 2"
    script = tmp_path / "job.sh"
    script.write_text(
        "#!/bin/bash\n"
        "# ... the workflow ran here; then, at the end of the batch script, one import\n"
        "# per node (srun --ntasks-per-node=1); two steps stand for two nodes:\n"
        f"srun --ntasks-per-node=1 --export=ALL,EV_HOST=node-a {step} {a}\n"
        f"srun --ntasks-per-node=1 --export=ALL,EV_HOST=node-b {step} {b}\n")
    out = tmp_path / "job.out"
    done = subprocess.run(["sbatch", "--wait", "-n", "1", "-t", "5", "-o", str(out),
                           "-D", str(tmp_path), str(script)],
                          capture_output=True, text=True, env=_env(), timeout=300, check=False)
    log = out.read_text() if out.exists() else ""
    assert done.returncode == 0, done.stderr + log
    assert "node-import node-a: parsl-logs:" in log and "node-import node-b: parsl-logs:" in log

    first = _pool_files(pool)
    names = sorted(first)
    assert len(names) == 2 and names[0].startswith("parsl-logs-node-a-") \
        and names[1].startswith("parsl-logs-node-b-")
    assert _managers(first[names[0]]) == {"cf4e7d97f4b8"}     # block-0's manager only
    assert _managers(first[names[1]]) == {"a153b77f627e"}     # block-1's
    stat_a = (pool / names[0]).stat()

    # node b again, after one of its worker logs went away: only its file changes
    next(b.rglob("worker_1.log")).unlink()
    again = subprocess.run(["srun", "-n", "1", "-t", "5", "--export=ALL,EV_HOST=node-b",
                            *step.split(), str(b)],
                           capture_output=True, text=True, env=_env(), timeout=300,
                           check=False, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    second = _pool_files(pool)
    assert sorted(second) == names
    assert second[names[0]] == first[names[0]]
    assert (pool / names[0]).stat().st_ino == stat_a.st_ino
    assert (pool / names[0]).stat().st_mtime_ns == stat_a.st_mtime_ns
    assert second[names[1]] != first[names[1]]
    assert b"worker_1.log" in first[names[1]] and b"worker_1.log" not in second[names[1]]
    assert not [p for p in pool.iterdir() if p.name.startswith(".")]


def test_the_epilog_script_imports_the_jobs_node_local_dir(tmp_path, slurm) -> None:
    """scripts/node_import_epilog.sh run with the environment slurmd gives an epilog
    (the lab's own config is shared and is not changed to install it)."""
    local = tmp_path / "local"
    _node_local(local, "block-0")
    pool = tmp_path / "pool"
    env = {**_env(), "SLURM_JOB_ID": JOB_DIR, "SLURM_JOB_USER": "root",
           "EV_NODE_LOGS": str(local / JOB_DIR), "EV_POOL": str(pool), "EV_HOST": "node-c",
           "EV_IMPORT": f"{sys.executable} -m importers"}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "node_import_epilog.sh")],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    (name,) = _pool_files(pool)
    assert name.startswith("parsl-logs-node-c-")
    assert _managers((pool / name).read_bytes()) == {"cf4e7d97f4b8"}
    assert not (local / JOB_DIR).exists()     # the epilog removes what it imported
