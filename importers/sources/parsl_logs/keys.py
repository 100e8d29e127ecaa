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
