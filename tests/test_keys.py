"""Every key of every imported fixture is in docs/design.md's key table, with its type and
source, so a new key (or a key changing type, or showing up in another source) arrives only
on purpose, the way Vector's tests count every field of an event.

The table is parsed from the design note itself: the documentation and the check cannot
drift apart.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from dataclasses import dataclass

import pytest
from conftest import FIXTURES, ROOT

from importers import auto
from importers.core import pool

DESIGN = ROOT / "docs" / "design.md"
TYPES = {"str": (str,), "int": (int,), "float": (float,), "bool": (bool,), "list": (list,),
         "dict": (dict,), "any": (object,)}
SOURCES = {"parsl-db", "parsl-logs", "redis-log", "sacct", "squeue", "procs", "watch-procs"}


@dataclass(frozen=True)
class Row:
    key: str
    type: str
    meaning: str
    sources: frozenset[str]

    def admits(self, value: object) -> bool:
        if self.type == "int" and isinstance(value, bool):
            return False
        return isinstance(value, TYPES[self.type])


def key_table() -> dict[str, Row]:
    text = DESIGN.read_text(encoding="utf-8")
    section = text[text.index("## 8. Key table"):]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `([^`]+)` \| (\w+) \| (.+) \| ([\w, -]+) \|$", line)
        if m:
            key, kind, meaning, sources = m.groups()
            names = {s.strip() for s in sources.split(",")}
            rows[key] = Row(key, kind, meaning, frozenset(SOURCES if names == {"all"} else names))
    return rows


TABLE = key_table()


def row_of(key: str) -> Row | None:
    if key in TABLE:
        return TABLE[key]
    patterns = [r for k, r in TABLE.items() if k.endswith("*") and fnmatch.fnmatchcase(key, k)]
    return max(patterns, key=lambda r: len(r.key), default=None)


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[tuple[str, str], set[str]]:
    """(source, key) -> the type names seen, over a pool of every real fixture auto
    recognises (fixtures/bad/ holds broken inputs for the fault tests, not formats)."""
    target = tmp_path_factory.mktemp("pool")
    real = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name != "bad")
    auto.import_paths(real, target, tz="UTC", copy=False)
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for rec in pool.read(target):
        for key, value in rec.items():
            seen[(rec["ev.source"], key)].add(type(value).__name__)
    return seen


def test_the_table_is_well_formed() -> None:
    assert len(TABLE) > 200
    for row in TABLE.values():
        assert row.type in TYPES, row
        assert row.sources <= SOURCES, row
        assert row.meaning.strip(), row


def test_every_fixture_source_is_in_the_pool(imported) -> None:
    assert {source for source, _ in imported} == SOURCES - {"watch-procs"}


def test_every_key_of_every_fixture_is_documented(imported) -> None:
    undocumented = sorted(f"{source}: {key}" for source, key in imported if row_of(key) is None)
    assert undocumented == [], "add these keys to the key table in docs/design.md"


def test_every_key_has_its_documented_type_and_source(imported) -> None:
    wrong = []
    for (source, key), types in sorted(imported.items()):
        row = row_of(key)
        if row is None:
            continue
        if source not in row.sources:
            wrong.append(f"{key}: written by {source}, table says {sorted(row.sources)}")
        expected = {c.__name__ for c in TYPES[row.type]}
        if row.type != "any" and types != expected:
            wrong.append(f"{key} from {source}: {sorted(types)}, table says {row.type}")
    assert wrong == []


def test_parsls_own_json_keys_are_mapped_not_doubled(imported) -> None:
    """Parsl's JSON logs say parsl.dfk, parsl.task_state...; the pool says parsl.run_id,
    parsl.task_status_name... (docs/design.md's mapping table)."""
    from importers.sources.parsl_logs.keys import PARSL_JSON_KEYS

    written = {key for source, key in imported if source == "parsl-logs"}
    assert written.isdisjoint(PARSL_JSON_KEYS)
    assert {new for new, _ in PARSL_JSON_KEYS.values()} <= set(TABLE)
