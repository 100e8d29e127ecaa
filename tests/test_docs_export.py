"""Every example in docs/export.md runs as written.

The page's blocks run in order in a scratch directory that sees the checkout's ``fixtures/``:
``console`` blocks line by line (``$ `` lines) with the installed ``ev-import``, ``python``
blocks in one shared namespace. A function a block only defines (``send_to``) is called here
against a local stand-in collector.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import doc_examples
import pytest
from conftest import ROOT

DOC = ROOT / "docs" / "export.md"


def blocks() -> list[tuple[str, str]]:
    return doc_examples.blocks(DOC)


def test_the_page_has_examples_of_each_kind() -> None:
    kinds = [kind for kind, _ in blocks()]
    assert kinds.count("console") >= 3 and kinds.count("python") >= 4


def test_every_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("opentelemetry.proto.logs.v1.logs_pb2")
    pytest.importorskip("duckdb")
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "TZ": "UTC",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    outputs, namespace = doc_examples.run_examples(DOC, tmp_path, env, timeout=120)
    # The follow examples printed what the pool holds (they use --since).
    [(_, actions)] = [o for o in outputs if "execute_start" in o[0]]
    assert "Invoking action" in actions
    assert (tmp_path / "pool.otlp.jsonl").stat().st_size > 0
    assert namespace["stats"].slices > 0 and (tmp_path / "actions.trace.json").exists()
    [(_, lines)] = [o for o in outputs if o[0].startswith("cat livepool")]
    assert int(lines) > 300          # auto --follow imported the run's text logs

    from test_export_otlp import Collector
    server = Collector([])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        namespace["send_to"](f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    assert server.received
