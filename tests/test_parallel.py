"""Both cores give the same pool file as one: parts cut at record boundaries (text logs) or
rowid ranges (DB tables), appended in order. Thresholds are lowered so the small real
fixtures are split."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from importers.core import parallel
from importers.core.pool import PoolWriter
from importers.core.report import ImportReport
from importers.sources import parsl_db, parsl_logs

RUN = FIXTURES / "parsl" / "2024.3.4" / "runinfo"
DB = FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "monitoring.db"


def _write(tmp_path: Path, name: str, fill) -> tuple[bytes, ImportReport]:
    report = ImportReport()
    with PoolWriter(tmp_path / name, "t", "x") as writer:
        fill(writer, report)
    return writer.final.read_bytes(), report


def test_parsl_logs_in_parts_equal_sequential(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(parsl_logs.source, "SPLIT_MIN_BYTES", 1)
    one, r1 = _write(tmp_path, "one", lambda w, r: parsl_logs.write_to(w, [RUN], report=r,
                                                                       jobs=1))
    two, r2 = _write(tmp_path, "two", lambda w, r: parsl_logs.write_to(w, [RUN], report=r,
                                                                       jobs=2))
    assert one == two and len(one) > 100_000
    assert r1.assumptions == r2.assumptions


def test_parsl_db_in_rowid_ranges_equal_sequential(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(parsl_db.source, "PARALLEL_MIN_ROWS", 10)
    one, _ = _write(tmp_path, "one", lambda w, r: parsl_db.write_to(w, DB, tz="UTC", report=r,
                                                                    jobs=1))
    two, r2 = _write(tmp_path, "two", lambda w, r: parsl_db.write_to(w, DB, tz="UTC", report=r,
                                                                     jobs=2))
    assert one == two
    assert r2.assumptions["zone"] == "UTC (--tz)"


def test_split_points_start_at_records() -> None:
    log = RUN / "000" / "parsl.log"
    parts = parallel.split_points(log, 4, parsl_logs.is_record_start)
    assert parts[0].start == 0 and parts[-1].end == log.stat().st_size
    data = log.read_bytes()
    for part in parts[1:]:
        line = data[part.start:data.index(b"\n", part.start)]
        assert parsl_logs.LINES.match(line.decode()), line
        assert part.lineno == data[:part.start].count(b"\n") + 1


def test_parts_numbered_while_the_workers_run_are_the_counted_ones() -> None:
    """write_parts(count_lines=True) hands part k out before counting its lines: the line
    numbers it gives each part are those of an eager count."""
    log = RUN / "000" / "parsl.log"
    eager = parallel.split_points(log, 4, parsl_logs.is_record_start)
    lazy = parallel.split_points(log, 4, parsl_logs.is_record_start, count_lines=False)
    assert len(eager) > 2
    assert [p.lineno for p in lazy[1:]] == [parallel.UNCOUNTED] * (len(lazy) - 1)
    assert list(parallel.numbered(lazy)) == eager


def test_a_broken_worker_pool_finishes_in_process(tmp_path, monkeypatch) -> None:
    """Where processes cannot be started, the import still completes, and says so."""
    class NoPool:
        def __init__(self, *a, **k):
            raise OSError("no processes here")

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", NoPool)
    monkeypatch.setattr(parsl_logs.source, "SPLIT_MIN_BYTES", 1)
    one, _ = _write(tmp_path, "one", lambda w, r: parsl_logs.write_to(w, [RUN], report=r))
    two, report = _write(tmp_path, "two", lambda w, r: parsl_logs.write_to(w, [RUN], report=r,
                                                                           jobs=2))
    assert one == two
    assert report.assumptions["parallel"] == "worker processes failed; finished in one process"


@pytest.mark.parametrize("jobs", [1, 2])
def test_cli_jobs_option(tmp_path, capsys, jobs) -> None:
    from importers.cli import main

    assert main(["parsl-logs", str(RUN), "--pool", str(tmp_path), "-j", str(jobs), "-q"]) == 0
    # one pool file per run dir (runinfo/000 and runinfo/001)
    assert len(list(tmp_path.glob("parsl-logs-*.jsonlog"))) == 2
