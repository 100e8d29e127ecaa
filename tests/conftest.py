"""Shared test fixtures: where the real inputs are, and golden-file support.

``pytest --update-goldens`` rewrites the expected outputs under tests/golden/ from the
current code (then review the diff like any other change), as pygments' test suite does.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", help="rewrite tests/golden/* from the code"
    )


def parsl_releases() -> list[Path]:
    """Every fixtures/parsl/<release>/ that holds a runinfo/monitoring.db, oldest release
    first (by version, so 1.2.0 < 2024.3.4 < 2024.12.30; a ``-json`` twin after its release)."""
    def version(release: Path) -> tuple:
        number, _, variant = release.name.partition("-")
        return tuple(int(x) if x.isdigit() else 0 for x in number.split(".")), variant

    return sorted((p.parent.parent for p in FIXTURES.glob("parsl/*/runinfo/monitoring.db")),
                  key=version)


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare records with tests/golden/<name>.jsonl, or rewrite it with --update-goldens.

    ``ev.origin`` is made relative to the checkout first, so goldens are the same on every
    checkout (paths *inside* the inputs, such as Parsl's rundir, are data and stay as is).
    """

    def check(name: str, records: list[dict]) -> None:
        root = str(ROOT) + "/"
        lines = []
        for rec in records:
            origin = rec.get("ev.origin", "")
            if origin.startswith(root):
                rec = {**rec, "ev.origin": origin[len(root):]}
            lines.append(orjson.dumps(rec, option=orjson.OPT_SORT_KEYS).decode())
        path = GOLDEN / f"{name}.jsonl"
        if request.config.getoption("--update-goldens") or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            if not request.config.getoption("--update-goldens"):
                pytest.fail(f"golden file {path.name} did not exist; written, review it")
        expected = path.read_text(encoding="utf-8").splitlines()
        assert lines == expected

    return check


_RATE = re.compile(r"; \d+\.\d s, [\d,]+ events/s(?:, [\d,.]+ (?:MB|rows)/s)?")


def without_rate(text: str) -> str:
    """A summary line without its time and rate (``; 0.4 s, 2,950 events/s, 1.2 MB/s``),
    which differ run to run, so the rest can be compared exactly."""
    return _RATE.sub("", text)
