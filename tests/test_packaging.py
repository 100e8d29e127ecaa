"""CI tests the *installed* package, not the source tree: a packaging regression (a
subpackage left out of the wheel, a module only importable from the checkout) must fail CI.

`.ci/run` installs with `pip install '.[test]'` (not editable) and runs the tests from
outside the checkout with PYTHONSAFEPATH=1, so neither `import importers` here nor
`python -m importers` in a subprocess started in the checkout can pick up ./importers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

import importers

IN_CI = os.environ.get("CI") == "true"


def _outside_checkout(path: str) -> bool:
    return not Path(path).resolve().is_relative_to(ROOT / "importers")


@pytest.mark.skipif(not IN_CI, reason="outside CI the tests may run on an editable install")
def test_ci_imports_the_installed_package() -> None:
    assert _outside_checkout(importers.__file__), (
        f"CI imported importers from the checkout ({importers.__file__}): run the tests as "
        ".ci/run does, against `pip install .`")
    here = subprocess.run([sys.executable, "-c", "import importers; print(importers.__file__)"],
                          capture_output=True, text=True, cwd=ROOT, check=True).stdout.strip()
    assert _outside_checkout(here), f"a subprocess in the checkout imports {here}"


def test_every_package_of_the_tree_is_installed() -> None:
    """Each directory of importers/ with Python modules is a package setuptools finds, so
    the installed package has every source (the registry lists them by walking it)."""
    from setuptools import find_packages

    found = set(find_packages(ROOT, include=["importers", "importers.*"]))
    dirs = {".".join(p.parent.relative_to(ROOT).parts)
            for p in (ROOT / "importers").rglob("*.py") if "__pycache__" not in p.parts}
    assert dirs <= found, f"directories with modules but no __init__.py: {dirs - found}"
