"""The live watcher's state: which processes are followed, and events -> records."""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...core.record import LINUX_HOSTNAME, LINUX_PID, REASON, record
from ...core.report import EVENTS_LOST, ImportReport
from .keys import (
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
)
from .proc_files import Node, _tgid_of, read_exec_info, read_stat, read_uid
from .status import decode_status, describe_exit
from .watch_keys import (
    BACKEND,
    CPU,
    EVENT_THREAD_EXIT,
    EVENT_THREAD_START,
    NOTIFY_SIGNAL,
    PARENT_KEY,
    PROC_GONE,
    SOURCE_NAME,
    STIME,
    UTIME,
)

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
        if child_pid is None or proc.ticks is None:
            # gone (or its pid already reused) before /proc was read: say so, so a record
            # without linux.start_time / linux.process_key is never silently incomplete
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
