"""Every importer over every item of the bad-input corpus (fixtures/bad/, made from the real
fixtures by scripts/make_bad_corpus.py, plus the FIFO, directory, symlinks and 10 MB line
its make_specials() makes here).

What each run must do, whatever the item (docs/design.md §5):
- finish at once (an alarm ends a hang, e.g. a FIFO opened for reading);
- exit 0, 1 or 2 and never raise: 2 is exactly one ``error:`` line and nothing in the pool;
  0 means nothing was unparsed;
- leave no temporary file in the pool;
- account for every input line of a text input: the lines of its records (``ev.lineno`` ..
  + ``ev.line_count``), unparsed ones included, cover every line but blank lines and a
  column header.
"""

from __future__ import annotations

import importlib.util
import signal
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES, ROOT

from importers.cli import main

BAD = FIXTURES / "bad"
_spec = importlib.util.spec_from_file_location("make_bad_corpus",
                                               ROOT / "scripts" / "make_bad_corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

IMPORTERS = {
    "parsl-db": ["parsl-db", "{}"],
    "parsl-logs": ["parsl-logs", "{}"],
    "redis-log": ["redis-log", "{}", "--tz", "UTC"],
    "sacct": ["sacct", "--file", "{}", "--tz", "UTC"],
    "squeue": ["squeue", "--file", "{}", "--tz", "UTC"],
    "procs": ["procs", "{}", "--start", "2026-11-25T08:50:00", "--tz", "UTC"],
    "auto": ["auto", "{}", "--tz", "UTC"],
}
SPECIALS = ["fifo-no-writer", "a-directory", "dangling-symlink", "symlink-loop",
            "parsl-log.10mb-single-line", "run-dir-with-strangers"]
ITEMS = sorted(p.name for p in BAD.iterdir() if p.name != "README.txt") + SPECIALS
SECONDS = 30


class Hung(Exception):
    pass


@pytest.fixture(scope="module")
def specials(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("specials")
    corpus.make_specials(directory)
    return directory


def run(argv: list[str], capsys) -> tuple[int, str]:
    def on_alarm(signum, frame):
        raise Hung(f"ev-import {' '.join(argv)}: no answer in {SECONDS} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(SECONDS)
    try:
        code = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return code, capsys.readouterr().err


def line_count(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def unaccounted(path: Path, records: list[dict]) -> list[int]:
    """Line numbers of ``path`` no record covers (blank lines and a header excepted)."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    covered: set[int] = set()
    for rec in records:
        if rec.get("ev.origin") == str(path) and isinstance(rec.get("ev.lineno"), int):
            span = rec.get("ev.line_count") or rec.get("ev.lines") or 1
            covered.update(range(rec["ev.lineno"], rec["ev.lineno"] + span))
    missing = []
    for number in range(1, line_count(data) + 1):
        text = lines[number - 1].decode("utf-8", "replace").strip().strip("\0\ufffd")
        header = number <= 3 and not any(c.isdigit() for c in text)
        if number not in covered and text and not header:
            missing.append(number)
    return missing


def pool_records(pool: Path) -> list[dict]:
    return [orjson.loads(line) for f in sorted(pool.rglob("*.jsonlog"))
            for line in f.read_bytes().splitlines() if line.strip()]


@pytest.mark.parametrize("item", ITEMS)
@pytest.mark.parametrize("importer", sorted(IMPORTERS))
def test_every_importer_survives_every_bad_input(importer: str, item: str, specials: Path,
                                                 tmp_path: Path, capsys) -> None:
    path = specials / item if item in SPECIALS else BAD / item
    pool = tmp_path / "pool"
    argv = [a.format(path) for a in IMPORTERS[importer]] + ["--pool", str(pool)]
    code, err = run(argv, capsys)
    assert code in (0, 1, 2), (code, err)
    temps = [p.name for p in pool.rglob(".*.tmp")] if pool.exists() else []
    assert temps == [], "a temporary file was left in the pool"
    if code == 2:
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert not pool.exists() or not list(pool.rglob("*.jsonlog"))
        return
    records = pool_records(pool)
    if code == 0:
        assert not [r for r in records if r.get("ev.event") == "unparsed"], err
    if path.is_file() and not path.is_symlink() and item != "parsl-log.10mb-single-line":
        if any("ev.lineno" in r for r in records if r.get("ev.origin") == str(path)):
            assert unaccounted(path, records) == [], f"lines lost: {err}"


REAL_INPUTS = {
    "parsl-logs": FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "000" / "parsl.log",
    "parsl-db": FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "monitoring.db",
    "redis-log": FIXTURES / "redis" / "7.0.15" / "failover-master.log",
    "sacct": FIXTURES / "slurm" / "sacct_a.json",
    "squeue": FIXTURES / "slurm" / "squeue_04_20261125T085445Z.json",
    "procs": FIXTURES / "procs" / "captured" / "bpftrace_execsnoop_bt.txt",
}
OTHER_FORMS = {"sacct": FIXTURES / "slurm" / "sacct_P_local.txt",
               "squeue": FIXTURES / "slurm" / "squeue_01_20261125T085437Z.txt"}


@pytest.mark.parametrize("importer", sorted(REAL_INPUTS))
def test_each_importer_refuses_the_others_real_inputs(importer: str, tmp_path: Path,
                                                      capsys) -> None:
    """Every importer checks that its input is its format before writing anything: another
    source's real file is one error line, exit 2, and an empty pool (a Redis log given to
    parsl-logs once gave 48 unparsed records; squeue JSON given to sacct, events with no
    time)."""
    others = {**{k: v for k, v in REAL_INPUTS.items() if k != importer},
              **{f"{k}-text": v for k, v in OTHER_FORMS.items() if k != importer}}
    for name, path in others.items():
        pool = tmp_path / name
        code, err = run([a.format(path) for a in IMPORTERS[importer]] + ["--pool", str(pool)],
                        capsys)
        assert code == 2, f"{importer} accepted {name}: {err}"
        assert err.startswith("error: ") and err.count("\n") == 1
        assert not pool.exists() or not list(pool.rglob("*.jsonlog"))
    own = [REAL_INPUTS[importer], OTHER_FORMS.get(importer)]
    for path in filter(None, own):
        code, err = run([a.format(path) for a in IMPORTERS[importer]]
                        + ["--pool", str(tmp_path / "own")], capsys)
        assert code == 0, err
