"""``ev-import watch-procs``: live fork/exec/exit events of a node's processes, as root.

The kernel speaks in pids; this watcher turns its process events into records that join
with htex workers (``linux.pid`` + ``linux.hostname``) and Slurm steps, and that stay
correct when pids are reused (``linux.start_time``, ``linux.boot_id``, ``linux.process_key``).

Backends (:func:`open_backend`):

* ``netlink``: the proc connector (``NETLINK_CONNECTOR``, ``CN_IDX_PROC``,
  ``PROC_CN_MCAST_LISTEN``), stdlib only, wherever ``CONFIG_PROC_EVENTS=y``. Its events
  carry pids and the raw exit status only, so comm, exe, argv, uid and start time are read
  from ``/proc`` at once (``linux.proc_gone`` marks a process that was already gone).
  Per-CPU sequence numbers reveal exactly how many events the kernel dropped.
* ``bcc``: Debian's ``python3-bpfcc`` on the ``sched:sched_process_{fork,exec,exit}``
  tracepoints only (importers/sources/procs_bcc.py). ``auto`` tries it and falls back to netlink
  with one line saying why.

Records (``ev.source`` = ``watch-procs``, ``ev.backend`` = the backend): ``fork`` (child
``linux.pid``, parent ``linux.ppid``), ``exec`` (``linux.comm``, ``linux.exe``, ``linux.argv``,
``linux.uid``), ``exit`` (``linux.exit_status`` raw, decoded to ``linux.exit_code`` or
``linux.exit_signal``, CPU times where still readable), ``events_lost``. Threads are not
processes: their creation and exit are dropped, or with ``--threads`` written as
``thread_start``/``thread_exit`` with ``linux.tid`` != ``linux.pid``.

Kernel timestamps are CLOCK_MONOTONIC: ``created`` = timestamp + (wall - monotonic) measured
at start. The records are appended to ``<pool>/watch-procs-<host>-<id>.jsonlog`` in batches
at most about half a second old, so a reader sees them while the watcher runs.

Example::

    ev-import watch-procs -- bash workload.sh          # follow one command's process tree
    ev-import watch-procs --pid-tree 4242 --duration 600
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import EXIT_OK, EXIT_PARTIAL, NotPermitted, UnusableInput
from ..core.pool import PoolAppender, pool_dir
from ..core.record import LINUX_HOSTNAME, LINUX_PID, REASON, record
from ..core.report import EVENTS_LOST, ImportReport
from .procs import (
    ARGV,
    BOOT_ID,
    COMM,
    EVENT_EXEC,
    EVENT_EXIT,
    EVENT_FORK,
    EVENT_LOST,
    EVENTS_LOST_COUNT,
    EXE,
    EXIT_STATUS,
    FILENAME,
    KTIME,
    PARENT_COMM,
    PPID,
    PROCESS_KEY,
    RECORD_NAME,
    START_TIME,
    TID,
    UID,
    decode_status,
    describe_exit,
)

SOURCE_NAME = "watch-procs"
BACKEND = "ev.backend"
PROC_GONE = "linux.proc_gone"
PARENT_KEY = "linux.parent_process_key"
UTIME = "linux.utime_seconds"
STIME = "linux.stime_seconds"
NOTIFY_SIGNAL = "linux.notify_signal"  # the signal the parent is sent (SIGCHLD = 17)
CPU = "linux.cpu"

EVENT_THREAD_START = "thread_start"
EVENT_THREAD_EXIT = "thread_exit"

FLUSH_SECONDS = 0.5       # a batch is written at most this old (the issue: about a second)
FLUSH_RECORDS = 4096
ACK_TIMEOUT = 3.0
RCVBUF = 64 << 20         # proc connector bursts: 64 MiB of socket buffer (root may force)

# netlink / connector constants (linux/netlink.h, linux/connector.h, linux/cn_proc.h)
NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
NLMSG_ERROR, NLMSG_DONE = 2, 3
PROC_CN_MCAST_LISTEN, PROC_CN_MCAST_IGNORE = 1, 2
PROC_EVENT_NONE, PROC_EVENT_FORK, PROC_EVENT_EXEC = 0x0, 0x1, 0x2
PROC_EVENT_EXIT = 0x80000000
NLMSGHDR = struct.Struct("=IHHII")      # len, type, flags, seq, pid
CN_MSG = struct.Struct("=IIIIHH")       # idx, val, seq, ack, len, flags
PROC_EV = struct.Struct("=IIQ")         # what, cpu, timestamp_ns (CLOCK_MONOTONIC)
EV_FORK = struct.Struct("=iiii")        # parent_pid, parent_tgid, child_pid, child_tgid
EV_EXEC = struct.Struct("=ii")          # process_pid, process_tgid
EV_EXIT = struct.Struct("=iiIIii")      # pid, tgid, exit_code (raw status), exit_signal,
EV_EXIT_OLD = struct.Struct("=iiII")    #   parent_pid, parent_tgid (Linux >= 4.19)
EV_NONE = struct.Struct("=i")           # err (the ACK of our LISTEN)
HEADER_BYTES = NLMSGHDR.size + CN_MSG.size + PROC_EV.size


# ---------------------------------------------------------------------------------------
# The node: what identifies it, and /proc look-ups


@dataclass
class Node:
    hostname: str
    boot_id: str
    btime: int                 # /proc/stat btime: what ps uses for start times
    clk_tck: int
    offset: float              # epoch seconds = monotonic seconds + offset

    @classmethod
    def here(cls) -> Node:
        try:
            boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        except OSError:
            boot_id = ""
        btime = 0
        try:
            with open("/proc/stat", "rb") as fh:
                for line in fh:
                    if line.startswith(b"btime "):
                        btime = int(line.split()[1])
                        break
        except OSError:
            pass
        return cls(socket.gethostname(), boot_id, btime, os.sysconf("SC_CLK_TCK"),
                   monotonic_offset())

    def start_time(self, ticks: int) -> float:
        return float(self.btime + ticks / self.clk_tck)

    def process_key(self, pid: int, ticks: int) -> str:
        """Stable across pid reuse and reboots: ``<boot_id>:<pid>:<start ticks>``."""
        return f"{self.boot_id}:{pid}:{ticks}"


def monotonic_offset(samples: int = 7) -> float:
    """wall - CLOCK_MONOTONIC, from the tightest of a few bracketed samples."""
    best = None
    for _ in range(samples):
        a = time.monotonic_ns()
        wall = time.time_ns()
        b = time.monotonic_ns()
        if best is None or b - a < best[0]:
            best = (b - a, wall - (a + b) // 2)
    return best[1] / 1e9


def _slurp(path: str) -> bytes | None:
    """A small /proc file's bytes, or None when the process is gone.

    os.open/os.read rather than open(): no buffered-reader objects on the hot path (a
    burst of short processes is thousands of these a second, and a process that lives a
    millisecond is gone if we dawdle).
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 8192)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_stat(pid: int) -> tuple[str, int, int, int, int] | None:
    """``/proc/PID/stat`` -> (comm, ppid, start ticks, utime ticks, stime ticks) or None."""
    data = _slurp(f"/proc/{pid}/stat")
    if not data:
        return None
    left, right = data.find(b"("), data.rfind(b")")
    rest = data[right + 2:].split()
    try:
        return (data[left + 1:right].decode("utf-8", "replace"), int(rest[1]), int(rest[19]),
                int(rest[11]), int(rest[12]))
    except (IndexError, ValueError):
        return None


def _status_field(pid: int, name: bytes) -> int | None:
    data = _slurp(f"/proc/{pid}/status")
    if not data:
        return None
    at = data.find(b"\n" + name)
    if at < 0:
        return None
    try:
        return int(data[at + len(name) + 1:data.index(b"\n", at + 1)].split()[0])
    except (ValueError, IndexError):
        return None


def read_uid(pid: int) -> int | None:
    """The real uid (``Uid:`` in /proc/PID/status)."""
    return _status_field(pid, b"Uid:")


def read_exec_info(pid: int) -> dict[str, Any]:
    """exe, argv, uid of a process that just exec'd; the exe first (it goes first)."""
    info: dict[str, Any] = {}
    try:
        info[EXE] = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        pass
    raw = _slurp(f"/proc/{pid}/cmdline")
    if raw:
        if len(raw) == 8192:   # a long command line: the rest, rarely needed
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                raw = fh.read()
        info[ARGV] = [a.decode("utf-8", "replace") for a in raw.rstrip(b"\0").split(b"\0")]
    uid = read_uid(pid)
    if uid is not None:
        info[UID] = uid
    return info


# ---------------------------------------------------------------------------------------
# Turning kernel events into records


@dataclass
class Proc:
    """What the watcher knows of one live process (dropped at its exit)."""

    ticks: int | None = None
    comm: str | None = None
    exe: str | None = None
    uid: int | None = None
    ppid: int | None = None


@dataclass
class Options:
    backend: str = "auto"
    duration: float | None = None
    pid_tree: int | None = None
    uid: int | None = None
    threads: bool = False
    linger: float = 1.0
    command: list[str] = field(default_factory=list)


class Tracker:
    """Per-event logic shared by every backend: filters, /proc enrichment, records."""

    def __init__(self, node: Node, opts: Options, backend: str, report: ImportReport,
                 emit: Callable[[dict[str, Any]], None]) -> None:
        self.node = node
        self.opts = opts
        self.backend = backend
        self.report = report
        self.emit = emit
        self.origin = f"{backend}:{node.hostname}"
        self.procs: dict[int, Proc] = {}
        self.tracked: set[int] | None = None   # None: every process
        # tracked processes that exited lately: their threads' exit events can come after
        # the leader's (seen on 6.x), and must still be told apart from processes
        self.exited: OrderedDict[int, None] = OrderedDict()
        self.threads_dropped = 0
        self.lost = 0
        self.root: int | None = None
        self.root_exited = False
        self.common = {LINUX_HOSTNAME: node.hostname, BOOT_ID: node.boot_id, BACKEND: backend}

    # -- selection
    def follow(self, pid: int) -> None:
        """Follow ``pid`` and (from now on) everything it forks."""
        if self.tracked is None:
            self.tracked = set()
        self.tracked.add(pid)

    def follow_tree(self, root: int) -> None:
        """``--pid-tree``: ``root`` and its descendants as /proc shows them now."""
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = read_stat(int(entry.name))
                if stat:
                    children.setdefault(stat[1], []).append(int(entry.name))
        todo = [root]
        while todo:
            pid = todo.pop()
            self.follow(pid)
            todo.extend(children.get(pid, ()))

    def selected(self, pid: int, uid: int | None) -> bool:
        if self.tracked is not None and pid not in self.tracked:
            return False
        return not (self.opts.uid is not None and uid is not None and uid != self.opts.uid)

    # -- helpers
    def _created(self, ts_ns: int) -> float:
        return ts_ns / 1e9 + self.node.offset

    def _identity(self, pid: int, proc: Proc, fields: dict[str, Any]) -> None:
        if proc.ticks is not None:
            fields[START_TIME] = self.node.start_time(proc.ticks)
            fields[PROCESS_KEY] = self.node.process_key(pid, proc.ticks)

    def _proc(self, pid: int) -> Proc:
        proc = self.procs.get(pid)
        if proc is None:
            proc = self.procs[pid] = Proc()
            stat = read_stat(pid)
            if stat:
                proc.comm, proc.ppid, proc.ticks = stat[0], stat[1], stat[2]
                proc.uid = read_uid(pid)
        return proc

    def _record(self, ts_ns: int, cpu: int | None, event: str, formatted: str,
                fields: dict[str, Any], level: str = "INFO") -> None:
        fields.update(self.common)
        fields[KTIME] = ts_ns
        fields[CPU] = cpu
        self.emit(record(self._created(ts_ns), event, source=SOURCE_NAME, origin=self.origin,
                         name=RECORD_NAME, formatted=formatted, fields=fields,
                         levelname=level))

    # -- events
    def fork(self, ts_ns: int, cpu: int | None, parent_tid: int, parent_pid: int,
             child_tid: int, child_pid: int | None) -> None:
        """A clone. ``child_pid`` (its tgid) None: the backend could not tell; ask /proc."""
        if child_pid is None:
            child_pid = _tgid_of(child_tid)
        if child_pid is not None and child_tid != child_pid:   # a new thread
            if self.tracked is not None and child_pid not in self.tracked:
                return
            if self.opts.threads and self.selected(child_pid, None):
                self._record(ts_ns, cpu, EVENT_THREAD_START,
                             f"thread {child_tid} started in pid {child_pid}",
                             {LINUX_PID: child_pid, TID: child_tid})
            else:
                self.threads_dropped += 1
            return
        child = child_tid
        if self.tracked is not None:   # following a tree: others cost no /proc reads
            if parent_pid not in self.tracked and child not in self.tracked:
                return
            self.tracked.add(child)
        parent = self.procs.get(parent_pid)
        proc = self.procs[child] = Proc(ppid=parent_pid)
        stat = read_stat(child)
        if stat and stat[1] == parent_pid:
            proc.comm, proc.ticks = stat[0], stat[2]
        elif parent is not None:
            proc.comm = parent.comm
        if parent is not None:
            proc.exe, proc.uid = parent.exe, parent.uid
        if proc.uid is None:
            proc.uid = read_uid(child)
        if not self.selected(child, proc.uid):
            return
        fields: dict[str, Any] = {LINUX_PID: child, PPID: parent_pid, COMM: proc.comm,
                                  UID: proc.uid, PARENT_COMM: parent.comm if parent else None}
        if parent_tid != parent_pid:
            fields["linux.parent_tid"] = parent_tid
        if child_pid is None:
            fields[PROC_GONE] = True
        self._identity(child, proc, fields)
        if parent is not None and parent.ticks is not None:
            fields[PARENT_KEY] = self.node.process_key(parent_pid, parent.ticks)
        self._record(ts_ns, cpu, EVENT_FORK, f"fork pid {parent_pid} -> {child}", fields)

    def exec(self, ts_ns: int, cpu: int | None, pid: int, filename: str | None = None,
             comm: str | None = None) -> None:
        if self.tracked is not None and pid not in self.tracked:
            return
        info = read_exec_info(pid)
        stat = read_stat(pid)
        proc = self.procs.get(pid)
        if proc is None:
            proc = self.procs[pid] = Proc()
        if stat:
            proc.comm, proc.ppid = stat[0], stat[1]
            if proc.ticks is None:
                proc.ticks = stat[2]
        elif comm:
            proc.comm = comm
        proc.exe = info.get(EXE) or proc.exe
        proc.uid = info.get(UID, proc.uid)
        if not self.selected(pid, proc.uid):
            return
        # gone: exited already, or already in its next exec (no argv while it switches)
        gone = stat is None or EXE not in info or ARGV not in info
        fields: dict[str, Any] = {LINUX_PID: pid, PPID: proc.ppid, COMM: proc.comm,
                                  FILENAME: filename, **info}
        if gone:
            fields[PROC_GONE] = True
        self._identity(pid, proc, fields)
        argv = info.get(ARGV)
        what = " ".join(argv) if argv else (filename or proc.exe or proc.comm or "?")
        note = " (process already gone)" if gone else ""
        self._record(ts_ns, cpu, EVENT_EXEC,
                     f"exec pid {pid} (ppid {proc.ppid}): {what}{note}".replace("\n", "\\n"),
                     fields)

    def exit(self, ts_ns: int, cpu: int | None, tid: int, pid: int, status: int | None,
             notify_signal: int | None = None, ppid: int | None = None) -> None:
        if self.tracked is not None and pid not in self.tracked and pid not in self.exited:
            self.procs.pop(pid, None)
            return
        if tid != pid:   # a thread ended; its process lives on (or just ended)
            if self.opts.threads:
                fields = {LINUX_PID: pid, TID: tid, EXIT_STATUS: status}
                self._record(ts_ns, cpu, EVENT_THREAD_EXIT,
                             f"thread {tid} of pid {pid} exited", fields)
            else:
                self.threads_dropped += 1
            return
        proc = self.procs.pop(pid, None) or Proc()
        stat = read_stat(pid)   # a zombie still has its stat: CPU times, if not reaped yet
        cpu_times: dict[str, Any] = {}
        if stat and (proc.ticks is None or stat[2] == proc.ticks):
            proc.comm = proc.comm or stat[0]
            proc.ticks = stat[2]
            cpu_times = {UTIME: stat[3] / self.node.clk_tck, STIME: stat[4] / self.node.clk_tck}
            if proc.ppid is None:
                proc.ppid = stat[1]
        was_tracked = self.tracked is None or pid in self.tracked
        if self.tracked is not None and pid in self.tracked:
            self.tracked.discard(pid)
            self.exited[pid] = None
            if len(self.exited) > 4096:
                self.exited.popitem(last=False)
        if pid == self.root:
            self.root_exited = True
        if not was_tracked or (self.opts.uid is not None and proc.uid is not None
                               and proc.uid != self.opts.uid):
            return
        fields: dict[str, Any] = {LINUX_PID: pid, PPID: ppid if ppid else proc.ppid,
                                  COMM: proc.comm, EXE: proc.exe, UID: proc.uid,
                                  EXIT_STATUS: status, NOTIFY_SIGNAL: notify_signal,
                                  **cpu_times}
        if status is not None:
            fields.update(decode_status(status))
        self._identity(pid, proc, fields)
        level = "INFO" if fields.get("linux.exit_code") == 0 else "WARNING"
        self._record(ts_ns, cpu, EVENT_EXIT,
                     f"exit pid {pid} {proc.comm or ''}: {describe_exit(fields)}", fields,
                     level)

    def lost_events(self, count: int | None, why: str) -> None:
        """Never silent: a record, and a counted problem."""
        self.lost += count or 0
        self.report.problem(EVENTS_LOST, why, count=count or 1)
        ts = time.monotonic_ns()
        self._record(ts, None, EVENT_LOST,
                     f"events lost: {count if count else 'unknown number'} ({why})",
                     {EVENTS_LOST_COUNT: count, REASON: why}, "WARNING")


def _tgid_of(tid: int) -> int | None:
    return _status_field(tid, b"Tgid:")


# ---------------------------------------------------------------------------------------
# The netlink proc connector


class NetlinkBackend:
    name = "netlink"

    def __init__(self) -> None:
        self.sock: socket.socket | None = None
        self.seq: dict[int, int] = {}
        self.buf = bytearray(1 << 16)
        self.lost_pending: list[tuple[int | None, str]] = []

    def open(self) -> None:
        """Subscribe, and wait for the kernel's ACK: after it, no event is missed."""
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
        except OSError as exc:
            raise UnusableInput(
                "no netlink connector in this kernel", f"socket(NETLINK_CONNECTOR): "
                f"{exc.strerror}", "a kernel with CONFIG_CONNECTOR=y and CONFIG_PROC_EVENTS=y "
                "is needed, or use --backend bcc") from None
        try:
            try:
                sock.setsockopt(socket.SOL_SOCKET, 33, RCVBUF)   # SO_RCVBUFFORCE
            except OSError:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
            sock.bind((0, CN_IDX_PROC))
            self._control(sock, PROC_CN_MCAST_LISTEN)
        except PermissionError:
            sock.close()
            raise NotPermitted(
                "watch-procs must run as root", "the proc connector needs CAP_NET_ADMIN",
                "run it with sudo, or from a systemd unit or Slurm prolog (docs/procs.md)",
            ) from None
        except OSError as exc:
            sock.close()
            raise UnusableInput("cannot subscribe to the proc connector",
                                f"netlink: {exc.strerror}", "use --backend bcc") from None
        deadline = time.monotonic() + ACK_TIMEOUT
        acked = False
        self.sock = sock
        while not acked:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                self.close()
                raise UnusableInput(
                    "the proc connector did not answer", "no ACK to PROC_CN_MCAST_LISTEN",
                    "this kernel probably lacks CONFIG_PROC_EVENTS; try --backend bcc")
            n = sock.recv_into(self.buf)
            for what, _cpu, _ts, payload in self._messages(memoryview(self.buf)[:n]):
                if what == PROC_EVENT_NONE:
                    err = EV_NONE.unpack_from(payload)[0] if len(payload) >= 4 else 0
                    if err:
                        self.close()
                        raise UnusableInput("the proc connector refused the subscription",
                                            os.strerror(err), "run as root")
                    acked = True
        sock.setblocking(False)

    @staticmethod
    def _control(sock: socket.socket, op: int) -> None:
        payload = struct.pack("=I", op)
        body = CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(payload), 0) + payload
        sock.send(NLMSGHDR.pack(NLMSGHDR.size + len(body), NLMSG_DONE, 0, 0, 0) + body)

    def _messages(self, data: memoryview):
        off = 0
        size = len(data)
        while off + HEADER_BYTES <= size:
            nl_len, nl_type = NLMSGHDR.unpack_from(data, off)[:2]
            if nl_len < NLMSGHDR.size:
                break
            if nl_type == NLMSG_DONE:
                idx, val, seq, _ack, dlen, _fl = CN_MSG.unpack_from(data, off + NLMSGHDR.size)
                body = off + NLMSGHDR.size + CN_MSG.size
                if (idx, val) == (CN_IDX_PROC, CN_VAL_PROC) and dlen >= PROC_EV.size:
                    what, cpu, ts = PROC_EV.unpack_from(data, body)
                    if what != PROC_EVENT_NONE:
                        last = self.seq.get(cpu)
                        if last is not None and seq > last + 1:
                            self.lost_pending.append(
                                (seq - last - 1, f"proc connector sequence gap on cpu {cpu}"))
                        self.seq[cpu] = seq
                    yield what, cpu, ts, data[body + PROC_EV.size: body + dlen]
            off += (nl_len + 3) & ~3

    def fileno(self) -> int:
        return self.sock.fileno()

    def wait(self, timeout: float) -> bool:
        return bool(select.select([self.sock], [], [], timeout)[0])

    def drain(self, tracker: Tracker) -> int:
        """Handle every datagram waiting now; return how many events."""
        sock, buf, count = self.sock, self.buf, 0
        view = memoryview(buf)
        fork, exec_, exit_ = tracker.fork, tracker.exec, tracker.exit
        while True:
            try:
                n = sock.recv_into(buf)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    # the socket buffer overflowed; the sequence gap will give the count
                    self.lost_pending.append((None, "netlink ENOBUFS (socket buffer full)"))
                    continue
                raise
            for what, cpu, ts, payload in self._messages(view[:n]):
                count += 1
                if what == PROC_EVENT_FORK:
                    ppid_t, ppid, cpid_t, cpid = EV_FORK.unpack_from(payload)
                    fork(ts, cpu, ppid_t, ppid, cpid_t, cpid)
                elif what == PROC_EVENT_EXEC:
                    pid, _tgid = EV_EXEC.unpack_from(payload)
                    exec_(ts, cpu, pid)
                elif what == PROC_EVENT_EXIT:
                    if len(payload) >= EV_EXIT.size:
                        tid, pid, status, sig, _pp, ptgid = EV_EXIT.unpack_from(payload)
                    else:
                        (tid, pid, status, sig), ptgid = EV_EXIT_OLD.unpack_from(payload), None
                    exit_(ts, cpu, tid, pid, status, sig, ptgid)
            if self.lost_pending:
                self._report_lost(tracker)
        if self.lost_pending:
            self._report_lost(tracker)
        return count

    def _report_lost(self, tracker: Tracker) -> None:
        gaps = [(n, why) for n, why in self.lost_pending if n]
        nobufs = [why for n, why in self.lost_pending if not n]
        self.lost_pending.clear()
        if gaps:
            total = sum(n for n, _ in gaps)
            tracker.lost_events(total, gaps[0][1] + (" (ENOBUFS)" if nobufs else ""))
        elif nobufs:
            tracker.lost_events(None, nobufs[0])

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.setblocking(True)
                self._control(self.sock, PROC_CN_MCAST_IGNORE)
            except OSError:
                pass
            self.sock.close()
            self.sock = None


# ---------------------------------------------------------------------------------------
# Choosing a backend


def open_backend(choice: str, say: Callable[[str], None]):
    """``auto``: bcc, else netlink with one line saying why. ``bcc``/``netlink``: that one.

    Raises an EvImportError (one line, exit 2) when the chosen backend cannot work here.
    """
    from . import procs_bcc

    if choice in ("auto", "bcc"):
        try:
            backend = procs_bcc.BccBackend(say)
            backend.open()
            return backend
        except procs_bcc.BccUnavailable as exc:
            if choice == "bcc":
                raise UnusableInput("the bcc backend cannot run here", str(exc),
                                    "use --backend netlink (the proc connector)") from None
            say(f"watch-procs: bcc backend unavailable ({exc}); using the netlink proc "
                "connector")
    backend = NetlinkBackend()
    backend.open()
    return backend


def _ident(node: Node) -> str:
    blob = f"{node.hostname}|{node.boot_id}|{time.time_ns()}|{os.getpid()}".encode()
    return f"{node.hostname}-{hashlib.sha256(blob).hexdigest()[:12]}"


def watch(opts: Options, pool: str | None, quiet: bool = False,
          say: Callable[[str], None] | None = None) -> int:
    """Run a watch until its end (command done, --duration, SIGINT/SIGTERM); return the
    exit code. Prints the backend line(s) and the one-line summary on stderr."""
    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    if os.geteuid() != 0:
        raise NotPermitted(
            "watch-procs must run as root", f"running as uid {os.geteuid()}",
            "the proc connector and eBPF need root: use sudo, a systemd unit or a Slurm "
            "prolog (docs/procs.md)")
    report = ImportReport()
    node = Node.here()
    backend = open_backend(opts.backend, say)
    report.assume("backend", backend.name)
    report.assume("time base", "kernel monotonic clock + offset measured at start")
    batch: list[dict[str, Any]] = []
    tracker = Tracker(node, opts, backend.name, report, batch.append)
    if opts.pid_tree is not None:
        tracker.follow_tree(opts.pid_tree)
    stop = {"signal": None}
    child: subprocess.Popen | None = None

    def on_signal(signum, _frame):
        stop["signal"] = signum
        if child is not None and child.poll() is None:
            try:
                child.send_signal(signum)
            except OSError:
                pass

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    end_at = started + opts.duration if opts.duration else None
    stop_after: float | None = None
    ident = _ident(node)
    command_status = None
    try:
        with PoolAppender(pool_dir(pool), SOURCE_NAME, ident) as out:
            if opts.command:
                tracker.tracked = set()   # only the command's tree, from its fork on
                try:
                    child = subprocess.Popen(opts.command)
                except OSError as exc:
                    raise UnusableInput("cannot start the command", opts.command[0],
                                        exc.strerror or str(exc)) from None
                tracker.root = child.pid
                tracker.follow(child.pid)
            first = None
            while True:
                now = time.monotonic()
                if backend.wait(0.1):
                    backend.drain(tracker)
                now = time.monotonic()
                if batch:
                    first = first or now
                    if now - first >= FLUSH_SECONDS or len(batch) >= FLUSH_RECORDS:
                        out.write_batch(batch)
                        batch.clear()
                        first = None
                if stop["signal"] is not None:
                    break
                if end_at is not None and now >= end_at:
                    break
                if child is not None and stop_after is None and child.poll() is not None:
                    command_status = child.returncode
                    stop_after = now + opts.linger
                if stop_after is not None and (
                        now >= stop_after or (tracker.root_exited and not tracker.tracked)):
                    break
            if child is not None and child.poll() is None:
                child.wait(timeout=5)   # the signal was forwarded; let it finish
            if child is not None:
                command_status = child.returncode
            time.sleep(0.05)
            backend.drain(tracker)   # the final events, then the final flush
            out.write_batch(batch)
            batch.clear()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        backend.close()
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
    if tracker.threads_dropped:
        report.assume("threads", f"{tracker.threads_dropped} thread starts/exits not written "
                      "(--threads keeps them)")
    if command_status is not None:
        report.assume("command", f"{' '.join(opts.command)} exited "
                      + (f"{command_status}" if command_status >= 0
                         else f"by signal {-command_status}"))
    if stop["signal"] is not None:
        report.assume("stopped by", signal.Signals(stop["signal"]).name)
    partial = bool(out.unparsed) or report.partial
    if not quiet or partial:
        parts = [f"{SOURCE_NAME}: {out.count} events ({out.unparsed} unparsed) from "
                 f"{backend.name} on {node.hostname} -> {out.final}",
                 *report.summary_parts()]
        say("; ".join(parts))
    return EXIT_PARTIAL if partial else EXIT_OK


def options_from_args(args: argparse.Namespace) -> Options:
    command = list(args.command or [])
    if command and command[0] == "--":
        command = command[1:]
    return Options(backend=args.backend, duration=args.duration, pid_tree=args.pid_tree,
                   uid=args.uid, threads=args.threads, linger=args.linger, command=command)
