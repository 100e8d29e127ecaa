"""Parsl's log line formats, as data: one :class:`Variant` per line shape, with real samples.

* ``v2022``: ``parsl.log`` since mid-2022 and every HTEX log since the 2026.01 releases:
  ``%(created)f %(asctime)s %(processName)s-%(process)d %(threadName)s-%(thread)d
  %(name)s:%(lineno)d %(funcName)s %(levelname)s: %(message)s``. Carries the exact epoch.
* ``htex-interchange-ms``, ``htex-pool-ms``, ``dbm-ms``, ``named-ms``: the millisecond formats
  that the interchange, the manager and workers, the database manager and the monitoring
  router (and ``parsl.log`` before mid-2022) used. Local time with no zone.

A new release's format is a new variant here (with samples from a real run); the readers
in ``text.py`` take every variant of :data:`LINES`. Samples are real lines from
``fixtures/parsl/<release>/runinfo/``.
"""

from __future__ import annotations

from ...core.lineformat import ISO_TIME, LineTable, Sample, Variant

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
