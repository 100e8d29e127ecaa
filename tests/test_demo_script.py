"""``scripts/demo_fibonacci.py`` runs end to end as the README says (a short run: 3 steps of
0.2 s) and prints a breakdown read from the pool it built.

It needs academy-py and Parsl (``pip install '.[demo]'``) and Debian's ``redis-server``
(``scripts/ci/demo.sh`` installs both in CI, where their absence fails the test).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

MISSING = [name for name, ok in (
    ("academy-py", importlib.util.find_spec("academy") is not None),
    ("parsl", importlib.util.find_spec("parsl") is not None),
    ("redis-server", shutil.which("redis-server") is not None),
    ("matplotlib", importlib.util.find_spec("matplotlib") is not None),
) if not ok]


def test_demo_runs_and_its_breakdown_adds_up(tmp_path) -> None:
    if MISSING:
        reason = "the demo needs " + ", ".join(MISSING) + " (pip install '.[demo]'; " \
            "apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    out = tmp_path / "demo-out"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo_fibonacci.py"), "--out", str(out),
         "--iterations", "3", "--sleep", "0.2", "--no-watch"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "action_execution" in proc.stdout and "naive expectation 1.20 s" in proc.stdout
    results = json.loads((out / "run" / "results.json").read_text())
    assert results["values"] == [1, 1, 2]
    answer = json.loads((out / "breakdown.json").read_text())
    assert answer["naive_s"] == pytest.approx(1.2)
    assert sum(p["seconds"] for p in answer["phases"]) == pytest.approx(answer["wall_s"])
    execution = next(p["seconds"] for p in answer["phases"] if p["phase"] == "action_execution")
    assert 0.6 <= execution < 1.0  # 3 x 0.2 s inside the agent
    assert (out / "timeline.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "run" / "redis" / "redis-server.log").read_text().count("Ready to accept") == 1
