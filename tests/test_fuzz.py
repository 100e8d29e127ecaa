"""Fuzzing, bounded for CI: each text importer's line parsing and the pool reader, on lines
made from the real fixtures' lines (cut, spliced, with bytes inserted) and on raw bytes.

No exception may escape but the one-line :class:`EvImportError` ("not a ... log"), and every
line of a parsed input is accounted for. ``derandomize`` makes a CI run repeatable; an input
that once crashed is kept below as an ``@example`` (a regression fixture).
"""

from __future__ import annotations

import os
from pathlib import Path

from conftest import FIXTURES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from importers.core import pool
from importers.core.errors import EvImportError
from importers.core.report import ImportReport
from importers.sources import parsl_logs, procs, redis_log, sacct, squeue

EXAMPLES = int(os.environ.get("EV_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                derandomize=not os.environ.get("EV_FUZZ_EXPLORE"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def _lines(rel: str) -> list[bytes]:
    return (FIXTURES / rel).read_bytes().split(b"\n")[:400]


REAL = {
    "parsl-logs": _lines("parsl/2026.10.26/runinfo/000/parsl.log")
    + _lines("parsl/2024.3.4/runinfo/000/htex_local/interchange.log"),
    "redis-log": _lines("redis/7.0.15/failover-master.log") + _lines(
        "redis/2.8.17/persistence.log") + _lines("redis/3.2.6/shutdown-sigterm.log"),
    "sacct": _lines("slurm/sacct_P_local.txt"),
    "squeue": _lines("slurm/squeue_01_20261125T085437Z.txt"),
    "procs": _lines("procs/captured/bpftrace_execsnoop_bt.txt"),
}
READERS = {
    "parsl-logs": lambda p, r: parsl_logs.read([p], tz="UTC", report=r),
    "redis-log": lambda p, r: redis_log.read([p], tz="UTC", report=r),
    "sacct": lambda p, r: sacct.read_file(p, tz="UTC", report=r),
    "squeue": lambda p, r: squeue.read_files([p], tz="UTC", report=r),
    "procs": lambda p, r: procs.read([p], start="2026-11-25T08:50:00", tz="UTC", report=r),
}


@st.composite
def mutated_line(draw, real: list[bytes]) -> bytes:
    line = draw(st.sampled_from(real))
    how = draw(st.sampled_from(["keep", "cut", "insert", "splice", "bytes"]))
    if how == "cut" and line:
        return line[: draw(st.integers(0, len(line)))]
    if how == "insert":
        at = draw(st.integers(0, len(line)))
        return line[:at] + draw(st.binary(max_size=12)).replace(b"\n", b"") + line[at:]
    if how == "splice":
        other = draw(st.sampled_from(real))
        return line[: len(line) // 2] + other[len(other) // 2:]
    if how == "bytes":
        return draw(st.binary(max_size=80)).replace(b"\n", b"")
    return line


def inputs(name: str):
    """A file's bytes: its first line real (so the importer accepts the format), then
    mutated lines."""
    real = [x for x in REAL[name] if x]
    return st.builds(lambda first, rest, end: b"\n".join([first, *rest]) + end,
                     st.sampled_from(real[:3]), st.lists(mutated_line(real), max_size=40),
                     st.sampled_from([b"", b"\n", b"\r\n"]))


def headers(name: str) -> set[str]:
    """A format's column-header lines (in its first lines, no digits): structure, not
    evidence, wherever they appear (concatenated captures repeat them)."""
    return {x.decode().strip() for x in REAL[name][:3]
            if x and not any(c in b"0123456789" for c in x)}


def check(name: str, data: bytes, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.input"
    path.write_bytes(data)
    report = ImportReport()
    try:
        records = list(READERS[name](path, report))
    except EvImportError:
        return   # "not a ... log" and the like: one line, exit 2, by design
    covered: set[int] = set()
    for rec in records:
        if isinstance(rec.get("ev.lineno"), int):
            span = rec.get("ev.line_count") or rec.get("ev.lines") or 1
            covered.update(range(rec["ev.lineno"], rec["ev.lineno"] + span))
    lines = data.split(b"\n")
    total = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    for number in range(1, total + 1):
        text = lines[number - 1].decode("utf-8", "replace").strip().strip("\0").strip()
        header = text in headers(name) or (
            number <= 3 and not any(c.isdigit() for c in text))
        if text and not header and records and any("ev.lineno" in r for r in records):
            assert number in covered, f"{name}: line {number} lost: {lines[number - 1]!r}"


@FUZZ
@given(data=inputs("parsl-logs"))
def test_fuzz_parsl_logs(data: bytes, tmp_path_factory) -> None:
    check("parsl-logs", data, tmp_path_factory.mktemp("f"))


@FUZZ
@given(data=inputs("redis-log"))
def test_fuzz_redis_log(data: bytes, tmp_path_factory) -> None:
    check("redis-log", data, tmp_path_factory.mktemp("f"))


@FUZZ
@given(data=inputs("sacct"))
def test_fuzz_sacct(data: bytes, tmp_path_factory) -> None:
    check("sacct", data, tmp_path_factory.mktemp("f"))


@FUZZ
@given(data=inputs("squeue"))
def test_fuzz_squeue(data: bytes, tmp_path_factory) -> None:
    check("squeue", data, tmp_path_factory.mktemp("f"))


@FUZZ
@given(data=inputs("procs"))
def test_fuzz_procs(data: bytes, tmp_path_factory) -> None:
    check("procs", data, tmp_path_factory.mktemp("f"))


@FUZZ
@given(lines=st.lists(st.one_of(
    st.binary(max_size=60),
    st.dictionaries(st.sampled_from(["created", "levelno", "linux.pid", "x_time", "msg",
                                     "ev.lineno"]),
                    st.one_of(st.text(max_size=12), st.integers(-2**63, 2**64 - 1), st.floats(),
                              st.none(), st.booleans()), max_size=5)
    .map(lambda d: __import__("orjson").dumps(d, option=__import__("orjson").OPT_NON_STR_KEYS)
         if all(not (isinstance(v, float) and v != v) for v in d.values()) else b"{}")),
    max_size=30), torn=st.booleans())
@example(lines=[b'{"created": "nan"}', b'{"created": "1e400"}', b"[1, 2]", b'"str"',
                b'{"levelno": "12.0"}', b"\xff\xfe", b"[" * 2000 + b"]" * 2000],
         torn=True)
def test_fuzz_pool_reader(lines: list[bytes], torn: bool, tmp_path_factory) -> None:
    """Any bytes in a pool file: every complete line comes back (a record, or an unparsed
    one), a torn last line is reported, nothing raises."""
    directory = tmp_path_factory.mktemp("pool")
    body = b"\n".join(line.replace(b"\n", b" ") for line in lines)
    data = body + (b"" if torn or not lines else b"\n")
    (directory / "x.jsonlog").write_bytes(data)
    report = ImportReport()
    records = list(pool.read(directory, report))
    complete = [x for x in data.split(b"\n")[: data.count(b"\n")] if x.strip()]
    tail = data.rsplit(b"\n", 1)[-1] if data and not data.endswith(b"\n") else b""
    # a torn tail that happens to be valid JSON is still a record (the writer got that far)
    assert len(records) in (len(complete), len(complete) + 1)
    if tail and len(records) == len(complete):
        assert report.problems["TruncatedInput"] == 1
