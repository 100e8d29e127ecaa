"""The examples of docs/many_nodes.md run as written, here, wherever they can.

Each example runs in a scratch directory holding a link to the checkout's fixtures, with
``HOME`` and ``USER`` pointing there, so ``~/evpool`` and ``/tmp/$USER/...`` are scratch
too. The batch script's ``srun`` recipe is run on the Slurm lab by
tests/test_node_import_slurm.py; the Spark example needs a Spark installation and is only
shown.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES, ROOT

from importers import analysis as ev

DOC = (ROOT / "docs" / "many_nodes.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", DOC, re.S)
INDENTED = [m.group(1).strip() for m in re.finditer(r"\n\n    (ev-import [^\n]+)\n", DOC)]


def _block(lang: str, containing: str) -> str:
    (code,) = [code for lang_, code in BLOCKS if lang_ == lang and containing in code]
    return code


def _scratch(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "fixtures").symlink_to(FIXTURES)
    bindir = Path(sys.executable).parent
    return {**os.environ, "HOME": str(tmp_path), "USER": "evdoc",
            "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}


def _parsl() -> None:
    try:
        import parsl  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("Parsl is not installed; CI installs '.[parsl]'")
        pytest.skip("Parsl is not installed (pip install '.[parsl]')")


def test_the_node_import_command_runs_as_written(tmp_path) -> None:
    env = _scratch(tmp_path)
    env["SLURM_JOB_ID"] = "4242"
    local = Path("/tmp/evdoc/4242")
    try:
        (local / "htex_local").mkdir(parents=True, exist_ok=True)
        block = FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "000" / "htex_local" / "block-0"
        subprocess.run(["cp", "-r", str(block), str(local / "htex_local")], check=True)
        (command,) = [c for c in INDENTED if c.startswith("ev-import node-import")]
        done = subprocess.run(command, shell=True, env=env, cwd=tmp_path, capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert "parsl-logs: 3 files" in done.stderr          # the manager and 2 workers
        (written,) = (tmp_path / "evpool").glob("parsl-logs-*.jsonlog")
        records = [orjson.loads(line) for line in written.read_bytes().splitlines()]
        # the job id stands for the run dir: blocks, managers and workers stay keyed
        assert {(r["parsl.block_id"], r["parsl.manager_id"]) for r in records} == \
            {("0", "cf4e7d97f4b8")}
        assert {r.get("parsl.worker_id") for r in records} == {None, 0, 1}
    finally:
        subprocess.run(["rm", "-rf", "/tmp/evdoc"], check=False)


def test_the_parsl_config_for_node_local_logs_builds(tmp_path) -> None:
    _parsl()
    env = {**_scratch(tmp_path), "SLURM_JOB_ID": "4242"}
    code = _block("python", "worker_logdir_root") + \
        "\nprint(config.executors[0].worker_logdir)\n"
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "/tmp/evdoc/4242/htex"


def test_the_parsl_example_imports_on_a_real_htex_executor(tmp_path) -> None:
    _parsl()
    done = subprocess.run([sys.executable, "-c", _block("python", "import_paths")],
                          env=_scratch(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                          check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "parsl-logs: " in done.stdout and "apps on parsl:ev" in done.stdout
    assert len(list((tmp_path / "evpool").glob("*.jsonlog"))) == 3   # 2 run dirs + the DB


def test_compact_and_the_dask_example_run_as_written(tmp_path) -> None:
    try:
        import dask  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("dask is not installed; CI installs '.[dask]'")
        pytest.skip("dask is not installed (pip install '.[dask]')")
    env = _scratch(tmp_path)
    run = FIXTURES / "parsl" / "2026.10.26" / "runinfo"
    for command in (f"ev-import auto {run} --pool evpool -q",
                    *[c for c in INDENTED if c.startswith("ev-import compact")]):
        done = subprocess.run(command, shell=True, env=env, cwd=tmp_path, capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-c", _block("python", "dask.dataframe")], env=env,
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "parsl-db" in done.stdout and "parsl-logs" in done.stdout


BIG = [c for c in re.findall(r"\n    ((?:EV_DUCKDB_MEMORY=\S+ ev-import|python scripts/"
                             r"make_scale_inputs\.py) [^\n]+)", DOC) if "pool-1e8" in c]


def test_the_big_pool_commands_run_as_written_on_a_smaller_pool(tmp_path) -> None:
    """The 10^8-event recipe at 10^5 events (1e8 -> 1e5, the pool in tmp_path): the
    replicated shards read as a compacted pool, and replicas are distinct things."""
    assert len(BIG) == 4, BIG
    env = _scratch(tmp_path)
    outputs = {}
    for command in BIG:
        command = command.replace("/scratch/pool-1e8", str(tmp_path / "pool")).replace(
            "--events 1e8", "--events 1e5").replace("python scripts/", f"python {ROOT}/scripts/")
        done = subprocess.run(command, shell=True, env=env, cwd=tmp_path, capture_output=True,
                              text=True, check=False, timeout=600)
        assert done.returncode == 0, (command, done.stderr)
        outputs[command.split(" ")[2] if command.startswith("EV_") else "pool"] = done.stdout
    with ev.open_pool(tmp_path / "pool") as pool:
        manifest = orjson.loads((tmp_path / "pool/.ev-parquet/manifest.json").read_bytes())
        assert pool.parquet and pool.files == [] and manifest["replicas"] == 3
        assert pool.schema.rows == 3 * manifest["base_rows"]
        runs = pool.sql('SELECT count(DISTINCT "parsl.run_id") FROM events').fetchall()[0][0]
    tasks = (tmp_path / "tasks.csv").read_text().splitlines()
    per_replica = (len(tasks) - 1) / 3
    assert per_replica == int(per_replica) > 10 and runs % 3 == 0
    assert orjson.loads((tmp_path / "alive.json").read_bytes())["max"] >= 1
    assert orjson.loads((tmp_path / "breakdown.json").read_bytes())["run"].endswith("-r2")
