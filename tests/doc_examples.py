"""Running a docs page's examples as written: what the docs tests share.

A page's ```console blocks run line by line (its ``$ `` lines, with the installed
``ev-import``), its ```python blocks in one shared namespace (they assert what they
claim), all in order, in a scratch directory.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

BLOCK = re.compile(r"```(console|python)\n(.*?)```", re.S)


def blocks(doc: Path) -> list[tuple[str, str]]:
    """``(kind, body)`` of each console or python block of ``doc``, in page order."""
    return BLOCK.findall(doc.read_text(encoding="utf-8"))


def run_examples(doc: Path, cwd: Path, env: dict[str, str],
                 timeout: float) -> tuple[list[tuple[str, str]], dict]:
    """Every example of ``doc``: ``(command, stdout)`` of each console line, and the python
    blocks' namespace. A command that fails fails the test with its stderr."""
    outputs: list[tuple[str, str]] = []
    namespace: dict = {}
    for kind, body in blocks(doc):
        if kind == "console":
            for line in body.splitlines():
                if not line.startswith("$ "):
                    continue
                proc = subprocess.run(["bash", "-c", line[2:]], cwd=cwd, env=env,
                                      capture_output=True, text=True, timeout=timeout)
                assert proc.returncode == 0, f"{line}\n{proc.stderr}"
                outputs.append((line[2:], proc.stdout))
        else:
            exec(compile(body, str(doc), "exec"), namespace)   # noqa: S102 - our own docs
    return outputs, namespace
