"""Perfetto / Chrome trace event JSON export: the structure the viewers rely on.

The trace processor of the ``perfetto`` package cannot run here: it downloads a native
``trace_processor_shell`` on first use, and this machine reaches only package registries. So
the structure is checked as Perfetto's JSON importer reads it: every async begin (``b``)
has its end (``e``) on the same track (pid, cat, id, name), ids are unique per track, times
are microseconds from the export's first event, flows have an out and an in, counters carry
numbers, and every event names a process that has a ``process_name``.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import orjson
import pytest
from mixed_pool import make_mixed_pool

from importers.analysis.export import perfetto
from importers.analysis.export.otlp import time_unix_nano

ev = pytest.importorskip("importers.analysis")
pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory):
    path = make_mixed_pool(tmp_path_factory.mktemp("perfetto") / "pool")
    with ev.open_pool(path) as opened:
        yield opened


def export(events, **options) -> tuple[dict, perfetto.TraceStats]:
    buf = io.BytesIO()
    stats = perfetto.write_trace(events, buf, **options)
    data = orjson.loads(buf.getvalue())
    assert stats.bytes == len(buf.getvalue())
    return data, stats


def check_structure(data: dict) -> dict[str, int]:
    """The checks of the module docstring; returns counts by phase."""
    events = data["traceEvents"]
    phases = Counter(e["ph"] for e in events)
    named = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    begins: dict[tuple, dict] = {}
    ends: dict[tuple, dict] = {}
    for e in events:
        assert e["pid"] in named, e
        if e["ph"] != "M":
            assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0
        if e["ph"] in ("b", "e"):
            track = (e["pid"], e["cat"], e["id"], e["name"])
            side = begins if e["ph"] == "b" else ends
            assert track not in side, f"id not unique on its track: {track}"
            side[track] = e
    assert begins.keys() == ends.keys(), "every b has its e, and every e its b"
    for track, b in begins.items():
        assert b["ts"] <= ends[track]["ts"]
    ids_per_track = Counter((pid, cat, ident) for pid, cat, ident, _ in begins)
    assert max(ids_per_track.values(), default=1) == 1
    outs = Counter(e["bind_id"] for e in events if e.get("flow_out"))
    ins = Counter(e["bind_id"] for e in events if e.get("flow_in"))
    for e in events:
        if "bind_id" in e:
            assert e["ph"] == "X" and e["dur"] == 0     # Perfetto binds flows to slices
    assert set(outs) == set(ins), "every flow has both ends"
    for e in events:
        if e["ph"] == "C":
            assert all(isinstance(v, int) for v in e["args"].values())
        if e["ph"] == "i":
            assert e["s"] == "t"
    return dict(phases)


def test_trace_structure_on_the_fixture_pool(pool) -> None:
    data, stats = export(pool)
    phases = check_structure(data)
    assert phases["b"] == phases["e"] == stats.slices > 0
    assert phases["i"] == stats.instants and phases["C"] == stats.counters > 0
    assert stats.kinds["parsl task"] >= 1 and stats.kinds["academy action"] == 5
    assert data["displayTimeUnit"] == "ms"


def test_times_are_microseconds_from_the_first_event(pool) -> None:
    data, _ = export(pool)
    meta = data["metadata"]["ev-import"]
    span_us = (time_unix_nano(meta["last_s"]) - meta["epoch_ns"]) / 1000
    times = [e["ts"] for e in data["traceEvents"] if e["ph"] != "M"]
    assert min(times) == 0 and max(times) == span_us
    # Each instant's ts is its record's created, exactly, in microseconds from epoch_ns.
    for e in data["traceEvents"]:
        if e["ph"] == "i":
            assert e["ts"] * 1000 == pytest.approx(
                time_unix_nano(e["args"]["created"]) - meta["epoch_ns"], abs=0.5)


def test_things_sit_on_the_process_of_their_first_event(pool) -> None:
    data, _ = export(pool)
    names = {e["pid"]: e["args"]["name"] for e in data["traceEvents"]
             if e["ph"] == "M" and e["name"] == "process_name"}
    actions = [e for e in data["traceEvents"] if e["ph"] == "b" and e["cat"] == "academy action"]
    # The client invokes each action first (academy.handle), in Academy's client process.
    assert {names[e["pid"]] for e in actions} == {"pid 28679 (academy)"}
    task = next(e for e in data["traceEvents"] if e["ph"] == "b" and e["cat"] == "parsl task")
    assert task["args"]["thing"]["parsl.task_id"] == 0


def test_academy_request_response_flows(pool) -> None:
    data, stats = export(pool)
    flows = [e for e in data["traceEvents"] if "bind_id" in e]
    names = {e["pid"]: e["args"]["name"] for e in data["traceEvents"]
             if e["ph"] == "M" and e["name"] == "process_name"}
    by_id: dict[str, list] = {}
    for e in flows:
        by_id.setdefault(e["bind_id"], []).append(e)
    # A ping, five actions and a shutdown: each request (sent by the client's exchange
    # client) -> its response (sent by the agent's), joined by the message tag.
    assert len(by_id) == 7 and all(len(v) == 2 for v in by_id.values())
    for pair in by_id.values():
        req, resp = sorted(pair, key=lambda e: "flow_in" in e)
        assert req["args"]["academy.message_type"].endswith("Request") and req["flow_out"]
        assert resp["args"]["academy.message_type"].endswith("Response") and resp["flow_in"]
        assert req["args"]["academy.message_tag"] == resp["args"]["academy.message_tag"]
        assert req["ts"] < resp["ts"]
        assert names[req["pid"]] == "pid 28679 (academy)"     # the client
        assert names[resp["pid"]] == "pid 28812 (academy)"    # the agent's htex worker
    assert stats.flows == len(flows)


def test_filters_and_no_instants_make_small_traces(pool) -> None:
    full, _ = export(pool)
    data, stats = export(pool.events(where={"ev.source": "parsl-db"}), instants=False)
    check_structure(data)
    assert stats.instants == 0 and stats.slices >= 1
    assert len(data["traceEvents"]) < len(full["traceEvents"]) / 10
    assert data["metadata"]["ev-import"]["filters"]


def test_an_empty_selection_is_a_valid_empty_trace(pool) -> None:
    data, stats = export(pool.events(where={"ev.source": "no such source"}))
    assert data["traceEvents"] == [] and stats.events == 0


def test_file_loads_as_json_with_one_event_per_line(pool, tmp_path: Path) -> None:
    path = tmp_path / "run.trace.json"
    with open(path, "wb") as fh:
        perfetto.write_trace(pool, fh)
    lines = path.read_bytes().splitlines()
    assert lines[0] == b'{"traceEvents":['
    check_structure(orjson.loads(path.read_bytes()))
