"""A pool with every kind of record the fixtures hold, for the export and follow tests.

Academy's own ``*.jsonlog`` files (every value a string) and Parsl's JSON logs are copied in
unchanged, as ``ev-import auto`` copies them; the Parsl monitoring DB, a Parsl run dir of text
logs, a Redis log, saved ``sacct`` output and bpftrace execsnoop output are imported with the
CLI, as a user would. Nothing here is typed in: every record comes from a real run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES

from importers.cli import main

IMPORTS = [
    ["parsl-db", str(FIXTURES / "academy/1.0.0/runinfo/monitoring.db")],
    ["parsl-logs", str(FIXTURES / "academy/1.0.0/runinfo")],
    ["redis-log", str(FIXTURES / "redis/7.0.15/loglevel-verbose.log")],
    ["sacct", "--file", str(FIXTURES / "slurm/sacct_P_epoch.txt")],
    ["procs", str(FIXTURES / "procs/captured/bpftrace_execsnoop_bt.txt"),
     "--start", "2026-11-25T08:50:00", "--host", "vm"],
]
COPIES = [
    (FIXTURES / "academy/1.0.0/academy_home/logs", "academy"),
    (FIXTURES / "parsl/2026.10.26-json/runinfo/000", "parsl-json"),
]


def make_mixed_pool(pool: Path) -> Path:
    for source, name in COPIES:
        shutil.copytree(source, pool / name)
    for args in IMPORTS:
        code = main([*args, "--pool", str(pool), "--tz", "UTC", "-q"])
        assert code in (0, 1), args
    return pool
