"""``ev-import redis-log``: Redis console logs as events, on real logs of five releases.

Every file under fixtures/redis/<release>/ was written by a real redis-server or
redis-sentinel (scripts/make_redis_fixture.sh): 2.8.17 and 3.2.6 built from source, 6.0.9,
6.2.14 and 7.0.15 as shipped. Logfiles, stdout through a pipe and through a tty (CRLF, the
logo, util-linux ``script``'s header), a sentinel failover, persistence with child pids, a
DEBUG SEGFAULT crash report and fatal config errors. The lines asserted below are quoted
from those files; hand-typed lines appear only in unit tests that say so.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from conformance import assert_conforms
from conftest import FIXTURES, without_rate

from importers.cli import main
from importers.core.errors import UnusableInput
from importers.core.report import ImportReport
from importers.sources import redis_log

REDIS = FIXTURES / "redis"
FILES = sorted(p for p in REDIS.glob("*/*") if p.suffix in (".log", ".out"))
RELEASES = sorted({p.parent.name for p in FILES})
assert len(RELEASES) >= 5 and len(FILES) >= 40, "expected the fixtures of five releases"


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _events(path: Path | list[Path], **options) -> list[dict]:
    return list(redis_log.read(path, tz=options.pop("tz", "UTC"), **options))


def _fixture(name: str) -> Path:
    return REDIS / name


def _at(records: list[dict], lineno: int) -> dict:
    [rec] = [r for r in records if r["ev.lineno"] == lineno]
    return rec


def _line(path: Path, lineno: int) -> str:
    return path.read_bytes().split(b"\n")[lineno - 1].decode().rstrip("\r")


# ---------------------------------------------------------------------------------------
# Every line of every fixture, accounted for


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_every_line_is_in_exactly_one_event_and_none_is_unparsed(path: Path) -> None:
    """Each record covers ev.lineno .. + ev.line_count - 1; together: every line, once."""
    records = _events(path)
    covered = [n for r in records
               for n in range(r["ev.lineno"], r["ev.lineno"] + r.get("ev.line_count", 1))]
    lines = path.read_bytes().count(b"\n") + (0 if path.read_bytes().endswith(b"\n") else 1)
    assert sorted(covered) == list(range(1, lines + 1))
    assert [r for r in records if r["ev.event"] == "unparsed"] == []
    assert [r["ev.lineno"] for r in records] == sorted(r["ev.lineno"] for r in records), \
        "records come out in file order"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_records_conform_to_the_design(path: Path) -> None:
    assert assert_conforms(_events(path), "redis-log") >= 1


def test_every_message_family_occurs_in_the_fixtures() -> None:
    """Each family's samples are quoted from real lines, and some real line reaches it."""
    text = "\n".join(p.read_text(errors="replace") for p in FILES)
    for family in redis_log.MESSAGES:
        for sample in family.variant.samples:
            assert sample.line in text, f"{family.variant.name}: sample not in any fixture"
    names = {
        hit[0].variant.name
        for p in FILES for r in _events(p)
        if r.get("ev.format") in ("v3", "v3-noyear", "v2", "sig", "sig-v2")
        if (hit := redis_log.classify(r["formatted"])) is not None
    }
    assert names == {f.variant.name for f in redis_log.MESSAGES}


def test_each_sample_is_dispatched_to_its_own_family() -> None:
    """The first-word index never hides a family: classify() finds each sample's own."""
    for family in redis_log.MESSAGES:
        for sample in family.variant.samples:
            hit = redis_log.classify(sample.line)
            assert hit is not None and hit[0] is family, sample.line


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_roles_and_levels_per_line(path: Path) -> None:
    """The role and level chars of each prefixed line, kept raw and mapped.

    A ``C`` line is a child, except the first lines of a starting server (4.x+), which carry
    C with the server's own pid: those get the role the server prints next.
    """
    raw = path.read_bytes().decode(errors="replace").split("\n")
    levels = {".": ("DEBUG", 10), "-": ("VERBOSE", 15), "*": ("INFO", 20), "#": ("WARNING", 30)}
    roles = {"M": "master", "S": "replica", "X": "sentinel"}
    for rec in _events(path):
        fmt = rec.get("ev.format")
        if fmt not in ("v3", "v3-noyear", "v2"):
            continue
        line = raw[rec["ev.lineno"] - 1].rstrip("\r")
        head = line.split(" ", 1)[0]
        level_char = line.split(" ", 6 if fmt == "v3" else 5)[5 if fmt == "v3" else 4]
        assert rec["redis.level_char"] == level_char
        assert (rec["levelname"], rec["levelno"]) == levels[level_char]
        assert rec["linux.pid"] == int(head.strip("[]").split(":")[0])
        if fmt == "v2":
            assert "redis.role_char" not in rec
            continue
        role_char = head.split(":")[1]
        assert rec["redis.role_char"] == role_char
        if role_char != "C":
            assert rec["redis.role"] == roles[role_char]
        elif "redis.parent_pid" in rec:
            assert rec["redis.role"] == "child"
        else:
            assert rec["redis.role"] in ("master", "replica", "sentinel"), rec


def test_startup_lines_with_role_c_are_the_server_not_a_child() -> None:
    """6.0.9 on a tty: three ``C`` lines, the logo, then ``M``: all one master, pid 11363."""
    path = _fixture("6.0.9/stdout-pty.out")
    records = _events(path)
    assert _line(path, 2) == ("11363:C 25 Nov 2026 08:51:05.880 # oO0OoO0OoO0Oo Redis is starting "
                              "oO0OoO0OoO0Oo")
    assert [(r["ev.lineno"], r.get("redis.role_char"), r["redis.role"]) for r in records[1:6]] == [
        (2, "C", "master"), (3, "C", "master"), (4, "C", "master"), (5, None, "master"),
        (23, "M", "master"),
    ]


# ---------------------------------------------------------------------------------------
# Keys from messages, each on a real line, field by field plus the field count


def test_version_line_field_by_field() -> None:
    path = _fixture("7.0.15/loglevel-verbose.log")
    assert _line(path, 2) == ("5618:C 25 Nov 2026 08:48:54.004 # Redis version=7.0.15, bits=64, "
                              "commit=00000000, modified=0, pid=5618, just started")
    rec = _at(_events(path), 2)
    assert rec["created"] == pytest.approx(
        datetime(2026, 11, 25, 8, 48, 54, 4000, tzinfo=timezone.utc).timestamp())
    assert rec["formatted"] == ("Redis version=7.0.15, bits=64, commit=00000000, modified=0, "
                                "pid=5618, just started")
    assert rec["name"] == "redis"
    assert rec["levelname"] == "WARNING" and rec["levelno"] == 30
    assert rec["ev.source"] == "redis-log" and rec["ev.origin"] == str(path)
    assert rec["ev.event"] == "server_version" and rec["ev.lineno"] == 2
    assert rec["ev.format"] == "v3"
    assert rec["linux.pid"] == 5618
    assert rec["redis.role"] == "master" and rec["redis.role_char"] == "C"
    assert rec["redis.level_char"] == "#"
    assert rec["redis.version"] == "7.0.15"
    assert rec["redis.bits"] == 64 and rec["redis.commit"] == "00000000"
    assert rec["redis.modified"] == 0
    assert len(rec) == 18


def test_mode_and_port_line() -> None:
    path = _fixture("7.0.15/failover-sentinel.log")
    assert _line(path, 5) == "6572:X 25 Nov 2026 08:49:15.052 * Running mode=sentinel, port=61107."
    rec = _at(_events(path), 5)
    assert rec["ev.event"] == "server_mode"
    assert rec["redis.mode"] == "sentinel" and rec["redis.port"] == 61107
    assert rec["redis.role"] == "sentinel" and rec["linux.pid"] == 6572
    assert len(rec) == 16


def test_2x_ready_line_names_the_port_and_has_no_role() -> None:
    path = _fixture("2.8.17/loglevel-notice.log")
    assert _line(path, 21) == ("[8231] 25 Nov 08:49:39.421 * The server is now ready to accept "
                               "connections on port 61113")
    rec = _at(_events(path), 21)
    assert rec["ev.event"] == "ready" and rec["ev.format"] == "v2"
    assert rec["redis.port"] == 61113 and rec["linux.pid"] == 8231
    assert "redis.role" not in rec and "redis.role_char" not in rec
    assert rec["levelname"] == "INFO" and rec["redis.level_char"] == "*"
    assert len(rec) == 13


def test_ready_line() -> None:
    path = _fixture("7.0.15/loglevel-verbose.log")
    assert _line(path, 8) == "5618:M 25 Nov 2026 08:48:54.011 * Ready to accept connections"
    rec = _at(_events(path), 8)
    assert rec["ev.event"] == "ready" and rec["formatted"] == "Ready to accept connections"
    assert rec["levelname"] == "INFO" and rec["redis.role"] == "master"
    assert len(rec) == 14


def test_banner_is_one_event_with_version_mode_port_pid() -> None:
    """2.8.17 on a tty: the logo's 17 lines and the blank after it, CRLF endings: one event."""
    path = _fixture("2.8.17/stdout-pty.out")
    assert path.read_bytes().split(b"\n")[1] == (
        b"                _._                                                  \r")
    records = _events(path)
    rec = _at(records, 2)
    assert rec["ev.event"] == "banner" and rec["ev.line_count"] == 18
    assert rec["formatted"] == "Redis 2.8.17 standalone mode, port 61124, pid 9596"
    assert rec["redis.version"] == "2.8.17" and rec["redis.git_sha1"] == "00000000"
    assert rec["redis.git_dirty"] == 0 and rec["redis.bits"] == 64
    assert rec["redis.mode"] == "standalone" and rec["redis.port"] == 61124
    assert rec["linux.pid"] == 9596
    # printed before any time: it takes the time of the line after it
    assert rec["created"] == _at(records, 20)["created"]
    assert len(rec) == 18


def test_sentinel_banner_makes_2x_lines_of_that_pid_sentinel() -> None:
    records = _events(_fixture("2.8.17/failover-sentinel.log"))
    assert _at(records, 1)["redis.mode"] == "sentinel"
    assert {r.get("redis.role") for r in records if r.get("linux.pid") == 8564} == {"sentinel"}


def test_clients_accepted_and_closed() -> None:
    path = _fixture("7.0.15/loglevel-verbose.log")
    assert _line(path, 9) == "5618:M 25 Nov 2026 08:48:54.115 - Accepted 127.0.0.1:59762"
    assert _line(path, 10).startswith(
        "5618:M 25 Nov 2026 08:48:54.116 - Client closed connection id=3 addr=127.0.0.1:59762 "
        "laddr=127.0.0.1:61101 fd=7 name= age=0 ")
    records = _events(path)
    accepted, closed = _at(records, 9), _at(records, 10)
    assert accepted["ev.event"] == "client_accepted"
    assert accepted["redis.client_addr"] == "127.0.0.1:59762"
    assert accepted["levelname"] == "VERBOSE" and accepted["levelno"] == 15
    assert len(accepted) == 15
    assert closed["ev.event"] == "client_closed"
    assert closed["redis.client_addr"] == "127.0.0.1:59762"
    assert closed["redis.client_id"] == 3 and closed["redis.client_laddr"] == "127.0.0.1:61101"
    assert "redis.client_name" not in closed, "name= is empty: unknown, omitted"
    assert len(closed) == 17
    older = _at(_events(_fixture("3.2.6/loglevel-verbose.log")), 25)
    assert older["formatted"] == "Client closed connection" and older["ev.event"] == "client_closed"


def test_background_save_names_its_child_and_the_child_lines_link_back() -> None:
    path = _fixture("3.2.6/persistence.log")
    assert _line(path, 23) == ("10016:M 25 Nov 08:50:36.605 * Background saving started by "
                               "pid 10045")
    assert _line(path, 24) == "10045:C 25 Nov 08:50:36.606 * DB saved on disk"
    records = _events(path)
    start, child, cow, end = (_at(records, n) for n in (23, 24, 25, 26))
    assert start["ev.event"] == "bgsave_start" and start["redis.child_pid"] == 10045
    assert start["linux.pid"] == 10016 and start["redis.role"] == "master"
    assert len(start) == 15
    assert child["ev.event"] == "db_saved" and child["linux.pid"] == 10045
    assert child["redis.role"] == "child" and child["redis.parent_pid"] == 10016
    assert len(child) == 15
    assert cow["ev.event"] == "fork_cow" and cow["redis.cow_mb"] == 0
    assert cow["redis.purpose"] == "RDB" and cow["redis.parent_pid"] == 10016
    assert end["ev.event"] == "bgsave_end" and end["redis.result"] == "success"
    rewrite = _at(records, 27)
    assert rewrite["ev.event"] == "aof_rewrite_start" and rewrite["redis.child_pid"] == 10091
    assert {r["redis.parent_pid"] for r in records if r["linux.pid"] == 10091} == {10016}
    assert _at(records, 33)["ev.event"] == "aof_rewrite_end"


@pytest.mark.parametrize("release", RELEASES)
def test_every_child_line_links_to_the_server_that_forked_it(release: str) -> None:
    """Over all files: a pid announced by "started by pid N" logs as a child of its parent."""
    seen = 0
    for path in REDIS.glob(f"{release}/*"):
        records = _events(path)
        forks = {r["redis.child_pid"]: r["linux.pid"] for r in records if "redis.child_pid" in r}
        for rec in records:
            if rec.get("linux.pid") in forks:
                assert rec["redis.role"] == "child"
                assert rec["redis.parent_pid"] == forks[rec["linux.pid"]]
                seen += 1
    if release not in ("6.0.9", "6.2.14"):        # their small sets fork nothing
        assert seen > 0


def test_2x_children_are_linked_too() -> None:
    records = _events(_fixture("2.8.17/persistence.log"))
    assert _at(records, 22)["redis.child_pid"] == 8458
    child = _at(records, 23)
    assert child["linux.pid"] == 8458 and child["redis.role"] == "child"
    assert child["redis.parent_pid"] == 8445


def test_replication_replica_side() -> None:
    """3.2.6, the old master restarted and made a replica by the sentinel: the whole sync."""
    path = _fixture("3.2.6/failover-master.log")
    records = _events(path)
    role = _at(records, 54)
    assert _line(path, 54).startswith(
        "10341:S 25 Nov 08:50:57.368 * SLAVE OF 127.0.0.1:61131 enabled (user request from "
        "'id=5 addr=127.0.0.1:47989 fd=5 name=sentinel-0ec608bb-cmd ")
    assert role["ev.event"] == "role_change" and role["redis.new_role"] == "replica"
    assert role["redis.master_addr"] == "127.0.0.1:61131"
    assert role["redis.client_name"] == "sentinel-0ec608bb-cmd"
    assert role["redis.client_addr"] == "127.0.0.1:47989" and role["redis.client_id"] == 5
    assert len(role) == 19
    assert [(r["ev.lineno"], r["ev.event"]) for r in records if 56 <= r["ev.lineno"] <= 65] == [
        (56, "master_connecting"), (57, "sync_start"), (58, "log"), (59, "log"),
        (60, "partial_resync_impossible"), (61, "full_resync"), (62, "sync_receiving"),
        (63, "log"), (64, "log"), (65, "sync_end"),
    ]
    assert _at(records, 56)["redis.master_addr"] == "127.0.0.1:61131"
    full = _at(records, 61)
    assert _line(path, 61) == ("10341:S 25 Nov 08:50:58.209 * Full resync from master: "
                               "ab9c5673d05810b8b3f7650756eccc24965d952f:1")
    assert full["redis.resync"] == "full" and full["redis.repl_offset"] == 1
    assert full["redis.replid"] == "ab9c5673d05810b8b3f7650756eccc24965d952f"
    assert len(full) == 17
    assert _at(records, 62)["redis.rdb_bytes"] == 137
    assert _at(records, 65)["redis.result"] == "success"


def test_partial_resync_tried_then_refused() -> None:
    """7.0.15: the old master asks for a partial resync; the new one refuses, full resync."""
    replica = _events(_fixture("7.0.15/failover-master.log"))
    tried = _at(replica, 35)
    assert tried["ev.event"] == "partial_resync_try" and tried["redis.resync"] == "partial"
    assert tried["redis.replid"] == "49eae722667686967bb724e4aa1b9aeaa51c55f6"
    assert _at(replica, 36)["ev.event"] == "full_resync"
    master = _events(_fixture("7.0.15/failover-replica.log"))
    refused = _at(master, 36)
    assert refused["ev.event"] == "partial_resync_rejected" and refused["redis.resync"] == "full"
    assert refused["redis.reason"].startswith("Replication ID mismatch")
    assert _at(master, 35)["redis.replica_addr"] == "127.0.0.1:61105"


def test_replication_master_side_and_promotion() -> None:
    records = _events(_fixture("7.0.15/failover-replica.log"))
    promoted = _at(records, 33)
    assert promoted["ev.event"] == "role_change" and promoted["redis.new_role"] == "master"
    assert promoted["redis.role"] == "master" and promoted["redis.role_char"] == "M"
    assert promoted["redis.client_name"] == "sentinel-104f02bd-cmd"
    assert _at(records, 23)["ev.event"] == "master_link_lost"
    assert _at(records, 27)["redis.error"] == "Connection refused"
    assert _at(records, 39)["redis.child_pid"] == 8029
    assert _at(records, 44)["ev.event"] == "replica_sync_done"
    assert _at(records, 45)["ev.event"] == "replica_link_lost"


@pytest.mark.parametrize("release,lines", [
    ("2.8.17", (49, 50, 51)), ("3.2.6", (50, 51, 52)), ("7.0.15", (46, 47, 48)),
])
def test_shutdown_says_its_reason(release: str, lines: tuple[int, int, int]) -> None:
    """A SIGTERM from the signal handler, then "User requested shutdown...", then the exit."""
    path = _fixture(f"{release}/failover-replica.log")
    records = _events(path)
    sig, shutdown, bye = (_at(records, n) for n in lines)
    assert sig["ev.event"] == "signal" and sig["redis.signal"] == "SIGTERM"
    assert sig["ev.format"] == ("sig-v2" if release == "2.8.17" else "sig")
    assert sig["created"] == float(_line(path, lines[0]).split("(")[1].split(")")[0])
    assert sig["levelname"] == "WARNING" and sig["linux.pid"] == shutdown["linux.pid"]
    assert shutdown["ev.event"] == "shutdown"
    assert shutdown["redis.shutdown_reason"] == "signal SIGTERM"
    assert bye["ev.event"] == "exit"
    command = _at(_events(_fixture(f"{release}/loglevel-notice.log")), 0 + {
        "2.8.17": 22, "3.2.6": 23, "7.0.15": 9}[release])
    assert command["redis.shutdown_reason"] == "SHUTDOWN command"


def test_sentinel_failover_sequence_in_order() -> None:
    """The sentinel's view of a failover, as events in the order it logged them."""
    expected = [
        ("+monitor", "master", "127.0.0.1:61105"), ("+slave", "slave", "127.0.0.1:61105"),
        ("+sdown", "master", "127.0.0.1:61105"), ("+odown", "master", "127.0.0.1:61105"),
        ("+new-epoch", None, None), ("+try-failover", "master", "127.0.0.1:61105"),
        ("+vote-for-leader", None, None), ("+elected-leader", "master", "127.0.0.1:61105"),
        ("+failover-state-select-slave", "master", "127.0.0.1:61105"),
        ("+selected-slave", "slave", "127.0.0.1:61105"),
        ("+failover-state-send-slaveof-noone", "slave", "127.0.0.1:61105"),
        ("+failover-state-wait-promotion", "slave", "127.0.0.1:61105"),
        ("+promoted-slave", "slave", "127.0.0.1:61105"),
        ("+failover-state-reconf-slaves", "master", "127.0.0.1:61105"),
        ("+failover-end", "master", "127.0.0.1:61105"),
        ("+switch-master", None, "127.0.0.1:61106"),
        ("+slave", "slave", "127.0.0.1:61106"), ("+sdown", "slave", "127.0.0.1:61106"),
        ("-sdown", "slave", "127.0.0.1:61106"), ("+convert-to-slave", "slave", "127.0.0.1:61106"),
    ]
    records = _events(_fixture("7.0.15/failover-sentinel.log"))
    events = [r for r in records if r["ev.event"] == "sentinel_event"]
    assert [(r["redis.sentinel_event"], r.get("redis.instance_type"),
             r.get("redis.master_addr")) for r in events] == expected
    assert all(r["redis.master_name"] == "mymaster" for r in events if "redis.instance_type" in r)
    switch = next(r for r in events if r["redis.sentinel_event"] == "+switch-master")
    assert switch["formatted"] == "+switch-master mymaster 127.0.0.1 61105 127.0.0.1 61106"
    assert switch["redis.old_master_addr"] == "127.0.0.1:61105"
    assert switch["redis.master_addr"] == "127.0.0.1:61106"
    assert switch["redis.master_name"] == "mymaster" and switch["redis.role"] == "sentinel"
    assert len(switch) == 18
    promoted = next(r for r in events if r["redis.sentinel_event"] == "+promoted-slave")
    assert promoted["redis.instance_addr"] == "127.0.0.1:61106"
    assert promoted["redis.instance_name"] == "127.0.0.1:61106"
    odown = next(r for r in events if r["redis.sentinel_event"] == "+odown")
    assert odown["redis.sentinel_detail"] == "#quorum 1/1"
    vote = next(r for r in events if r["redis.sentinel_event"] == "+vote-for-leader")
    assert vote["redis.leader"] == "104f02bd4f95170e804c7f9d45820e92375c2376"
    assert vote["redis.epoch"] == 1
    assert _at(records, 7)["redis.sentinel_id"] == "104f02bd4f95170e804c7f9d45820e92375c2376"


@pytest.mark.parametrize("release", ["2.8.17", "3.2.6"])
def test_sentinel_sequence_is_the_same_in_older_releases(release: str) -> None:
    records = _events(_fixture(f"{release}/failover-sentinel.log"))
    events = [r["redis.sentinel_event"] for r in records if r["ev.event"] == "sentinel_event"]
    assert events[:4] == ["+monitor", "+slave", "+sdown", "+odown"]
    assert events.index("+switch-master") > events.index("+promoted-slave")
    assert events[-1] == "+convert-to-slave"


@pytest.mark.parametrize("release", ["2.8.17", "3.2.6", "7.0.15"])
def test_crash_report_is_one_event_with_what_it_states(release: str) -> None:
    path = _fixture(f"{release}/crash-segfault.log")
    records = _events(path)
    [crash] = [r for r in records if r["ev.event"] == "crash_report"]
    text = path.read_bytes().decode().replace("\r\n", "\n")
    lines = text.split("\n")
    first, count = crash["ev.lineno"], crash["ev.line_count"]
    assert crash["ev.raw"] == "\n".join(lines[first - 1:first - 1 + count])
    assert "=== REDIS BUG REPORT START" in crash["ev.raw"]
    assert "=== REDIS BUG REPORT END" in crash["ev.raw"]
    assert first + count - 1 == len(lines) - (1 if text.endswith("\n") else 0), \
        "the advice printed after END belongs to the report"
    assert crash["levelname"] == "CRITICAL" and crash["levelno"] == 50
    assert crash["redis.version"] == release
    assert crash["redis.crash_signal"] == 11 and crash["redis.crash_signal_name"] == "SIGSEGV"
    assert crash["redis.command"] == "DEBUG SEGFAULT"
    assert crash["redis.config_file"] == f"/tmp/fx-redis/run/{release}/crash/redis.conf"
    assert crash["redis.mode"] == "standalone" and crash["redis.memory_test"] == "PASSED"
    assert any("debugCommand" in frame for frame in crash["redis.backtrace"][:4])
    assert crash["formatted"] == (f"Redis {release} crashed by signal 11 (SIGSEGV) running "
                                  "DEBUG SEGFAULT")
    server = next(r for r in records if r["ev.event"] == "ready")
    assert crash["linux.pid"] == server["linux.pid"]


def test_crash_report_7_field_by_field() -> None:
    path = _fixture("7.0.15/crash-segfault.log")
    [crash] = [r for r in _events(path) if r["ev.event"] == "crash_report"]
    assert _line(path, 12) == ("8113:M 25 Nov 2026 08:49:38.632 # Redis 7.0.15 crashed by "
                               "signal: 11, si_code: 2")
    assert crash["created"] == _events(path)[-1]["created"]
    assert crash["ev.lineno"] == 9 and crash["ev.line_count"] == 349
    assert crash["linux.pid"] == 8113
    assert crash["redis.role"] == "master" and crash["redis.role_char"] == "M"
    assert crash["redis.crash_si_code"] == 2
    assert crash["redis.crash_address"] == "0x7f7cf3f00000"
    assert crash["redis.crash_instruction"] == "0x562195c6e75f"
    assert crash["redis.port"] == 61108 and crash["redis.executable"] == "/usr/bin/redis-server"
    assert crash["redis.run_id"] == "585feade39a510151ae78b3912bb61cb2567fe35"
    assert crash["redis.uptime_seconds"] == 0 and crash["redis.used_memory"] == 1064760
    assert crash["redis.connected_clients"] == 1
    assert crash["redis.client_addr"] == "127.0.0.1:51476"
    assert crash["redis.backtrace"][:2] == ["+0x3c050", "debugCommand+0x26f"]
    assert len(crash) == 33


@pytest.mark.parametrize("path", sorted(REDIS.glob("*/badconfig-*.out")), ids=_id)
def test_config_error_block_is_one_event(path: Path) -> None:
    [rec] = _events(path)
    assert rec["ev.event"] == "config_error" and rec["levelname"] == "CRITICAL"
    assert rec["ev.lineno"] == 1 and rec["ev.line_count"] == 5
    assert rec["redis.config_line"] == 9
    assert "created" not in rec, "printed before logging starts: no time in the file"
    assert rec["ev.raw"] == path.read_text().rstrip("\n")
    if "unknown-directive" in path.name:
        assert rec["redis.config_directive"] == "this-is-not-a-directive yes"
        assert rec["redis.error"] == "Bad directive or wrong number of arguments"
    else:
        assert rec["redis.config_directive"] == "maxmemory-policy sometimes"
    if path.parent.name == "7.0.15":
        assert rec["redis.version"] == "7.0.15"


def test_script_header_and_trailer_are_their_own_events() -> None:
    """util-linux script's lines around a tty capture: not Redis, kept as script_* events."""
    path = _fixture("7.0.15/stdout-pty.out")
    records = _events(path)
    start, end = records[0], records[-1]
    assert start["ev.event"] == "script_start" and start["name"] == "script"
    assert start["linux.cmdline"] == ("/usr/bin/redis-server "
                                      "/tmp/fx-redis/run/7.0.15/stdout-pty/redis.conf")
    assert start["created"] == datetime(2026, 11, 25, 8, 49, 39, tzinfo=timezone.utc).timestamp()
    assert end["ev.event"] == "script_end" and end["linux.exit_code"] == 0
    assert records[-2]["ev.event"] == "blank", "script writes a blank line before 'done'"


# ---------------------------------------------------------------------------------------
# Times: --tz, and the year of 2.x/3.x lines


def test_zone_shifts_created_by_its_offset() -> None:
    path = _fixture("7.0.15/persistence.log")
    utc, chicago = _events(path), _events(path, tz="America/Chicago")
    offset = ZoneInfo("America/Chicago").utcoffset(datetime(2026, 11, 25)).total_seconds()
    for a, b in zip(utc, chicago, strict=True):
        assert b["created"] - a["created"] == pytest.approx(-offset)


def test_year_of_2x_lines_comes_from_the_file_mtime(tmp_path: Path) -> None:
    copy = tmp_path / "redis.log"
    shutil.copy(_fixture("2.8.17/loglevel-notice.log"), copy)
    stamp = datetime(2031, 12, 1, tzinfo=timezone.utc).timestamp()
    os.utime(copy, (stamp, stamp))
    report = ImportReport()
    records = list(redis_log.read(copy, tz="UTC", report=report))
    first = datetime.fromtimestamp(_at(records, 19)["created"], timezone.utc)
    assert first.year == 2031 and (first.month, first.day) == (11, 25)
    assert report.assumptions["year"] == f"2031 from file mtime ({tmp_path.name}/redis.log)"


def test_a_line_later_in_the_year_than_the_mtime_is_from_the_year_before(tmp_path) -> None:
    copy = tmp_path / "redis.log"
    shutil.copy(_fixture("3.2.6/loglevel-notice.log"), copy)
    stamp = datetime(2031, 1, 3, tzinfo=timezone.utc).timestamp()   # a copy made in January
    os.utime(copy, (stamp, stamp))
    rec = next(r for r in _events(copy) if r.get("ev.format") == "v3-noyear")
    assert datetime.fromtimestamp(rec["created"], timezone.utc).year == 2030


def test_year_override(tmp_path) -> None:
    report = ImportReport()
    records = list(redis_log.read(_fixture("2.8.17/persistence.log"), tz="UTC", report=report,
                                  year=2019))
    assert datetime.fromtimestamp(records[1]["created"], timezone.utc).year == 2019
    assert report.assumptions["year"] == "2019 from --year (2.8.17/persistence.log)"


def test_signal_epoch_corrects_a_wrong_mtime_year(tmp_path) -> None:
    """A copy that lost its mtime (cp without -p, in 2033): the signal handler's epoch says
    2026, so the lines after it get 2026 and the report says the year came from it."""
    copy = tmp_path / "redis.log"
    shutil.copy(_fixture("2.8.17/shutdown-sigterm.log"), copy)
    stamp = datetime(2033, 11, 30, tzinfo=timezone.utc).timestamp()
    os.utime(copy, (stamp, stamp))
    report = ImportReport()
    records = list(redis_log.read(copy, tz="UTC", report=report))
    sig = next(r for r in records if r["ev.event"] == "signal")
    after = [r for r in records if r["ev.lineno"] > sig["ev.lineno"]]
    assert after and all(datetime.fromtimestamp(r["created"], timezone.utc).year == 2026
                         for r in after)
    assert "from neighbouring absolute times" in report.assumptions["year"]


def test_dec_31_to_jan_1_rollover(tmp_path) -> None:
    """Hand-typed lines (no fixture spans a new year): a 2.x server logging across midnight
    on Dec 31, in a file last written on Jan 1, 2027."""
    log = tmp_path / "redis.log"
    log.write_text(
        "[4242] 31 Dec 23:59:59.500 * DB saved on disk\n"
        "[4242] 01 Jan 00:00:00.250 * DB saved on disk\n"
    )
    stamp = datetime(2027, 1, 1, 0, 0, 1, tzinfo=timezone.utc).timestamp()
    os.utime(log, (stamp, stamp))
    report = ImportReport()
    first, second = redis_log.read(log, tz="UTC", report=report)
    assert first["created"] == datetime(2026, 12, 31, 23, 59, 59, 500000,
                                        tzinfo=timezone.utc).timestamp()
    assert second["created"] == datetime(2027, 1, 1, 0, 0, 0, 250000,
                                         tzinfo=timezone.utc).timestamp()
    assert report.assumptions["year"].startswith("2026-2027 from file mtime")


# ---------------------------------------------------------------------------------------
# Golden files: whole imports, reviewed (pytest --update-goldens)


@pytest.mark.parametrize("release", RELEASES)
def test_golden_output(release: str, golden) -> None:
    paths = sorted(REDIS.glob(f"{release}/*.log")) + sorted(REDIS.glob(f"{release}/*.out"))
    records = _events(paths, year=2026)
    assert [r for r in records if r["ev.event"] == "unparsed"] == []
    golden(f"redis_{release}", records)


# ---------------------------------------------------------------------------------------
# The CLI, on good and bad input: exact lines, exit codes, an untouched pool


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_cli_imports_each_file_into_its_own_pool_file(tmp_path, capsys) -> None:
    """One pool file per input file (its identity is the file's), one summary line."""
    pool = tmp_path / "pool"
    paths = [str(_fixture(f"7.0.15/failover-{name}.log")) for name in ("master", "replica")]
    code, err = _run(capsys, "redis-log", *paths, "--pool", str(pool), "--tz", "UTC")
    assert code == 0
    written = list(pool.glob("redis-log-*.jsonlog"))
    assert len(written) == 2
    n = sum(1 for w in written for _ in w.open("rb"))
    assert n == len(_events([Path(p) for p in paths]))
    err = without_rate(err)
    assert err == f"redis-log: {n} events (0 unparsed) from {', '.join(paths)} -> 2 pool " \
                  f"files in {pool}; zone UTC (--tz)\n"


def test_cli_says_the_year_it_assumed(tmp_path, capsys) -> None:
    copy = tmp_path / "3.2.6" / "shutdown-sigterm.log"
    copy.parent.mkdir()
    shutil.copy(_fixture("3.2.6/shutdown-sigterm.log"), copy)
    stamp = datetime(2026, 11, 25, 9, tzinfo=timezone.utc).timestamp()
    os.utime(copy, (stamp, stamp))
    code, err = _run(capsys, "redis-log", str(copy), "--pool", str(tmp_path), "--tz", "UTC")
    assert code == 0
    assert err.endswith("; zone UTC (--tz); year 2026 from file mtime, confirmed by an "
                        "absolute time in the file (3.2.6/shutdown-sigterm.log)\n"), err


def _bad(kind: str, path: Path) -> None:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "binary-junk":
        path.write_bytes(bytes(range(256)) * 64)
    elif kind == "other-log":
        path.write_text("2024-01-01 00:00:00 parsl.dataflow INFO: not a redis log\n" * 10)
    elif kind == "directory":
        path.mkdir()


BAD_INPUTS = {
    "empty": 'error: empty file, not a Redis log: {p} (redis-server writes its log to the '
             'logfile of redis.conf, or to stdout when logfile is "")',
    "binary-junk": "error: not a Redis log: {p} (no line in its first 64 KiB looks like "
                   "redis-server or redis-sentinel output such as 'PID:M DD Mon YYYY "
                   "HH:MM:SS.mmm * message')",
    "other-log": "error: not a Redis log: {p} (no line in its first 64 KiB looks like "
                 "redis-server or redis-sentinel output such as 'PID:M DD Mon YYYY "
                 "HH:MM:SS.mmm * message')",
    "directory": "error: not a file: {p} (give redis-server's log files: its logfile "
                 "setting, or saved console output)",
    "missing": "error: no such file: {p} (check the path to the redis log)",
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_cli_bad_input_is_one_line_exit_2_and_the_pool_untouched(case, tmp_path, capsys):
    path = tmp_path / "redis.log"
    _bad(case, path)
    pool = tmp_path / "pool"
    pool.mkdir()
    keep = pool / "earlier.jsonlog"
    keep.write_text('{"created": 1.0}\n')
    code, err = _run(capsys, "redis-log", str(path), "--pool", str(pool))
    assert code == 2
    assert err == BAD_INPUTS[case].format(p=path) + "\n"
    assert sorted(p.name for p in pool.iterdir()) == ["earlier.jsonlog"]


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_cli_one_bad_file_among_good_ones_does_not_stop_the_rest(case, tmp_path, capsys):
    """Among several inputs, the usable ones are imported: an empty file is skipped and said
    (exit 0), any other unusable one is named in the summary (exit 1)."""
    path = tmp_path / "redis.log"
    _bad(case, path)
    good = _fixture("7.0.15/loglevel-notice.log")
    pool = tmp_path / "pool"
    code, err = _run(capsys, "redis-log", str(good), str(path), "--pool", str(pool),
                     "--tz", "UTC")
    [written] = list(pool.glob("*.jsonlog"))
    assert sum(1 for _ in written.open("rb")) == len(_events(good))
    assert err.count("\n") == 1
    if case == "empty":
        assert code == 0 and f"empty files, skipped {path}" in err
    else:
        what = BAD_INPUTS[case].format(p=path).removeprefix("error: ").split(": ")[0]
        assert code == 1 and f"UnreadableFile x1 ({path}: {what})" in err


def test_cli_garbage_lines_are_kept_counted_and_exit_1(tmp_path, capsys) -> None:
    """A real log with junk in it: a line of random text, binary, and latin-1 bytes."""
    src = _fixture("7.0.15/shutdown-sigterm.log").read_bytes().split(b"\n")
    log = tmp_path / "redis.log"
    log.write_bytes(b"\n".join([*src[:5], b"<<< garbage >>>", b"\x00\x01\x02binary",
                                src[5] + b" caf\xe9", *src[6:]]))
    pool = tmp_path / "pool"
    code, err = _run(capsys, "redis-log", str(log), "--pool", str(pool), "--tz", "UTC")
    assert code == 1
    [written] = list(pool.glob("*.jsonlog"))
    err = without_rate(err)
    assert err == (f"redis-log: 13 events (2 unparsed) from {log} -> {written}; zone UTC "
                   f"(--tz); InvalidUtf8 x1 ({log})\n")
    records = _events(log)
    junk = _at(records, 6)
    assert junk["ev.event"] == "unparsed" and junk["ev.raw"] == "<<< garbage >>>"
    assert junk["ev.reason"].startswith("no format matched: v3, v3-noyear, v2, sig")
    assert junk["created"] == _at(records, 5)["created"], "the best nearby time"
    latin = _at(records, 8)
    assert latin["ev.invalid_utf8"] is True and latin["formatted"].endswith("caf\ufffd")
    assert latin["ev.event"] == "log"


def test_cli_truncated_file_imports_up_to_the_cut(tmp_path, capsys) -> None:
    """Cut in the middle of the crash report (a full disk): the report is kept, incomplete."""
    data = _fixture("7.0.15/crash-segfault.log").read_bytes()
    log = tmp_path / "redis.log"
    log.write_bytes(data[: len(data) // 2])
    code, err = _run(capsys, "redis-log", str(log), "--pool", str(tmp_path / "pool"))
    assert code == 0
    [crash] = [r for r in _events(log) if r["ev.event"] == "crash_report"]
    assert crash["redis.report_complete"] is False
    assert crash["redis.crash_signal"] == 11
    last_line = data[: len(data) // 2].count(b"\n") + 1
    assert crash["ev.lineno"] + crash["ev.line_count"] - 1 == last_line


def test_library_error_for_a_missing_file_names_it() -> None:
    with pytest.raises(UnusableInput, match="no such file: /nonexistent.log"):
        list(redis_log.read("/nonexistent.log"))


def test_events_per_fixture_set_are_stable() -> None:
    """A coarse census of the whole fixture set, so a family that stops matching shows."""
    events = Counter(r["ev.event"] for r in _events(FILES))
    assert events["unparsed"] == 0
    assert events["banner"] == 30 and events["crash_report"] == 3 and events["config_error"] == 6
    assert events["client_accepted"] == 72 and events["client_closed"] == 64
    assert events["bgsave_start"] == 10 and events["sentinel_event"] == 60
    assert events["script_start"] == events["script_end"] == 5 and events["blank"] == 5


def test_two_processes_give_the_sequential_output_but_at_the_cuts(tmp_path, monkeypatch) -> None:
    """A big log cut in parts (here a small one, with the size threshold lowered): the same
    records in the same order; only what needs an earlier part (a child's parent pid, the
    role of a 2.x or signal-handler line, a shutdown's signal) may differ after a cut."""
    from importers.core.pool import PoolWriter

    log = tmp_path / "redis.log"
    log.write_bytes(b"".join(_fixture(f"{v}/persistence.log").read_bytes()
                             for v in ("7.0.15", "3.2.6", "2.8.17")) * 20)
    monkeypatch.setattr(redis_log.source, "SPLIT_MIN_BYTES", 1)
    outputs = []
    for jobs in (1, 2):
        pool = tmp_path / f"pool{jobs}"
        with PoolWriter(pool, "redis-log", "x") as writer:
            redis_log.write_to(writer, [log], tz="UTC", year=2026, report=ImportReport(),
                               jobs=jobs)
        outputs.append([orjson.loads(line) for line in (pool / "redis-log-x.jsonlog").open("rb")])
    one, two = outputs
    assert len(one) == len(two) > 1000
    stateful = {"redis.parent_pid", "redis.role", "redis.shutdown_reason"}
    differ = 0
    for a, b in zip(one, two, strict=True):
        if a != b:
            differ += 1
            assert {k for k in a.keys() ^ b.keys()} <= stateful, (a, b)
            assert {k for k in a.keys() & b.keys() if a[k] != b[k]} <= stateful
    assert differ < 10, "only just after the cuts"
