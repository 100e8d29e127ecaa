"""Following text logs into the pool: the same records a one-shot import gives, exactly once,
through restarts, rotation and truncation.

The logs are real fixtures (a Parsl 2026.10.26 parsl.log with a traceback spanning several
lines, a Redis 7.0.15 crash report) replayed into a file piece by piece, cut at arbitrary
bytes, as a writer's flushes land. The expected records are what ``ev-import parsl-logs`` /
``redis-log`` give for the same bytes in one go.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES

from importers.auto import copied_path
from importers.core.filetail import FOLLOW_LOST, FollowedLog
from importers.core.report import ImportReport
from importers.follow_logs import followed_copy, followed_log
from importers.sources import parsl_logs, redis_log
from importers.sources.parsl_logs.source import is_record_start

PARSL_LOG = FIXTURES / "parsl/2026.10.26/runinfo/000/parsl.log"
REDIS_LOG = FIXTURES / "redis/7.0.15/crash-segfault.log"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def one_shot(source: str, path: Path) -> list[dict]:
    """What a plain import of ``path`` gives, provenance made comparable."""
    if source == "parsl-logs":
        records = parsl_logs.read([path], tz="UTC")
    else:
        records = redis_log.read([path], tz="UTC")
    return [strip(r) for r in records]


def strip(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if k != "ev.origin"}


def with_run_id(records: list[dict]) -> list[dict]:
    """The follower knows the run's id from the log's first records, read before the log
    was rotated or truncated (and kept in its checkpoint over a restart); a one-shot import
    of either half alone cannot find it, so it is added to those for the comparison."""
    run_id = one_shot("parsl-logs", PARSL_LOG)[0]["parsl.run_id"]
    return [{**r, "parsl.run_id": run_id} for r in records]


def pool_records(log: FollowedLog) -> list[dict]:
    return [strip(orjson.loads(line)) for line in log.out_path.read_bytes().splitlines()]


def make(tmp_path: Path, source: str, live: Path, clock: Clock, **kw) -> FollowedLog:
    log = followed_log(live, source, tmp_path / "pool", tz="UTC",
                       report=kw.pop("report", ImportReport()), clock=clock, **kw)
    log.start()
    return log


def live_dir(tmp_path: Path) -> Path:
    # Keep the run-dir shape (runinfo/000/parsl.log) so the Parsl keys come out the same.
    d = tmp_path / "runinfo" / "000"
    d.mkdir(parents=True)
    return d


def pieces(data: bytes, n: int) -> list[bytes]:
    """``data`` cut into about ``n`` pieces at byte offsets that ignore line ends."""
    step = max(1, len(data) // n)
    return [data[i:i + step] for i in range(0, len(data), step)]


@pytest.mark.parametrize(("source", "fixture"), [("parsl-logs", PARSL_LOG),
                                                 ("redis-log", REDIS_LOG)])
def test_followed_log_gives_what_a_one_shot_import_gives(tmp_path: Path, source: str,
                                                         fixture: Path) -> None:
    live = live_dir(tmp_path) / fixture.name
    live.write_bytes(b"")
    clock = Clock()
    log = make(tmp_path, source, live, clock, settle=1.0)
    for piece in pieces(fixture.read_bytes(), 37):
        with open(live, "ab") as fh:
            fh.write(piece)
        log.step()
        clock.now += 0.1                  # the writer is busy: no settle, records held back
    clock.now += 2
    log.step()                            # quiet now: the last record is complete
    log.close()
    assert pool_records(log) == one_shot(source, live)
    assert {orjson.loads(x)["ev.origin"] for x in log.out_path.read_bytes().splitlines()} \
        == {str(live)}


def test_the_last_record_waits_for_its_continuation_lines(tmp_path: Path) -> None:
    lines = PARSL_LOG.read_bytes().splitlines(keepends=True)
    tb = next(i for i, x in enumerate(lines) if x.startswith(b"Traceback"))
    live = live_dir(tmp_path) / "parsl.log"
    live.write_bytes(b"".join(lines[:tb]))           # up to the record the traceback ends
    clock = Clock()
    log = make(tmp_path, "parsl-logs", live, clock, settle=1.0)
    log.step()
    held = len(pool_records(log))
    with open(live, "ab") as fh:
        fh.write(b"".join(lines[tb:tb + 3]))          # its first continuation lines
    clock.now += 0.5
    log.step()
    assert len(pool_records(log)) == held             # still held: more may follow
    end = next(i for i in range(tb, len(lines)) if is_record_start(lines[i]))
    with open(live, "ab") as fh:
        fh.write(b"".join(lines[tb + 3:end + 1]))     # the rest, and the next record
    log.step()
    log.close()
    records = pool_records(log)
    assert len(records) == held + 1
    assert records[-1] == one_shot("parsl-logs", live)[-2]   # the whole multi-line record
    assert records[-1]["ev.line_count"] == end - tb + 1   # its line, and every traceback line


def test_restart_after_a_crash_between_append_and_checkpoint(tmp_path: Path) -> None:
    data = PARSL_LOG.read_bytes()
    half = data.rfind(b"\n", 0, len(data) // 2) + 1
    live = live_dir(tmp_path) / "parsl.log"
    live.write_bytes(data[:half])
    clock = Clock()
    log = make(tmp_path, "parsl-logs", live, clock, settle=0)
    log.step()
    saved = log.state_path.read_bytes()
    with open(live, "ab") as fh:
        fh.write(data[half:])
    log.step()
    log.close()
    # Simulate the crash: the last batch reached the pool file, its checkpoint did not.
    log.state_path.write_bytes(saved)
    assert len(pool_records(log)) == len(one_shot("parsl-logs", live))
    notices: list[str] = []
    again = make(tmp_path, "parsl-logs", live, clock, settle=0, notice=notices.append)
    again.step()
    again.close()
    assert pool_records(again) == one_shot("parsl-logs", live)      # nothing doubled
    assert any("after the last checkpoint" in n for n in notices)
    # A restart with nothing new changes nothing.
    third = make(tmp_path, "parsl-logs", live, clock, settle=0)
    third.step()
    third.close()
    assert pool_records(third) == one_shot("parsl-logs", live)


def _rotate(live: Path) -> Path:
    """What Python's RotatingFileHandler and logrotate (default) do: rename, then create."""
    old = live.with_name(live.name + ".1")
    os.rename(live, old)
    live.write_bytes(b"")
    return old


def test_rotation_while_following_loses_nothing(tmp_path: Path) -> None:
    data = REDIS_LOG.read_bytes()
    a, b, c = (data.rfind(b"\n", 0, len(data) * k // 3) + 1 for k in (1, 2, 3))
    live = live_dir(tmp_path) / "redis.log"
    live.write_bytes(data[:a])
    clock = Clock()
    log = make(tmp_path, "redis-log", live, clock, settle=0.5, grace=2.0)
    writer = open(live, "ab")   # noqa: SIM115 - the writer keeps its descriptor over rotation
    log.step()
    old = _rotate(live)
    writer.write(data[a:b])     # written after the rename, before the writer reopens: the
    writer.flush()              # loss a tracker by name has
    writer.close()
    with open(live, "ab") as fh:
        fh.write(data[b:c])
    for _ in range(4):
        clock.now += 1
        log.step()
    log.close()
    assert pool_records(log) == one_shot("redis-log", old) + one_shot("redis-log", live)
    assert log.ckpt.draining == []


def test_rotation_while_stopped_reads_the_rest_of_the_old_file(tmp_path: Path) -> None:
    data = PARSL_LOG.read_bytes()
    a, b = (data.rfind(b"\n", 0, len(data) * k // 3) + 1 for k in (1, 2))
    live = live_dir(tmp_path) / "parsl.log"
    live.write_bytes(data[:a])
    clock = Clock()
    log = make(tmp_path, "parsl-logs", live, clock, settle=0)
    log.step()
    log.close()
    with open(live, "ab") as fh:
        fh.write(data[a:b])      # written while we were stopped ...
    old = _rotate(live)          # ... then rotated away
    live.write_bytes(data[b:])
    again = make(tmp_path, "parsl-logs", live, clock, settle=0, grace=0)
    again.step()
    clock.now += 1
    again.step()
    again.close()
    assert pool_records(again) == with_run_id(one_shot("parsl-logs", old) +
                                              one_shot("parsl-logs", live))


def test_copytruncate_reads_the_rest_from_the_copy(tmp_path: Path) -> None:
    data = PARSL_LOG.read_bytes()
    a, b = (data.rfind(b"\n", 0, len(data) * k // 3) + 1 for k in (1, 2))
    live = live_dir(tmp_path) / "parsl.log"
    live.write_bytes(data[:a])
    clock = Clock()
    log = make(tmp_path, "parsl-logs", live, clock, settle=0, grace=0)
    log.step()
    with open(live, "ab") as fh:
        fh.write(data[a:b])
    copy = live.with_name("parsl.log.1")
    shutil.copyfile(live, copy)      # logrotate copytruncate: copy ...
    with open(live, "r+b") as fh:    # ... then truncate in place (same inode)
        fh.truncate(0)
    with open(live, "ab") as fh:
        fh.write(data[b:])
    for _ in range(3):
        clock.now += 1
        log.step()
    log.close()
    assert pool_records(log) == with_run_id(one_shot("parsl-logs", copy) +
                                            one_shot("parsl-logs", live))


def test_a_rotated_file_gone_is_a_named_problem(tmp_path: Path) -> None:
    data = PARSL_LOG.read_bytes()
    a = data.rfind(b"\n", 0, len(data) // 2) + 1
    live = live_dir(tmp_path) / "parsl.log"
    live.write_bytes(data[:a])
    clock = Clock()
    log = make(tmp_path, "parsl-logs", live, clock, settle=0)
    log.step()
    log.close()
    old = _rotate(live)
    old.unlink()                     # compressed away (logrotate's compress), say
    live.write_bytes(data[a:])
    report = ImportReport()
    again = make(tmp_path, "parsl-logs", live, clock, settle=0, report=report)
    again.step()
    again.close()
    assert report.problems[FOLLOW_LOST] == 1
    assert f"lines after byte {a} " in report.details[FOLLOW_LOST][0]
    assert pool_records(again)[-len(one_shot("parsl-logs", live)):] == \
        with_run_id(one_shot("parsl-logs", live))


def test_pool_format_files_are_copied_line_by_line(tmp_path: Path) -> None:
    src = sorted((FIXTURES / "academy/1.0.0/academy_home/logs").rglob("*.jsonlog"))[0]
    live = tmp_path / "logs" / "uuid" / src.name
    live.parent.mkdir(parents=True)
    data = src.read_bytes()
    clock = Clock()
    log = followed_copy(live, tmp_path / "pool", report=ImportReport(), clock=clock, settle=0)
    live.write_bytes(b"")
    log.start()
    for piece in pieces(data, 11):
        with open(live, "ab") as fh:
            fh.write(piece)
        log.step()
    log.close()
    assert log.out_path == copied_path(live, tmp_path / "pool")    # where auto copies it
    assert log.out_path.read_bytes() == data


def test_auto_follow_of_a_run_being_written_equals_auto_of_the_finished_run(
        tmp_path: Path) -> None:
    """A real Academy-on-Parsl run dir replayed as it was written: text logs growing in
    pieces, a worker log appearing late, Academy's JSON logs growing; auto --follow stopped
    half way and started again. The pool ends up with exactly the records a plain auto of
    the finished run gives."""
    import threading
    import time

    from importers.auto import import_paths
    from importers.core.pool import read
    from importers.follow_logs import follow_paths

    src = FIXTURES / "academy/1.0.0"
    live = tmp_path / "run"
    shutil.copytree(src, live)
    growing = [p for p in sorted(live.rglob("*"))
               if p.is_file() and p.suffix in (".log", ".jsonlog") and p.stat().st_size]
    rest = {}
    for p in growing:
        data = p.read_bytes()
        cut = len(data) // 3
        rest[p] = data[cut:]
        p.write_bytes(data[:cut])
    late = next(p for p in growing if p.name == "worker_1.log")
    late_data = src.joinpath(late.relative_to(live)).read_bytes()
    late.unlink()
    rest.pop(late)

    def run(phase_writes) -> None:
        stop = threading.Event()
        out = {}
        thread = threading.Thread(target=lambda: out.update(r=follow_paths(
            [live], tmp_path / "pool", tz="UTC", stop=stop.is_set, poll=0.02, rescan=0.1,
            settle=0.2)))
        thread.start()
        time.sleep(0.5)
        phase_writes()
        time.sleep(0.8)
        stop.set()
        thread.join(30)
        assert not out["r"].errors

    def first_half() -> None:
        for p, data in rest.items():
            with open(p, "ab") as fh:
                for piece in pieces(data[:len(data) // 2], 5):
                    fh.write(piece)
                    fh.flush()
                    time.sleep(0.01)

    def second_half() -> None:
        for p, data in rest.items():
            with open(p, "ab") as fh:
                fh.write(data[len(data) // 2:])
        late.write_bytes(late_data)

    run(first_half)
    run(second_half)
    plain = import_paths([live], tmp_path / "plain", tz="UTC")
    assert plain.sources

    def records(pool: Path) -> list[bytes]:
        return sorted(orjson.dumps({k: v for k, v in r.items() if k != "ev.file"},
                                   option=orjson.OPT_SORT_KEYS) for r in read(pool))
    got, want = records(tmp_path / "pool"), records(tmp_path / "plain")
    assert len(got) == len(want) > 300 and got == want
    followed = [p.name for p in (tmp_path / "pool").glob("parsl-logs-follow-*.jsonlog")]
    assert len(followed) >= 5      # parsl.log, interchange, manager, both workers, ...
