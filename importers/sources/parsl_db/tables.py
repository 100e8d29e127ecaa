"""The monitoring tables, as data: one :class:`TableFormat` per table Parsl has written.

A release that adds a table or a column is a change here (and a golden file from a real DB);
the engine in ``rows.py`` runs every format the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...core.record import (
    CREATED,
    LINUX_HOSTNAME,
    LINUX_PID,
)
from .keys import BLOCK_ID, EXECUTOR, JOB_ID, MANAGER_ID, RUN_ID, TASK_ID, TRY_ID


@dataclass(frozen=True)
class TableFormat:
    """How one monitoring table becomes events: data, run by one shared engine.

    ``keys`` maps the columns we know to record keys; any other column becomes
    ``parsl.<column>`` (and is named in the report). ``events`` lists (event, time key)
    pairs: one event per pair whose time the row knows. ``describe`` is a template over
    column names for the ``formatted`` line (a column this release lacks prints ``?``).
    ``levels`` maps values of ``level_column`` to a level name (default ``INFO``).
    Real rows and what they must produce are the golden files under tests/golden/.
    """

    table: str
    keys: Mapping[str, str]
    events: tuple[tuple[str, str], ...]
    describe: str
    level_column: str | None = None
    levels: Mapping[str, str] = field(default_factory=dict)
    # When none of the event times is known, still emit this event (with no ``created``)
    # rather than lose the row.
    timeless_event: str | None = None


FORMATS: tuple[TableFormat, ...] = (
    TableFormat(
        table="workflow",
        keys={
            "run_id": RUN_ID,
            "workflow_name": "parsl.workflow_name",
            "workflow_version": "parsl.workflow_version",
            "time_began": "parsl.workflow_began_time",
            "time_completed": "parsl.workflow_completed_time",
            "host": LINUX_HOSTNAME,
            "user": "parsl.user",
            "rundir": "parsl.rundir",
            "tasks_failed_count": "parsl.tasks_failed_count",
            "tasks_completed_count": "parsl.tasks_completed_count",
            "parsl_version": "parsl.version",
            "python_version": "parsl.python_version",
        },
        events=(
            ("workflow_start", "parsl.workflow_began_time"),
            ("workflow_end", "parsl.workflow_completed_time"),
        ),
        describe="workflow {workflow_name} run {run_id} on {host}: {tasks_completed_count} "
        "tasks completed, {tasks_failed_count} failed",
        timeless_event="workflow_start",
    ),
    TableFormat(
        table="task",
        keys={
            "task_id": TASK_ID,
            "run_id": RUN_ID,
            "task_depends": "parsl.task_depends",
            "task_func_name": "parsl.task_func_name",
            "task_executor": EXECUTOR,
            "task_memoize": "parsl.task_memoize",
            "task_hashsum": "parsl.task_hashsum",
            "task_inputs": "parsl.task_inputs",
            "task_outputs": "parsl.task_outputs",
            "task_stdin": "parsl.task_stdin",
            "task_stdout": "parsl.task_stdout",
            "task_stderr": "parsl.task_stderr",
            "task_time_invoked": "parsl.task_invoked_time",
            "task_time_returned": "parsl.task_returned_time",
            "task_fail_count": "parsl.task_fail_count",
            "task_fail_cost": "parsl.task_fail_cost",
            "task_joins": "parsl.task_joins",
        },
        events=(("task", "parsl.task_invoked_time"),),
        describe="task {task_id} {task_func_name} invoked, {task_fail_count} failures",
        timeless_event="task",
    ),
    TableFormat(
        table="try",
        keys={
            "try_id": TRY_ID,
            "task_id": TASK_ID,
            "run_id": RUN_ID,
            "block_id": BLOCK_ID,
            "hostname": LINUX_HOSTNAME,
            "task_executor": EXECUTOR,
            "task_try_time_launched": "parsl.try_launched_time",
            "task_try_time_running": "parsl.try_running_time",
            "task_try_time_returned": "parsl.try_returned_time",
            "task_fail_history": "parsl.task_fail_history",
            "task_joins": "parsl.task_joins",
        },
        events=(
            ("try_launched", "parsl.try_launched_time"),
            ("try_running", "parsl.try_running_time"),
            ("try_returned", "parsl.try_returned_time"),
        ),
        describe="task {task_id} try {try_id} on {task_executor} block {block_id} "
        "host {hostname}",
        timeless_event="try_launched",
    ),
    TableFormat(
        table="status",
        keys={
            "task_id": TASK_ID,
            "task_status_name": "parsl.task_status_name",
            "timestamp": CREATED,
            "run_id": RUN_ID,
            "try_id": TRY_ID,
        },
        events=(("task_status", CREATED),),
        describe="task {task_id} try {try_id} -> {task_status_name}",
        level_column="task_status_name",
        levels={"failed": "ERROR", "dep_fail": "ERROR", "fail_retryable": "WARNING"},
        timeless_event="task_status",
    ),
    TableFormat(
        table="block",
        keys={
            "run_id": RUN_ID,
            "executor_label": EXECUTOR,
            "block_id": BLOCK_ID,
            "job_id": JOB_ID,
            "timestamp": CREATED,
            "status": "parsl.block_status",
        },
        events=(("block_status", CREATED),),
        describe="block {block_id} of {executor_label} (job {job_id}) -> {status}",
        level_column="status",
        levels={"FAILED": "ERROR", "MISSING": "WARNING"},
        timeless_event="block_status",
    ),
    TableFormat(
        table="node",
        keys={
            "id": "parsl.node_row_id",
            "run_id": RUN_ID,
            "hostname": LINUX_HOSTNAME,
            "uid": MANAGER_ID,
            "block_id": BLOCK_ID,
            "cpu_count": "parsl.cpu_count",
            "total_memory": "parsl.total_memory",
            "active": "parsl.active",
            "worker_count": "parsl.worker_count",
            "python_v": "parsl.python_version",
            "timestamp": CREATED,
            "last_heartbeat": "parsl.last_heartbeat_time",
        },
        events=(("node", CREATED),),
        describe="manager {uid} on {hostname} block {block_id}: {worker_count} workers, "
        "active={active}",
        timeless_event="node",
    ),
    TableFormat(
        table="resource",
        keys={
            "try_id": TRY_ID,
            "task_id": TASK_ID,
            "run_id": RUN_ID,
            "timestamp": CREATED,
            "psutil_process_pid": LINUX_PID,
        },
        events=(("resource", CREATED),),
        describe="task {task_id} try {try_id} pid {psutil_process_pid}: user "
        "{psutil_process_time_user}s rss {psutil_process_memory_resident}B",
        timeless_event="resource",
    ),
)

FORMATS_BY_TABLE = {fmt.table: fmt for fmt in FORMATS}

# Columns of known tables kept under their own names as parsl.<column> without being
# "unknown": the psutil figures, whose set grows with psutil and Parsl releases.
KNOWN_PREFIXES = {"resource": ("psutil_", "resource_monitoring_interval")}


def _depends(value: Any) -> Any:
    """``"0,1"`` -> ``[0, 1]``: a list a user can unnest and join on; else kept as is."""
    if isinstance(value, str):
        try:
            return [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            return value
    return value


def _cpu_num(value: Any) -> Any:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _as_str(value: Any) -> str:
    return value if value.__class__ is str else str(value)


SPECIAL_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "parsl.task_depends": _depends,
    "parsl.psutil_cpu_num": _cpu_num,
}
