"""Progress on a terminal and the summary's rate: what a user watching a long import sees.

The display is drawn only when stderr is a terminal and the import runs longer than a
second; these tests force it (``force``, ``EV_PROGRESS_DELAY=0``, a pseudo-terminal) on the
real fixtures, including the parallel path whose workers report through a shared counter.
"""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES

from importers.core.pool import PoolWriter
from importers.core.progress import Progress, rate_text
from importers.core.report import ImportReport
from importers.sources import parsl_logs, redis_log

RUN = FIXTURES / "parsl" / "2024.3.4" / "runinfo"


def test_a_known_size_draws_a_percentage_events_and_an_eta() -> None:
    out = io.StringIO()
    writer = type("W", (), {"count": 1234})()
    display = Progress("parsl-logs runinfo/", writer, stream=out, delay=0, force=True)
    display.expect(2_000_000)
    display.advance(1_000_000)
    display.refresh()
    display.close()
    text = out.getvalue()
    assert "50%" in text and "1.0/2.0 MB" in text and "1,234 events" in text and "ETA" in text


def test_an_unknown_size_draws_a_count() -> None:
    out = io.StringIO()
    display = Progress("squeue", type("W", (), {"count": 7})(), stream=out, delay=0, force=True)
    display.advance(4096)
    display.refresh()
    display.close()
    assert "7 events" in out.getvalue()


def test_nothing_is_drawn_before_the_delay() -> None:
    out = io.StringIO()
    display = Progress("x", None, stream=out, delay=3600, force=True)
    display.expect(10)
    display.advance(5)
    display.close()
    assert out.getvalue() == "" and display.drawn == 0


def test_parallel_workers_report_the_bytes_they_read(tmp_path: Path, monkeypatch) -> None:
    """-j 2 on a log cut in parts: the parent draws what the workers read, and in the end
    has counted every byte of the input exactly once."""
    monkeypatch.setattr(redis_log.source, "SPLIT_MIN_BYTES", 1)
    path = FIXTURES / "redis" / "7.0.15" / "loglevel-verbose.log"
    report = ImportReport()
    out = io.StringIO()
    with PoolWriter(tmp_path, "redis-log", "x") as writer:
        report.progress = Progress("redis-log", writer, stream=out, delay=0, force=True)
        redis_log.write_to(writer, [path], tz="UTC", year=2026, report=report, jobs=2)
        report.progress.close()
    size = path.stat().st_size
    assert report.expected == size and report.read == size
    assert report.progress.completed() == size
    assert report.progress.drawn > 0 and "%" in out.getvalue()


def test_sequential_reads_count_every_byte(tmp_path: Path) -> None:
    report = ImportReport()
    with PoolWriter(tmp_path, "parsl-logs", "x") as writer:
        parsl_logs.write_to(writer, [RUN], report=report, jobs=1)
    assert report.expected == report.read > 100_000


def test_rate_text() -> None:
    assert rate_text(52_000, 2.0, 30_000_000) == "2.0 s, 26,000 events/s, 15.0 MB/s"
    assert rate_text(10, 2.0, 500, "rows") == "2.0 s, 5 events/s, 250 rows/s"


def test_the_cli_on_a_terminal_shows_progress_and_the_summary_says_the_rate(tmp_path) -> None:
    """A real pseudo-terminal as stderr: the bar appears (EV_PROGRESS_DELAY=0 stands in for
    a long import) and the summary line gives the time, the rate and the zone assumed."""
    master, slave = pty.openpty()
    env = {**os.environ, "EV_PROGRESS_DELAY": "0", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "importers", "parsl-logs", str(RUN), "--pool", str(tmp_path),
         "-j", "1"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave,
        env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=120) == 0
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert re.search(r"\d+%", text), text[-2000:]
    assert "ETA" in text
    summary = [line for line in text.splitlines() if "events (0 unparsed)" in line][-1]
    assert re.search(r"\d+\.\d s, [\d,]+ events/s, [\d.]+ MB/s", summary), summary
    assert "zone of ms-format logs" in summary
