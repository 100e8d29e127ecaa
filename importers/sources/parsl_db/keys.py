"""The keys parsl-db writes for the things of DESIGN §3, and how it fetches rows."""

from __future__ import annotations

SOURCE_NAME = "parsl-db"
BATCH_ROWS = 2_000    # rows per fetch: 10k rows of wide tuples alone cost ~13 MiB of RSS

# Keys of DESIGN §3 that this importer writes.
RUN_ID = "parsl.run_id"
TASK_ID = "parsl.task_id"
TRY_ID = "parsl.try_id"
EXECUTOR = "parsl.executor"
BLOCK_ID = "parsl.block_id"
JOB_ID = "parsl.job_id"
MANAGER_ID = "parsl.manager_id"

# Keys whose values are identifiers that DESIGN §3 wants as strings whatever the DB holds.
STRING_KEYS = frozenset({BLOCK_ID, JOB_ID, MANAGER_ID, RUN_ID})
