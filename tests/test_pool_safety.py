"""Nothing already in a pool is lost or half-written: a full disk, killed writers, special
files, inputs that got worse since the last import, and parallel workers of a killed import.

Real inputs: the Parsl and Redis fixtures. The full-disk tests mount a small tmpfs (root; CI
runs as root, so they never skip there).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from importers.core import pool
from importers.core.errors import PoolError
from importers.core.identity import host_name

RUN = FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "000"
REDIS = FIXTURES / "redis" / "7.0.15" / "failover-master.log"
IN_CI = os.environ.get("CI") == "true"


def ev(*argv: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "importers", *argv], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, **(env or {})})


class Hung(Exception):
    pass


def run_main(capsys, *argv: str, seconds: int = 20) -> tuple[int, str]:
    """``ev-import ARGV`` in this process (fast), with an alarm: a blocking open() of a FIFO
    would end the test with :class:`Hung` instead of hanging it."""
    from importers.cli import main

    def on_alarm(signum, frame):
        raise Hung(f"ev-import {' '.join(argv)} did not finish in {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        code = main(list(argv))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return code, capsys.readouterr().err


def listing(directory: Path) -> dict[str, bytes]:
    """Every file in a pool, hidden ones included, with its bytes."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def needs_root() -> None:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root: this test must not skip there")
        pytest.skip("mounting a small tmpfs needs root")


@pytest.fixture
def small_fs(tmp_path: Path):
    """A 512 KiB tmpfs: the Parsl run's logs (about 1.1 MB as events) do not fit."""
    needs_root()
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_is_one_error_line_exit_2_and_leaves_nothing(small_fs: Path,
                                                                 jobs: str) -> None:
    out = small_fs / "pool"
    assert ev("redis-log", str(REDIS), "--pool", str(out), "--tz", "UTC", "-q").returncode == 0
    before = listing(out)
    proc = ev("parsl-logs", str(RUN), "--pool", str(out), "-j", jobs,
              env={"EV_SPLIT_MIN_BYTES": "20000"})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        f"error: the pool's filesystem is full: {out} (No space left on device; nothing was "
        "written and the previous file, if any, is unchanged: free space, or choose another "
        "pool with --pool or $EV_POOL)\n")
    assert listing(out) == before, "the temporary file and parts are gone, the rest intact"


def test_killed_writers_temp_files_are_removed_by_the_next_import(tmp_path: Path,
                                                                   capsys) -> None:
    out = tmp_path / "pool"
    out.mkdir()
    host = host_name()
    # a writer that died (pid 2**22 + 1 is above any pid_max default), a parallel part of
    # it, another host's writer (left to that host), and a live writer holding its lock
    dead = out / f".redis-log-{host}-0123456789ab.jsonlog.4194305-77.tmp"
    dead_part = out / f".parsl-logs-{host}-0123456789ab.jsonlog.part1.4194305-77.tmp"
    other_host = out / ".redis-log-othernode-0123456789ab.jsonlog.4194305-77.tmp"
    for path in (dead, dead_part, other_host):
        path.write_bytes(b'{"created": 1.0}\n' * 1000)
    live = out / f".sacct-{host}-0123456789ab.jsonlog.{pool.owner_tag()}.tmp"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import fcntl, sys, time
            fh = open({str(live)!r}, "wb")
            fcntl.flock(fh, fcntl.LOCK_EX)
            print("locked", flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        assert run_main(capsys, "redis-log", str(REDIS), "--pool", str(out), "-q")[0] == 0
        left = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
        assert left == sorted([other_host.name, live.name])
    finally:
        holder.kill()
        holder.wait()


def test_a_live_unlocked_writer_is_recognised_by_pid_and_start_time(tmp_path: Path) -> None:
    """Between its open() and its flock() a writer holds no lock yet: its name protects it."""
    mine = tmp_path / f".x-{host_name()}-0123456789ab.jsonlog.{pool.owner_tag()}.tmp"
    reused = tmp_path / f".x-{host_name()}-0123456789ab.jsonlog.{os.getpid()}-1.tmp"
    mine.write_bytes(b"")
    reused.write_bytes(b"")
    assert pool.clean_stale_temps(tmp_path) == [reused.name], \
        "same pid, other start time: a dead writer whose pid was reused"
    assert mine.exists()


def test_the_rename_is_made_durable(tmp_path: Path, monkeypatch) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(pool, "fsync_dir", lambda path: synced.append(Path(path)))
    with pool.PoolWriter(tmp_path, "t", "x") as writer:
        writer.write({"created": 1.0})
    assert synced == [tmp_path] and writer.final.exists()


def test_an_error_while_writing_leaves_the_previous_file(tmp_path: Path) -> None:
    (tmp_path / "t-x.jsonlog").write_bytes(b'{"created": 1.0}\n')
    with pytest.raises(ValueError), pool.PoolWriter(tmp_path, "t", "x") as writer:
        writer.write({"created": 2.0})
        raise ValueError("the importer failed")
    assert listing(tmp_path) == {"t-x.jsonlog": b'{"created": 1.0}\n'}


def test_enospc_from_a_write_becomes_a_pool_error(tmp_path: Path) -> None:
    """The same path as a real full disk, without a mount: the exception a write raises."""
    with pytest.raises(PoolError) as err, pool.PoolWriter(tmp_path, "t", "x"):
        raise OSError(28, "No space left on device")
    assert err.value.what == "the pool's filesystem is full"
    assert err.value.__suppress_context__, "one line, no chained traceback"
    assert listing(tmp_path) == {}


# ---------------------------------------------------------------------------------------
# A re-import of an input that got worse keeps the previous file


def test_a_run_dir_that_became_unreadable_keeps_the_previous_file(tmp_path: Path,
                                                                   capsys) -> None:
    run = tmp_path / "runinfo" / "000"
    shutil.copytree(RUN, run)
    out = tmp_path / "pool"
    assert run_main(capsys, "parsl-logs", str(run), "--pool", str(out), "-q")[0] == 0
    before = listing(out)
    # parsl.log is now a dangling link (a scratch filesystem cleaned under the run)
    (run / "parsl.log").unlink()
    (run / "parsl.log").symlink_to(tmp_path / "purged" / "parsl.log")
    code, err = run_main(capsys, "parsl-logs", str(run), "--pool", str(out))
    assert code == 1
    assert "kept the previous parsl-logs-" in err and "UnreadableFile x1" in err
    assert listing(out) == before


def test_an_input_that_is_now_empty_never_empties_its_pool_file(tmp_path: Path,
                                                                capsys) -> None:
    log = tmp_path / "redis.log"
    shutil.copy(REDIS, log)
    out = tmp_path / "pool"
    assert run_main(capsys, "redis-log", str(log), "--pool", str(out), "-q")[0] == 0
    before = listing(out)
    log.write_bytes(b"")
    code, err = run_main(capsys, "redis-log", str(log), "--pool", str(out))
    assert code == 2 and err.startswith("error: empty file")
    assert listing(out) == before


# ---------------------------------------------------------------------------------------
# Special files: nothing hangs, nothing raises


@pytest.fixture
def specials(tmp_path: Path) -> Path:
    """A directory as a crashed job leaves it: a real log, a FIFO with no writer, a dangling
    symlink and a symlink loop."""
    d = tmp_path / "leftovers"
    d.mkdir()
    shutil.copy(REDIS, d / "redis.log")
    os.mkfifo(d / "stdout.fifo")
    (d / "dangling.log").symlink_to(tmp_path / "gone.log")
    (d / "loop_a.log").symlink_to(d / "loop_b.log")
    (d / "loop_b.log").symlink_to(d / "loop_a.log")
    return d


SPECIAL_CASES = [
    (argv, name, what)
    for name, what in [("stdout.fifo", "not a regular file but a FIFO (named pipe)"),
                       ("dangling.log", "a dangling symlink"), ("loop_a.log", "a symlink loop")]
    for argv in [["redis-log", "{}"], ["parsl-logs", "{}"], ["procs", "{}"],
                 ["sacct", "--file", "{}"], ["squeue", "--file", "{}"], ["parsl-db", "{}"],
                 ["auto", "{}"]]
]


def test_a_special_file_is_one_error_line_never_a_hang(specials: Path, capsys) -> None:
    """Every importer, given a FIFO with no writer, a dangling link or a loop: exit 2, one
    line naming it and what it is, at once (a blocking open() would hang until timeout)."""
    for argv, name, what in SPECIAL_CASES:
        path = specials / name
        code, err = run_main(capsys, *[a.format(path) for a in argv],
                             "--pool", str(specials.parent / "pool"))
        assert code == 2, (argv, err)
        assert err.startswith(f"error: {what}: {path} ("), argv
        assert err.count("\n") == 1, argv
    assert not list((specials.parent / "pool").glob("*.jsonlog"))


def test_auto_imports_the_rest_and_names_the_special_files(specials: Path, capsys) -> None:
    out = specials.parent / "pool"
    code, err = run_main(capsys, "auto", str(specials), "--pool", str(out))
    assert code == 1, err
    [line] = [x for x in err.splitlines() if x.startswith("auto: skipped")]
    assert line.startswith("auto: skipped, cannot be read: 4: ")
    for name in ("stdout.fifo", "dangling.log", "loop_a.log", "loop_b.log"):
        assert str(specials / name) in line
    [written] = out.glob("redis-log-*.jsonlog")
    assert sum(1 for _ in written.open("rb")) > 0


def test_one_missing_path_among_good_ones_imports_the_rest(tmp_path: Path, capsys) -> None:
    """The several-inputs rule, the same for every importer (docs/design.md §5)."""
    out = tmp_path / "pool"
    missing = tmp_path / "missing.log"
    for argv in (["redis-log", str(REDIS), str(missing)],
                 ["parsl-logs", str(RUN), str(missing)],
                 ["sacct", "--file", str(FIXTURES / "slurm" / "sacct_P_local.txt"),
                  "--file", str(missing)],
                 ["auto", str(REDIS), str(missing)]):
        code, err = run_main(capsys, *argv, "--pool", str(out))
        assert code == 1, (argv, err)
        assert str(missing) in err
    # auto's redis file is the same input as redis-log's: the same pool file
    assert len(list(out.glob("*.jsonlog"))) == 3


# ---------------------------------------------------------------------------------------
# Parallel workers die with their parent

WORKERS_SCRIPT = """
import sys, time
from importers.core import parallel
from importers.core.pool import PoolWriter, source_id
from importers.core.report import ImportReport

def slow(part, report):
    print("worker", flush=True)
    time.sleep(120)
    yield {}

parts = [parallel.Part("x", i, i + 1, 1) for i in range(2)]
with PoolWriter(sys.argv[1], "t", source_id("t", ["x"])) as writer:
    parallel.write_parts(parts, slow, writer, ImportReport(), jobs=2)
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_bytes()
            except OSError:
                continue
            if int(stat[stat.rfind(b")") + 2:].split()[1]) == pid:
                found.append(int(entry))
    return found


def test_workers_of_a_killed_parallel_import_die_with_it(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", WORKERS_SCRIPT, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert parent.stdout.readline().startswith("worker")
    workers = _children(parent.pid)
    assert workers, "the import has worker processes"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() and
                                              b"Z" not in Path(f"/proc/{w}/stat").read_bytes()
                                              .split(b") ")[1][:1] for w in workers):
        time.sleep(0.05)
    alive = [w for w in workers if Path(f"/proc/{w}").exists()
             and Path(f"/proc/{w}/stat").read_bytes().split(b") ")[1][:1] != b"Z"]
    assert alive == [], "workers outlived their parent"
    # and the next writer into that pool removes what the killed import left
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with pool.PoolWriter(tmp_path, "t", pool.source_id("t", ["x"])) as writer:
        writer.write({"created": 1.0})
    assert [p.name for p in tmp_path.iterdir()] == [writer.final.name]
