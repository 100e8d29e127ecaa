"""A pool file's identity is its input's: host + real path of one file or one Parsl run dir.

So any command importing the same input replaces the same file (no event twice), a re-import
with a corrected option replaces the wrong file, and other hosts' files are kept. Runs on the
real Parsl and Redis fixtures.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES

from importers.cli import main
from importers.core import identity, pool

RUNINFO = FIXTURES / "parsl" / "2024.3.4" / "runinfo"
REDIS = FIXTURES / "redis" / "7.0.15" / "failover-master.log"


def _files(pool_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(pool_dir.glob("*.jsonlog"))}


def _event_counts(pool_dir: Path) -> Counter:
    """How often each (origin, line) event is in the pool: 1 everywhere means no duplicate."""
    return Counter((r.get("ev.origin"), r.get("ev.lineno"), r.get("ev.event"),
                    r.get("formatted")) for r in pool.read(pool_dir))


@pytest.fixture
def runinfo(tmp_path: Path) -> Path:
    """A copy of a real runinfo/ (logs only; the DB is another source)."""
    dest = tmp_path / "work" / "runinfo"
    shutil.copytree(RUNINFO, dest, ignore=shutil.ignore_patterns("monitoring.db"))
    return dest


def test_file_name_rule() -> None:
    """<source>-<host>-<12 hex of host and real path>.jsonlog; the host is sanitised."""
    name = identity.pool_file_name("redis-log", [REDIS], host="node17")
    assert name.startswith("redis-log-node17-") and name.endswith(".jsonlog")
    assert len(name) == len("redis-log-node17-") + 12 + len(".jsonlog")
    assert identity.pool_file_name("redis-log", [str(REDIS.parent / ".." / "7.0.15" /
                                                     REDIS.name)], host="node17") == name
    assert identity.pool_file_name("redis-log", [REDIS], host="node18") != name
    os.environ["EV_HOST"] = "a/../b c"
    try:
        assert identity.host_name() == "a_.._b_c"
        assert "/" not in identity.pool_file_name("x", [REDIS])
    finally:
        del os.environ["EV_HOST"]


def test_parsl_logs_then_auto_replace_the_same_files(runinfo: Path, tmp_path: Path) -> None:
    out = tmp_path / "pool"
    assert main(["parsl-logs", str(runinfo), "--pool", str(out), "-q"]) == 0
    first = _files(out)
    assert len(first) == 2, "one pool file per run dir (000, 001)"
    assert main(["auto", str(runinfo), "--pool", str(out), "-q"]) == 0
    assert _files(out) == first, "auto wrote the same files, byte for byte"
    assert max(_event_counts(out).values()) == 1


def test_auto_of_a_dir_and_its_subdir_imports_each_file_once(runinfo: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "pool"
    assert main(["auto", str(runinfo), str(runinfo / "000"), str(runinfo / "000"),
                 "--pool", str(out), "-q"]) == 0
    assert len(_files(out)) == 2
    assert max(_event_counts(out).values()) == 1
    # the run dir alone, and through a symlink, is the same input again
    (tmp_path / "link").symlink_to(runinfo)
    assert main(["parsl-logs", str(tmp_path / "link" / "000"), "--pool", str(out), "-q"]) == 0
    assert len(_files(out)) == 2


def test_a_file_inside_a_run_dir_is_its_own_input(runinfo: Path, tmp_path: Path) -> None:
    """A part of a run never replaces the whole run's file (that would lose its events)."""
    out = tmp_path / "pool"
    assert main(["parsl-logs", str(runinfo / "000"), "--pool", str(out), "-q"]) == 0
    whole = _files(out)
    assert main(["parsl-logs", str(runinfo / "000" / "parsl.log"), "--pool", str(out),
                 "-q"]) == 0
    after = _files(out)
    assert len(after) == 2 and all(after[name] == data for name, data in whole.items())


def test_a_corrected_tz_replaces_the_wrong_file(tmp_path: Path) -> None:
    out = tmp_path / "pool"
    assert main(["redis-log", str(REDIS), "--pool", str(out), "--tz", "Asia/Tokyo", "-q"]) == 0
    [wrong] = out.glob("*.jsonlog")
    wrong_first = orjson.loads(wrong.read_bytes().split(b"\n")[0])
    assert main(["redis-log", str(REDIS), "--pool", str(out), "--tz", "UTC", "-q"]) == 0
    [right] = out.glob("*.jsonlog")
    assert right.name == wrong.name
    right_first = orjson.loads(right.read_bytes().split(b"\n")[0])
    assert right_first["created"] - wrong_first["created"] == pytest.approx(9 * 3600)


def test_other_hosts_files_are_kept(tmp_path: Path, monkeypatch) -> None:
    """Two nodes importing the same path into a shared pool keep two files."""
    out = tmp_path / "pool"
    for host in ("node1", "node2", "node1"):
        monkeypatch.setenv("EV_HOST", host)
        assert main(["redis-log", str(REDIS), "--pool", str(out), "--tz", "UTC", "-q"]) == 0
    names = sorted(_files(out))
    assert len(names) == 2
    assert names[0].startswith("redis-log-node1-") and names[1].startswith("redis-log-node2-")


def test_source_id_names_the_file_a_command_writes(tmp_path: Path, monkeypatch) -> None:
    """The function other code (the distributed import) calls gives the CLI's file name."""
    monkeypatch.setenv("EV_HOST", "n7")
    out = tmp_path / "pool"
    assert main(["redis-log", str(REDIS), "--pool", str(out), "-q"]) == 0
    [written] = out.glob("*.jsonlog")
    assert written.name == f"redis-log-{pool.source_id('redis-log', [REDIS])}.jsonlog"
    assert pool.source_id("redis-log", [REDIS]) == pool.source_id("x", [REDIS], host="n7")
    assert pool.host_name() == "n7"


def test_copied_academy_files_keep_one_place_per_input(tmp_path: Path) -> None:
    academy = FIXTURES / "academy" / "1.0.0"
    out = tmp_path / "pool"
    assert main(["auto", str(academy / "academy_home"), "--pool", str(out), "-q"]) == 0
    first = sorted(p.relative_to(out) for p in out.rglob("*.jsonlog"))
    assert main(["auto", str(academy / "academy_home" / "logs"), str(academy / "academy_home"),
                 "--pool", str(out), "-q"]) == 0
    assert sorted(p.relative_to(out) for p in out.rglob("*.jsonlog")) == first
    assert len(first) == 2
    # the Academy layout <pool-uuid>/<instance-uuid>.jsonlog survives at the end
    assert all(p.parent.name == "27a9c8f1-8b8e-4755-9887-8b019b1a4f3c" for p in first)
