"""Redis 2.x/3.x print no year: a quiet gap of months must not move lines a year back.

Real-derived input: the real 2.8.17 log of fixtures/redis, its dates rewritten so that a
server starts in one month and logs again after months of quiet (as a mostly idle server
with notice-level logging does).
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import FIXTURES

from importers.sources import redis_log

LOG = FIXTURES / "redis" / "2.8.17" / "persistence.log"
DATE = re.compile(rb"^(\[\d+\] )(\d\d) (\w{3})( \d\d:\d\d:\d\d)")


def _rewrite(tmp_path: Path, first: bytes, later: bytes, mtime: datetime) -> Path:
    lines = LOG.read_bytes().split(b"\n")
    dated = [i for i, line in enumerate(lines) if DATE.match(line)]
    half = dated[len(dated) // 2]
    out = []
    for i, line in enumerate(lines):
        month = first if i < half else later
        out.append(DATE.sub(lambda m, mo=month: m[1] + b"25 " + mo + m[4], line))
    path = tmp_path / "redis.log"
    path.write_bytes(b"\n".join(out))
    stamp = mtime.timestamp()
    os.utime(path, (stamp, stamp))
    return path


@pytest.mark.parametrize("first,later,years", [
    (b"Jan", b"Jul", (2026, 2026)),   # six months of quiet, same year
    (b"Feb", b"Dec", (2026, 2026)),
    (b"Nov", b"Jun", (2025, 2026)),   # across New Year, seven months
    (b"Dec", b"Jan", (2025, 2026)),   # the rollover
])
def test_time_never_goes_back_a_year_after_a_quiet_gap(tmp_path: Path, first: bytes,
                                                       later: bytes, years) -> None:
    # the file was last written just after its last line
    month = datetime.strptime(later.decode(), "%b").month
    path = _rewrite(tmp_path, first, later, datetime(years[1], month, 26, tzinfo=timezone.utc))
    records = [r for r in redis_log.read([path], tz="UTC") if "created" in r]
    created = [r["created"] for r in records]
    assert created == sorted(created), "a log does not go backwards"
    got = {datetime.fromtimestamp(t, timezone.utc).year for t in created}
    assert got == set(years)


def test_a_restarted_server_reusing_an_old_childs_pid_is_no_child(tmp_path: Path) -> None:
    """Real 7.0.15 log: the server forks save children (5875 first), then restarts as pid
    5964. Rewritten so the new server gets pid 5875, as pid reuse does on a busy node: its
    start-up lines must not be labelled as the old server's child."""
    log = tmp_path / "persistence.log"
    lines = (FIXTURES / "redis" / "7.0.15" / "persistence.log").read_bytes().split(b"\n")
    restart = next(i for i, x in enumerate(lines) if x.startswith(b"5964:C"))
    lines = lines[:restart] + [x.replace(b"5964:", b"5875:") for x in lines[restart:]]
    log.write_bytes(b"\n".join(lines))
    records = list(redis_log.read([log], tz="UTC"))
    child = [r for r in records if r["ev.lineno"] < restart + 1 and r["linux.pid"] == 5875]
    assert child and all(r.get("redis.role") == "child" for r in child)
    server = [r for r in records if r["ev.lineno"] > restart and r["linux.pid"] == 5875]
    assert server and not [r for r in server if r.get("redis.role") == "child"]
    assert not [r for r in server if "redis.parent_pid" in r]
    assert {r.get("redis.role") for r in server} >= {"master"}
