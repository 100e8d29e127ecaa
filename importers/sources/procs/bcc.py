"""The bcc backend of ``ev-import watch-procs``: eBPF on the sched tracepoints only.

Why only tracepoints: many HPC and VM kernels have no kprobes (``CONFIG_KPROBES`` unset) or
no headers that match them, and stock ``execsnoop-bpfcc`` (kprobes on execve) fails there.
This program attaches to ``sched:sched_process_exec`` and ``sched:sched_process_exit``
and to the raw form of ``sched:sched_process_fork`` (the same tracepoint; its raw form hands
over the child's task, so a new thread is told from a new process in the kernel).

Why the import dance: bcc is Debian's ``python3-bpfcc`` (the PyPI package named ``bcc`` is
an unrelated project: never install it), installed for Debian's ``/usr/bin/python3`` only.
From a venv, pyenv or conda Python we add its ``dist-packages`` directory at the *end* of
``sys.path`` (so the environment's own packages still win) and say so in one line.

bcc compiles its C at start-up against the running kernel's headers; where they are missing
it fails in a second, and ``--backend auto`` falls back to the netlink proc connector with
one line quoting bcc's reason.
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

DEBIAN_DIST_PACKAGES = "/usr/lib/python3/dist-packages"
PAGE_COUNT = 1024          # perf buffer pages per CPU (4 MiB each): bursts fit

KIND_FORK, KIND_EXEC, KIND_EXIT = 1, 2, 3

PROGRAM = r"""
#include <linux/sched.h>

struct event_t {
    u64 ts;
    u32 kind;
    u32 tid;        /* fork: parent thread; exec: pid; exit: exiting thread */
    u32 pid;        /* tgid of the task the event is about (fork: the parent's) */
    u32 child_tid;  /* fork only */
    u32 child_pid;  /* fork only: the child's tgid (== parent's tgid for a new thread) */
    u32 ppid;       /* exec/exit: real_parent's tgid */
    u32 status;     /* exit: task->exit_code, the raw wait status */
    u32 uid;
    char comm[16];
    char filename[256];
};
BPF_PERF_OUTPUT(events);

RAW_TRACEPOINT_PROBE(sched_process_fork) {
    struct task_struct *parent = (struct task_struct *)ctx->args[0];
    struct task_struct *child = (struct task_struct *)ctx->args[1];
    struct event_t e = {};
    e.ts = bpf_ktime_get_ns();
    e.kind = 1;
    bpf_probe_read_kernel(&e.tid, sizeof(e.tid), &parent->pid);
    bpf_probe_read_kernel(&e.pid, sizeof(e.pid), &parent->tgid);
    bpf_probe_read_kernel(&e.child_tid, sizeof(e.child_tid), &child->pid);
    bpf_probe_read_kernel(&e.child_pid, sizeof(e.child_pid), &child->tgid);
    e.uid = bpf_get_current_uid_gid();
    bpf_get_current_comm(&e.comm, sizeof(e.comm));
    events.perf_submit(ctx, &e, sizeof(e));
    return 0;
}

TRACEPOINT_PROBE(sched, sched_process_exec) {
    struct event_t e = {};
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    e.ts = bpf_ktime_get_ns();
    e.kind = 2;
    e.tid = args->pid;
    e.pid = bpf_get_current_pid_tgid() >> 32;
    e.ppid = task->real_parent->tgid;
    e.uid = bpf_get_current_uid_gid();
    bpf_get_current_comm(&e.comm, sizeof(e.comm));
    unsigned short loc = args->data_loc_filename & 0xFFFF;
    bpf_probe_read_kernel_str(&e.filename, sizeof(e.filename), (char *)args + loc);
    events.perf_submit(args, &e, sizeof(e));
    return 0;
}

TRACEPOINT_PROBE(sched, sched_process_exit) {
    struct event_t e = {};
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    u64 id = bpf_get_current_pid_tgid();
    e.ts = bpf_ktime_get_ns();
    e.kind = 3;
    e.tid = (u32)id;
    e.pid = id >> 32;
    e.ppid = task->real_parent->tgid;
    e.status = task->exit_code;
    e.uid = bpf_get_current_uid_gid();
    bpf_get_current_comm(&e.comm, sizeof(e.comm));
    events.perf_submit(args, &e, sizeof(e));
    return 0;
}
"""


class BccUnavailable(Exception):
    """bcc cannot run here; the message says why (one line)."""


def load_module() -> tuple[Any, str]:
    """Import Debian's bcc module from whatever Python runs us; return (module, how)."""
    try:
        import bcc  # noqa: PLC0415

        return bcc, f"bcc module {os.path.dirname(bcc.__file__)} in {sys.executable}"
    except ImportError:
        pass
    if not os.path.isdir(os.path.join(DEBIAN_DIST_PACKAGES, "bcc")):
        raise BccUnavailable("python3-bpfcc is not installed: apt-get install python3-bpfcc")
    if DEBIAN_DIST_PACKAGES not in sys.path:
        sys.path.append(DEBIAN_DIST_PACKAGES)
    try:
        import bcc  # noqa: PLC0415
    except Exception as exc:   # the module is there but not loadable by this Python
        raise BccUnavailable(
            f"Debian's bcc module in {DEBIAN_DIST_PACKAGES} does not load in "
            f"{sys.executable} ({type(exc).__name__}: {exc}); run ev-import with "
            "/usr/bin/python3 -m importers") from None
    return bcc, (f"Debian's bcc module from {DEBIAN_DIST_PACKAGES} loaded into "
                 f"{sys.executable} (Python {sys.version.split()[0]})")


def _reason(text: str, exc: BaseException) -> str:
    """The line of bcc's compiler chatter that says why."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for needle in ("kernel headers", "error:", "Failed", "failed"):
        for line in lines:
            if needle in line:
                return line[:200]
    return (lines[-1] if lines else f"{type(exc).__name__}: {exc}")[:200]


class BccBackend:
    name = "bcc"

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.bpf = None
        self.pending: list[tuple] = []
        self.lost: int = 0
        self.how = ""

    def open(self) -> None:
        bcc, self.how = load_module()
        sys.stdout.flush()
        sys.stderr.flush()
        saved = (os.dup(1), os.dup(2))
        with tempfile.TemporaryFile() as chatter:
            # bcc's C++ side prints its complaints on both fds: keep them for the reason
            os.dup2(chatter.fileno(), 1)
            os.dup2(chatter.fileno(), 2)
            error: BaseException | None = None
            try:
                self.bpf = bcc.BPF(text=PROGRAM.encode())
            except Exception as exc:    # bcc raises bare Exception on compile failure
                error = exc
            finally:
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
                os.close(saved[0])
                os.close(saved[1])
            chatter.seek(0)
            text = chatter.read().decode("utf-8", "replace")
        if error is not None:
            raise BccUnavailable(f"{self.how}; it could not compile its tracepoint program: "
                                 f"{_reason(text, error)}")
        try:
            self.bpf["events"].open_perf_buffer(self._on_event, page_cnt=PAGE_COUNT,
                                                lost_cb=self._on_lost)
        except Exception as exc:    # e.g. too little locked memory for the buffers
            self.close()
            raise BccUnavailable(f"{self.how}; its perf buffer could not be opened: "
                                 f"{type(exc).__name__}: {exc}") from None
        self.say(f"watch-procs: backend bcc ({self.how}; sched tracepoints only)")

    def _on_event(self, _cpu: int, data: Any, _size: int) -> None:
        e = self.bpf["events"].event(data)
        self.pending.append((e.kind, e.ts, _cpu, e.tid, e.pid, e.child_tid, e.child_pid,
                             e.ppid, e.status, e.comm, ctypes.string_at(e.filename)))

    def _on_lost(self, count: int) -> None:
        self.lost += count

    def wait(self, timeout: float) -> bool:
        self.bpf.perf_buffer_poll(timeout=int(timeout * 1000))
        return bool(self.pending or self.lost)

    def drain(self, tracker) -> int:
        self.bpf.perf_buffer_poll(timeout=0)
        if self.lost:
            lost, self.lost = self.lost, 0
            tracker.lost_events(lost, "bcc perf buffer lost samples")
        events, self.pending = self.pending, []
        for kind, ts, cpu, tid, pid, child_tid, child_pid, ppid, status, comm, fn in events:
            if kind == KIND_FORK:
                tracker.fork(ts, cpu, tid, pid, child_tid, child_pid)
            elif kind == KIND_EXEC:
                tracker.exec(ts, cpu, pid, filename=fn.decode("utf-8", "replace"),
                             comm=comm.decode("utf-8", "replace"))
            elif kind == KIND_EXIT:
                tracker.exit(ts, cpu, tid, pid, status, None, ppid)
        return len(events)

    def close(self) -> None:
        if self.bpf is not None:
            self.bpf.cleanup()
            self.bpf = None
