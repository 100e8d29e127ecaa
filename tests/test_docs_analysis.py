"""Every example in docs/analysis.md runs as written.

The page's blocks run in order in a scratch directory that sees the checkout's ``fixtures/``:
``console`` blocks line by line (``$ `` lines) with the installed ``ev-import``, ``python``
blocks in one shared namespace (they assert what they claim).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import doc_examples
import pytest
from conftest import ROOT

DOC = ROOT / "docs" / "analysis.md"


def blocks() -> list[tuple[str, str]]:
    return doc_examples.blocks(DOC)


def test_the_page_shows_every_analysis_command() -> None:
    text = "".join(body for kind, body in blocks() if kind == "console")
    for command in ("show", "sql", "export", "lifetimes", "concurrency"):
        assert f"$ ev-import {command} " in text, command


def test_every_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("duckdb")
    pytest.importorskip("pandas")
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EV_CACHE_DIR", str(tmp_path / "cache"))
    env = {**os.environ, "TZ": "UTC", "EV_CACHE_DIR": str(tmp_path / "cache"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    outputs, namespace = doc_examples.run_examples(DOC, tmp_path, env, timeout=300)
    outputs = dict(outputs)
    shown = outputs["ev-import show evpool --where linux.pid=28812 --tz UTC"]
    assert "Received executor task" in shown and "academy" in shown
    assert (tmp_path / "jobs.csv").stat().st_size and (tmp_path / "pool.parquet").stat().st_size
    chain = namespace["chain"]
    [agent] = chain[chain["process"] == 28812].to_dict("records")
    assert agent["hops"] == ["academy->worker", "manager->host", "block->job"]
