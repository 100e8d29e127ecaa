"""Message families: Parsl messages that carry relations become named events with keys.

"Task 7 launched on executor htex_local as executor task 10", "Received executor task 10",
"registration info ..." say which executor task a Parsl task became, which worker got it and
which host a manager runs on. Each :class:`Family` is a message :class:`Variant` (with real
samples) plus the keys its groups give; :func:`message_keys` routes a message by its first
word, so the hot path costs one dict look-up for the many messages that are plain logs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ...core.lineformat import LineTable, Sample, Variant
from ...core.record import (
    LINUX_HOSTNAME,
)
from .keys import (
    BLOCK_ID,
    EXECUTOR,
    EXECUTOR_TASK_ID,
    JOB_ID,
    MANAGER_ID,
    PREV_TASK_STATUS,
    RUN_ID,
    TASK_ID,
    TASK_STATUS,
    TRY_ID,
    WORKER_ID,
)

# ---------------------------------------------------------------------------------------
# Message families: messages that carry relations become named events with keys.


def _ints(text: str | None) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", text or "")]


_PYDICT_FIELD = re.compile(r"'(?P<key>\w+)':\s*(?:'(?P<s>[^']*)'|(?P<v>[^,}\s]+))")


def pydict(text: str) -> dict[str, Any]:
    """Top-level scalar fields of a logged Python dict repr (``{'a': 'x', 'n': 2, ...}``).

    Not ``ast.literal_eval``: these reprs hold ``datetime.datetime(...)`` and ``inf``.
    """
    out: dict[str, Any] = {}
    for m in _PYDICT_FIELD.finditer(text):
        key = m["key"]
        if key in out:
            continue
        if m["s"] is not None:
            out[key] = m["s"]
        else:
            raw = m["v"]
            try:
                out[key] = int(raw)
            except ValueError:
                try:
                    out[key] = float(raw)
                except ValueError:
                    out[key] = {"True": True, "False": False}.get(raw, raw)
    return out


@dataclass(frozen=True)
class Family:
    """A message shape that carries relations.

    ``first_word`` routes a message to the few families that can match it (the hot path
    does one dict look-up, not one regex per family). ``keys`` maps groups to record keys
    and converters; ``extra`` derives more keys from the match (e.g. a logged dict).
    """

    event: str
    first_word: str
    variant: Variant
    keys: Mapping[str, tuple[str, Callable[[str], Any]]]
    extra: Callable[[re.Match[str]], dict[str, Any]] | None = None


def _registration(m: re.Match[str]) -> dict[str, Any]:
    info = pydict(m["info"])
    return {
        LINUX_HOSTNAME: info.get("hostname"),
        BLOCK_ID: None if info.get("block_id") is None else str(info["block_id"]),
        "parsl.worker_count": info.get("worker_count"),
        "parsl.version": info.get("parsl_v"),
        "parsl.python_version": info.get("python_v"),
        "parsl.cpu_count": info.get("cpu_count"),
        "parsl.total_memory": info.get("total_memory"),
    }


def _workflow_info(m: re.Match[str]) -> dict[str, Any]:
    info = pydict(m["info"])
    return {
        LINUX_HOSTNAME: info.get("host"),
        "parsl.user": info.get("user"),
        "parsl.workflow_name": info.get("workflow_name"),
        "parsl.version": info.get("parsl_version"),
        "parsl.python_version": info.get("python_version"),
        "parsl.rundir": info.get("rundir"),
        "parsl.tasks_completed_count": info.get("tasks_completed_count"),
        "parsl.tasks_failed_count": info.get("tasks_failed_count"),
    }


_S = str
FAMILIES: tuple[Family, ...] = (
    Family("parsl_version", "Parsl", Variant(
        "parsl_version", r"Parsl\ version:\ (?P<version>\S+)",
        samples=(Sample("Parsl version: 2024.03.04", {"version": "2024.03.04"}),)),
        keys={"version": ("parsl.version", _S)}),
    Family("run_start", "Run", Variant(
        "run_start", r"Run\ id\ is:\ (?P<run_id>\S+)",
        samples=(Sample("Run id is: eb9eb894-e7b4-4de6-b60c-4bde4b319e67",
                        {"run_id": "eb9eb894-e7b4-4de6-b60c-4bde4b319e67"}),)),
        keys={"run_id": (RUN_ID, _S)}),
    Family("workflow_start", "Workflow", Variant(
        "workflow_start", r"Workflow\ startup\ information:\ (?P<info>\{.*)",
        samples=(Sample("Workflow startup information: {'python_version': '3.11.7', "
                        "'parsl_version': '2026.10.26', 'host': 'vm'}",
                        {"info": "{'python_version': '3.11.7', 'parsl_version': "
                                 "'2026.10.26', 'host': 'vm'}"}),)),
        keys={}, extra=_workflow_info),
    Family("workflow_end", "Workflow", Variant(
        "workflow_end", r"Workflow\ shutdown\ information:\ (?P<info>\{.*)",
        samples=(Sample("Workflow shutdown information: {'tasks_failed_count': 1, "
                        "'tasks_completed_count': 7}",
                        {"info": "{'tasks_failed_count': 1, 'tasks_completed_count': 7}"}),)),
        keys={}, extra=_workflow_info),
    # 1.x logs no "Workflow startup information": its monitoring message carries the dict
    # (samples abridged from fixtures/parsl/1.2.0/runinfo/000/parsl.log)
    Family("workflow_start", "Sending", Variant(
        "workflow_start_1x",
        r"Sending\ message\ MessageType\.WORKFLOW_INFO,"
        r"\ (?P<info>\{(?=.*'time_completed':\ None).*)",
        samples=(Sample("Sending message MessageType.WORKFLOW_INFO, {'python_version': "
                        "'3.9.18', 'parsl_version': '1.2.0', 'time_completed': None, "
                        "'workflow_name': 'ev_import_fixture', 'user': 'root', 'host': 'vm'}",
                        {"info": "{'python_version': '3.9.18', 'parsl_version': '1.2.0', "
                                 "'time_completed': None, 'workflow_name': "
                                 "'ev_import_fixture', 'user': 'root', 'host': 'vm'}"}),)),
        keys={}, extra=_workflow_info),
    Family("workflow_end", "Sending", Variant(
        "workflow_end_1x",
        r"Sending\ message\ MessageType\.WORKFLOW_INFO,"
        r"\ (?P<info>\{(?=.*'time_completed':\ datetime).*)",
        samples=(Sample("Sending message MessageType.WORKFLOW_INFO, {'tasks_failed_count': 1, "
                        "'tasks_completed_count': 7, 'time_completed': "
                        "datetime.datetime(2026, 12, 2, 0, 19, 29, 641996), 'exit_now': True}",
                        {"info": "{'tasks_failed_count': 1, 'tasks_completed_count': 7, "
                                 "'time_completed': datetime.datetime(2026, 12, 2, 0, 19, 29, "
                                 "641996), 'exit_now': True}"}),)),
        keys={}, extra=_workflow_info),
    Family("task_submitted", "Task", Variant(
        "task_submitted",
        r"Task\ (?P<task_id>\d+)\ submitted\ for\ App\ (?P<app_name>[^,\s]+),"
        r"\ (?:not\ waiting\ on\ any\ dependency|waiting\ on\ (?P<depends>.*))",
        samples=(Sample("Task 1 submitted for App double, waiting on task 0",
                        {"task_id": "1", "app_name": "double", "depends": "task 0"}),
                 Sample("Task 0 submitted for App add, not waiting on any dependency",
                        {"task_id": "0", "app_name": "add"}))),
        keys={"task_id": (TASK_ID, int), "app_name": ("parsl.app_name", _S),
              "depends": ("parsl.task_depends", _ints)}),
    Family("task_launched", "Parsl", Variant(
        "task_launched",
        r"Parsl\ task\ (?P<task_id>\d+)\ try\ (?P<try_id>\d+)\ launched\ on\ executor"
        r"\ (?P<executor>\S+)\ with\ executor\ id\ (?P<executor_task_id>\d+)",
        samples=(Sample("Parsl task 7 try 1 launched on executor htex_local with executor id "
                        "10", {"task_id": "7", "try_id": "1", "executor": "htex_local",
                               "executor_task_id": "10"}),)),
        keys={"task_id": (TASK_ID, int), "try_id": (TRY_ID, int), "executor": (EXECUTOR, _S),
              "executor_task_id": (EXECUTOR_TASK_ID, int)}),
    # 1.x: no try and no executor task id (1.x logs nothing that joins a Parsl task to the
    # executor task its workers log)
    Family("task_launched", "Task", Variant(
        "task_launched_1x",
        r"Task\ (?P<task_id>\d+)\ launched\ on\ executor\ (?P<executor>\S+)$",
        samples=(Sample("Task 0 launched on executor htex_local",
                        {"task_id": "0", "executor": "htex_local"}),)),
        keys={"task_id": (TASK_ID, int), "executor": (EXECUTOR, _S)}),
    Family("task_state", "Task", Variant(
        "task_state",
        r"Task\ (?P<task_id>\d+)\ (?:changing\ state\ from\ (?P<state_from>\S+)\ to"
        r"|initializing\ state\ to)\ (?P<state>\S+)",
        samples=(Sample("Task 6 changing state from launched to fail_retryable",
                        {"task_id": "6", "state_from": "launched", "state": "fail_retryable"}),
                 Sample("Task 0 initializing state to pending",
                        {"task_id": "0", "state": "pending"}))),
        keys={"task_id": (TASK_ID, int), "state_from": (PREV_TASK_STATUS, _S),
              "state": (TASK_STATUS, _S)}),
    # 1.x to 2024: the final state change, with the state it left
    Family("task_state", "Task", Variant(
        "task_state_completed",
        r"Task\ (?P<task_id>\d+)\ completed\ \((?P<state_from>\w+)\ ->\ (?P<state>\w+)\)",
        samples=(Sample("Task 0 completed (launched -> exec_done)",
                        {"task_id": "0", "state_from": "launched", "state": "exec_done"}),)),
        keys={"task_id": (TASK_ID, int), "state_from": (PREV_TASK_STATUS, _S),
              "state": (TASK_STATUS, _S)}),
    Family("try_failed", "Task", Variant(
        "try_failed_1x", r"Task\ (?P<task_id>\d+)\ try\ (?P<try_id>\d+)\ failed$",
        samples=(Sample("Task 6 try 0 failed", {"task_id": "6", "try_id": "0"}),)),
        keys={"task_id": (TASK_ID, int), "try_id": (TRY_ID, int)}),
    Family("try_failed", "Task", Variant(
        "try_failed",
        r"Task\ (?P<task_id>\d+)\ try\ (?P<try_id>\d+)\ failed\ with\ exception\ of\ type"
        r"\ (?P<exception_type>\S+)",
        samples=(Sample("Task 6 try 1 failed with exception of type ValueError",
                        {"task_id": "6", "try_id": "1", "exception_type": "ValueError"}),)),
        keys={"task_id": (TASK_ID, int), "try_id": (TRY_ID, int),
              "exception_type": ("parsl.exception_type", _S)}),
    Family("task_failed", "Task", Variant(
        "task_failed", r"Task\ (?P<task_id>\d+)\ failed\ after\ (?P<retries>\d+)\ retry",
        samples=(Sample("Task 6 failed after 1 retry attempts",
                        {"task_id": "6", "retries": "1"}),)),
        keys={"task_id": (TASK_ID, int), "retries": ("parsl.retries", int)}),
    Family("scale_out", "Scaling", Variant(
        "scale_out", r"Scaling\ out\ by\ (?P<blocks>\d+)\ blocks?",
        samples=(Sample("Scaling out by 2 blocks", {"blocks": "2"}),)),
        keys={"blocks": ("parsl.blocks", int)}),
    Family("block_allocated", "Allocated", Variant(
        "block_allocated", r"Allocated\ block\ ID\ (?P<block_id>\S+)",
        samples=(Sample("Allocated block ID 0", {"block_id": "0"}),)),
        keys={"block_id": (BLOCK_ID, _S)}),
    Family("block_launched", "Launched", Variant(
        "block_launched",
        r"Launched\ block\ (?P<block_id>\S+)(?:\ on\ executor\ (?P<executor>\S+))?"
        r"\ with\ job\ ID\ (?P<job_id>\S+)",
        samples=(Sample("Launched block 0 on executor htex_local with job ID 20057",
                        {"block_id": "0", "executor": "htex_local", "job_id": "20057"}),
                 Sample("Launched block 1 with job ID 24110",
                        {"block_id": "1", "job_id": "24110"}))),
        keys={"block_id": (BLOCK_ID, _S), "executor": (EXECUTOR, _S), "job_id": (JOB_ID, _S)}),
    Family("block_launched", "Launched", Variant(
        "block_launched_1x", r"Launched\ block\ (?P<block_id>[^\s>-]+)->(?P<job_id>\S+)$",
        samples=(Sample("Launched block 0->29899", {"block_id": "0", "job_id": "29899"}),)),
        keys={"block_id": (BLOCK_ID, _S), "job_id": (JOB_ID, _S)}),
    Family("block_scaled_in", "Marking", Variant(
        "block_scaled_in", r"Marking\ block\ (?P<block_id>\S+)\ as\ SCALED_IN",
        samples=(Sample("Marking block 0 as SCALED_IN", {"block_id": "0"}),)),
        keys={"block_id": (BLOCK_ID, _S)}),
    Family("manager_registered", "Registration", Variant(
        "manager_registered",
        r"Registration\ info\ for\ manager\ b'(?P<manager_id>[^']+)':\ (?P<info>\{.*)",
        samples=(Sample("Registration info for manager b'ef502dc9b8b1': {'type': "
                        "'registration', 'parsl_v': '2024.03.04', 'python_v': '3.11.7', "
                        "'worker_count': 2, 'block_id': '1', 'hostname': 'vm'}",
                        {"manager_id": "ef502dc9b8b1",
                         "info": "{'type': 'registration', 'parsl_v': '2024.03.04', "
                                 "'python_v': '3.11.7', 'worker_count': 2, 'block_id': '1', "
                                 "'hostname': 'vm'}"}),)),
        keys={"manager_id": (MANAGER_ID, _S)}, extra=_registration),
    Family("manager_heartbeat", "Manager", Variant(
        "manager_heartbeat_ic",
        r"Manager\ b'(?P<manager_id>[^']+)'\ sent\ heartbeat\ via\ (?P<channel>\w+)",
        samples=(Sample("Manager b'405b66f64a7a' sent heartbeat via tasks connection",
                        {"manager_id": "405b66f64a7a", "channel": "tasks"}),)),
        keys={"manager_id": (MANAGER_ID, _S), "channel": ("parsl.channel", _S)}),
    Family("manager_heartbeat", "Processing", Variant(
        "manager_heartbeat_msg",
        r"Processing\ message\ type\ 'heartbeat'\ from\ manager\ b'(?P<manager_id>[^']+)'",
        samples=(Sample("Processing message type 'heartbeat' from manager b'a153b77f627e'",
                        {"manager_id": "a153b77f627e"}),)),
        keys={"manager_id": (MANAGER_ID, _S)}),
    Family("heartbeat_sent", "Sending", Variant(
        "heartbeat_sent", r"Sending\ heartbeat\ via\ results\ connection",
        samples=(Sample("Sending heartbeat via results connection: last_result_beat="
                        "1795596209.2 heartbeat_period=2 seconds", {}),)),
        keys={}),
    Family("heartbeat_sent", "Sent", Variant(
        "heartbeat_sent_v2", r"Sent\ heartbeat$",
        samples=(Sample("Sent heartbeat", {}),)),
        keys={}),
    Family("heartbeat_sent", "Return", Variant(
        "heartbeat_sent_1x", r"Return\ from\ heartbeat:",
        samples=(Sample("Return from heartbeat: None", {}),)),
        keys={}),
    Family("tasks_sent", "Sent", Variant(
        "tasks_sent",
        r"Sent\ tasks:\ \[(?P<ids>[\d,\ ]*)\]\ to\ manager\ b'(?P<manager_id>[^']+)'",
        samples=(Sample("Sent tasks: [1, 2] to manager b'cf4e7d97f4b8'",
                        {"ids": "1, 2", "manager_id": "cf4e7d97f4b8"}),)),
        keys={"ids": ("parsl.executor_task_ids", _ints), "manager_id": (MANAGER_ID, _S)}),
    Family("worker_start", "Worker", Variant(
        "worker_start", r"Worker\ (?P<worker_id>\d+)\ started",
        samples=(Sample("Worker 1 started", {"worker_id": "1"}),)),
        keys={"worker_id": (WORKER_ID, int)}),
    Family("worker_task_received", "Received", Variant(
        "worker_task_received", r"Received\ executor\ task\ (?P<executor_task_id>\d+)",
        samples=(Sample("Received executor task 4", {"executor_task_id": "4"}),)),
        keys={"executor_task_id": (EXECUTOR_TASK_ID, int)}),
    Family("worker_task_completed", "Completed", Variant(
        "worker_task_completed", r"Completed\ executor\ task\ (?P<executor_task_id>\d+)",
        samples=(Sample("Completed executor task 3", {"executor_task_id": "3"}),)),
        keys={"executor_task_id": (EXECUTOR_TASK_ID, int)}),
    Family("worker_task_received", "Received", Variant(
        "worker_task_received_1x", r"Received\ task\ (?P<executor_task_id>\d+)$",
        samples=(Sample("Received task 2", {"executor_task_id": "2"}),)),
        keys={"executor_task_id": (EXECUTOR_TASK_ID, int)}),
    Family("worker_task_completed", "Completed", Variant(
        "worker_task_completed_1x", r"Completed\ task\ (?P<executor_task_id>\d+)$",
        samples=(Sample("Completed task 2", {"executor_task_id": "2"}),)),
        keys={"executor_task_id": (EXECUTOR_TASK_ID, int)}),
    Family("worker_task_finished", "All", Variant(
        "worker_task_finished",
        r"All\ processing\ finished\ for\ executor\ task\ (?P<executor_task_id>\d+)",
        samples=(Sample("All processing finished for executor task 3",
                        {"executor_task_id": "3"}),)),
        keys={"executor_task_id": (EXECUTOR_TASK_ID, int)}),
)

MESSAGES = LineTable("parsl-messages", [f.variant for f in FAMILIES])

_SCALING_PREFIX = "[Scaling executor "
# 1.x's HTEX starts many messages with the loop or thread that logs them: "[MAIN] Registration
# info for manager ...", "[TASK_PULL_THREAD] ...", "[HOLD_BLOCK]: ...". The family is matched
# after the tag (the message keeps it).
_THREAD_TAG = re.compile(r"\[[A-Z_ ]+\]:?\ ")
_ROUTES: dict[str, list[tuple[Family, re.Pattern[str]]]] = {}
for _family in FAMILIES:
    _ROUTES.setdefault(_family.first_word, []).append(
        (_family, MESSAGES.compiled(_family.variant))
    )


_NO_KEYS: Mapping[str, Any] = MappingProxyType({})


def message_keys(msg: str) -> tuple[str, Mapping[str, Any]]:
    """The event name and keys a message implies (``"log"`` and no keys for most)."""
    keys: dict[str, Any] = {}
    if msg[:1] == "[":
        if msg.startswith(_SCALING_PREFIX):
            end = msg.find("] ", len(_SCALING_PREFIX))
            if end > 0:
                keys[EXECUTOR] = msg[len(_SCALING_PREFIX):end]
                msg = msg[end + 2:]
        else:
            tag = _THREAD_TAG.match(msg)
            if tag is not None:
                msg = msg[tag.end():]
    routes = _ROUTES.get(msg.partition(" ")[0])
    if routes is None:
        return "log", keys or _NO_KEYS
    for family, regex in routes:
        m = regex.match(msg)
        if m is None:
            continue
        for group, (key, conv) in family.keys.items():
            value = m[group]
            if value is not None:
                keys[key] = conv(value)
        if family.extra is not None:
            keys.update((k, v) for k, v in family.extra(m).items() if v is not None)
        return family.event, keys
    return "log", keys
