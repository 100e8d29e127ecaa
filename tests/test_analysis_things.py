"""Things, lifetimes and concurrency: known answers on small hand-written pools (each a unit
test of the rules), and the same functions on the real Parsl fixture."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES

pytest.importorskip("duckdb")
pd = pytest.importorskip("pandas")

from importers import analysis as ev  # noqa: E402
from importers.cli import main  # noqa: E402
from importers.core.pool import read  # noqa: E402


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EV_CACHE_DIR", str(tmp_path / "cache"))


def _pool(tmp_path: Path) -> Path:
    """Three tasks (hand-written, one edge case each): a 0..10 s, b 5..8 s (Academy-style
    strings), c starts at 10 s exactly when a ends and has no end event."""
    events = [
        {"created": 0.0, "t": "a", "ev.event": "begin"},
        {"created": 4.0, "t": "a", "ev.event": "work"},
        {"created": 10.0, "t": "a", "ev.event": "finish"},
        {"created": "5.0", "t": "b", "ev.event": "begin"},
        {"created": "8.0", "t": "b", "ev.event": "finish"},
        {"created": 10.0, "t": "c", "ev.event": "begin"},
        {"created": 12.0, "t": "c", "ev.event": "work"},
        {"created": 11.0, "ev.event": "no thing"},
    ]
    pool = tmp_path / "pool"
    pool.mkdir()
    (pool / "a.jsonlog").write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events[:3]))
    (pool / "b.jsonlog").write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events[3:]))
    return pool


def test_lifetimes_first_to_last_event_by_default(tmp_path: Path) -> None:
    frame = ev.lifetimes(ev.open_pool(_pool(tmp_path)), thing="t")
    assert list(frame.columns) == ["t", "start", "end", "duration", "events"]
    assert frame.to_dict("records") == [
        {"t": "a", "start": 0.0, "end": 10.0, "duration": 10.0, "events": 3},
        {"t": "b", "start": 5.0, "end": 8.0, "duration": 3.0, "events": 2},
        {"t": "c", "start": 10.0, "end": 12.0, "duration": 2.0, "events": 2},
    ]


def test_lifetimes_between_named_events_and_open_ends(tmp_path: Path) -> None:
    frame = ev.lifetimes(ev.open_pool(_pool(tmp_path)), thing=["t"], start="begin",
                         end="finish")
    rows = {r["t"]: r for r in frame.to_dict("records")}
    assert (rows["a"]["start"], rows["a"]["end"]) == (0.0, 10.0)
    assert rows["c"]["start"] == 10.0 and pd.isna(rows["c"]["end"])
    assert pd.isna(rows["c"]["duration"])


def test_concurrency_known_answer(tmp_path: Path) -> None:
    frame = ev.lifetimes(ev.open_pool(_pool(tmp_path)), thing="t", start="begin", end="finish")
    c = ev.concurrency(frame)
    # a alone, a+b from 5 to 8, a alone, a ends at 10 as c starts (no overlap), c open to 10.
    assert c.series == [(0.0, 1), (5.0, 2), (8.0, 1), (10.0, 0)]
    assert (c.max, c.at) == (2, 5.0)
    assert c.to_dict() == {"max": 2, "at": 5.0,
                           "series": [[0.0, 1], [5.0, 2], [8.0, 1], [10.0, 0]]}


def test_durations_percentiles_and_histogram(tmp_path: Path) -> None:
    frame = ev.lifetimes(ev.open_pool(_pool(tmp_path)), thing="t")
    d = ev.durations(frame, bins=4)
    assert (d.count, d.min, d.max, d.mean) == (3, 2.0, 10.0, 5.0)
    assert d.percentiles["p50"] == 3.0
    assert [n for _, _, n in d.histogram] == [2, 0, 0, 1]
    assert d.histogram[0][0] == 2.0 and d.histogram[-1][1] == 10.0


def test_lifetimes_of_a_dataframe_with_a_function_predicate(tmp_path: Path) -> None:
    frame = ev.open_pool(_pool(tmp_path)).events().df()
    out = ev.lifetimes(frame, thing="t", start=lambda f: f["ev.event"] == "work")
    rows = {r["t"]: r for r in out.to_dict("records")}
    assert rows["a"]["start"] == 4.0 and rows["c"]["start"] == 12.0 and pd.isna(rows["b"]["start"])


def test_lifetimes_cli_json_shape(tmp_path: Path, capsys) -> None:
    assert main(["lifetimes", str(_pool(tmp_path)), "--thing", "t", "--json"]) == 0
    lines = [orjson.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0] == {"thing": {"t": "a"}, "start": 0.0, "end": 10.0, "duration": 10.0,
                        "events": 3}
    assert [x["thing"]["t"] for x in lines] == ["a", "b", "c"]


def test_concurrency_cli_json_shape(tmp_path: Path, capsys) -> None:
    pool = str(_pool(tmp_path))
    assert main(["concurrency", pool, "--thing", "t", "--start", "begin", "--end", "finish",
                 "--json"]) == 0
    obj = orjson.loads(capsys.readouterr().out)
    assert (obj["max"], obj["at"]) == (2, 5.0)
    assert obj["series"] == [[0.0, 1], [5.0, 2], [8.0, 1], [10.0, 0]]


def test_task_lifetimes_on_the_parsl_fixture(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    assert main(["parsl-db", str(FIXTURES / "parsl" / "2026.10.26" / "runinfo"),
                 "--pool", str(pool), "-q"]) == 0
    keys = ("parsl.run_id", "parsl.task_id")
    spans: dict[tuple, list[float]] = {}
    for rec in read(pool):
        if all(k in rec for k in keys) and "created" in rec:
            spans.setdefault(tuple(rec[k] for k in keys), []).append(rec["created"])
    frame = ev.lifetimes(ev.open_pool(pool), thing=list(keys))
    assert len(frame) == len(spans)
    for row in frame.to_dict("records"):
        times = spans[(row["parsl.run_id"], row["parsl.task_id"])]
        assert (row["start"], row["end"], row["events"]) == (min(times), max(times), len(times))
    assert ev.concurrency(frame).max >= 1
