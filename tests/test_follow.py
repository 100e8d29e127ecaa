"""Following a live pool: appended lines from every file, in time order, nothing twice.

The writers here replay real fixture files (Academy's two JSONPoolLogging files, the client's
and the agent's) line by line into a pool, as the processes wrote them, including the moment
a line is half written.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES, ROOT

from importers.analysis.follow import PoolFollower, follow, matcher

ACADEMY = sorted((FIXTURES / "academy/1.0.0/academy_home/logs").rglob("*.jsonlog"))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def created(line: bytes) -> float:
    return float(orjson.loads(line)["created"])


@pytest.fixture
def pool(tmp_path: Path) -> Path:
    p = tmp_path / "pool"
    (p / "academy").mkdir(parents=True)
    return p


def test_appended_lines_come_out_merged_in_time_order(pool: Path) -> None:
    client, agent = (lines_of(p) for p in ACADEMY)
    a, b = pool / "academy" / "client.jsonlog", pool / "academy" / "agent.jsonlog"
    a.write_bytes(b"".join(client[:3]))          # already there: not printed (tail -f)
    b.write_bytes(b"")
    clock = Clock()
    follower = PoolFollower(pool, window=0.5, clock=clock, rescan=0)
    out: list[dict] = []
    # Replay both files in the order the processes wrote them (by created), in small
    # batches, each batch landing in its file; a half line is written first, then the rest.
    events = sorted([(created(x), a, x) for x in client[3:]] +
                    [(created(x), b, x) for x in agent], key=lambda e: e[0])
    for i, (_, path, line) in enumerate(events):
        with open(path, "ab") as fh:
            if i % 7 == 0:
                fh.write(line[:20])
                fh.flush()
                follower.poll()                # sees a torn line: must wait for the rest
                fh.write(line[20:])
            else:
                fh.write(line)
        if i % 5 == 0:
            follower.poll()
            clock.now += 0.2
            out.extend(follower.ready())
    follower.poll()
    clock.now += 1
    out.extend(follower.ready())
    assert follower.pending() == 0
    expected = sorted(client[3:] + agent, key=created)
    assert [r["formatted"] for r in out] == [orjson.loads(x)["formatted"] for x in expected]
    times = [r["created"] for r in out]
    assert times == sorted(times)
    assert all(isinstance(t, float) for t in times)    # Academy's strings, coerced
    assert {r["ev.file"] for r in out} == {str(a), str(b)}


def test_a_record_waits_its_window_for_earlier_ones_from_other_files(pool: Path) -> None:
    client, agent = (lines_of(p) for p in ACADEMY)
    late, early = sorted([client[5], agent[0]], key=created, reverse=True)
    clock = Clock()
    follower = PoolFollower(pool, window=0.5, clock=clock, rescan=0)
    (pool / "one.jsonlog").write_bytes(late)
    follower.poll()
    clock.now += 0.3
    assert list(follower.ready()) == []            # still inside its window
    (pool / "two.jsonlog").write_bytes(early)      # an earlier event, flushed later
    follower.poll()
    clock.now += 0.3
    first = list(follower.ready())
    clock.now += 0.3
    second = list(follower.ready())
    assert [r["created"] for r in first + second] == sorted(map(created, [late, early]))


def test_new_files_are_picked_up_and_read_from_their_start(pool: Path) -> None:
    notices: list[str] = []
    clock = Clock()
    follower = PoolFollower(pool, window=0, clock=clock, rescan=0, notice=notices.append)
    nested = pool / "27a9c8f1" / "new.jsonlog"       # Academy nests files in <pool-uuid>/
    nested.parent.mkdir()
    agent = lines_of(ACADEMY[0])
    nested.write_bytes(b"".join(agent[:4]))
    follower.poll()
    clock.now += 1
    assert len(list(follower.ready())) == 4
    assert notices == [f"following new file {nested}"]
    # A temporary file of a running import (dot-name, no .jsonlog suffix) is never read.
    (pool / ".parsl-db-x.jsonlog.123.tmp").write_bytes(agent[0])
    follower.poll()
    assert list(follower.ready(flush=True)) == []


def test_garbage_lines_become_unparsed_records(pool: Path) -> None:
    # Hand-typed edge case: a line that is not JSON, between two real ones.
    path = pool / "w.jsonlog"
    path.write_bytes(b"")
    follower = PoolFollower(pool, window=0)
    agent = lines_of(ACADEMY[0])
    path.write_bytes(agent[0] + b"\x00garbage {\n" + agent[1])
    follower.poll()
    out = list(follower.ready(flush=True))
    assert [r["ev.event"] for r in out if "ev.event" in r] == ["unparsed"]
    [bad] = [r for r in out if r.get("ev.event") == "unparsed"]
    assert bad["ev.raw"] == "\x00garbage {" and bad["ev.lineno"] == 2
    assert bad["ev.file"] == str(path)


def test_replaced_and_truncated_files_are_read_again(pool: Path) -> None:
    notices: list[str] = []
    agent = lines_of(ACADEMY[0])
    path = pool / "re.jsonlog"
    path.write_bytes(agent[0])
    follower = PoolFollower(pool, window=0, notice=notices.append)
    temp = pool / ".re.tmp"
    temp.write_bytes(agent[1] + agent[2])
    os.replace(temp, path)                       # a re-import renames a new file into place
    follower.poll()
    assert len(list(follower.ready(flush=True))) == 2
    path.write_bytes(agent[3])                   # truncated, then written again
    follower.poll()
    assert [r["formatted"] for r in follower.ready(flush=True)] == \
        [orjson.loads(agent[3])["formatted"]]
    assert [n.split(",")[0] for n in notices] == ["file replaced", "file truncated"]


def test_filters_and_since(pool: Path) -> None:
    client = lines_of(ACADEMY[1])
    (pool / "c.jsonlog").write_bytes(b"".join(client))
    since = created(client[100])
    recs = list(follow(pool, since=since, where={"academy.message_type": "ActionRequest"},
                       duration=0, window=0))
    expected = [orjson.loads(x) for x in client if created(x) >= since]
    expected = [x for x in expected if x.get("academy.message_type") == "ActionRequest"]
    assert [r["formatted"] for r in recs] == [x["formatted"] for x in expected]
    assert matcher(where=[("process", "28679")])({"process": 28679})   # text compares too
    assert not matcher(since=1)({"formatted": "no created"})


def test_cli_follows_a_file_being_written(pool: Path) -> None:
    """The command end to end: a writer process appends real lines while follow runs."""
    agent = lines_of(ACADEMY[0])
    path = pool / "live.jsonlog"
    path.write_bytes(agent[0])
    env = {**os.environ, "TZ": "UTC"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "importers", "follow", str(pool), "--json", "--duration", "3",
         "--window", "0.1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        cwd=ROOT)

    def write() -> None:
        with open(path, "ab") as fh:
            for line in agent[1:11]:
                fh.write(line[:10])
                fh.flush()
                time.sleep(0.02)
                fh.write(line[10:])
                fh.flush()
    started = proc.stderr.readline()          # the follower is looking: write now
    assert started.startswith(b"follow: following 1 files under")
    writer = threading.Thread(target=write)
    writer.start()
    out, err = proc.communicate(timeout=30)
    writer.join()
    assert proc.returncode == 0, err
    got = [orjson.loads(x) for x in out.splitlines()]
    assert [r["formatted"] for r in got] == [orjson.loads(x)["formatted"] for x in agent[1:11]]


def test_printed_lines_never_replay_terminal_escapes() -> None:
    from importers.commands.follow import format_line

    # Hand-typed hostile record: an escape sequence and a bidi override in the message.
    line = format_line({"created": 0.0, "formatted": "x\x1b[2Jy\u202ez", "ev.source": "w\x07"})
    assert "\x1b" not in line and "\u202e" not in line and "\x07" not in line
    assert "\\x1b[2J" in line and "\\u202e" in line
