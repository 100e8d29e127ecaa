"""``importers.distributed``: a list of paths imported as apps, batched, committed per pool file.

The contract: the pool file is the one ``ev-import auto`` writes for the same inputs, byte
for byte, whatever the engine (this process, local processes, a real Parsl HTEX executor)
and however the files were cut into batches; a batch that fails is reported with its files
and error while the rest is kept; no part file is left behind.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from conftest import FIXTURES

from importers import auto
from importers.cli import main
from importers.distributed import import_paths, planning
from importers.sources.parsl_logs.paths import log_files

RUNINFO = FIXTURES / "parsl" / "2026.10.26" / "runinfo"
RUN_000 = RUNINFO / "000"


def _sequential(tmp_path: Path, *paths: Path) -> dict[str, bytes]:
    """What ``ev-import auto`` writes for ``paths``: pool file name -> bytes."""
    pool = tmp_path / "sequential"
    main(["auto", *map(str, paths), "--pool", str(pool), "--tz", "UTC", "-q"])
    return _contents(pool)


def _contents(pool: Path) -> dict[str, bytes]:
    return {str(p.relative_to(pool)): p.read_bytes() for p in sorted(pool.rglob("*.jsonlog"))}


def _hidden(pool: Path) -> list[str]:
    return sorted(p.name for p in pool.rglob(".*"))


def test_plan_batches_consecutive_files_and_cuts_big_logs(monkeypatch) -> None:
    monkeypatch.setattr(planning, "CUT_MIN_BYTES", 20_000)
    found = planning.plan([RUN_000], pool=Path("/nonexistent-pool"), batch_bytes=30_000)
    (logs,) = [imp for imp in found.imports if imp.source == "parsl-logs"]
    files = [f for b in logs.batches for f in b.files if b.start is None]
    cut = [b for b in logs.batches if b.start is not None]
    # one pool file for the run dir (its unit); every log of it once, in the order the
    # importer reads them; the big text logs cut in byte ranges
    assert logs.inputs == [str(RUN_000)] and logs.unit == str(RUN_000)
    whole = [b.files[0] for b in cut]
    in_order = list(dict.fromkeys(f for b in logs.batches for f in b.files))
    assert in_order == [str(p) for p in log_files([RUN_000])[0]]
    assert set(files) | set(whole) == set(in_order) and logs.files == len(in_order)
    assert {Path(f).name for f in whole} >= {"parsl.log", "interchange.log"}
    for name in set(whole):
        ranges = [(b.start, b.end) for b in cut if b.files[0] == name]
        assert ranges[0][0] == 0 and ranges[-1][1] == Path(name).stat().st_size
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert len(logs.batches) > 5


@pytest.mark.parametrize("jobs", [1, 2])
def test_batched_import_equals_auto_byte_for_byte(tmp_path, monkeypatch, jobs) -> None:
    monkeypatch.setattr(planning, "CUT_MIN_BYTES", 20_000)
    expected = _sequential(tmp_path, RUNINFO)
    pool = tmp_path / "pool"
    result = import_paths([RUNINFO], pool=pool, jobs=jobs, tz="UTC", batch_bytes=30_000)
    assert result.apps > len(result.outcomes) > 1     # parsl-db + parsl-logs, many apps
    assert _contents(pool) == expected
    assert not result.partial and _hidden(pool) == []
    assert result.events == sum(body.count(b"\n") for body in expected.values())


def _failing_for(block: str):
    """auto's sources, with parsl-logs raising on files of ``block``."""
    sources = auto.recognisers()
    real = next(s for s in sources if s.name == "parsl-logs")

    def import_files(writer, files, tz, report, jobs):
        if any(f"/{block}/" in str(f) for f in files):
            raise OSError(5, "Input/output error")
        return real.import_files(writer, files, tz, report, jobs)

    changed = [dataclasses.replace(s, import_files=import_files) if s is real else s
               for s in sources]
    return lambda: changed


def test_a_failed_app_is_reported_and_the_rest_kept(tmp_path, monkeypatch) -> None:
    pool = tmp_path / "pool"
    monkeypatch.setattr(auto, "recognisers", _failing_for("block-1"))
    # fork: the local workers inherit the failing reader; one file per app
    with ProcessPoolExecutor(2, mp_context=get_context("fork")) as ex:
        result = import_paths([RUN_000], pool=pool, executor=ex, tz="UTC", batch_bytes=1)
    (logs,) = [o for o in result.outcomes if o.source == "parsl-logs"]
    assert result.partial and logs.failures
    assert all("block-1/" in f.batch and f.error == "OSError: [Errno 5] Input/output error"
               for f in logs.failures)
    written = logs.pool_file.read_text()
    assert "/block-0/" in written and "/block-1/" not in written
    assert logs.events == written.count("\n")
    assert _hidden(pool) == []
    assert any(line.startswith("  failed app: ") for line in result.summary())


def test_when_every_app_fails_the_previous_pool_file_is_kept(tmp_path, monkeypatch) -> None:
    pool = tmp_path / "pool"
    first = import_paths([RUN_000 / "htex_local"], pool=pool, jobs=1, tz="UTC")
    before = _contents(pool)
    monkeypatch.setattr(auto, "recognisers", _failing_for("htex_local"))
    again = import_paths([RUN_000 / "htex_local"], pool=pool, jobs=1, tz="UTC")
    assert not first.partial and again.partial
    assert again.outcomes[0].pool_file is None and again.outcomes[0].failures
    assert _contents(pool) == before


def _parsl_missing() -> str | None:
    try:
        import parsl  # noqa: F401
    except ImportError:
        return "Parsl is not installed (pip install '.[parsl]')"
    return None


def _need_parsl() -> None:
    why = _parsl_missing()
    if why and os.environ.get("CI") == "true":
        pytest.fail(f"{why}; CI installs it (.ci/run)")
    if why:
        pytest.skip(why)


def test_import_through_a_real_parsl_htex_executor(tmp_path, monkeypatch) -> None:
    _need_parsl()
    from parsl.executors import HighThroughputExecutor
    from parsl.providers import LocalProvider

    # the LocalProvider starts process_worker_pool.py from PATH: this Python's scripts
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(planning, "CUT_MIN_BYTES", 20_000)
    expected = _sequential(tmp_path, RUNINFO)
    run = tmp_path / "runinfo"
    shutil.copytree(RUNINFO, run)
    htex = HighThroughputExecutor(
        label="ev_import", address="127.0.0.1", max_workers_per_node=2, cores_per_worker=1,
        heartbeat_period=1, heartbeat_threshold=30,
        provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1))
    pool = tmp_path / "pool"
    result = import_paths([RUNINFO], pool=pool, executor=htex, tz="UTC", batch_bytes=60_000)
    assert result.engine == "parsl:ev_import" and result.apps > 4
    assert _contents(pool) == expected and not result.partial
    assert _hidden(pool) == []
