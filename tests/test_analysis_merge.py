"""records(): a streaming k-way merge when every pool file is time ordered (Academy's and
Parsl's own files usually are), DuckDB's spilling sort otherwise. Hand-written files, each a
unit test of one rule."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

pytest.importorskip("duckdb")

from importers import analysis as ev  # noqa: E402
from importers.analysis.merge import file_is_time_ordered  # noqa: E402


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EV_CACHE_DIR", str(tmp_path / "cache"))


def _write(path: Path, *records: dict | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(r if isinstance(r, bytes) else orjson.dumps(r) + b"\n"
                              for r in records))


def test_ordered_files_are_merged_in_time_order(tmp_path: Path) -> None:
    # Academy-style strings in one file, numbers in the other, a torn line at the end.
    _write(tmp_path / "p" / "a.jsonlog", {"created": "1.0", "n": "a1", "process": "7"},
           {"created": "3.0", "n": "a3", "process": "7"}, b'{"created": 4')
    _write(tmp_path / "p" / "b.jsonlog", {"created": 2.0, "n": "b2", "linux.pid": 7},
           {"created": 3.0, "n": "b3", "linux.pid": 8})
    pool = ev.open_pool(tmp_path / "p")
    assert all(file_is_time_ordered(pool.con, f) for f in pool.files)
    merged = list(pool.events().records(order="merge"))
    # A line without a time keeps its place in its file (a stream cannot move it first);
    # the sort puts lines without created first, as DESIGN §2 says readers do.
    assert [r.get("n") for r in merged] == ["a1", "b2", "a3", None, "b3"]
    assert merged[3]["ev.event"] == "unparsed" and merged[3]["ev.raw"] == '{"created": 4'
    assert [r.get("n") for r in pool.events().records()] == ["a1", "b2", "a3", None, "b3"]
    assert [r.get("n") for r in pool.events().records(order="sort")] == [
        None, "a1", "b2", "a3", "b3"]
    # The filters mean the same as in SQL: Academy's "process" counts as linux.pid.
    pid7 = pool.events(where={"linux.pid": 7})
    assert [r["n"] for r in pid7.records(order="merge")] == ["a1", "b2", "a3"]
    assert [r["n"] for r in pid7.records(order="sort")] == ["a1", "b2", "a3"]
    assert [r["n"] for r in pool.events(since=2.5).records(order="merge")] == ["a3", "b3"]


def test_an_unordered_file_is_sorted_instead(tmp_path: Path) -> None:
    _write(tmp_path / "p" / "a.jsonlog", {"created": 5.0, "n": "late"},
           {"created": 1.0, "n": "early"})
    pool = ev.open_pool(tmp_path / "p")
    assert not file_is_time_ordered(pool.con, pool.files[0])
    assert [r["n"] for r in pool.events().records()] == ["early", "late"]
    with pytest.raises(ev.QueryError, match="not time ordered"):
        list(pool.events().records(order="merge"))
