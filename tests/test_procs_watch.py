"""``ev-import watch-procs``: live process events, checked against a workload's own truth.

The live tests run as root (CI does) and skip elsewhere. scripts/procs_live_workload.sh
records what it started: each child's pid ($!), its parent ($$ or $BASHPID), the file it
exec'd (or none: a fork without exec) and its wait status (exit code or killing signal),
plus the thread id its python child starts. The watcher must find every one of them, with
the right parent, filename and status, and never report the thread as a process.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from conformance import assert_conforms
from conftest import FIXTURES, ROOT

from importers.cli import main
from importers.core import pool
from importers.core.report import ImportReport
from importers.sources.procs import decode_status, netlink, proc_files, tracker

WORKLOAD = ROOT / "scripts" / "procs_live_workload.sh"
PROBE_CAPTURE = FIXTURES / "procs" / "captured" / "netlink_probe_true.txt"
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="watch-procs needs root (CI runs as root)")
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
BASH = os.path.realpath(shutil.which("bash") or "/bin/bash")


def _watch(pool_dir: Path, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "importers", "watch-procs", "--pool", str(pool_dir), *argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, "PY": PY})


# As root the watcher forces its netlink receive buffer to 64 MiB (the kernel reports 128).
BUFFER_SAID = f"{2 * netlink.RCVBUF / (1 << 20):.3g} MiB (SO_RCVBUFFORCE)"


def losses_allowed(stderr: str) -> bool:
    """Whether a watch may have lost events without a defect: only when the kernel capped
    its receive buffer below what it asked (no CAP_NET_ADMIN to force it past
    net.core.rmem_max) can a burst on a busy machine overflow it. With the buffer it asked
    for, a loss is a defect and fails the test. The summary always says which it was."""
    said = re.search(r"; receive buffer [\d.]+ MiB \((SO_RCVBUF\w*)\)(, not the)?", stderr)
    assert said, f"the summary does not say the receive buffer: {stderr}"
    return said.group(2) is not None


def assert_no_loss_unless_capped(code: int, stderr: str, records: list[dict],
                                 expected: int = 0) -> None:
    """No lost events; or, where the buffer was capped, every loss said: an events_lost
    record, EventsLost in the summary and exit 1. Never a silent hole."""
    lost = [r for r in records if r.get("ev.event") == "events_lost"]
    if lost and losses_allowed(stderr):
        assert code == 1 and "EventsLost x" in stderr, stderr
    else:
        assert not lost and "EventsLost" not in stderr, stderr
        assert code == expected, stderr


@dataclass
class Live:
    code: int
    stderr: str
    records: list[dict]
    root: int
    root_parent: int
    procs: list[tuple[int, int, str, str]]     # pid, ppid, filename, status
    thread: tuple[int, int]                    # tid, pid
    started: float
    ended: float


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Live:
    if not IS_ROOT:
        pytest.skip("watch-procs needs root (CI runs as root)")
    tmp = tmp_path_factory.mktemp("live")
    truth = tmp / "truth.txt"
    started = time.time()
    proc = _watch(tmp / "pool", "--backend", "netlink", "--threads", "--",
                  "bash", str(WORKLOAD), str(truth))
    ended = time.time()
    assert "Traceback" not in proc.stderr
    records = list(pool.read(tmp / "pool"))
    procs, thread, root = [], None, None
    for line in truth.read_text().splitlines():
        kind, *rest = line.split()
        if kind == "root":
            root = (int(rest[0]), int(rest[1]))
        elif kind == "proc":
            procs.append((int(rest[0]), int(rest[1]), rest[2], rest[3]))
        elif kind == "thread":
            thread = (int(rest[0]), int(rest[1]))
    assert root and thread and len(procs) == 10, truth.read_text()
    return Live(proc.returncode, proc.stderr, records, root[0], root[1], procs, thread,
                started, ended)


def _by(records: list[dict], event: str, pid: int) -> list[dict]:
    return [r for r in records if r["ev.event"] == event and r.get("linux.pid") == pid]


@needs_root
def test_every_workload_process_is_found_with_parent_filename_and_status(live: Live) -> None:
    for pid, ppid, filename, status in live.procs:
        [fork] = _by(live.records, "fork", pid)
        assert fork["linux.ppid"] == ppid, (pid, fork)
        execs = _by(live.records, "exec", pid)
        [exit_] = _by(live.records, "exit", pid)
        if filename == "-":   # a fork without exec: no exec event, still bash's image
            assert execs == [], execs
            assert exit_["linux.exe"] == BASH
        elif filename == "/bin/true" and execs[-1].get("linux.proc_gone"):
            # /bin/true lives about a millisecond: on a loaded machine it can be gone before
            # /proc is read. Then the record says so; it is never silently incomplete.
            assert execs[-1]["linux.ppid"] == ppid and "linux.exe" not in execs[-1]
        else:
            last = execs[-1]
            assert last["linux.exe"] == os.path.realpath(filename), last
            assert last["linux.argv"][0] == filename
            assert last["linux.ppid"] == ppid
            assert "linux.proc_gone" not in last, last
        kind, number = status.split(":")
        if kind == "exit":
            assert exit_["linux.exit_code"] == int(number), exit_
            assert "linux.exit_signal" not in exit_
        else:
            assert exit_["linux.exit_signal"] == int(number), exit_
            assert exit_["linux.signal_name"] == signal.Signals(int(number)).name
            assert "linux.exit_code" not in exit_
        # one identity over the process's life: fork, exec(s) and exit agree
        keys = {r.get("linux.process_key") for r in [fork, *execs, exit_]}
        starts = {r.get("linux.start_time") for r in [fork, *execs, exit_]}
        if fork.get("linux.proc_gone"):
            # on a loaded machine a short-lived child can exit before its fork event is
            # read: /proc no longer has its start time, and the fork record says so
            assert "linux.process_key" not in fork, fork
            keys.discard(None)
            starts.discard(None)
            assert len(keys) <= 1 and len(starts) <= 1, (keys, starts)
        else:
            assert len(keys) == 1 and len(starts) == 1, (keys, starts)
        assert fork["created"] <= exit_["created"]
        assert all(fork["created"] <= e["created"] <= exit_["created"] for e in execs)


@needs_root
def test_env_execs_twice_in_one_pid(live: Live) -> None:
    """``env FOO=bar /bin/sleep``: two exec events in one pid, the last one is sleep.

    The proc connector's exec event carries no filename, and /proc is read when the event
    arrives: env replaces itself within microseconds, so its own exec record may already
    show sleep's image. Both records exist; the last one is always right.
    """
    [(pid, _ppid, _f, _s)] = [p for p in live.procs if len(_by(live.records, "exec", p[0])) > 1]
    execs = _by(live.records, "exec", pid)
    assert len(execs) == 2
    assert execs[-1]["linux.argv"] == ["/bin/sleep", "0.05"]
    if execs[0].get("linux.proc_gone"):    # read while env was exec'ing sleep: marked
        assert "linux.argv" not in execs[0]
    else:
        assert execs[0]["linux.argv"][0] in ("/usr/bin/env", "/bin/sleep")


@needs_root
def test_no_thread_is_reported_as_a_process(live: Live) -> None:
    tid, pid = live.thread
    assert tid != pid
    assert not [r for r in live.records if r.get("linux.pid") == tid]
    [start] = [r for r in live.records if r["ev.event"] == "thread_start"]
    [end] = [r for r in live.records if r["ev.event"] == "thread_exit"]
    assert (start["linux.pid"], start["linux.tid"]) == (pid, tid)
    assert (end["linux.pid"], end["linux.tid"]) == (pid, tid)
    events = {r["ev.event"] for r in live.records}
    if losses_allowed(live.stderr):
        events.discard("events_lost")      # said (assert_no_loss_unless_capped)
    assert events == {"fork", "exec", "exit", "thread_start", "thread_exit"}


@needs_root
def test_only_the_command_tree_is_written(live: Live) -> None:
    parent = {r["linux.pid"]: r["linux.ppid"] for r in live.records if r["ev.event"] == "fork"}
    assert parent[live.root] == live.root_parent   # the watcher started the command
    for rec in live.records:
        pid = rec["linux.pid"]
        while pid != live.root:
            assert pid in parent, f"pid {rec['linux.pid']} is not in the command's tree"
            pid = parent[pid]
    [root_exit] = _by(live.records, "exit", live.root)
    assert root_exit["linux.exit_code"] == 0


@needs_root
def test_exit_record_field_by_field(live: Live) -> None:
    """The child killed by SIGKILL: every key, then the count."""
    [(pid, ppid, _f, _s)] = [p for p in live.procs if p[3] == "signal:9"]
    [rec] = _by(live.records, "exit", pid)
    host = socket.gethostname()
    boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert live.started - 1 < rec["created"] < live.ended + 1
    assert rec["formatted"] == f"exit pid {pid} sleep: killed by signal 9 (SIGKILL)"
    assert rec["name"] == "linux.proc"
    assert (rec["levelname"], rec["levelno"]) == ("WARNING", 30)
    assert rec["ev.source"] == "watch-procs"
    assert rec["ev.origin"] == f"netlink:{host}"
    assert rec["ev.backend"] == "netlink"
    assert rec["ev.event"] == "exit"
    assert rec["linux.pid"] == pid and rec["linux.ppid"] == ppid
    assert rec["linux.comm"] == "sleep"
    assert rec["linux.exe"] == os.path.realpath("/bin/sleep")
    assert rec["linux.uid"] == 0
    assert rec["linux.exit_status"] == 9          # the raw wait status from the kernel
    assert rec["linux.exit_signal"] == 9 and rec["linux.signal_name"] == "SIGKILL"
    assert rec["linux.notify_signal"] == signal.SIGCHLD
    assert rec["linux.hostname"] == host and rec["linux.boot_id"] == boot_id
    ticks = int(rec["linux.process_key"].rsplit(":", 1)[1])
    assert rec["linux.process_key"] == f"{boot_id}:{pid}:{ticks}"
    assert isinstance(rec["linux.start_time"], float)
    assert rec["linux.start_time"] <= rec["created"] + 1
    assert isinstance(rec["linux.ktime_ns"], int) and isinstance(rec["linux.cpu"], int)
    assert rec["ev.file"].endswith(".jsonlog")     # added by pool.read
    optional = {"linux.utime_seconds", "linux.stime_seconds"}   # while still a zombie
    assert len(set(rec) - optional) == 25


@needs_root
def test_records_conform_and_summary_is_one_line(live: Live) -> None:
    records = [{k: v for k, v in r.items() if k != "ev.file"} for r in live.records]
    assert assert_conforms(records, "watch-procs") == len(live.records)
    assert_no_loss_unless_capped(live.code, live.stderr, live.records)
    # the command's own stderr passes through (bash reports its killed children)
    [line] = [x for x in live.stderr.splitlines() if x.startswith("watch-procs:")]
    assert not live.stderr.endswith("Traceback")
    [written] = {r["ev.file"] for r in live.records}
    host = socket.gethostname()
    assert line == (
        f"watch-procs: {len(live.records)} events (0 unparsed) from netlink on {host} -> "
        f"{written}; backend netlink; receive buffer {BUFFER_SAID}; "
        "time base kernel monotonic clock + offset measured at "
        f"start; command bash {WORKLOAD} {Path(written).parent.parent / 'truth.txt'} "
        "exited 0"
    )


# ---------------------------------------------------------------------------------------
# Backends: bcc is tried, and fails cleanly where it cannot work


def _bcc_works_here(stderr: str) -> bool:
    return stderr.startswith("watch-procs: backend bcc (")


@needs_root
def test_auto_tries_bcc_then_falls_back_with_one_line(tmp_path: Path) -> None:
    proc = _watch(tmp_path, "--backend", "auto", "--", "/bin/sleep", "0.05")
    lines = proc.stderr.splitlines()
    assert proc.returncode == 0, proc.stderr
    assert len(lines) == 2, proc.stderr
    if not _bcc_works_here(proc.stderr):
        assert re.fullmatch(r"watch-procs: bcc backend unavailable \(.+\); using the netlink "
                            r"proc connector", lines[0]), lines[0]
        assert lines[1].startswith("watch-procs: 3 events (0 unparsed) from netlink on ")
    records = list(pool.read(tmp_path))
    assert [r["ev.event"] for r in records] == ["fork", "exec", "exit"]


@needs_root
def test_backend_bcc_where_it_cannot_work_is_one_error_line(tmp_path: Path) -> None:
    proc = _watch(tmp_path, "--backend", "bcc", "--", "/bin/true")
    if proc.returncode == 0 and _bcc_works_here(proc.stderr):
        pytest.skip("bcc works on this host")
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith("error: the bcc backend cannot run here: ")
    assert line.endswith(" (use --backend netlink (the proc connector))")
    assert not list(tmp_path.glob("*.jsonlog"))


def test_not_root_is_one_error_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    code = main(["watch-procs", "--pool", str(tmp_path), "--", "/bin/true"])
    assert code == 2
    assert capsys.readouterr().err == (
        "error: watch-procs must run as root: running as uid 1000 (the proc connector and "
        "eBPF need root: use sudo, a systemd unit or a Slurm prolog (docs/procs.md))\n"
    )


# ---------------------------------------------------------------------------------------
# Live behaviour: a reader sees events while it runs; signals; filters


@needs_root
def test_reader_sees_events_while_it_runs_and_sigterm_stops_it(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "importers", "watch-procs", "--backend", "netlink",
           "--pool", str(tmp_path), "--", "bash", "-c", "/bin/sleep 0.1; /bin/sleep 30"]
    watcher = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        seen = []
        while time.monotonic() < deadline:
            seen = [r for r in pool.read(tmp_path) if r["ev.event"] == "exec"
                    and r.get("linux.argv") == ["/bin/sleep", "30"]]
            if seen:
                break
            time.sleep(0.1)
        assert seen, "the exec of sleep 30 never reached the pool while the watcher ran"
        assert watcher.poll() is None
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=10)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    assert watcher.returncode == 0, err
    assert "; stopped by SIGTERM" in err.splitlines()[-1]
    [path] = tmp_path.glob("*.jsonlog")
    data = path.read_bytes()
    assert data.endswith(b"\n")
    # the forwarded SIGTERM ended the command's tree: its exit is in the final flush
    exits = [orjson.loads(line) for line in data.splitlines()]
    assert any(r["ev.event"] == "exit" and r.get("linux.signal_name") == "SIGTERM"
               for r in exits)


@needs_root
def test_pid_tree_and_duration_bound_a_watch(tmp_path: Path) -> None:
    go = tmp_path / "go"
    tree = subprocess.Popen(["bash", "-c", f"while [ ! -e {go} ]; do /bin/sleep 0.05; done; "
                             "/bin/sleep 0.21; /bin/sleep 5"])
    outside = None
    try:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "importers", "watch-procs", "--backend", "netlink",
             "--pool", str(tmp_path / "pool"), "--pid-tree", str(tree.pid),
             "--duration", "3"],
            cwd=ROOT, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        # the pool file appears once the watcher is subscribed
        while not list(tmp_path.glob("pool/*.jsonlog")) and time.monotonic() < deadline:
            time.sleep(0.05)
        go.touch()
        outside = subprocess.Popen(["/bin/sleep", "0.22"])
        _, err = watcher.communicate(timeout=30)
    finally:
        for p in (tree, outside):
            if p is not None:
                p.kill()
                p.wait()
    records = list(pool.read(tmp_path / "pool"))
    assert_no_loss_unless_capped(watcher.returncode, err, records)
    records = [r for r in records if r["ev.event"] != "events_lost"]
    argvs = [r.get("linux.argv") for r in records if r["ev.event"] == "exec"]
    assert ["/bin/sleep", "0.21"] in argvs
    assert ["/bin/sleep", "0.22"] not in argvs
    assert {r["linux.pid"] for r in records if r["ev.event"] == "fork"} <= {
        r["linux.pid"] for r in records}
    assert all(r["linux.ppid"] == tree.pid for r in records if r["ev.event"] == "fork")


@needs_root
def test_uid_filter_keeps_one_users_processes(tmp_path: Path) -> None:
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) not installed")
    proc = _watch(tmp_path, "--backend", "netlink", "--uid", "65534", "--", "bash", "-c",
                  "/bin/sleep 0.05; setpriv --reuid=65534 --regid=65534 --clear-groups "
                  "/bin/sleep 0.1")
    assert proc.returncode == 0, proc.stderr
    records = list(pool.read(tmp_path))
    assert records and all(r["linux.uid"] == 65534 for r in records), records
    # setpriv (uid 0) changes its uid, then execs sleep: only sleep's exec and exit are
    # that user's. setpriv's own exec event is read from /proc when it arrives: if setpriv
    # has already become sleep by then, that record shows sleep too (the documented race)
    execs = [r["linux.argv"] for r in records if r["ev.event"] == "exec"]
    assert execs[-1] == ["/bin/sleep", "0.1"] and set(map(tuple, execs)) == {
        ("/bin/sleep", "0.1")}, records
    assert [r["ev.event"] for r in records] in (["exec", "exit"], ["exec", "exec", "exit"])


# ---------------------------------------------------------------------------------------
# The netlink decoder, on the proc_event bytes captured by scripts/procs_netlink_probe.py

RAW = re.compile(r"raw proc_event \(\d+ bytes\): ([0-9a-f]+)")


class _Calls:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def fork(self, *a):
        self.calls.append(("fork", *a))

    def exec(self, *a, **k):
        self.calls.append(("exec", *a))

    def exit(self, *a):
        self.calls.append(("exit", *a))

    def lost_events(self, *a):
        self.calls.append(("lost", *a))


def _datagram(event: bytes, seq: int, ack: int = 0) -> bytes:
    """Wrap one captured proc_event in the nlmsghdr + cn_msg the kernel puts around it.

    The two headers are built here (the probe kept only the proc_event bytes).
    """
    cn = netlink.CN_MSG.pack(1, 1, seq, ack, len(event), 0)
    body = cn + event
    return netlink.NLMSGHDR.pack(16 + len(body), netlink.NLMSG_DONE, 0, 0, 0) + body


def _captured_events() -> list[bytes]:
    return [bytes.fromhex(m.group(1)) for m in RAW.finditer(PROBE_CAPTURE.read_text())]


class _FakeSocket:
    def __init__(self, datagrams: list[bytes]) -> None:
        self.datagrams = list(datagrams)

    def recv_into(self, buf) -> int:
        if not self.datagrams:
            raise BlockingIOError
        data = self.datagrams.pop(0)
        buf[:len(data)] = data
        return len(data)


def test_netlink_decoder_on_captured_proc_events() -> None:
    events = _captured_events()
    assert len(events) >= 4
    backend = netlink.NetlinkBackend()
    backend.sock = _FakeSocket([_datagram(e, i) for i, e in enumerate(events[1:4])])
    calls = _Calls()
    assert backend.drain(calls) == 3
    # the probe's own decoding of the same bytes (netlink_probe_true.txt):
    #   FORK cpu=0 timestamp_ns=457247436594 parent 20240/20240 child 20241/20241
    #   EXEC cpu=0 timestamp_ns=457247585005 process 20241/20241
    #   EXIT cpu=0 timestamp_ns=457248239566 process 20241/20241 exit_code=0 exit_signal=17
    #        parent 20240/20240
    assert calls.calls == [
        ("fork", 457247436594, 0, 20240, 20240, 20241, 20241),
        ("exec", 457247585005, 0, 20241),
        ("exit", 457248239566, 0, 20241, 20241, 0, 17, 20240),
    ]


def test_netlink_sequence_gap_is_counted_as_lost_events() -> None:
    """Edge case built here: per-CPU sequence numbers 0, 1, then 5: three events lost."""
    events = _captured_events()[1:4]
    backend = netlink.NetlinkBackend()
    backend.sock = _FakeSocket([_datagram(events[0], 0), _datagram(events[1], 1),
                                _datagram(events[2], 5)])
    calls = _Calls()
    backend.drain(calls)
    assert calls.calls[-1] == ("lost", 3, "proc connector sequence gap on cpu 0")


def test_acks_of_other_subscribers_advance_the_sequence_and_are_not_events() -> None:
    """The kernel numbers the ACK of anyone's PROC_CN_MCAST_LISTEN/IGNORE in the same per-CPU
    sequence as events (cn_proc.c send_msg). The captured ACK (err=0, cpu 0) comes between
    the captured fork and exec, as when a second watcher subscribes, then another as it
    unsubscribes: no event is lost, and neither ACK is an event."""
    events = _captured_events()
    ack, fork, exec_, exit_ = events[0], events[1], events[2], events[3]
    assert netlink.PROC_EV.unpack_from(ack)[0] == netlink.PROC_EVENT_NONE
    backend = netlink.NetlinkBackend()
    backend.sock = _FakeSocket([_datagram(fork, 10), _datagram(ack, 11, ack=1),
                                _datagram(exec_, 12), _datagram(ack, 13, ack=1),
                                _datagram(exit_, 14)])
    calls = _Calls()
    assert backend.drain(calls) == 3
    assert [c[0] for c in calls.calls] == ["fork", "exec", "exit"]
    assert backend.acks_seen == 2
    # and a real gap after an ACK is still counted exactly
    backend.sock = _FakeSocket([_datagram(ack, 15, ack=1), _datagram(fork, 18)])
    backend.drain(calls)
    assert calls.calls[-1] == ("lost", 2, "proc connector sequence gap on cpu 0")


def _root_or_skip() -> None:
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs as root: the live watcher tests must not skip there")
        pytest.skip("the proc connector needs root")


def test_two_watchers_at_once_do_not_see_each_other_as_lost_events(tmp_path: Path) -> None:
    """The documented Slurm set-up: a node-wide watcher, and per-job watchers coming and
    going. Each (un)subscription is an ACK multicast to every listener."""
    _root_or_skip()
    first = subprocess.Popen(
        [sys.executable, "-m", "importers", "watch-procs", "--backend", "netlink", "--pool",
         str(tmp_path / "a"), "--", "bash", "-c",
         "for i in $(seq 30); do /bin/true; sleep 0.1; done"],
        stderr=subprocess.PIPE, text=True, cwd=ROOT)
    time.sleep(0.8)
    for i in range(3):
        second = _watch(tmp_path / f"b{i}", "--backend", "netlink", "--", "/bin/true")
        assert_no_loss_unless_capped(second.returncode, second.stderr,
                                     list(pool.read(tmp_path / f"b{i}")))
    _out, err = first.communicate(timeout=60)
    assert_no_loss_unless_capped(first.returncode, err, list(pool.read(tmp_path / "a")))


@pytest.mark.parametrize("script,code", [("exit 3", 3), ("kill -9 $$", 137), ("true", 0)])
def test_the_commands_exit_status_is_passed_through(tmp_path: Path, script: str,
                                                    code: int) -> None:
    _root_or_skip()
    proc = _watch(tmp_path, "--backend", "netlink", "-q", "--", "bash", "-c", script)
    assert proc.returncode == code, proc.stderr


def test_lost_events_become_a_record_and_a_counted_problem() -> None:
    report = ImportReport()
    out: list[dict] = []
    node = proc_files.Node("n1", "b00t", 1_700_000_000, 100, 1_000.0)
    watcher = tracker.Tracker(node, tracker.Options(), "netlink", report, out.append)
    watcher.lost_events(3, "proc connector sequence gap on cpu 0")
    [rec] = out
    assert rec["ev.event"] == "events_lost" and rec["ev.events_lost"] == 3
    assert rec["ev.reason"] == "proc connector sequence gap on cpu 0"
    assert rec["levelname"] == "WARNING"
    assert report.problems["EventsLost"] == 3 and report.partial


class _BufferSocket:
    """setsockopt/getsockopt of a socket whose kernel refuses SO_RCVBUFFORCE (no
    CAP_NET_ADMIN) and caps SO_RCVBUF at ``rmem_max``, doubling it as Linux does."""

    def __init__(self, rmem_max: int, root: bool) -> None:
        self.rmem_max, self.root, self.size = rmem_max, root, 212992

    def setsockopt(self, level: int, option: int, value: int) -> None:
        if option == netlink.SO_RCVBUFFORCE:
            if not self.root:
                raise PermissionError(1, "Operation not permitted")
            self.size = 2 * value
        else:
            self.size = 2 * min(value, self.rmem_max)

    def getsockopt(self, level: int, option: int) -> int:
        return self.size


def test_the_receive_buffer_is_forced_as_root_else_capped_and_said() -> None:
    forced = _BufferSocket(rmem_max=212992, root=True)
    assert netlink.raise_receive_buffer(forced, 64 << 20) == (128 << 20, "SO_RCVBUFFORCE")
    capped = _BufferSocket(rmem_max=4 << 20, root=False)
    assert netlink.raise_receive_buffer(capped, 64 << 20) == (8 << 20, "SO_RCVBUF")
    backend = netlink.NetlinkBackend()
    backend.rcvbuf, backend.rcvbuf_how = 8 << 20, "SO_RCVBUF"
    assert not backend.buffer_raised
    assert backend.buffer_text() == (
        "8 MiB (SO_RCVBUF), not the 64 MiB asked: net.core.rmem_max caps it without root, "
        "so bursts may be lost (as events_lost)")
    assert losses_allowed(f"x; receive buffer {backend.buffer_text()}; y")
    backend.rcvbuf, backend.rcvbuf_how = 128 << 20, "SO_RCVBUFFORCE"
    assert backend.buffer_raised and backend.buffer_text() == BUFFER_SAID
    assert not losses_allowed(f"x; receive buffer {backend.buffer_text()}; y")


class _OverflowSocket(_FakeSocket):
    """recv_into raises ENOBUFS where the list holds None, as Linux does once after the
    receive buffer overflowed."""

    def recv_into(self, buf) -> int:
        if self.datagrams and self.datagrams[0] is None:
            self.datagrams.pop(0)
            raise OSError(errno.ENOBUFS, "No buffer space available")
        return super().recv_into(buf)


def test_an_overflow_is_counted_by_the_gap_and_said() -> None:
    """Edge case built here: ENOBUFS, then the next event of cpu 0 five numbers on: four
    lost, said with the overflow; an ENOBUFS with no gap seen yet is a loss of unknown
    size, still a record."""
    events = _captured_events()[1:4]
    backend = netlink.NetlinkBackend()
    backend.rcvbuf = 8 << 20
    backend.sock = _OverflowSocket([_datagram(events[0], 0), None, _datagram(events[1], 5)])
    calls = _Calls()
    backend.drain(calls)
    assert calls.calls[-1] == ("lost", 4, "proc connector sequence gap on cpu 0 (netlink "
                               "ENOBUFS: the 8 MiB receive buffer was full)")
    backend.sock = _OverflowSocket([None])
    backend.drain(calls)
    assert calls.calls[-1] == ("lost", None, "netlink ENOBUFS: the 8 MiB receive buffer was "
                               "full")


def test_a_full_receive_buffer_is_reported_as_lost_events(tmp_path: Path) -> None:
    """A real overflow: a watcher given a tiny buffer (--rcvbuf 0.0625: 128 KiB) is stopped
    by its own command, which then starts 300 processes (~900 events, ~1 KiB of buffer
    each) and lets it go on. The kernel drops what does not fit; the watcher must say so:
    events_lost records whose counts come from the sequence gaps, EventsLost, exit 1."""
    _root_or_skip()
    proc = _watch(tmp_path, "--backend", "netlink", "--rcvbuf", "0.0625", "--", "bash", "-c",
                  "kill -STOP $PPID; for i in $(seq 300); do /bin/true; done; "
                  "kill -CONT $PPID")
    records = list(pool.read(tmp_path))
    lost = [r for r in records if r["ev.event"] == "events_lost"]
    assert proc.returncode == 1, proc.stderr
    assert "; receive buffer 0.125 MiB (SO_RCVBUFFORCE);" in proc.stderr
    assert lost and any("ENOBUFS" in r["ev.reason"] for r in lost), lost
    counted = sum(r.get("ev.events_lost") or 1 for r in lost)
    assert f"EventsLost x{counted} (" in proc.stderr
    # only the command's tree is written: some of its 300 children's exits were lost
    exits = [r for r in records if r["ev.event"] == "exit"]
    assert len(exits) < 300
    # A CPU's gap shows with its next message; where none came before the watch ended
    # (the machine idle), the loss is said with an unknown size (ENOBUFS), never dropped.
    # When every gap was seen, the counts cover every missing exit.
    unknown = [r for r in lost if r.get("ev.events_lost") is None]
    assert all("ENOBUFS" in r["ev.reason"] for r in unknown)
    if not unknown:
        assert 300 <= len(exits) + counted, (len(exits), counted)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (0, {"linux.exit_code": 0}),
        (768, {"linux.exit_code": 3}),          # exit(3), as the kernel reports it
        (9, {"linux.exit_signal": 9, "linux.signal_name": "SIGKILL"}),
        (15, {"linux.exit_signal": 15, "linux.signal_name": "SIGTERM"}),
        (0x86, {"linux.exit_signal": 6, "linux.signal_name": "SIGABRT",
                "linux.core_dumped": True}),
    ],
)
def test_raw_wait_status_is_decoded(status: int, expected: dict) -> None:
    assert decode_status(status) == expected


def test_struct_layouts_match_the_kernel_abi() -> None:
    assert (netlink.NLMSGHDR.size, netlink.CN_MSG.size, netlink.PROC_EV.size) == (
        16, 20, 16)
    assert netlink.EV_EXIT.size == 24 == len(struct.pack("=iiIIii", 0, 0, 0, 0, 0, 0))


# ---------------------------------------------------------------------------------------
# The pool file of a live watcher


def test_pool_appender_appends_batches_that_a_reader_sees_at_once(tmp_path: Path) -> None:
    from importers.core.pool import PoolAppender
    from importers.sources import procs

    records = list(procs.read([FIXTURES / "procs" / "captured" / "bpftrace_execsnoop_bt.txt"],
                              start="0", tz="UTC"))
    with PoolAppender(tmp_path, "watch-procs", "node-1") as out:
        assert out.write_batch(records[:5]) == 5
        assert len(list(pool.read(tmp_path))) == 5     # flushed: visible while open
        out.write_batch(records[5:])
        path = out.final
    assert out.count == len(records) and out.unparsed == 0
    assert path.name == "watch-procs-node-1.jsonlog"
    with PoolAppender(tmp_path, "watch-procs", "node-1") as again:   # a restart appends
        again.write_batch(records[:1])
    assert len(list(pool.read(tmp_path))) == len(records) + 1
    # a watcher killed mid-write leaves half a line: the reader stops before it
    with open(path, "ab") as fh:
        fh.write(b'{"created":1.0,"formatted":"exec pid')
    back = list(pool.read(tmp_path))
    assert len(back) == len(records) + 1
    assert [r["linux.pid"] for r in back[1:6]] == [r["linux.pid"] for r in records[1:6]]


def test_bcc_module_is_found_or_refused_in_one_line() -> None:
    """importers.sources.procs.bcc from this (non-Debian) Python: Debian's python3-bpfcc module is
    loaded from its dist-packages and says how, or bcc is refused with one line; opening the
    backend where the kernel has no headers or kprobes is refused with one line too."""
    from importers.sources.procs import bcc as procs_bcc

    try:
        _module, how = procs_bcc.load_module()
    except procs_bcc.BccUnavailable as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert "bcc module" in how and "\n" not in how
    said: list[str] = []
    backend = procs_bcc.BccBackend(said.append)
    try:
        backend.open()
    except procs_bcc.BccUnavailable as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        backend.close()
        pytest.skip("bcc compiles and attaches on this host: nothing to refuse")
