"""Every command and code block of docs/breakdown.md runs as written, in order, from a
directory that looks like a checkout (``fixtures/`` linked in)."""

from __future__ import annotations

import os
import re
import shlex

import pytest
from conftest import FIXTURES, ROOT

pytest.importorskip("matplotlib")
pytest.importorskip("plotly")

from importers.cli import main  # noqa: E402

DOC = (ROOT / "docs" / "breakdown.md").read_text(encoding="utf-8")
COMMANDS = re.findall(r"^    \$ (ev-import .+)$", DOC, flags=re.M)
PYTHON = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)


def test_docs_examples_run(tmp_path, monkeypatch, capsys) -> None:
    assert len(COMMANDS) >= 8 and PYTHON
    (tmp_path / "fixtures").symlink_to(FIXTURES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EV_POOL", raising=False)
    for command in COMMANDS:
        argv = shlex.split(command)[1:]
        assert main(argv) == 0, command
        out = capsys.readouterr()
        if "--out" in argv:
            assert os.path.getsize(argv[argv.index("--out") + 1]) > 1000, command
        elif argv[0] == "breakdown" and "--list" not in argv:
            assert "phase" in out.out, command
    for block in PYTHON:
        exec(compile(block, "docs/breakdown.md", "exec"), {})
    assert "startup" in capsys.readouterr().out
