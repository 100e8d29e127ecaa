"""Slurm accounting (``sacct``) as wide events: one event per known time of each job and step.

Two ways in:

* **Run sacct** (``read(None, jobs=[...])``): ``sacct --parsable2`` with the wide field list
  :data:`SACCT_FIELDS`, free-text fields last, a delimiter that job names do not contain
  (``\\x1f``) and ``SLURM_TIME_FORMAT=%s``, so times are epoch seconds and no zone is guessed.
  The text form, not ``--json``: Slurm 22.05's ``sacct --json`` reports ``exit_code``
  ``SUCCESS``/0 for a job whose ``ExitCode`` is ``3:0`` (signals do come through), and the
  exit code is what a post-mortem needs most.
* **Read saved output** (``read("sacct.txt")``): ``sacct -P``/``--parsable2`` with a header
  line (any fields, any order, ``|`` or another ``--delimiter``), or ``sacct --json`` (the
  22.05 and the 23.02+ layouts). Saved text times are local time without a zone: ``tz``.

Events: ``job_submit``, ``job_eligible``, ``job_start``, ``job_end`` for a job (allocation)
row and ``step_start``, ``step_end`` for a step row, each at its own time and each carrying
every field of the row (a step also carries its job's user, partition, name...). Keys:
``slurm.jobid`` as Slurm prints it (``33``, ``37_3``, ``37_[3-9]``, ``7+0``), ``slurm.step``
(``batch``, ``extern``, ``0``), ``slurm.jobid_raw``; numbers parsed (``slurm.exit_code``,
``slurm.exit_signal``, ``slurm.elapsed_s``, ``slurm.max_rss_bytes``...); node lists expanded
(``linux.hostname`` for one node, ``slurm.nodes`` for several).

Example::

    from importers.sources import sacct
    for rec in sacct.read("fixtures/slurm/sacct_P_local.txt", tz="UTC"):
        print(rec["ev.event"], rec["slurm.jobid"], rec.get("slurm.state"))
    events = list(sacct.read(None, jobs=["34", "37"]))     # runs sacct itself
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..core.errors import CommandFailed, UnusableInput
from ..core.lineformat import read_lines
from ..core.record import (
    CREATED,
    EVENT,
    FORMATTED,
    LEVELNAME,
    LEVELNO,
    LEVELS,
    LINUX_HOSTNAME,
    NAME,
    ORIGIN,
    SOURCE,
    UNKNOWN_VALUES,
    unparsed,
)
from ..core.report import BAD_TIMESTAMP, COMMAND_FAILED, UNPARSED_LINE, ImportReport
from ..core.timezones import NaiveTimeConverter, resolve_zone
from . import slurm_fields as sf

SOURCE_NAME = "sacct"
RECORD_NAME = "slurm.sacct"
DELIMITER = "\x1f"  # ASCII unit separator: what we ask sacct for; saved files use "|"

# What ``ev-import sacct`` asks for when it runs sacct itself: every field of 22.05's
# ``sacct --helpformat`` a post-mortem needs (22.05 has no ArrayJobID/ArrayTaskID/HetJobID:
# they are parsed out of JobID). Free-text fields come last, so a delimiter inside one of
# them can only lengthen the tail of a row.
SACCT_FIELDS = (
    "JobID", "JobIDRaw", "User", "UID", "Group", "Account", "Cluster", "Partition", "QOS",
    "State", "ExitCode", "DerivedExitCode", "Reason", "Priority", "Submit", "Eligible", "Start",
    "End", "Elapsed", "ElapsedRaw", "Timelimit", "TimelimitRaw", "Suspended", "NNodes", "NCPUS",
    "AllocCPUS", "ReqCPUS", "ReqMem", "ReqTRES", "AllocTRES", "NTasks", "MaxRSS", "MaxRSSNode",
    "MaxVMSize", "AveRSS", "AveCPU", "TotalCPU", "UserCPU", "SystemCPU", "CPUTimeRAW", "NodeList",
    "Flags", "Reservation", "WorkDir", "JobName", "Comment", "SubmitLine",
)

# Keys of DESIGN §3 this importer writes.
JOBID = "slurm.jobid"
JOBID_RAW = "slurm.jobid_raw"
STEP = "slurm.step"
NODES = "slurm.nodes"
STATE = "slurm.state"
SUBMIT_TIME = "slurm.submit_time"
ELIGIBLE_TIME = "slurm.eligible_time"
START_TIME = "slurm.start_time"
END_TIME = "slurm.end_time"
QUEUE_WAIT = "slurm.queue_wait_s"

JOB_EVENTS = (
    ("job_submit", SUBMIT_TIME),
    ("job_eligible", ELIGIBLE_TIME),
    ("job_start", START_TIME),
    ("job_end", END_TIME),
)
STEP_EVENTS = (("step_start", START_TIME), ("step_end", END_TIME))

# A step row leaves these empty; it gets them from its job's row (which sacct prints first).
INHERITED = ("slurm.user", "slurm.uid", "slurm.group", "slurm.gid", "slurm.partition",
             "slurm.qos", "slurm.job_name", "slurm.work_dir", "slurm.comment",
             "slurm.priority", "slurm.cluster", "slurm.account")

# Free-text fields: may hold the delimiter. Put last when we choose the order.
FREE_TEXT = frozenset({"workdir", "jobname", "comment", "submitline", "admincomment",
                       "systemcomment", "constraints"})


# ---------------------------------------------------------------------------------------
# The field table: sacct field (lower case) -> (record key, kind). Data, run by _plan().
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
    "totalcpu": ("slurm.total_cpu", "duration"),
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


class _Converters:
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
        if value.isdigit():
            fields[key] = int(value)

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
        fields[key + "_s"] = seconds

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


def _plan(header: list[str], delimiter: str, conv: _Converters) -> _Plan:
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
    return _Plan(
        names=header, keys=tuple(keys), converters=tuple(converters), width=len(header),
        free=free, delimiter=delimiter, free_keys=tuple(keys[len(keys) - free:]),
    )


def _score_free_text(keys: tuple[str, ...]) -> Callable[[list[str]], int] | None:
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


# ---------------------------------------------------------------------------------------
# Events


def _describe(event: str, f: dict[str, Any]) -> str:
    jobid = f.get(JOBID, "?")
    if event.startswith("step_"):
        what = f"step {jobid}.{f.get(STEP, '?')} {f.get('slurm.step_name', '')}".rstrip()
    else:
        what = f"job {jobid} {f.get('slurm.job_name', '')}".rstrip()
    if event == "job_submit":
        return f"{what} submitted by {f.get('slurm.user', '?')} to {f.get('slurm.partition', '?')}"
    if event == "job_eligible":
        return f"{what} eligible to run"
    if event in ("job_start", "step_start"):
        where = f.get(LINUX_HOSTNAME) or f.get("slurm.nodelist") or "?"
        text = f"{what} started on {where}"
        wait = f.get(QUEUE_WAIT)
        return text if wait is None else f"{text} after {_hms(wait)} in the queue"
    state = f.get(STATE, "?")
    code = f.get("slurm.exit_code")
    exit_text = "" if code is None else f" exit {code}:{f.get('slurm.exit_signal', 0)}"
    elapsed = f.get("slurm.elapsed_s")
    ran = "" if elapsed is None else f" after {_hms(elapsed)}"
    return f"{what} ended {state}{exit_text}{ran}"


def _hms(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}h{minutes:02d}m{secs:02d}s" if hours or days else f"{minutes}m{secs:02d}s"
    return f"{days}d{text}" if days else text


class _Emitter:
    """Fields of one row -> its events; remembers the last job row for its steps."""

    def __init__(self, origin: str, track: bool = False) -> None:
        self.origin = origin
        self.job: dict[str, Any] = {}
        # ids of the jobs seen, only when a query by id must tell which ids were missing
        self.seen: set[str] | None = set() if track else None

    def events(self, fields: dict[str, Any], lineno: int | None = None) -> Iterator[dict]:
        if STEP in fields:
            job = self.job
            if job.get(JOBID) == fields.get(JOBID):
                if "slurm.job_name" in fields:
                    fields["slurm.step_name"] = fields.pop("slurm.job_name")
                for key in INHERITED:
                    if key not in fields and key in job:
                        fields[key] = job[key]
            elif "slurm.job_name" in fields:
                fields["slurm.step_name"] = fields.pop("slurm.job_name")
            events = STEP_EVENTS
            timeless = "step_start"
        else:
            self.job = fields
            if self.seen is not None:
                for key in (JOBID, JOBID_RAW, "slurm.array_job_id", "slurm.het_job_id"):
                    if key in fields:
                        self.seen.add(fields[key])
            start = fields.get(START_TIME)
            submit = fields.get(SUBMIT_TIME)
            if start.__class__ is float and submit.__class__ is float:
                fields[QUEUE_WAIT] = start - submit
            events = JOB_EVENTS
            timeless = "job_submit"
        if lineno is not None:
            fields["ev.lineno"] = lineno
        origin = self.origin
        emitted = False
        for event, time_key in events:
            created = fields.get(time_key)
            if created is None:
                continue
            emitted = True
            levelname = sf.level_of(fields.get(STATE)) if event.endswith("_end") else "INFO"
            yield {
                CREATED: created,
                FORMATTED: _describe(event, fields),
                NAME: RECORD_NAME,
                LEVELNAME: levelname,
                LEVELNO: LEVELS[levelname],
                SOURCE: SOURCE_NAME,
                ORIGIN: origin,
                EVENT: event,
                **fields,
            }
        if not emitted:
            yield {
                FORMATTED: _describe(timeless, fields),
                NAME: RECORD_NAME,
                LEVELNAME: "INFO",
                LEVELNO: 20,
                SOURCE: SOURCE_NAME,
                ORIGIN: origin,
                EVENT: timeless,
                **fields,
            }


# ---------------------------------------------------------------------------------------
# Text (--parsable2 with a header)


def _header(line: str, where: str) -> tuple[list[str], str]:
    """The header line -> (field names, delimiter), or a clear error for other shapes."""
    for delimiter in (DELIMITER, "|"):
        if delimiter in line:
            names = line.split(delimiter)
            break
    else:
        names = [line.strip()]
        delimiter = "|"
    lowered = [n.strip().lower() for n in names]
    if names and names[0].strip() == "JOBID":
        raise UnusableInput("this is squeue output, not sacct", where,
                            "import it with ev-import squeue --file")
    if "jobid" not in lowered:
        stripped = line.split()
        if stripped[:1] == ["JobID"] or "JobID" in stripped:
            raise UnusableInput(
                "sacct output in fixed-width columns (values may be cut)", where,
                "save it with sacct -P (--parsable2) so every value is whole",
            )
        if stripped[:1] == ["JOBID"] or (names and names[0].strip() == "JOBID"):
            raise UnusableInput("this is squeue output, not sacct", where,
                                "import it with ev-import squeue --file")
        raise UnusableInput(
            "not sacct --parsable2 output with a header line", where,
            "save it with sacct -P -o JobID,... (without -n/--noheader), or sacct --json",
        )
    return [n.strip() for n in names], delimiter


def _rows(
    lines: Iterator[tuple[int, str, bool]], plan: _Plan, report: ImportReport,
) -> Iterator[tuple[int, list[str] | None, str]]:
    """(lineno, cells or None when unparsable, raw) per row. A line with too few cells that
    follows a row is a newline inside that row's last free-text field (a multi-line
    ``--wrap`` in SubmitLine): it is joined to it."""
    width = plan.width
    delimiter = plan.delimiter
    score = _score_free_text(plan.free_keys) if plan.free > 1 else None
    pending: tuple[int, list[str], str] | None = None
    for lineno, line, _bad in lines:
        cells = line.split(delimiter)
        if len(cells) < width and pending is not None and plan.free:
            p_lineno, p_cells, p_raw = pending
            p_cells[-1] += "\n" + cells[0]
            p_cells.extend(cells[1:])
            pending = (p_lineno, p_cells, p_raw + "\n" + line)
            continue
        if pending is not None:
            yield _fit(pending, plan, score, report)
        if not line.strip():
            pending = None
            continue
        pending = (lineno, cells, line)
    if pending is not None:
        yield _fit(pending, plan, score, report)


def _fit(row, plan: _Plan, score, report: ImportReport):
    """A row with more cells than the header: the free-text tail took a delimiter."""
    lineno, cells, raw = row
    if len(cells) == plan.width:
        return lineno, cells, raw
    if len(cells) > plan.width and plan.free:
        return lineno, sf.split_free_tail(cells, plan.width, plan.free, plan.delimiter,
                                          score), raw
    return lineno, None, raw


def _read_text(path: str, lines: Iterator[tuple[int, str, bool]], origin: str,
               tz: str | None, report: ImportReport,
               emitter: _Emitter) -> Iterator[dict[str, Any]]:
    first = next(lines, None)
    while first is not None and not first[1].strip():
        first = next(lines, None)
    if first is None:
        raise UnusableInput("empty sacct output", path,
                            "nothing to import: was the query's time window or job list right?")
    header, delimiter = _header(first[1], path)
    zone, zone_label = resolve_zone(tz)
    times = sf.Times(NaiveTimeConverter(zone))
    conv = _Converters(times, report)
    plan = _plan(header, delimiter, conv)
    keys = plan.keys
    converters = plan.converters
    unknown = UNKNOWN_VALUES
    emit = emitter.events
    guessed = plan.free > 1 and "slurm.submit_line" not in plan.free_keys
    for lineno, cells, raw in _rows(lines, plan, report):
        if cells is None:
            report.problem(UNPARSED_LINE, f"{Path(path).name} line {lineno}")
            yield unparsed(
                raw, source=SOURCE_NAME, origin=origin, name=RECORD_NAME, lineno=lineno,
                reason=f"expected {plan.width} '{delimiter}'-separated fields as in the "
                f"header, got {raw.count(delimiter) + 1}",
            )
            continue
        fields = {k: v for k, v in zip(keys, cells) if v and v not in unknown}  # noqa: B905
        for key, func in converters:
            value = fields.get(key)
            if value is not None:
                func(fields, key, value)
        if guessed and raw.count(delimiter) >= plan.width:
            fields["ev.raw"] = raw  # the split of the free text was a guess: keep the line
            report.assume("free text", f"a '{delimiter}' inside free-text fields was split "
                          "by guess (the line is kept in ev.raw)")
        yield from emit(fields, lineno)
    if times.saw_local:
        report.assume("zone", zone_label)
    if times.saw_epoch:
        report.assume("times", "epoch seconds" + (" (SLURM_TIME_FORMAT=%s)"
                                                   if origin.startswith("cmd:") else ""))


# ---------------------------------------------------------------------------------------
# JSON (sacct --json): 22.05 (openapi/dbv0.0.38) and 23.02+ (v0.0.39 onwards)


def _n(value: Any) -> Any:
    """Unwrap 23.02+'s ``{"set": .., "infinite": .., "number": ..}`` numbers."""
    if isinstance(value, dict) and "number" in value:
        if value.get("infinite"):
            return "UNLIMITED"
        if not value.get("set", True):
            return None
        return value.get("number")
    return value


def _first(value: Any) -> Any:
    """23.02+ gives states as lists (``["COMPLETED"]``); 22.05 as a string."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _json_exit(fields: dict, prefix: str, value: Any) -> None:
    if isinstance(value, int):  # a raw wait status
        fields[prefix + "_code"], fields[prefix + "_signal"] = sf.wait_status(value)
        return
    if not isinstance(value, dict):
        return
    status = _first(value.get("status"))
    fields[prefix + "_status"] = status
    code = _n(value.get("return_code"))
    signal = value.get("signal") or {}
    signal_id = _n(signal.get("signal_id", signal.get("id")))
    if status == "SIGNALED" and signal_id is not None:
        fields[prefix + "_code"] = 0 if code is None else code
        fields[prefix + "_signal"] = signal_id
        if signal.get("name"):
            fields[prefix + "_signal_name"] = signal["name"]
    elif code is not None:
        fields[prefix + "_code"] = code
        fields[prefix + "_signal"] = signal_id or 0


def _json_time(fields: dict, key: str, value: Any) -> None:
    value = _n(value)
    if isinstance(value, (int, float)) and value > 0:
        fields[key] = float(value)


def _cpu_seconds(value: Any) -> float | None:
    if isinstance(value, dict) and "seconds" in value:
        return (_n(value.get("seconds")) or 0) + (_n(value.get("microseconds")) or 0) / 1e6
    return None


def _tres(items: Any) -> str | None:
    if not isinstance(items, list) or not items:
        return None
    parts = []
    for item in items:
        count = _n(item.get("count"))
        if count is None:
            continue
        kind = item.get("type", "?") + (f"/{item['name']}" if item.get("name") else "")
        parts.append(f"{kind}={count}{'M' if item.get('type') == 'mem' else ''}")
    return ",".join(parts) or None


def _tres_max(step: dict, kind: str) -> tuple[int, str | None] | None:
    tres = (step.get("tres") or {}).get("requested") or {}
    for item in tres.get("max") or ():
        if item.get("type") == kind and _n(item.get("count")) is not None:
            return _n(item["count"]), item.get("node")
    return None


def _tres_ave(step: dict, kind: str) -> int | None:
    tres = (step.get("tres") or {}).get("requested") or {}
    for item in tres.get("average") or ():
        if item.get("type") == kind:
            return _n(item.get("count"))
    return None


def _node_fields(fields: dict, nodes: Any, conv: _Converters) -> None:
    if isinstance(nodes, dict):
        nodes = nodes.get("range")
    if isinstance(nodes, str) and nodes and nodes != "None assigned":
        fields["slurm.nodelist"] = nodes
        conv.nodelist(fields, "slurm.nodelist", nodes)


def _json_job_fields(job: dict, conv: _Converters) -> dict[str, Any]:
    f: dict[str, Any] = {}
    raw = str(job.get("job_id"))
    array = job.get("array") or {}
    het = job.get("het") or {}
    array_job = _n(array.get("job_id")) or 0
    task = _n(array.get("task_id"))
    task_range = array.get("task")
    het_job = _n(het.get("job_id")) or 0
    het_offset = _n(het.get("job_offset"))
    if array_job and task is not None:
        printed = f"{array_job}_{task}"
    elif isinstance(task_range, str) and task_range:
        printed = f"{raw}_[{task_range}]"
    elif het_job and het_offset is not None:
        printed = f"{het_job}+{het_offset}"
    else:
        printed = raw
    conv.jobid(f, JOBID, printed)
    f[JOBID_RAW] = raw
    for key, value in (
        ("slurm.job_name", job.get("name")), ("slurm.user", job.get("user")),
        ("slurm.group", job.get("group")), ("slurm.account", job.get("account")),
        ("slurm.cluster", job.get("cluster")), ("slurm.partition", job.get("partition")),
        ("slurm.qos", job.get("qos")), ("slurm.priority", _n(job.get("priority"))),
        ("slurm.work_dir", job.get("working_directory")),
        ("slurm.submit_line", job.get("submit_line")),
        ("slurm.nnodes", job.get("allocation_nodes")),
        ("slurm.constraints", job.get("constraints")),
    ):
        f[key] = value
    comment = job.get("comment")
    f["slurm.comment"] = comment.get("job") if isinstance(comment, dict) else comment
    state = job.get("state") or {}
    f[STATE] = _first(state.get("current"))
    f["slurm.reason"] = state.get("reason")
    _json_exit(f, "slurm.exit", job.get("exit_code"))
    _json_exit(f, "slurm.derived_exit", job.get("derived_exit_code"))
    times = job.get("time") or {}
    for key, name in ((SUBMIT_TIME, "submission"), (ELIGIBLE_TIME, "eligible"),
                      (START_TIME, "start"), (END_TIME, "end")):
        _json_time(f, key, times.get(name))
    f["slurm.elapsed_s"] = _n(times.get("elapsed"))
    limit = _n(times.get("limit"))
    if isinstance(limit, int):
        f["slurm.timelimit_s"] = limit * 60
        f["slurm.timelimit_raw"] = limit
    elif limit is None or limit == "UNLIMITED":
        f["slurm.timelimit"] = "UNLIMITED"
    f["slurm.suspended_s"] = _n(times.get("suspended"))
    for key, name in (("slurm.total_cpu_s", "total"), ("slurm.user_cpu_s", "user"),
                      ("slurm.system_cpu_s", "system")):
        f[key] = _cpu_seconds(times.get(name))
    required = job.get("required") or {}
    f["slurm.req_cpus"] = _n(required.get("CPUs"))
    mem = _n(required.get("memory"))
    if isinstance(mem, int):
        f["slurm.req_mem_bytes"] = mem << 20
    for name, per in (("memory_per_node", "node"), ("memory_per_cpu", "cpu")):
        value = _n(required.get(name))
        if isinstance(value, int) and value:
            f["slurm.req_mem_bytes"] = value << 20
            f["slurm.req_mem_per"] = per
    tres = job.get("tres") or {}
    f["slurm.alloc_tres"] = _tres(tres.get("allocated"))
    f["slurm.req_tres"] = _tres(tres.get("requested"))
    flags = job.get("flags")
    f["slurm.flags"] = flags or None
    _node_fields(f, job.get("nodes"), conv)
    return {k: v for k, v in f.items() if v is not None and not (
        v.__class__ is str and v in UNKNOWN_VALUES)}


def _json_step_fields(step: dict, job_fields: dict, conv: _Converters) -> dict[str, Any]:
    f: dict[str, Any] = {JOBID: job_fields.get(JOBID), JOBID_RAW: job_fields.get(JOBID_RAW)}
    ident = step.get("step") or {}
    step_id = ident.get("id")
    if isinstance(step_id, str) and "." in step_id:  # 23.02+: "33.batch"
        step_id = step_id.rsplit(".", 1)[1]
    f[STEP] = None if step_id is None else str(step_id)
    f["slurm.job_name"] = ident.get("name")
    f[STATE] = _first(step.get("state"))
    _json_exit(f, "slurm.exit", step.get("exit_code"))
    times = step.get("time") or {}
    for key, name in ((START_TIME, "start"), (END_TIME, "end")):
        _json_time(f, key, times.get(name))
    f["slurm.elapsed_s"] = _n(times.get("elapsed"))
    for key, name in (("slurm.total_cpu_s", "total"), ("slurm.user_cpu_s", "user"),
                      ("slurm.system_cpu_s", "system")):
        f[key] = _cpu_seconds(times.get(name))
    nodes = step.get("nodes") or {}
    f["slurm.nnodes"] = _n(nodes.get("count")) if isinstance(nodes, dict) else None
    f["slurm.ntasks"] = _n((step.get("tasks") or {}).get("count"))
    rss = _tres_max(step, "mem")
    if rss:
        f["slurm.max_rss_bytes"], f["slurm.max_rss_node"] = rss
    vmem = _tres_max(step, "vmem")
    if vmem:
        f["slurm.max_vmsize_bytes"] = vmem[0]
    f["slurm.ave_rss_bytes"] = _tres_ave(step, "mem")
    f["slurm.alloc_tres"] = _tres((step.get("tres") or {}).get("allocated"))
    _node_fields(f, nodes, conv)
    for key in ("slurm.array_job_id", "slurm.array_task_id", "slurm.het_job_id",
                "slurm.het_job_offset"):
        if key in job_fields:
            f[key] = job_fields[key]
    return {k: v for k, v in f.items() if v is not None and not (
        v.__class__ is str and v in UNKNOWN_VALUES)}


def json_layout(doc: dict) -> str:
    """Which ``sacct --json`` layout a document has, for the summary."""
    meta = doc.get("meta") or {}
    plugin = (meta.get("plugin") or {}).get("type") or (meta.get("plugins") or {}).get(
        "data_parser") or "?"
    slurm = meta.get("Slurm") or meta.get("slurm") or {}
    release = slurm.get("release") or "?"
    return f"sacct --json ({plugin}, Slurm {release})"


def _read_json(path: str, data: bytes, origin: str, report: ImportReport,
               emitter: _Emitter) -> Iterator[dict[str, Any]]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UnusableInput("not valid JSON", path,
                            f"{exc}; save it again with sacct --json") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), list):
        raise UnusableInput("JSON without a jobs list, not sacct --json output", path,
                            "save it with sacct --json")
    report.assume("format", json_layout(doc))
    report.assume("exit codes", "as the JSON says (Slurm 22.05's sacct --json reports a "
                  "plain non-zero exit as 0; see docs/slurm.md)")
    conv = _Converters(sf.Times(NaiveTimeConverter(resolve_zone("UTC")[0])), report)
    for error in doc.get("errors") or ():
        report.problem(COMMAND_FAILED, f"sacct reported: {error}")
    for job in doc["jobs"]:
        try:
            fields = _json_job_fields(job, conv)
        except (TypeError, ValueError, AttributeError) as exc:
            report.problem(UNPARSED_LINE, f"{Path(path).name} job {job.get('job_id')!s}")
            yield unparsed(orjson.dumps(job).decode(), source=SOURCE_NAME, origin=origin,
                           name=RECORD_NAME, reason=f"unexpected sacct --json job: {exc}")
            continue
        steps = job.get("steps") or ()
        yield from emitter.events(fields)
        for step in steps:
            try:
                step_fields = _json_step_fields(step, fields, conv)
            except (TypeError, ValueError, AttributeError) as exc:
                report.problem(UNPARSED_LINE, f"{Path(path).name} job {fields.get(JOBID)} step")
                yield unparsed(orjson.dumps(step).decode(), source=SOURCE_NAME, origin=origin,
                               name=RECORD_NAME, reason=f"unexpected sacct --json step: {exc}")
                continue
            yield from emitter.events(step_fields)


# ---------------------------------------------------------------------------------------
# Entry points


def read_file(path: str | os.PathLike, *, tz: str | None = None,
              report: ImportReport | None = None) -> Iterator[dict[str, Any]]:
    """Saved ``sacct -P`` (with header) or ``sacct --json`` output -> events."""
    report = report if report is not None else ImportReport()
    path = str(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise UnusableInput("cannot read", path,
                            exc.strerror or "check that it exists and is readable") from None
    emitter = _Emitter(path)
    if head.lstrip()[:1] == b"{":
        with open(path, "rb") as fh:
            data = fh.read()
        yield from _read_json(path, data, emitter.origin, report, emitter)
        return
    if not head.strip():
        raise UnusableInput("empty file, not sacct output", path,
                            "save sacct -P output (with its header line) or sacct --json")
    delimiter = "\\x1f" if DELIMITER.encode() in head.split(b"\n", 1)[0] else "|"
    report.assume("format", f"sacct --parsable2 with header (delimiter {delimiter})")
    yield from _read_text(path, read_lines(path, report), emitter.origin, tz, report, emitter)


def command(*, jobs: Iterable[str] = (), starttime: str | None = None,
            endtime: str | None = None, user: str | None = None, allusers: bool = False,
            sacct: str = "sacct") -> list[str]:
    """The sacct argument list ``ev-import sacct`` runs (no shell is involved)."""
    argv = [sacct, "--parsable2", f"--delimiter={DELIMITER}",
            "--format=" + ",".join(SACCT_FIELDS)]
    jobs = [j for j in jobs if j]
    if jobs:
        argv.append("--jobs=" + ",".join(jobs))
    if starttime:
        argv.append(f"--starttime={starttime}")
    if endtime:
        argv.append(f"--endtime={endtime}")
    if user:
        argv.append(f"--user={user}")
    if allusers:
        argv.append("--allusers")
    return argv


def shown(argv: list[str]) -> str:
    """The command as a user would type it (the delimiter written as ``$'\\x1f'``)."""
    return "cmd:" + " ".join(
        a.replace(DELIMITER, "$'\\x1f'") if DELIMITER in a else shlex.quote(a) for a in argv
    )


_DB_DOWN = ("Unable to connect to database", "slurm_persist_conn_open",
            "Problem talking to the database", "Connection refused")


def _failure(argv: list[str], stderr: str, rc: int) -> CommandFailed:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    said = lines[-1] if lines else f"exit status {rc}"
    where = " ".join(a for a in argv if not a.startswith(("--format=", "--delimiter=")))
    if any(marker in stderr for marker in _DB_DOWN):
        return CommandFailed(
            "sacct cannot reach the Slurm accounting database (slurmdbd)", where,
            f"is slurmdbd running and reachable? sacct said: {said}",
        )
    if "Bad job/step specified" in stderr:
        return CommandFailed("sacct rejected a job id", where,
                             f"give ids such as 123, 123_4 or 123.batch; sacct said: {said}")
    if "Invalid field requested" in stderr:
        return CommandFailed("this sacct does not know a field ev-import asks for", where,
                             f"sacct said: {said}; save sacct -P output with the fields it "
                             "has and import it with --file")
    return CommandFailed("sacct failed", where, f"exit status {rc}: {said}")


def run(*, jobs: Iterable[str] = (), starttime: str | None = None, endtime: str | None = None,
        user: str | None = None, allusers: bool = False, report: ImportReport | None = None,
        sacct: str = "sacct") -> Iterator[dict[str, Any]]:
    """Run sacct (text form, epoch times) and yield the events of what it prints, streamed.

    Raises :class:`CommandFailed` when sacct is missing, fails before printing a row, or
    none of the requested jobs exists; a partial failure is counted in ``report``.
    """
    report = report if report is not None else ImportReport()
    jobs = [j.strip() for j in jobs if j and j.strip()]
    argv = command(jobs=jobs, starttime=starttime, endtime=endtime, user=user,
                   allusers=allusers, sacct=sacct)
    origin = shown(argv)
    env = {**os.environ, "SLURM_TIME_FORMAT": "%s"}
    report.assume("format", "sacct --parsable2 (ran it)")
    if not jobs and not starttime:
        report.assume("window", "sacct's default (jobs since 00:00 today)")
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env,
                                    stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise CommandFailed(
                "sacct not found", sacct,
                "run where the Slurm client is installed (Debian: slurm-client), or save "
                "sacct -P output there and import it with --file",
            ) from None
        except PermissionError:
            raise CommandFailed("sacct cannot be run", sacct, "check its permissions") from None
        emitter = _Emitter(origin, track=bool(jobs))
        count = 0
        try:
            lines = _pipe_lines(proc.stdout, report)
            first = next(lines, None)
            if first is not None:
                chained = _chain(first, lines)
                for rec in _read_text(origin, chained, origin, "UTC", report, emitter):
                    count += 1
                    yield rec
        finally:
            proc.stdout.close()
            rc = proc.wait()
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
        if rc != 0:
            failure = _failure(argv, stderr, rc)
            if count == 0:
                raise failure
            report.problem(COMMAND_FAILED, failure.line())
            return
        if first is None:
            raise _failure(argv, stderr or "sacct printed nothing", 1)
        missing = [j for j in jobs if j.partition(".")[0] not in emitter.seen]
        if missing and count == 0:
            raise CommandFailed(
                "no such job in Slurm accounting", ",".join(missing),
                "check the id; sacct only knows jobs that slurmdbd recorded and has not purged",
            )
        for job in missing:
            report.problem(COMMAND_FAILED, f"job {job} not in Slurm accounting")


def _pipe_lines(stream, report: ImportReport) -> Iterator[tuple[int, str, bool]]:
    for lineno, raw in enumerate(stream, 1):
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        try:
            yield lineno, raw.decode("utf-8"), False
        except UnicodeDecodeError:
            yield lineno, raw.decode("utf-8", "replace"), True


def _chain(first, rest):
    yield first
    yield from rest


def read(source: str | os.PathLike | None = None, *, jobs: Iterable[str] = (),
         starttime: str | None = None, endtime: str | None = None, user: str | None = None,
         allusers: bool = False, tz: str | None = None, report: ImportReport | None = None,
         sacct: str = "sacct") -> Iterator[dict[str, Any]]:
    """Saved output (``source`` a path) or a live query (``source`` None) -> events."""
    if source is not None:
        return read_file(source, tz=tz, report=report)
    return run(jobs=jobs, starttime=starttime, endtime=endtime, user=user, allusers=allusers,
               report=report, sacct=sacct)
