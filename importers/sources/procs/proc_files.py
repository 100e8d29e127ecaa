"""What ``/proc`` says about a process (comm, exe, argv, uid, start time) and the node
(boot id, clock ticks), read at the moment an event arrives."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .keys import (
    ARGV,
    EXE,
    UID,
)

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


def _tgid_of(tid: int) -> int | None:
    return _status_field(tid, b"Tgid:")
