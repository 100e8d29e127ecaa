"""Parsl text logs that went wrong, each made from a copy of a real fixture log: a runaway
record (memory must not grow with it), a traceback printed in colour, and ms-format records
whose time is invalid.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import FIXTURES

from importers.core.report import BAD_TIMESTAMP, ImportReport
from importers.sources import parsl_logs
from importers.sources.parsl_logs import text

NEW = FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "000"
OLD = FIXTURES / "parsl" / "2024.3.4" / "runinfo" / "000"
MANAGER = "htex_local/block-0/405b66f64a7a/manager.log"


@pytest.fixture
def run(tmp_path: Path) -> Path:
    dest = tmp_path / "runinfo" / "000"
    shutil.copytree(NEW, dest)
    return dest


def _read(path: Path, report: ImportReport | None = None) -> list[dict]:
    return list(parsl_logs.read([path], tz="UTC", report=report or ImportReport()))


def _traceback(lines: list[bytes]) -> tuple[int, int]:
    """(index of the record line before the first traceback, index after its last line)."""
    start = lines.index(b"Traceback (most recent call last):")
    end = start + 1
    while end < len(lines) and (lines[end].startswith(b" ") or b"Error" in lines[end]):
        end += 1
    return start - 1, end


def test_a_runaway_record_is_capped_with_a_marker(run: Path, monkeypatch) -> None:
    monkeypatch.setattr(text, "MAX_CONTINUATION_BYTES", 4096)
    log = run / "parsl.log"
    lines = log.read_bytes().split(b"\n")
    head, end = _traceback(lines)
    body = lines[head + 1:end]
    runaway = body * 400                        # a traceback printed over and over
    log.write_bytes(b"\n".join([*lines[:head + 1], *runaway, *lines[end:]]))
    report = ImportReport()
    records = _read(log, report)
    [rec] = [r for r in records if r["ev.lineno"] == head + 1]
    assert rec["ev.line_count"] == 1 + len(runaway), "every line is accounted for"
    kept = len(rec.get("parsl.message", "")) + len(rec.get("parsl.exc_text", ""))
    assert kept < 4096 + 2 * max(map(len, body)) + 300
    assert rec["ev.capped_lines"] > 0 and rec["ev.capped_bytes"] > 0
    tail = (rec.get("parsl.exc_text") or rec["parsl.message"]).rsplit("\n", 1)[-1]
    assert tail == (f"[ev-import: {rec['ev.capped_lines']:,} more lines "
                    f"({rec['ev.capped_bytes']:,} bytes) of this record not kept: records "
                    "are capped at 4,096 bytes of continuation lines]")
    assert report.assumptions["capped records"].startswith("1 records kept their first 4,096")
    # the records after it are untouched
    assert len(records) == len(_read(NEW / "parsl.log"))


def test_a_traceback_in_colour_stays_one_record(run: Path) -> None:
    """A colouring log handler wraps continuation lines in CSI codes: still continuation."""
    log = run / "parsl.log"
    lines = log.read_bytes().split(b"\n")
    head, end = _traceback(lines)
    coloured = [b"\x1b[31m" + x + b"\x1b[0m" for x in lines[head + 1:end]]
    log.write_bytes(b"\n".join([*lines[:head + 1], *coloured, *lines[end:]]))
    records = _read(log)
    assert not [r for r in records if r["ev.event"] == "unparsed"]
    assert len(records) == len(_read(NEW / "parsl.log"))
    [rec] = [r for r in records if r["ev.lineno"] == head + 1]
    assert rec["ev.line_count"] == 1 + len(coloured)
    assert rec["parsl.exc_text"].startswith("\x1b[31mTraceback (most recent call last):")


def test_an_invalid_first_time_is_omitted_and_a_later_one_borrowed_and_said(
        tmp_path: Path) -> None:
    """ms format (a 2024.3.4 manager.log): month 13 in the first record's time gives no
    ``created`` (never null); in a later record it takes the previous record's time, with
    ``ev.time_from`` saying so. Both are counted as BadTimestamp."""
    run = tmp_path / "runinfo" / "000"
    shutil.copytree(OLD, run)
    log = run / MANAGER
    lines = log.read_bytes().split(b"\n")
    assert lines[0].startswith(b"2026-11-25 ") and lines[5].startswith(b"2026-11-25 ")
    lines[0] = b"2026-13-25 " + lines[0][11:]
    lines[5] = b"2026-13-25 " + lines[5][11:]
    log.write_bytes(b"\n".join(lines))
    report = ImportReport()
    records = _read(log, report)
    first = records[0]
    assert "created" not in first and first["parsl.time_raw"].startswith("2026-13-25")
    [fifth] = [r for r in records if r["ev.lineno"] == 6]
    [before] = [r for r in records if r["ev.lineno"] == 5]
    assert fifth["created"] == before["created"]
    assert fifth["ev.time_from"] == "the previous record (its own time is invalid)"
    assert report.problems[BAD_TIMESTAMP] == 2


# A real run moved to the night Berlin's clocks went forward (2026-03-29 01:00 UTC), its
# local times rewritten in Europe/Berlin as a machine there would have printed them.
SPRING_FORWARD = datetime(2026, 3, 29, 1, tzinfo=timezone.utc).timestamp()
_V2022 = re.compile(rb"^(\d{9,11}\.\d+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ")
_MS = re.compile(rb"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d{3} )")


def _move_to_berlin(run: Path, shift: float) -> None:
    berlin = ZoneInfo("Europe/Berlin")

    def local(epoch: float) -> bytes:
        return datetime.fromtimestamp(epoch, berlin).strftime("%Y-%m-%d %H:%M:%S").encode()

    def v2022(m: re.Match[bytes]) -> bytes:
        epoch = float(m[1]) + shift
        return b"%.6f %s " % (epoch, local(epoch))

    def ms(m: re.Match[bytes]) -> bytes:
        utc = datetime.fromisoformat(m[1].decode()).replace(tzinfo=timezone.utc)
        return local(utc.timestamp() + shift) + m[2]

    for path in run.rglob("*.log"):
        lines = path.read_bytes().split(b"\n")
        path.write_bytes(b"\n".join(_MS.sub(ms, _V2022.sub(v2022, x)) for x in lines))
    for path in run.rglob("*.sh.ec"):     # their time is their mtime
        when = path.stat().st_mtime + shift
        os.utime(path, (when, when))


def test_a_run_across_a_dst_change_keeps_every_time_right(tmp_path: Path) -> None:
    """The ms-format logs (manager, worker, interchange) print local time only; their zone
    is learnt from parsl.log, whose lines print epoch and local time. Across the change
    parsl.log shows two offsets, so a named zone that fits both is used: every record keeps
    its true time (a fixed offset from the first line put the second half an hour off)."""
    run = tmp_path / "runinfo" / "000"
    shutil.copytree(OLD, run)
    original = {(r["ev.origin"].split("/000/")[1], r["ev.lineno"]): r.get("created")
                for r in parsl_logs.read([OLD], tz="UTC")}
    run_times = [t for (name, _), t in original.items() if t and name == "parsl.log"]
    first, last = min(run_times), max(run_times)
    shift = float(round(SPRING_FORWARD - (first + last) / 2))   # the change in the middle
    _move_to_berlin(run, shift)
    report = ImportReport()
    moved = {(r["ev.origin"].split("/000/")[1], r["ev.lineno"]): r.get("created")
             for r in parsl_logs.read([run], report=report)}
    assert moved.keys() == original.keys()
    wrong = {k: (moved[k] - original[k] - shift) for k in moved
             if original[k] is not None and abs(moved[k] - original[k] - shift) > 1e-3}
    assert wrong == {}
    after = [k for k, t in moved.items() if t and t > SPRING_FORWARD and "manager" in k[0]]
    assert after, "ms-format records after the change are in the test"
    zone = report.assumptions["zone of ms-format logs"]
    assert "UTC+1h at the start of the run's parsl.log, UTC+2h at its end" in zone


def test_a_continuation_line_starting_with_a_date_stays_in_its_record(run: Path) -> None:
    """v2022 records start with an epoch, so a line inside a traceback that starts with an
    ISO date (a worker's own log line in the exception text) is continuation, not a
    truncated record: the traceback stays whole."""
    log = run / "parsl.log"
    lines = log.read_bytes().split(b"\n")
    head, end = _traceback(lines)
    inserted = b"2026-11-25 08:44:38,163 worker stderr: disk quota exceeded"
    lines.insert(head + 3, inserted)
    log.write_bytes(b"\n".join(lines))
    records = _read(log)
    assert not [r for r in records if r["ev.event"] == "unparsed"]
    [rec] = [r for r in records if r["ev.lineno"] == head + 1]
    assert rec["ev.line_count"] == end - head + 1
    assert inserted.decode() in rec["parsl.exc_text"]
