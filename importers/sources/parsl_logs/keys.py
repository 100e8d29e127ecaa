"""The keys parsl-logs writes (DESIGN §3 identity keys and its own provenance keys)."""

from __future__ import annotations

SOURCE_NAME = "parsl-logs"

RUN_ID = "parsl.run_id"
RUN_DIR = "parsl.run_dir"
TASK_ID = "parsl.task_id"
TRY_ID = "parsl.try_id"
EXECUTOR = "parsl.executor"
BLOCK_ID = "parsl.block_id"
JOB_ID = "parsl.job_id"
MANAGER_ID = "parsl.manager_id"
WORKER_ID = "parsl.worker_id"
EXECUTOR_TASK_ID = "parsl.executor_task_id"
MESSAGE = "parsl.message"          # the whole message, only when it spans several lines
EXC_TEXT = "parsl.exc_text"        # a traceback that followed the message
LINE_COUNT = "ev.line_count"       # lines this record spans (1 + continuation lines)
FORMAT = "ev.format"               # which variant the record's first line matched
INVALID_UTF8_KEY = "ev.invalid_utf8"
TASK_STATUS = "parsl.task_status_name"        # the state a task entered (as parsl-db names it)
PREV_TASK_STATUS = "parsl.prev_task_status_name"

# Parsl's own namespaced keys (its JSONLogging, 2026.05+) -> the pool's keys for the same
# facts. Applied on import (the originals are not kept twice), and by the pool reader to
# Parsl/Academy files copied into a pool unchanged. docs/design.md's key table lists both.
LOCAL_TIME = "local time"   # a converter name: naive local time text -> epoch (the file's zone)

PARSL_JSON_KEYS: dict[str, tuple[str, type | str]] = {
    "parsl.dfk": (RUN_ID, str),
    "parsl.task": (TASK_ID, int),
    "parsl.try": (TRY_ID, int),
    "parsl.executor_task": (EXECUTOR_TASK_ID, int),
    "parsl.block": (BLOCK_ID, str),
    "parsl.task_state": (TASK_STATUS, str),
    "parsl.executor.label": (EXECUTOR, str),
    "parsl.executor.type": ("parsl.executor_type", str),
    # the workflow's start/end info, which Parsl's JSON logs write as strings
    "parsl.workflow_info.run_id": (RUN_ID, str),
    "parsl.workflow_info.host": ("linux.hostname", str),
    "parsl.workflow_info.user": ("parsl.user", str),
    "parsl.workflow_info.workflow_name": ("parsl.workflow_name", str),
    "parsl.workflow_info.workflow_version": ("parsl.workflow_version", str),
    "parsl.workflow_info.parsl_version": ("parsl.version", str),
    "parsl.workflow_info.python_version": ("parsl.python_version", str),
    "parsl.workflow_info.rundir": ("parsl.rundir", str),
    "parsl.workflow_info.tasks_completed_count": ("parsl.tasks_completed_count", int),
    "parsl.workflow_info.tasks_failed_count": ("parsl.tasks_failed_count", int),
    "parsl.workflow_info.time_began": ("parsl.workflow_began_time", LOCAL_TIME),
    "parsl.workflow_info.time_completed": ("parsl.workflow_completed_time", LOCAL_TIME),
}
