"""The keys only the live watcher writes, and how often it flushes."""

from __future__ import annotations

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
