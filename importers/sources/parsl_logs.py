"""Parsl's text and JSON logs as events: every line of a ``runinfo/`` tree accounted for.

The fine tracing data of a Parsl run (which executor task a Parsl task became, which worker
ran it, when a manager registered, which batch job a block is) is only in its logs. People
regex them by hand; this module does it once, by content rather than by release:

* ``v2022``: ``parsl.log`` since mid-2022 and every HTEX log since the 2026.01 releases:
  ``%(created)f %(asctime)s %(processName)s-%(process)d %(threadName)s-%(thread)d
  %(name)s:%(lineno)d %(funcName)s %(levelname)s: %(message)s``. Carries the exact epoch.
* ``htex-interchange-ms``, ``htex-pool-ms``, ``dbm-ms``, ``named-ms``: the millisecond formats
  that the interchange, the manager and workers, the database manager and the monitoring
  router (and ``parsl.log`` before mid-2022) used. Local time with no zone.
* ``*.jsonlog``: Parsl's ``JSONLogging`` (2026.05+), one object per line.

Every record gets the keys its *path* implies (run dir, executor, block, manager, worker)
and its run's ``parsl.run_id``; message families that carry relations (task launched as
executor task N, worker received executor task N, manager registered on host H...) become
named events with keys. Continuation lines (tracebacks, config dumps) belong to the record
above them; a line before any record, or one that is not text, is an ``unparsed`` record.

Zone: the ms formats print local time. Unless ``--tz`` is given, the offset is inferred from
the run's ``parsl.log``, whose ``v2022`` lines carry both the epoch and the local time.

Example::

    from importers.sources import parsl_logs
    for rec in parsl_logs.read(["runinfo/"]):
        if rec["ev.event"] == "task_launched":
            print(rec["parsl.task_id"], rec["parsl.executor_task_id"])
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import partial
from itertools import chain, groupby
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson

from ..core.errors import UnusableInput
from ..core.lineformat import ISO_TIME, LineTable, Sample, Variant, read_line_blocks, read_lines
from ..core.parallel import SPLIT_MIN_BYTES, Part, split_points, write_parts
from ..core.pool import PoolWriter
from ..core.record import (
    CREATED,
    EVENT,
    FORMATTED,
    LEVELNAME,
    LEVELNO,
    LEVELS,
    LINENO,
    LINUX_HOSTNAME,
    LINUX_PID,
    NAME,
    ORIGIN,
    SOURCE,
    unparsed,
)
from ..core.report import UNPARSED_LINE, UNREADABLE_FILE, ImportReport
from ..core.timezones import NaiveTimeConverter, resolve_zone

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

# ---------------------------------------------------------------------------------------
# Line formats. Samples are real lines from fixtures/parsl/<release>/runinfo/.

_ISO_MS = r"(?P<time>\d{4}-\d\d-\d\d\ \d\d:\d\d:\d\d\.\d{3})"

V2022 = Variant(
    name="v2022",
    pattern=r"""
        (?P<epoch>\d{9,11}\.\d+)\ (?P<asctime>\d{4}-\d\d-\d\d\ \d\d:\d\d:\d\d)
        \ (?P<process_name>.+?)-(?P<pid>\d+)\ (?P<thread_name>.+?)-(?P<thread_id>\d+)
        \ (?P<logger>\S+):(?P<lineno>\d+)\ (?P<func>\S+)\ (?P<level>[A-Z]+):\ ?(?P<msg>.*)
    """,
    samples=(
        Sample(
            "1795596271.848857 2026-11-25 08:44:31 MainProcess-23895 MainThread-139726241631104"
            " parsl.dataflow.dflow:147 __init__ INFO: Run id is: "
            "eb9eb894-e7b4-4de6-b60c-4bde4b319e67",
            {"epoch": "1795596271.848857", "asctime": "2026-11-25 08:44:31",
             "process_name": "MainProcess", "pid": "23895", "thread_name": "MainThread",
             "thread_id": "139726241631104", "logger": "parsl.dataflow.dflow", "lineno": "147",
             "func": "__init__", "level": "INFO",
             "msg": "Run id is: eb9eb894-e7b4-4de6-b60c-4bde4b319e67"},
        ),
        Sample(
            "1795596276.534797 2026-11-25 08:44:36 HTEX-Worker-1-24222 MainThread-140459085122432"
            " parsl.executors.high_throughput.process_worker_pool:662 worker INFO: "
            "Worker 1 started",
            {"epoch": "1795596276.534797", "asctime": "2026-11-25 08:44:36",
             "process_name": "HTEX-Worker-1", "pid": "24222", "thread_name": "MainThread",
             "thread_id": "140459085122432",
             "logger": "parsl.executors.high_throughput.process_worker_pool", "lineno": "662",
             "func": "worker", "level": "INFO", "msg": "Worker 1 started"},
        ),
        Sample(
            "1795596273.878447 2026-11-25 08:44:33 MainProcess-23895 JobStatusPoller-Timer-"
            "Thread-139726228100560-139726171178688 parsl.executors.status_handling:298 "
            "send_monitoring_info DEBUG: Sending block monitoring message: []",
            {"epoch": "1795596273.878447", "asctime": "2026-11-25 08:44:33",
             "process_name": "MainProcess", "pid": "23895",
             "thread_name": "JobStatusPoller-Timer-Thread-139726228100560",
             "thread_id": "139726171178688", "logger": "parsl.executors.status_handling",
             "lineno": "298", "func": "send_monitoring_info", "level": "DEBUG",
             "msg": "Sending block monitoring message: []"},
        ),
    ),
)

HTEX_INTERCHANGE_MS = Variant(
    name="htex-interchange-ms",
    pattern=_ISO_MS + r"""
        \ (?P<logger>\S+):(?P<lineno>\d+)\ (?P<process_name>\S+)\((?P<pid>\d+)\)
        \ (?P<thread_name>\S+)\ (?P<func>\S+)\ \[(?P<level>[A-Z]+)\]\ \ ?(?P<msg>.*)
    """,
    time_format=ISO_TIME,
    samples=(
        Sample(
            "2026-11-25 08:43:27.155 interchange:138 HTEX-Interchange(20044) MainThread "
            "__init__ [INFO]  Attempting connection to client at 127.0.0.1 on ports: "
            "55462,55869,55920",
            {"time": "2026-11-25 08:43:27.155", "logger": "interchange", "lineno": "138",
             "process_name": "HTEX-Interchange", "pid": "20044", "thread_name": "MainThread",
             "func": "__init__", "level": "INFO",
             "msg": "Attempting connection to client at 127.0.0.1 on ports: "
                    "55462,55869,55920"},
        ),
    ),
)

HTEX_POOL_MS = Variant(
    name="htex-pool-ms",
    pattern=_ISO_MS + r"""
        \ (?P<logger>\S+):(?P<lineno>\d+)\ (?P<pid>\d+)\ (?P<thread_name>\S+)
        \ \[(?P<level>[A-Z]+)\]\ \ ?(?P<msg>.*)
    """,
    time_format=ISO_TIME,
    samples=(
        Sample(
            "2026-11-25 08:43:30.118 worker_log:719 20129 MainThread [INFO]  "
            "Received executor task 1",
            {"time": "2026-11-25 08:43:30.118", "logger": "worker_log", "lineno": "719",
             "pid": "20129", "thread_name": "MainThread", "level": "INFO",
             "msg": "Received executor task 1"},
        ),
        Sample(
            "2026-11-25 08:43:28.214 parsl:841 20067 MainThread [INFO]  Debug logging: True",
            {"time": "2026-11-25 08:43:28.214", "logger": "parsl", "lineno": "841",
             "pid": "20067", "thread_name": "MainThread", "level": "INFO",
             "msg": "Debug logging: True"},
        ),
    ),
)

DBM_MS = Variant(
    name="dbm-ms",
    pattern=_ISO_MS + r"""
        \ (?P<logger>\S+):(?P<lineno>\d+)\ \[(?P<level>[A-Z]+)\]
        \ \[(?P<thread_name>.+)\ (?P<thread_id>\d+)\]\ (?P<msg>.*)
    """,
    time_format=ISO_TIME,
    samples=(
        Sample(
            "2026-11-25 08:44:32.789 parsl.monitoring.db_manager:306 [INFO] "
            "[MainThread 140116331326336] Initializing Database Manager process",
            {"time": "2026-11-25 08:44:32.789", "logger": "parsl.monitoring.db_manager",
             "lineno": "306", "level": "INFO", "thread_name": "MainThread",
             "thread_id": "140116331326336", "msg": "Initializing Database Manager process"},
        ),
        Sample(
            "2026-11-25 08:43:27.288 database_manager:554 [INFO] "
            "[Monitoring-migrate-priority 140134650853056] Starting processing for queue "
            "priority",
            {"time": "2026-11-25 08:43:27.288", "logger": "database_manager", "lineno": "554",
             "level": "INFO", "thread_name": "Monitoring-migrate-priority",
             "thread_id": "140134650853056",
             "msg": "Starting processing for queue priority"},
        ),
    ),
)

NAMED_MS = Variant(
    name="named-ms",
    pattern=_ISO_MS + r"""
        \ (?P<logger>\S+):(?P<lineno>\d+)\ \[(?P<level>[A-Z]+)\]\ \ (?P<msg>.*)
    """,
    time_format=ISO_TIME,
    samples=(
        Sample(
            "2026-11-25 08:43:27.135 monitoring_router:431 [INFO]  Initialized the UDP socket "
            "on 0.0.0.0:37784",
            {"time": "2026-11-25 08:43:27.135", "logger": "monitoring_router", "lineno": "431",
             "level": "INFO", "msg": "Initialized the UDP socket on 0.0.0.0:37784"},
        ),
    ),
)

# Every Parsl text format starts with a digit (an epoch or a date), so other lines (config
# dumps, tracebacks) never reach the regexes.
# The variants are mutually exclusive (named-ms wants two spaces after the level, dbm-ms
# one and a [thread id]), so which one matched last never changes the result.
LINES = LineTable("parsl-logs", [V2022, HTEX_INTERCHANGE_MS, HTEX_POOL_MS, DBM_MS, NAMED_MS],
                  first_chars="0123456789")

# ---------------------------------------------------------------------------------------
# Message families: messages that carry relations become named events with keys.


def _ints(text: str | None) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", text or "")]


_PYDICT_FIELD = re.compile(r"'(?P<key>\w+)':\s*(?:'(?P<s>[^']*)'|(?P<v>[^,}\s]+))")


def _pydict(text: str) -> dict[str, Any]:
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
    info = _pydict(m["info"])
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
    info = _pydict(m["info"])
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
    Family("task_state", "Task", Variant(
        "task_state",
        r"Task\ (?P<task_id>\d+)\ (?:changing\ state\ from\ (?P<state_from>\S+)\ to"
        r"|initializing\ state\ to)\ (?P<state>\S+)",
        samples=(Sample("Task 6 changing state from launched to fail_retryable",
                        {"task_id": "6", "state_from": "launched", "state": "fail_retryable"}),
                 Sample("Task 0 initializing state to pending",
                        {"task_id": "0", "state": "pending"}))),
        keys={"task_id": (TASK_ID, int), "state_from": ("parsl.task_state_from", _S),
              "state": ("parsl.task_state", _S)}),
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
    Family("worker_task_finished", "All", Variant(
        "worker_task_finished",
        r"All\ processing\ finished\ for\ executor\ task\ (?P<executor_task_id>\d+)",
        samples=(Sample("All processing finished for executor task 3",
                        {"executor_task_id": "3"}),)),
        keys={"executor_task_id": (EXECUTOR_TASK_ID, int)}),
)

MESSAGES = LineTable("parsl-messages", [f.variant for f in FAMILIES])

_SCALING_PREFIX = "[Scaling executor "
_ROUTES: dict[str, list[tuple[Family, re.Pattern[str]]]] = {}
for _family in FAMILIES:
    _ROUTES.setdefault(_family.first_word, []).append(
        (_family, MESSAGES.compiled(_family.variant))
    )


_NO_KEYS: Mapping[str, Any] = MappingProxyType({})


def message_keys(msg: str) -> tuple[str, Mapping[str, Any]]:
    """The event name and keys a message implies (``"log"`` and no keys for most)."""
    keys: dict[str, Any] = {}
    if msg.startswith(_SCALING_PREFIX):
        end = msg.find("] ", len(_SCALING_PREFIX))
        if end > 0:
            keys[EXECUTOR] = msg[len(_SCALING_PREFIX):end]
            msg = msg[end + 2:]
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


# ---------------------------------------------------------------------------------------
# Paths: which keys a file's place in a runinfo tree implies.

_RUN_DIR = re.compile(r"^\d{3,}$")
_BLOCK_DIR = re.compile(r"^block-(\d+)$")
_WORKER_FILE = re.compile(r"^worker_(\d+)\.(?:log|jsonlog)$")
_EC_FILE = re.compile(r"^parsl\.(?P<executor>.+)\.block-(?P<block>\d+)\.(?P<submit>[\d.]+)"
                      r"\.sh\.ec$")
LOG_SUFFIXES = (".log", ".jsonlog")


def _run_index(parts: tuple[str, ...]) -> int | None:
    """Index of the run dir (``000``) in a path's parts: the last all-digit dir."""
    for i in range(len(parts) - 2, -1, -1):
        if _RUN_DIR.match(parts[i]):
            return i
    return None


def run_dir_of(path: Path) -> Path | None:
    parts = path.parts
    index = _run_index(parts)
    return None if index is None else Path(*parts[: index + 1])


def path_keys(path: Path) -> dict[str, Any]:
    """``.../000/htex_local/block-1/a153b77f627e/worker_0.log`` -> run dir, executor, block,
    manager and worker keys."""
    parts = path.parts
    keys: dict[str, Any] = {}
    run_index = _run_index(parts)
    if run_index is None:
        return keys
    keys[RUN_DIR] = parts[run_index]
    rest = parts[run_index + 1:]
    if len(rest) >= 2 and rest[0] not in ("submit_scripts", "task_logs"):
        keys[EXECUTOR] = rest[0]
        block = _BLOCK_DIR.match(rest[1]) if len(rest) >= 3 else None
        if block:
            keys[BLOCK_ID] = block.group(1)
            if len(rest) >= 4:
                keys[MANAGER_ID] = rest[2]
    worker = _WORKER_FILE.match(path.name)
    if worker:
        keys[WORKER_ID] = int(worker.group(1))
    return keys


@dataclass
class RunContext:
    """What a run's parsl.log says about the whole run dir: its run id and the zone offset
    of the machine that wrote it (epoch vs local asctime on the same v2022 line)."""

    run_id: str | None = None
    offset_seconds: float | None = None


def scan_run(run_dir: Path, max_lines: int = 400) -> RunContext:
    ctx = RunContext()
    for name in ("parsl.log", "parsl.jsonlog"):
        path = run_dir / name
        if not path.is_file():
            continue
        try:
            with open(path, "rb") as fh:
                for _, raw in zip(range(max_lines), fh, strict=False):
                    line = raw.decode("utf-8", "replace")
                    if name.endswith(".jsonlog"):
                        m = re.search(r'"parsl\.dfk":\s*"([^"]+)"', line)
                        if m and ctx.run_id is None:
                            ctx.run_id = m.group(1)
                        continue
                    if ctx.offset_seconds is None:
                        m = re.match(r"(\d{9,11}\.\d+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ", line)
                        if m:
                            local = datetime.fromisoformat(m.group(2)).replace(
                                tzinfo=timezone.utc).timestamp()
                            # local - epoch, rounded to the quarter hour zones use
                            ctx.offset_seconds = round((local - float(m.group(1))) / 900) * 900
                    m = re.search(r"Run id is: (\S+)", line)
                    if m:
                        ctx.run_id = m.group(1)
                    if ctx.run_id and ctx.offset_seconds is not None:
                        return ctx
        except OSError:
            continue
    return ctx


# ---------------------------------------------------------------------------------------
# Reading


# A line that begins like a record (an epoch, or a date) but matched no variant is not a
# continuation: it is a truncated record or a format we do not know, and is kept unparsed.
_RECORD_START = re.compile(r"\d{9,11}\.\d+ |\d{4}-\d\d-\d\d[ T]\d\d:")


def _is_text(line: str) -> bool:
    """A line that can be a continuation: no NUL, no U+FFFD, no C0 control but tab."""
    if line.isprintable():
        return True
    return "\ufffd" not in line and all(ch >= " " or ch == "\t" for ch in line)


def _finish(rec: dict[str, Any], more: list[str]) -> dict[str, Any]:
    """Fold a record's continuation lines into it: message, traceback, line count."""
    rec[LINE_COUNT] = 1 + len(more)
    start = next((i for i, text in enumerate(more)
                  if text.startswith("Traceback (most recent call last)")), None)
    body = more if start is None else more[:start]
    if body:
        rec[MESSAGE] = "\n".join([rec[FORMATTED], *body])
    if start is not None:
        rec[EXC_TEXT] = "\n".join(more[start:])
    if not rec[FORMATTED].strip():  # the message starts on the next line
        rec[FORMATTED] = next((t.strip() for t in more if t.strip()), "")
    return rec


_OPTIONAL_GROUPS = (
    ("pid", LINUX_PID, int),
    ("process_name", "parsl.process_name", str),
    ("thread_name", "parsl.thread_name", str),
    ("thread_id", "parsl.thread_id", int),
    ("lineno", "parsl.logger_lineno", int),
    ("func", "parsl.func_name", str),
)


def _optional_fields(groups: dict[str, str | None]) -> dict[str, Any]:
    return {key: conv(groups[g]) for g, key, conv in _OPTIONAL_GROUPS if groups.get(g)}


def _ms_fields(m: re.Match[str], times: NaiveTimeConverter) -> tuple:
    """The millisecond variants: local time, and only some of the groups."""
    groups = m.groupdict()
    fields = _optional_fields(groups)
    return times.parse(groups["time"]), groups["logger"], groups["level"], groups["msg"], fields


def _pool_ms_fields(m: re.Match[str], times: NaiveTimeConverter) -> tuple:
    time, logger, lineno, pid, tname, level, msg = m.groups()
    return times.parse(time), logger, level, msg, {
        LINUX_PID: int(pid), "parsl.thread_name": tname, "parsl.logger_lineno": int(lineno)}


def _interchange_ms_fields(m: re.Match[str], times: NaiveTimeConverter) -> tuple:
    time, logger, lineno, pname, pid, tname, func, level, msg = m.groups()
    return times.parse(time), logger, level, msg, {
        LINUX_PID: int(pid), "parsl.process_name": pname, "parsl.thread_name": tname,
        "parsl.logger_lineno": int(lineno), "parsl.func_name": func}


# Positional builders for the ms variants (a groupdict per line costs more than the regex);
# v2022, the hot one, is built inline in _text_records.
_FIELDS_OF = {
    HTEX_POOL_MS.name: _pool_ms_fields,
    HTEX_INTERCHANGE_MS.name: _interchange_ms_fields,
}


def _text_records(
    path: Path, origin: str, base: dict[str, Any], times: NaiveTimeConverter,
    report: ImportReport, part: Part | None = None, variants_seen: set[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """One text log: records with their continuation lines, or ``unparsed`` records.

    A record is yielded when the next record (or the end) shows that no more continuation
    lines follow it.
    """
    match = LINES.match
    first_chars = LINES.first_chars or ""
    # Logs rarely change format mid-file: try the variant of the previous record first,
    # without a call into the table.
    last_variant, last_regex = V2022, LINES.compiled(V2022)
    levels = LEVELS
    fields_of = _FIELDS_OF
    keys_of = message_keys
    pending: dict[str, Any] | None = None
    more: list[str] = []
    last_created: float | None = None
    blocks = (read_line_blocks(path, report) if part is None else
              read_line_blocks(path, report, start=part.start, end=part.end,
                               first_lineno=part.lineno))
    v2022 = V2022
    for start, lines, bad in blocks:
        for offset, text in enumerate(lines):
            m = last_regex.match(text) if text and text[0] in first_chars else None
            if m is None and text and text[0] in first_chars:
                hit = match(text)
                if hit is not None:
                    last_variant, m = hit
                    last_regex = LINES.compiled(last_variant)
                    if variants_seen is not None:
                        variants_seen.add(last_variant.name)
            if m is None:
                if pending is not None and _is_text(text) and not _RECORD_START.match(text):
                    more.append(text)
                    continue
                lineno = start + offset
                if pending is not None:
                    yield _finish(pending, more) if more else pending
                    pending, more = None, []
                report.problem(UNPARSED_LINE, origin)
                yield unparsed(
                    text, source=SOURCE_NAME, origin=origin, name="parsl.log",
                    reason=("not text" if text and not _is_text(text) else
                            "before any record" if last_created is None else
                            "starts like a record but matches no format (truncated?)")
                    + f"; tried {LINES.tried}",
                    created=last_created, lineno=lineno,
                    fields={**base, INVALID_UTF8_KEY: True if offset in bad else None},
                )
                continue
            if pending is not None:
                yield _finish(pending, more) if more else pending
                more = []
            if last_variant is v2022:
                # The hot variant, by position, in one dict: the epoch is exact.
                (epoch, _asctime, pname, pid, tname, tid, logger, lineno, func, levelname,
                 msg) = m.groups()
                last_created = float(epoch)
                event, keys = keys_of(msg)
                pending = {
                    CREATED: last_created,
                    FORMATTED: msg,
                    NAME: logger,
                    LEVELNAME: levelname,
                    LEVELNO: levels.get(levelname, 20),
                    SOURCE: SOURCE_NAME,
                    ORIGIN: origin,
                    EVENT: event,
                    LINENO: start + offset,
                    LINE_COUNT: 1,
                    FORMAT: "v2022",
                    **base,
                    LINUX_PID: int(pid),
                    "parsl.process_name": pname,
                    "parsl.thread_name": tname,
                    "parsl.thread_id": int(tid),
                    "parsl.logger_lineno": int(lineno),
                    "parsl.func_name": func,
                    **keys,
                }
            else:
                try:
                    created, logger, levelname, msg, fields = fields_of.get(
                        last_variant.name, _ms_fields)(m, times)
                except ValueError:  # a time that looks right but is not (e.g. month 13)
                    created, logger, levelname, msg, fields = _ms_fields_without_time(m)
                    created = last_created
                last_created = created
                event, keys = keys_of(msg)
                pending = {
                    CREATED: created,
                    FORMATTED: msg,
                    NAME: logger,
                    LEVELNAME: levelname,
                    LEVELNO: levels.get(levelname, 20),
                    SOURCE: SOURCE_NAME,
                    ORIGIN: origin,
                    EVENT: event,
                    LINENO: start + offset,
                    LINE_COUNT: 1,
                    FORMAT: last_variant.name,
                    **base,
                    **fields,
                    **keys,
                }
            if bad and offset in bad:
                pending[INVALID_UTF8_KEY] = True
    if pending is not None:
        yield _finish(pending, more) if more else pending


def _ms_fields_without_time(m: re.Match[str]) -> tuple:
    groups = m.groupdict()
    fields = _optional_fields(groups)
    fields["parsl.time_raw"] = groups.get("time") or groups.get("epoch")
    return None, groups["logger"], groups["level"], groups["msg"], fields


# Parsl JSONLogging keys -> ours (the originals are kept too: wide is good).
_JSON_RENAMES = {
    "process": (LINUX_PID, int),
    "processName": ("parsl.process_name", str),
    "threadName": ("parsl.thread_name", str),
    "thread": ("parsl.thread_id", int),
    "lineno": ("parsl.logger_lineno", int),
    "funcname": ("parsl.func_name", str),
    "funcName": ("parsl.func_name", str),
    "parsl.dfk": (RUN_ID, str),
    "parsl.task": (TASK_ID, int),
    "parsl.try": (TRY_ID, int),
    "parsl.executor_task": (EXECUTOR_TASK_ID, int),
    "parsl.block": (BLOCK_ID, str),
}


_JSON_ENVELOPE = frozenset({"created", "formatted", "name", "levelname", "levelno"})


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _json_records(
    path: Path, origin: str, base: dict[str, Any], report: ImportReport
) -> Iterator[dict[str, Any]]:
    """One Parsl ``*.jsonlog``: each object mapped to our keys, its own keys kept."""
    last_created: float | None = None
    for lineno, text, invalid in read_lines(path, report):
        try:
            obj = orjson.loads(text) if text.strip() else None
        except orjson.JSONDecodeError:
            obj = None
        if not isinstance(obj, dict):
            report.problem(UNPARSED_LINE, origin)
            yield unparsed(text, source=SOURCE_NAME, origin=origin, name="parsl.jsonlog",
                           reason="not a JSON object", created=last_created, lineno=lineno,
                           fields=base)
            continue
        message = str(obj.get("formatted") or obj.get("msg") or "")
        first = message.split("\n", 1)[0]
        event, keys = message_keys(first)
        try:
            created = float(obj["created"])
        except (KeyError, TypeError, ValueError):
            created = last_created
        last_created = created
        levelname = str(obj.get("levelname", "INFO"))
        fields: dict[str, Any] = dict(base)
        if message != first:
            fields[MESSAGE] = message
        for key, value in obj.items():
            if key in _JSON_RENAMES:
                new, conv = _JSON_RENAMES[key]
                try:
                    fields[new] = conv(value)
                except (TypeError, ValueError):
                    fields[new] = value
            if "." in key:  # Parsl's own namespaced keys stay too, as Parsl wrote them
                fields.setdefault(key, value)
            elif key not in _JSON_RENAMES and key not in _JSON_ENVELOPE:
                fields.setdefault(f"parsl.log_{_snake(key)}", value)
        fields.update(keys)
        if "\nTraceback (most recent call last)" in message:
            head, _, tb = message.partition("\nTraceback (most recent call last)")
            if head != first:
                fields[MESSAGE] = head
            else:
                fields.pop(MESSAGE, None)
            fields[EXC_TEXT] = "Traceback (most recent call last)" + tb
        rec = {
            CREATED: created,
            FORMATTED: first,
            NAME: str(obj.get("name", "parsl")),
            LEVELNAME: levelname,
            LEVELNO: LEVELS.get(levelname, 20),
            SOURCE: SOURCE_NAME,
            ORIGIN: origin,
            EVENT: event,
            LINENO: lineno,
            LINE_COUNT: 1,
            FORMAT: "jsonlog",
            **{k: v for k, v in fields.items() if v is not None and v != ""},
        }
        if invalid:
            rec[INVALID_UTF8_KEY] = True
        if created is None:
            del rec[CREATED]
        yield rec


def _exit_code_record(path: Path, origin: str, base: dict[str, Any],
                      report: ImportReport) -> Iterator[dict[str, Any]]:
    """``submit_scripts/parsl.<executor>.block-N.<submit time>.sh.ec``: the block job's exit
    code, written when the job script ends (so the file's mtime is when it ended)."""
    m = _EC_FILE.match(path.name)
    keys: dict[str, Any] = dict(base)
    if m:
        keys[EXECUTOR] = m["executor"]
        keys[BLOCK_ID] = m["block"]
        keys["parsl.submit_time"] = float(m["submit"])
    mtime = path.stat().st_mtime
    for lineno, text, _invalid in read_lines(path, report):
        value = text.strip()
        if value.lstrip("-").isdigit():
            code = int(value)
            yield {
                CREATED: mtime, FORMATTED: f"block {keys.get(BLOCK_ID, '?')} job exited {code}",
                NAME: "parsl.submit_scripts", LEVELNAME: "INFO" if code == 0 else "WARNING",
                LEVELNO: 20 if code == 0 else 30, SOURCE: SOURCE_NAME, ORIGIN: origin,
                EVENT: "block_job_exit", LINENO: lineno, LINE_COUNT: 1,
                "ev.time_from": "file mtime", **keys, "parsl.exit_code": code,
            }
        elif value == "-":
            # The launcher writes "-" when the job starts and the exit code when the script
            # ends: a "-" left behind means the job was killed (e.g. scaled in) first, and the
            # mtime is when the job started.
            yield {
                CREATED: mtime,
                FORMATTED: f"block {keys.get(BLOCK_ID, '?')} job never wrote an exit code",
                NAME: "parsl.submit_scripts", LEVELNAME: "WARNING", LEVELNO: 30,
                SOURCE: SOURCE_NAME, ORIGIN: origin, EVENT: "block_job_no_exit_code",
                LINENO: lineno, LINE_COUNT: 1, "ev.time_from": "file mtime (job start)",
                **keys, "parsl.exit_code_raw": value,
            }
        else:
            report.problem(UNPARSED_LINE, origin)
            yield unparsed(text, source=SOURCE_NAME, origin=origin, name="parsl.submit_scripts",
                           reason="not an exit code", created=mtime, lineno=lineno,
                           fields=keys)


def is_log_file(path: Path) -> bool:
    """Files parsl-logs reads when given a directory."""
    return path.name.endswith(LOG_SUFFIXES) or path.name.endswith(".sh.ec")


def log_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Path]]:
    """(log files to read, other files seen) under the given files and directories."""
    logs: list[Path] = []
    others: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if child.is_file() or child.is_symlink():
                    (logs if is_log_file(child) else others).append(child)
        elif p.exists():
            logs.append(p)
        else:
            raise UnusableInput("no such file or directory", str(p),
                                "give a runinfo/ dir, a run dir such as runinfo/000, or log files")
    return logs, others


@dataclass(frozen=True)
class FileJob:
    """One log file and what its place says: the keys of its path and run, and its zone."""

    path: Path
    base: dict[str, Any]
    zone: tzinfo
    zone_label: str

    @property
    def kind(self) -> str:
        name = self.path.name
        return "json" if name.endswith(".jsonlog") else "ec" if name.endswith(".sh.ec") \
            else "text"


def plan_files(paths: Iterable[str | os.PathLike], tz: str | None,
               report: ImportReport) -> list[FileJob]:
    """The files to read, with their path keys, run id and zone (one parsl.log scan per run)."""
    logs, others = log_files(paths)
    if others:
        report.assume("not logs, skipped", f"{len(others)} files")
    explicit_zone = resolve_zone(tz) if tz else None
    contexts: dict[Path, RunContext] = {}
    jobs = []
    for path in logs:
        resolved = path.resolve()
        base = path_keys(resolved)
        run_dir = run_dir_of(resolved)
        ctx = contexts.get(run_dir) if run_dir else None
        if run_dir is not None and ctx is None:
            ctx = contexts[run_dir] = scan_run(run_dir)
        if ctx and ctx.run_id:
            base[RUN_ID] = ctx.run_id
        if explicit_zone is not None:
            zone, label = explicit_zone
        elif ctx and ctx.offset_seconds is not None:
            zone = timezone(timedelta(seconds=ctx.offset_seconds))
            label = f"UTC{ctx.offset_seconds / 3600:+g}h inferred from the run's parsl.log"
        else:
            zone, label = resolve_zone(None)
        jobs.append(FileJob(path, base, zone, label))
    return jobs


def records_of(job: FileJob, report: ImportReport, part: Part | None = None,
               zones_used: set[str] | None = None) -> Iterator[dict[str, Any]]:
    """The records of one file (or of one part of a big text file)."""
    origin = str(job.path)
    try:
        if job.kind == "json":
            yield from _json_records(job.path, origin, job.base, report)
        elif job.kind == "ec":
            yield from _exit_code_record(job.path, origin, job.base, report)
        else:
            seen: set[str] = set()
            yield from _text_records(job.path, origin, job.base, NaiveTimeConverter(job.zone),
                                     report, part, seen)
            if zones_used is not None and seen - {V2022.name}:
                zones_used.add(job.zone_label)
    except UnusableInput as exc:
        report.problem(UNREADABLE_FILE, f"{job.path}: {exc.todo or exc.what}")


def read(
    paths: Iterable[str | os.PathLike],
    *,
    tz: str | None = None,
    report: ImportReport | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the records of every Parsl log under ``paths``, file by file, streamed.

    A file that cannot be read is counted (``UnreadableFile``) and the others are still
    read; the caller (CLI) exits 1 for it.
    """
    report = report if report is not None else ImportReport()
    zones_used: set[str] = set()
    for job in plan_files(paths, tz, report):
        yield from records_of(job, report, zones_used=zones_used)
    if zones_used:
        report.assume("zone of ms-format logs", "; ".join(sorted(zones_used)))


def _is_record_start(line: bytes) -> bool:
    text = line.decode("utf-8", "replace").rstrip("\r\n")
    return LINES.may_match(text) and LINES.match(text) is not None


def _part_records(job: FileJob, part: Part, report: ImportReport) -> Iterator[dict[str, Any]]:
    zones_used: set[str] = set()
    yield from records_of(job, report, part, zones_used)
    if zones_used:
        report.assume("zone of ms-format logs", "; ".join(sorted(zones_used)))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # unreadable: records_of names it


def write_to(
    writer: PoolWriter,
    paths: Iterable[str | os.PathLike],
    *,
    tz: str | None = None,
    report: ImportReport,
    jobs: int = 1,
) -> None:
    """What ``writer.write_all(read(...))`` does, with text logs of ``SPLIT_MIN_BYTES`` or
    more cut at record boundaries and parsed by ``jobs`` processes (same output)."""
    planned = plan_files(paths, tz, report)
    big = [j for j in planned if jobs > 1 and j.kind == "text"
           and _size(j.path) >= SPLIT_MIN_BYTES]
    zones_used: set[str] = set()
    # File by file in plan order, so the output is the sequential one, byte for byte.
    for is_big, group in groupby(planned, key=lambda job: job in big):
        if is_big:
            for job in group:
                parts = split_points(job.path, jobs * 2, _is_record_start)
                write_parts(parts, partial(_part_records, job), writer, report, jobs)
        else:
            writer.write_all(chain.from_iterable(
                records_of(job, report, zones_used=zones_used) for job in group))
    if zones_used:
        report.assume("zone of ms-format logs", "; ".join(sorted(zones_used)))


def sniff(head: bytes) -> bool:
    """Does a file starting with ``head`` look like a Parsl text log? (for ``auto``)"""
    for raw in head.splitlines()[:20]:
        text = raw.decode("utf-8", "replace").rstrip("\r")
        if text and LINES.match(text):
            return True
    return False

