"""sacct's fields, as data: each field's key and kind (int, time, duration, memory, exit
code, node list...), and the converters that run them; a header line becomes a plan once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...core.record import (
    LINUX_HOSTNAME,
)
from ...core.report import BAD_TIMESTAMP, ImportReport
from .. import _slurm as sf
from .keys import (
    ELIGIBLE_TIME,
    END_TIME,
    FREE_TEXT,
    JOBID,
    JOBID_RAW,
    NODES,
    START_TIME,
    STATE,
    SUBMIT_TIME,
)

# ---------------------------------------------------------------------------------------
# The field table: sacct field (lower case) -> (record key, kind). Data, run by plan_header().
# Kinds: str, int, time, duration, memory, reqmem, exit, state, jobid, jobid_raw, nodelist,
# list (comma-separated), minutes (an int, or a word such as UNLIMITED).

FIELDS: dict[str, tuple[str, str]] = {
    "jobid": (JOBID, "jobid"),
    "jobidraw": (JOBID_RAW, "jobid_raw"),
    "jobname": ("slurm.job_name", "str"),
    "user": ("slurm.user", "str"),
    "uid": ("slurm.uid", "int"),
    "group": ("slurm.group", "str"),
    "gid": ("slurm.gid", "int"),
    "account": ("slurm.account", "str"),
    "cluster": ("slurm.cluster", "str"),
    "partition": ("slurm.partition", "str"),
    "qos": ("slurm.qos", "str"),
    "state": (STATE, "state"),
    "exitcode": ("slurm.exit_code", "exit"),
    "derivedexitcode": ("slurm.derived_exit_code", "exit"),
    "reason": ("slurm.reason", "str"),
    "priority": ("slurm.priority", "int"),
    "submit": (SUBMIT_TIME, "time"),
    "eligible": (ELIGIBLE_TIME, "time"),
    "start": (START_TIME, "time"),
    "end": (END_TIME, "time"),
    "elapsed": ("slurm.elapsed", "duration"),
    "elapsedraw": ("slurm.elapsed_raw", "int"),
    "timelimit": ("slurm.timelimit", "duration"),
    "timelimitraw": ("slurm.timelimit_raw", "minutes"),
    "suspended": ("slurm.suspended", "duration"),
    "nnodes": ("slurm.nnodes", "int"),
    "ncpus": ("slurm.ncpus", "int"),
    "allocnodes": ("slurm.alloc_nodes", "int"),
    "alloccpus": ("slurm.alloc_cpus", "int"),
    "reqcpus": ("slurm.req_cpus", "int"),
    "reqnodes": ("slurm.req_nodes", "int"),
    "reqmem": ("slurm.req_mem", "reqmem"),
    "reqtres": ("slurm.req_tres", "str"),
    "alloctres": ("slurm.alloc_tres", "str"),
    "ntasks": ("slurm.ntasks", "int"),
    "maxrss": ("slurm.max_rss", "memory"),
    "maxrssnode": ("slurm.max_rss_node", "str"),
    "maxrsstask": ("slurm.max_rss_task", "int"),
    "maxvmsize": ("slurm.max_vmsize", "memory"),
    "maxvmsizenode": ("slurm.max_vmsize_node", "str"),
    "averss": ("slurm.ave_rss", "memory"),
    "avevmsize": ("slurm.ave_vmsize", "memory"),
    "avecpu": ("slurm.ave_cpu", "duration"),
    "mincpu": ("slurm.min_cpu", "duration"),
    "totalcpu": ("slurm.total_cpu", "duration"),  # CPU_TIMES below
    "usercpu": ("slurm.user_cpu", "duration"),
    "systemcpu": ("slurm.system_cpu", "duration"),
    "cputime": ("slurm.cpu_time", "duration"),
    "cputimeraw": ("slurm.cpu_time_raw", "int"),
    "nodelist": ("slurm.nodelist", "nodelist"),
    "flags": ("slurm.flags", "list"),
    "reservation": ("slurm.reservation", "str"),
    "workdir": ("slurm.work_dir", "str"),
    "comment": ("slurm.comment", "str"),
    "submitline": ("slurm.submit_line", "str"),
}

CPU_TIMES = frozenset({"slurm.total_cpu", "slurm.user_cpu", "slurm.system_cpu"})


@dataclass
class _Plan:
    """One header compiled: the record key of each column and the converters to run."""

    names: list[str]
    keys: tuple[str, ...]
    converters: tuple[tuple[str, Callable[[dict, str, str], None]], ...]
    width: int
    free: int
    delimiter: str
    free_keys: tuple[str, ...]


class Converters:
    """The per-kind converters, bound to one import's report, times and node lists."""

    def __init__(self, times: sf.Times, report: ImportReport) -> None:
        self.times = times
        self.report = report
        self.nodes = sf.NodeLists()
        self._durations: dict[str, Any] = {}
        self._memory: dict[str, tuple[int, str | None]] = {}

    def int(self, fields: dict, key: str, value: str) -> None:
        try:
            fields[key] = int(value)
        except ValueError:
            pass  # kept as the text Slurm printed

    def minutes(self, fields: dict, key: str, value: str) -> None:
        """TimelimitRaw: an int of minutes; a word (UNLIMITED, Partition_Limit) is what
        ``slurm.timelimit`` holds, so the raw key stays an int or is absent."""
        if value.isdigit():
            fields[key] = int(value)
        else:
            del fields[key]
            fields.setdefault("slurm.timelimit", value)

    def time(self, fields: dict, key: str, value: str) -> None:
        try:
            parsed = self.times.parse(value)
        except ValueError:
            del fields[key]
            fields[key.removesuffix("_time") + "_raw"] = value
            self.report.problem(BAD_TIMESTAMP, f"{key.removeprefix('slurm.')} {value!r}")
            return
        if parsed is None:
            del fields[key]
        else:
            fields[key] = parsed

    def duration(self, fields: dict, key: str, value: str) -> None:
        seconds = self._durations.get(value)
        if seconds is None:
            if value in sf.DURATION_WORDS:
                return  # UNLIMITED, Partition_Limit: kept as the word
            try:
                seconds = sf.duration(value)
            except ValueError:
                return
            if len(self._durations) > 65536:
                self._durations.clear()
            self._durations[value] = seconds
        del fields[key]
        # CPU times have a fraction (ms): always a float, as sacct --json gives them
        fields[key + "_s"] = float(seconds) if key in CPU_TIMES else seconds

    def _mem(self, value: str) -> tuple[int, str | None] | None:
        parsed = self._memory.get(value)
        if parsed is None:
            try:
                parsed = sf.memory(value)
            except ValueError:
                return None
            if len(self._memory) > 65536:
                self._memory.clear()
            self._memory[value] = parsed
        return parsed

    def memory(self, fields: dict, key: str, value: str) -> None:
        parsed = self._mem(value)
        if parsed is not None:
            del fields[key]
            fields[key + "_bytes"] = parsed[0]

    def reqmem(self, fields: dict, key: str, value: str) -> None:
        parsed = self._mem(value)
        if parsed is not None:
            del fields[key]
            fields[key + "_bytes"] = parsed[0]
            if parsed[1]:
                fields[key + "_per"] = parsed[1]

    def exit(self, fields: dict, key: str, value: str) -> None:
        try:
            code, signal = sf.exit_code(value)
        except ValueError:
            return
        fields[key] = code
        fields[key.removesuffix("_code") + "_signal"] = signal

    def state(self, fields: dict, key: str, value: str) -> None:
        name, uid = sf.state(value)
        if uid is not None:
            fields[key] = name
            fields["slurm.cancelled_by_uid"] = uid

    def jobid(self, fields: dict, key: str, value: str) -> None:
        try:
            parts = sf.job_id(value)
        except ValueError:
            return
        for part, part_value in parts.items():
            fields["slurm." + part] = part_value

    def jobid_raw(self, fields: dict, key: str, value: str) -> None:
        fields[key] = value.partition(".")[0]

    def nodelist(self, fields: dict, key: str, value: str) -> None:
        if value == "None assigned":
            del fields[key]
            return
        try:
            hosts = self.nodes.expand(value)
        except ValueError:
            return
        if len(hosts) == 1:
            fields[LINUX_HOSTNAME] = hosts[0]
        else:
            fields[NODES] = hosts

    def list(self, fields: dict, key: str, value: str) -> None:
        fields[key] = value.split(",")

    def str(self, fields: dict, key: str, value: str) -> None:  # pragma: no cover - unused
        pass


def plan_header(header: list[str], delimiter: str, conv: Converters) -> _Plan:
    keys: list[str] = []
    converters: list[tuple[str, Callable[[dict, str, str], None]]] = []
    for name in header:
        known = FIELDS.get(name.lower())
        if known is None:
            key, kind = "slurm." + sf.snake(name), "str"
        else:
            key, kind = known
        keys.append(key)
        if kind != "str":
            converters.append((key, getattr(conv, kind)))
    free = 0
    for name in reversed(header):
        if name.lower() not in FREE_TEXT:
            break
        free += 1
    # a job's times in the order they happen (Submit, Eligible, Start, End), whatever the
    # header's order: each is read not before the previous one (sf.Times)
    converters.sort(key=lambda kc: sf.time_rank(kc[0]) if kc[1] == conv.time else -1)
    return _Plan(
        names=header, keys=tuple(keys), converters=tuple(converters), width=len(header),
        free=free, delimiter=delimiter, free_keys=tuple(keys[len(keys) - free:]),
    )


def score_free_text(keys: tuple[str, ...]) -> Callable[[list[str]], int] | None:
    """How well a split of the free-text tail agrees with itself: a job name or comment is
    usually repeated in the submit line after its option (``-J NAME``, ``--comment=TEXT``)."""
    if "slurm.submit_line" not in keys:
        return None
    line_index = keys.index("slurm.submit_line")
    markers = {"slurm.job_name": ("-J ", "--job-name=", "--job-name "),
               "slurm.comment": ("--comment=", "--comment "),
               "slurm.work_dir": ("--chdir=", "-D ", "--chdir ")}

    def score(candidate: list[str]) -> int:
        submit_line = candidate[line_index]
        total = 0
        for key, value in zip(keys, candidate):  # noqa: B905 - same length by construction
            for marker in markers.get(key, ()):
                if value and (marker + value) in submit_line:
                    total += len(value)
                    break
        return total

    return score
