"""Parsl's log line formats, as data: one :class:`Variant` per line shape, with real samples.

* ``v2022``: ``parsl.log`` since 2022.10.4 (the release after 1.2.0) and every HTEX log
  since 2026.1.26:
  ``%(created)f %(asctime)s %(processName)s-%(process)d %(threadName)s-%(thread)d
  %(name)s:%(lineno)d %(funcName)s %(levelname)s: %(message)s``. Carries the exact epoch.
* ``htex-interchange-ms``, ``htex-pool-ms``, ``dbm-ms``, ``named-ms``: the millisecond formats
  that the interchange, the manager and workers, the database manager and the monitoring
  router (and ``parsl.log`` of 1.x) used. Local time with no zone.
* ``htex-pool-rank-ms``: the HTEX manager and workers of Parsl 1.x (to 1.2.0), which print
  ``Rank:<n>`` where later releases print the pid and thread. 1.x's ``parsl.log`` and
  interchange use ``named-ms``.

Which release writes which (read in each release's ``log_utils.py``,
``process_worker_pool.py``, ``interchange.py`` and monitoring modules; the interchange's
space before the message went from two to one in 2024.3.11, which the pattern allows):

======================  =========  ===================  =================  ======  ======
releases                parsl.log  interchange.log      manager, workers   router  DB mgr
======================  =========  ===================  =================  ======  ======
1.0.0 .. 1.2.0          named-ms   named-ms             htex-pool-rank-ms  named   dbm-ms*
2022.10.4 .. 2024.3.11  v2022      htex-interchange-ms  htex-pool-ms       named   dbm-ms
2024.3.18 .. 2026.1.19  v2022      htex-interchange-ms  htex-pool-ms       v2022   dbm-ms
2026.1.26 ..            v2022      v2022                v2022              v2022   dbm-ms
======================  =========  ===================  =================  ======  ======

(``named`` is ``named-ms``; * 1.0.0's DB manager wrote ``named-ms``.) Real fixtures cover
each row: fixtures/parsl/1.2.0, 2024.3.4, 2024.12.30 and 2026.10.26.
"""

from __future__ import annotations

from ...core.lineformat import CONTINUE_TEXT, ISO_TIME, LineTable, Sample, Variant
from ...core.record import LINUX_PID

# ---------------------------------------------------------------------------------------
# Line formats. Samples are real lines from fixtures/parsl/<release>/runinfo/.

# What each group of any variant writes (the envelope roles time/epoch, level, msg and logger
# are the engine's: importers.core.lineformat.ROLES). A variant uses the groups it has.
FIELDS = {
    "pid": (LINUX_PID, "int"),
    "process_name": ("parsl.process_name", "str"),
    "thread_name": ("parsl.thread_name", "str"),
    "thread_id": ("parsl.thread_id", "int"),
    "lineno": ("parsl.logger_lineno", "int"),
    "func": ("parsl.func_name", "str"),
    "rank": ("parsl.rank", "int"),  # 1.x manager (0) and workers (the worker id)
}

_ISO_MS = r"(?P<time>\d{4}-\d\d-\d\d\ \d\d:\d\d:\d\d\.\d{3})"

V2022 = Variant(
    name="v2022",
    continuation=CONTINUE_TEXT,
    fields=FIELDS,
    ignore=("asctime",),  # the epoch is exact
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
    continuation=CONTINUE_TEXT,
    fields=FIELDS,
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
        # 2024.3.11 and later: one space before the message (fixtures/parsl/2024.12.30)
        Sample(
            "2026-12-01 17:20:45.946 interchange:115 MainProcess(905) MainThread __init__ "
            "[INFO] Attempting connection to client at 127.0.0.1 on ports: 55554,55775,55610",
            {"time": "2026-12-01 17:20:45.946", "logger": "interchange", "lineno": "115",
             "process_name": "MainProcess", "pid": "905", "thread_name": "MainThread",
             "func": "__init__", "level": "INFO",
             "msg": "Attempting connection to client at 127.0.0.1 on ports: "
                    "55554,55775,55610"},
        ),
    ),
)

HTEX_POOL_MS = Variant(
    name="htex-pool-ms",
    continuation=CONTINUE_TEXT,
    fields=FIELDS,
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

HTEX_POOL_RANK_MS = Variant(
    name="htex-pool-rank-ms",
    continuation=CONTINUE_TEXT,
    fields=FIELDS,
    pattern=_ISO_MS + r"""
        \ (?P<logger>\S+):(?P<lineno>\d+)\ Rank:(?P<rank>\d+)
        \ \[(?P<level>[A-Z]+)\]\ \ (?P<msg>.*)
    """,
    time_format=ISO_TIME,
    samples=(
        # fixtures/parsl/1.2.0: a worker (rank = worker id) and its manager (rank 0)
        Sample(
            "2026-12-02 00:19:21.828 worker_log:530 Rank:1 [INFO]  Received task 2",
            {"time": "2026-12-02 00:19:21.828", "logger": "worker_log", "lineno": "530",
             "rank": "1", "level": "INFO", "msg": "Received task 2"},
        ),
        Sample(
            "2026-12-02 00:19:52.014 parsl:131 Rank:0 [ERROR]  Caught exception while trying "
            "to determine viable address to interchange",
            {"time": "2026-12-02 00:19:52.014", "logger": "parsl", "lineno": "131",
             "rank": "0", "level": "ERROR",
             "msg": "Caught exception while trying to determine viable address to interchange"},
        ),
    ),
)

DBM_MS = Variant(
    name="dbm-ms",
    continuation=CONTINUE_TEXT,
    fields=FIELDS,
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
    continuation=CONTINUE_TEXT,
    fields=FIELDS,
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
        # 1.x: parsl.log and the interchange (fixtures/parsl/1.2.0)
        Sample(
            "2026-12-02 00:19:20.278 parsl.dataflow.dflow:610 [INFO]  Task 0 launched on "
            "executor htex_local",
            {"time": "2026-12-02 00:19:20.278", "logger": "parsl.dataflow.dflow",
             "lineno": "610", "level": "INFO", "msg": "Task 0 launched on executor htex_local"},
        ),
        Sample(
            "2026-12-02 00:19:21.821 interchange:482 [DEBUG]  [MAIN] Sent tasks: [1, 2] to "
            "manager b'4f800333e932'",
            {"time": "2026-12-02 00:19:21.821", "logger": "interchange", "lineno": "482",
             "level": "DEBUG", "msg": "[MAIN] Sent tasks: [1, 2] to manager b'4f800333e932'"},
        ),
    ),
)

# Every Parsl text format starts with a digit (an epoch or a date), so other lines (config
# dumps, tracebacks) never reach the regexes. They continue the record above them: every
# variant declares continuation ``text`` (text.py folds them into message and traceback).
# The variants are mutually exclusive (named-ms wants two spaces after the level, dbm-ms
# one and a [thread id]), so which one matched last never changes the result.
LINES = LineTable("parsl-logs", [V2022, HTEX_INTERCHANGE_MS, HTEX_POOL_MS, HTEX_POOL_RANK_MS,
                                 DBM_MS, NAMED_MS],
                  first_chars="0123456789", raw_time_key="parsl.time_raw")
