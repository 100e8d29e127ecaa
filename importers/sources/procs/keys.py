"""The process keys (``linux.*``) both process sources write, and their event names."""

from __future__ import annotations

SOURCE_NAME = "procs"
RECORD_NAME = "linux.proc"

# Keys (DESIGN §3: a Linux process is linux.hostname + linux.pid, over time + start_time).
PPID = "linux.ppid"
TID = "linux.tid"
UID = "linux.uid"
COMM = "linux.comm"
PARENT_COMM = "linux.parent_comm"
EXE = "linux.exe"
FILENAME = "linux.filename"
ARGV = "linux.argv"              # list of str, from /proc (live watcher)
CMDLINE = "linux.cmdline"        # argv joined with spaces, as the tools print it
EXEC_RET = "linux.exec_ret"      # execve's return value (0, or -errno)
EXIT_STATUS = "linux.exit_status"  # the raw wait status (exit_code << 8 | signal | core)
EXIT_CODE = "linux.exit_code"
EXIT_SIGNAL = "linux.exit_signal"
SIGNAL_NAME = "linux.signal_name"
CORE_DUMPED = "linux.core_dumped"
AGE = "linux.age_seconds"
KTIME = "linux.ktime_ns"         # kernel CLOCK_MONOTONIC timestamp of the event
START_TIME = "linux.start_time"
PROCESS_KEY = "linux.process_key"
BOOT_ID = "linux.boot_id"
FORMAT = "ev.format"             # which variant of DESIGN's formats produced the record
LINE_COUNT = "ev.line_count"     # how many input lines one record spans, when more than one
TOOL_TIME = "procs.time"         # the time column exactly as the tool printed it
LABEL = "procs.label"            # exitsnoop --label
PCOMM = "procs.pcomm"            # execsnoop's PCOMM: the task's comm before the exec
EVENTS_LOST_COUNT = "ev.events_lost"

EVENT_EXEC = "exec"
EVENT_EXEC_FAILED = "exec_failed"
EVENT_EXIT = "exit"
EVENT_FORK = "fork"
EVENT_THREAD_EXIT = "thread_exit"
EVENT_LOST = "events_lost"
EVENT_TOOL_MESSAGE = "tool_message"

SNIFF_LINES = 200
SNIFF_BYTES = 64 << 10
