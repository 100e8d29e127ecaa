"""Slurm's queue (``squeue``) snapshots as wide events.

Each snapshot gives one ``job_snapshot`` event per job, at the snapshot's time, with the job's
state and pending reason (``Priority``, ``Dependency``, ``DependencyNeverSatisfied``,
``BeginTime``, ``JobHeldUser``...). Across several snapshots, a job whose state or reason
differs from the previous snapshot that showed it also gets a ``job_state_change`` event
(``PENDING -> RUNNING`` seen between t1 and t2: ``slurm.prev_snapshot_time`` t1 and
``created`` t2, with ``slurm.prev_state`` / ``slurm.prev_reason``).

Inputs: ``squeue --json`` (22.05's flat layout and 23.02+'s, with their wrapped numbers), or
text with a header line: ``-o`` formats separated by ``|`` (or ``\\x1f``), or the default
whitespace columns. The snapshot time comes from the JSON's own ``last_update`` (23.02+),
else ``at`` (``--at``), else the file's mtime, and the report says which. Run live,
``squeue --json`` is taken (falling back to a wide ``-o`` format when JSON is missing) and the
snapshot time is the time it was taken.

Example::

    from importers.sources import squeue
    for rec in squeue.read(["q1.json", "q2.json"], at=None, tz="UTC"):
        print(rec["ev.event"], rec["slurm.jobid"], rec["slurm.state"], rec.get("slurm.reason"))
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from ..core.errors import CommandFailed, UnusableInput
from ..core.record import (
    CREATED,
    EVENT,
    FORMATTED,
    LEVELNAME,
    LEVELNO,
    LINUX_HOSTNAME,
    NAME,
    ORIGIN,
    SOURCE,
    UNKNOWN_VALUES,
    unparsed,
)
from ..core.report import UNPARSED_LINE, ImportReport
from ..core.timezones import NaiveTimeConverter, resolve_zone
from . import slurm_fields as sf

SOURCE_NAME = "squeue"
RECORD_NAME = "slurm.squeue"
DELIMITER = "\x1f"

JOBID = "slurm.jobid"
STATE = "slurm.state"
REASON = "slurm.reason"
SNAPSHOT_TIME = "slurm.snapshot_time"

# The -o format ev-import uses when squeue has no --json; free text (work dir, name,
# comment) last. The same fields as fixtures/slurm/squeue_*.txt.
SQUEUE_FORMAT = DELIMITER.join(
    ["%i", "%A", "%F", "%K", "%u", "%a", "%P", "%T", "%r", "%V", "%S", "%e", "%M", "%l", "%L",
     "%D", "%C", "%m", "%Q", "%E", "%R", "%Z", "%j", "%k"]
)

# Text header -> (record key, kind). The first JOBID is %i (as printed), a second %A (raw).
HEADERS: dict[str, tuple[str, str]] = {
    "JOBID": (JOBID, "jobid"),
    "ARRAY_JOB_ID": ("slurm.array_job_id", "str"),
    "ARRAY_TASK_ID": ("slurm.array_task", "str"),
    "USER": ("slurm.user", "str"),
    "UID": ("slurm.uid", "int"),
    "ACCOUNT": ("slurm.account", "str"),
    "PARTITION": ("slurm.partition", "str"),
    "QOS": ("slurm.qos", "str"),
    "STATE": (STATE, "state"),
    "ST": (STATE, "compact_state"),
    "REASON": (REASON, "str"),
    "SUBMIT_TIME": ("slurm.submit_time", "time"),
    "START_TIME": ("slurm.start_time", "time"),
    "END_TIME": ("slurm.end_time", "time"),
    "TIME": ("slurm.elapsed", "duration"),
    "TIME_LIMIT": ("slurm.timelimit", "duration"),
    "TIME_LEFT": ("slurm.time_left", "duration"),
    "NODES": ("slurm.nnodes", "int"),
    "CPUS": ("slurm.ncpus", "int"),
    "MIN_MEMORY": ("slurm.min_memory", "memory"),
    "PRIORITY": ("slurm.priority", "int"),
    "DEPENDENCY": ("slurm.dependency", "str"),
    "NODELIST(REASON)": ("slurm.nodelist", "nodelist_reason"),
    "NODELIST": ("slurm.nodelist", "nodelist_reason"),
    "WORK_DIR": ("slurm.work_dir", "str"),
    "NAME": ("slurm.job_name", "str"),
    "COMMENT": ("slurm.comment", "str"),
}
FREE_TEXT = frozenset({"WORK_DIR", "NAME", "COMMENT"})
NO_VALUE = frozenset({"N/A", "(null)", "NONE", "n/a"}) | sf.NO_TIME


# ---------------------------------------------------------------------------------------
# Snapshots -> job field dicts


def _n(value: Any) -> Any:
    if isinstance(value, dict) and "number" in value:
        if value.get("infinite"):
            return "UNLIMITED"
        if not value.get("set", True):
            return None
        return value.get("number")
    return value


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _json_job(job: dict, nodes: sf.NodeLists) -> dict[str, Any]:
    f: dict[str, Any] = {}
    raw = str(_n(job.get("job_id")))
    array_job = _n(job.get("array_job_id")) or 0
    task = _n(job.get("array_task_id"))
    task_string = job.get("array_task_string") or ""
    het_job = _n(job.get("het_job_id")) or 0
    het_offset = _n(job.get("het_job_offset"))
    if array_job and task is not None:
        printed = f"{array_job}_{task}"
    elif array_job and task_string:
        printed = f"{array_job}_[{task_string}]"
    elif het_job:
        printed = f"{het_job}+{het_offset or 0}"
    else:
        printed = raw
    for part, value in sf.job_id(printed).items():
        f["slurm." + part] = value
    f["slurm.jobid_raw"] = raw
    f[STATE] = _first(job.get("job_state"))
    f[REASON] = job.get("state_reason")
    for key, name in (("slurm.user", "user_name"), ("slurm.uid", "user_id"),
                      ("slurm.group", "group_name"), ("slurm.account", "account"),
                      ("slurm.partition", "partition"), ("slurm.qos", "qos"),
                      ("slurm.job_name", "name"), ("slurm.comment", "comment"),
                      ("slurm.priority", "priority"), ("slurm.dependency", "dependency"),
                      ("slurm.work_dir", "current_working_directory"),
                      ("slurm.nnodes", "node_count"), ("slurm.ncpus", "cpus"),
                      ("slurm.batch_host", "batch_host"), ("slurm.cluster", "cluster")):
        value = _n(job.get(name))
        if value is not None and value != "":
            f[key] = value
    for key, name in (("slurm.submit_time", "submit_time"),
                      ("slurm.eligible_time", "eligible_time"),
                      ("slurm.start_time", "start_time"), ("slurm.end_time", "end_time")):
        value = _n(job.get(name))
        if isinstance(value, (int, float)) and value > 0:
            f[key] = float(value)
    limit = _n(job.get("time_limit"))
    if isinstance(limit, int):
        f["slurm.timelimit_s"] = limit * 60
    elif limit == "UNLIMITED":
        f["slurm.timelimit"] = "UNLIMITED"
    for prefix, name in (("slurm.exit", "exit_code"), ("slurm.derived_exit", "derived_exit_code")):
        value = job.get(name)
        if isinstance(value, int):  # 22.05: the raw wait status (768 = exit 3)
            f[prefix + "_code"], f[prefix + "_signal"] = sf.wait_status(value)
            f[prefix + "_status_raw"] = value
        elif isinstance(value, dict):  # 23.02+: {"status": [...], "return_code": {...}, ...}
            code = _n(value.get("return_code"))
            signal = value.get("signal") or {}
            signal_id = _n(signal.get("id", signal.get("signal_id")))
            if code is not None:
                f[prefix + "_code"] = code
            f[prefix + "_signal"] = signal_id or 0
            f[prefix + "_status"] = _first(value.get("status"))
    for per, name in (("node", "memory_per_node"), ("cpu", "memory_per_cpu")):
        value = _n(job.get(name))
        if isinstance(value, int) and value:
            f["slurm.min_memory_bytes"] = value << 20
            f["slurm.min_memory_per"] = per
    flags = job.get("flags")
    if flags:
        f["slurm.flags"] = flags
    node_text = job.get("nodes")
    if isinstance(node_text, str) and node_text:
        f["slurm.nodelist"] = node_text
        _expand(f, node_text, nodes)
    return {k: v for k, v in f.items()
            if v is not None and not (v.__class__ is str and v in UNKNOWN_VALUES)}


def _expand(f: dict, text: str, nodes: sf.NodeLists) -> None:
    try:
        hosts = nodes.expand(text)
    except ValueError:
        return
    if len(hosts) == 1:
        f[LINUX_HOSTNAME] = hosts[0]
    else:
        f["slurm.nodes"] = hosts


class _TextPlan:
    def __init__(self, header: list[str], delimiter: str | None) -> None:
        self.header = header
        self.delimiter = delimiter
        self.width = len(header)
        self.specs: list[tuple[str, str]] = []
        seen_jobid = False
        for name in header:
            if name == "JOBID" and seen_jobid:
                self.specs.append(("slurm.jobid_raw", "str"))
                continue
            seen_jobid = seen_jobid or name == "JOBID"
            self.specs.append(HEADERS.get(name, ("slurm." + sf.snake(name), "str")))
        free = 0
        for name in reversed(header):
            if name not in FREE_TEXT:
                break
            free += 1
        self.free = free


def _text_job(cells: list[str], plan: _TextPlan, times: sf.Times,
              nodes: sf.NodeLists) -> dict[str, Any]:
    f: dict[str, Any] = {}
    for (key, kind), value in zip(plan.specs, cells):  # noqa: B905 - widths checked
        value = value.strip() if plan.delimiter is None else value
        if value in NO_VALUE or value in UNKNOWN_VALUES:
            continue
        if kind == "str":
            f[key] = value
        elif kind == "jobid":
            for part, part_value in sf.job_id(value).items():
                f["slurm." + part] = part_value
        elif kind == "int":
            f[key] = int(value) if value.isdigit() else value
        elif kind == "state":
            f[key] = value
        elif kind == "compact_state":
            f[key] = sf.COMPACT_STATES.get(value, value)
        elif kind == "time":
            parsed = times.parse(value)
            if parsed is not None:
                f[key] = parsed
        elif kind == "duration":
            if value in sf.DURATION_WORDS:
                f[key] = value
            else:
                f[key + "_s"] = sf.duration(value)
        elif kind == "memory":
            f[key + "_bytes"], per = sf.memory(value)
            if per:
                f[key + "_per"] = per
        elif kind == "nodelist_reason":
            if value.startswith("("):
                if value.strip("()") not in UNKNOWN_VALUES:
                    f.setdefault(REASON, value.strip("()"))
            else:
                f[key] = value
                _expand(f, value, nodes)
    task = f.pop("slurm.array_task", None)
    if task is None and "slurm.array_task_id" not in f and "slurm.array_task_range" not in f:
        f.pop("slurm.array_job_id", None)  # %F prints the job's own id for a non-array job
    if task is not None and "slurm.array_task_id" not in f and "slurm.array_task_range" not in f:
        if task.isdigit():
            f["slurm.array_task_id"] = int(task)
        else:
            f["slurm.array_task_range"] = task
    if f.get(STATE) == "PENDING" and "slurm.start_time" in f:
        f["slurm.expected_start_time"] = f.pop("slurm.start_time")
        f.pop("slurm.end_time", None)
    return f


# ---------------------------------------------------------------------------------------
# One snapshot = (time, how the time was found, origin, job dicts)


def _snapshot_time_from_json(doc: dict) -> float | None:
    for key in ("last_update", "last_backfill"):
        value = _n(doc.get(key))
        if isinstance(value, (int, float)) and value > 0:
            return float(value)
    return None


def _json_jobs(doc: dict, nodes: sf.NodeLists) -> list[dict[str, Any]]:
    return [_json_job(job, nodes) for job in doc.get("jobs") or ()]


def _text_jobs(path: str, text: str, times: sf.Times, nodes: sf.NodeLists,
               report: ImportReport) -> list[tuple[int, dict[str, Any] | None, str]]:
    lines = text.split("\n")
    header_line = lines[0] if lines else ""
    if DELIMITER in header_line:
        delimiter: str | None = DELIMITER
    elif "|" in header_line:
        delimiter = "|"
    else:
        delimiter = None
    header = header_line.split(delimiter) if delimiter else header_line.split()
    header = [h.strip() for h in header]
    if "JOBID" not in header:
        raise UnusableInput(
            "not squeue output with a header line", path,
            "save squeue --json, or squeue -o '%i|%T|%r|...' without -h/--noheader",
        )
    plan = _TextPlan(header, delimiter)
    out = []
    for lineno, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        cells = line.split(delimiter) if delimiter else line.split()
        if delimiter and len(cells) > plan.width and plan.free:
            cells = sf.split_free_tail(cells, plan.width, plan.free, delimiter,
                                       _free_text_score(plan, delimiter))
            guessed = plan.free > 1
        else:
            guessed = False
        if len(cells) != plan.width:
            out.append((lineno, None, line))
            continue
        try:
            job = _text_job(cells, plan, times, nodes)
        except ValueError:
            out.append((lineno, None, line))
            continue
        if guessed:
            job["ev.raw"] = line
            report.assume("free text", "a '|' inside NAME/COMMENT was split by guess "
                          "(the line is kept in ev.raw)")
        out.append((lineno, job, line))
    return out


def _free_text_score(plan: _TextPlan, delimiter: str):
    """squeue prints no submit line to check a split against: a work dir rarely holds a
    ``|``, and names and comments share the extra cells evenly (marked as a guess)."""
    names = plan.header[plan.width - plan.free:]

    def score(candidate: list[str]) -> int:
        total = 0
        worst = 0
        for name, value in zip(names, candidate):  # noqa: B905 - same length
            count = value.count(delimiter)
            if name == "WORK_DIR":
                total -= 1000 * count
            worst = max(worst, count)
        return total - worst

    return score


def _mtime(path: str) -> float:
    return os.stat(path).st_mtime


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------
# Events


def _describe_snapshot(f: dict[str, Any]) -> str:
    reason = f.get(REASON)
    tail = f" ({reason})" if reason and reason != "None" else ""
    return f"job {f.get(JOBID, '?')} {f.get('slurm.job_name', '')} {f.get(STATE, '?')}{tail}"


def _events(snapshots, report: ImportReport,
            last: dict | None = None) -> Iterator[dict[str, Any]]:
    """Snapshots in time order -> job_snapshot events, and job_state_change between them.

    ``last`` (job id -> state, reason, time of the last snapshot showing it) carries over
    between calls, for live snapshots taken one at a time."""
    last = {} if last is None else last
    for when, origin, jobs in snapshots:
        for lineno, job, raw in jobs:
            if job is None:
                report.problem(UNPARSED_LINE, f"{Path(origin).name} line {lineno}")
                yield unparsed(raw, source=SOURCE_NAME, origin=origin, name=RECORD_NAME,
                               lineno=lineno, created=when,
                               reason="cells do not match the squeue header")
                continue
            job[SNAPSHOT_TIME] = when
            if lineno is not None:
                job["ev.lineno"] = lineno
            state = job.get(STATE)
            reason = job.get(REASON)
            level = sf.level_of(state)
            yield {
                CREATED: when, FORMATTED: _describe_snapshot(job), NAME: RECORD_NAME,
                LEVELNAME: level, LEVELNO: 40 if level == "ERROR" else 30 if
                level == "WARNING" else 20, SOURCE: SOURCE_NAME, ORIGIN: origin,
                EVENT: "job_snapshot", **job,
            }
            key = job.get(JOBID)
            if key is None:
                continue
            before = last.get(key)
            last[key] = (state, reason, when)
            if before is None or (before[0], before[1]) == (state, reason) or before[2] == when:
                continue
            change = {k: v for k, v in job.items() if k != "ev.lineno"}
            change["slurm.prev_state"] = before[0]
            change["slurm.prev_reason"] = before[1]
            change["slurm.prev_snapshot_time"] = before[2]
            change = {k: v for k, v in change.items() if v is not None}
            moved = f"{before[0]} -> {state}" if before[0] != state else (
                f"{state}: reason {before[1]} -> {reason}")
            yield {
                CREATED: when,
                FORMATTED: f"job {key} {job.get('slurm.job_name', '')} {moved} (seen between "
                f"{_iso(before[2])} and {_iso(when)})",
                NAME: RECORD_NAME, LEVELNAME: "INFO", LEVELNO: 20, SOURCE: SOURCE_NAME,
                ORIGIN: origin, EVENT: "job_state_change", **change,
            }


# ---------------------------------------------------------------------------------------
# Entry points


def _load(path: str, at: float | None, times: sf.Times, nodes: sf.NodeLists,
          report: ImportReport) -> tuple[float, str, str, list]:
    """One saved snapshot -> (time, where the time came from, origin, jobs)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UnusableInput("cannot read", path,
                            exc.strerror or "check that it exists and is readable") from None
    if not data.strip():
        raise UnusableInput("empty file, not an squeue snapshot", path,
                            "save squeue --json (or squeue -o ... with a header line)")
    if data.lstrip()[:1] == b"{":
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise UnusableInput("not valid JSON", path, f"{exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), list):
            raise UnusableInput("JSON without a jobs list, not squeue --json output", path,
                                "save it with squeue --json")
        jobs = [(None, job, "") for job in _json_jobs(doc, nodes)]
        own = _snapshot_time_from_json(doc)
        fmt = "squeue --json"
        if own is not None:
            return own, "from the JSON (last_update)", fmt, jobs
    else:
        jobs = _text_jobs(path, data.decode("utf-8", "replace"), times, nodes, report)
        fmt = "squeue text with header"
    if at is not None:
        return at, "--at", fmt, jobs
    return _mtime(path), "file mtime", fmt, jobs


def parse_at(text: str, tz: str | None) -> float:
    """``--at``: epoch seconds, or an ISO time (local in ``tz`` unless it has a zone)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UnusableInput(
            "cannot read --at time", text,
            "give epoch seconds or an ISO time such as 2026-11-25T08:54:37") from None
    if parsed.tzinfo is None:
        return NaiveTimeConverter(resolve_zone(tz)[0]).epoch(parsed)
    return parsed.timestamp()


def read_files(paths: Sequence[str | os.PathLike], *, at: Sequence[str] | str | None = None,
               tz: str | None = None,
               report: ImportReport | None = None) -> Iterator[dict[str, Any]]:
    """Saved snapshots (JSON or text, mixed) -> events, in snapshot-time order."""
    report = report if report is not None else ImportReport()
    paths = [str(p) for p in paths]
    if isinstance(at, str):
        at = [at]
    at = list(at or ())
    if at and len(at) not in (1, len(paths)):
        raise UnusableInput("--at given a number of times that matches no file count",
                            f"{len(at)} times for {len(paths)} files",
                            "give one --at for all files, or one per file in order")
    at_times = [parse_at(a, tz) for a in at]
    zone, zone_label = resolve_zone(tz)
    times = sf.Times(NaiveTimeConverter(zone))
    nodes = sf.NodeLists()
    loaded = []
    sources: dict[str, int] = {}
    formats: set[str] = set()
    for index, path in enumerate(paths):
        when_at = at_times[index if len(at_times) > 1 else 0] if at_times else None
        when, how, fmt, jobs = _load(path, when_at, times, nodes, report)
        sources[how] = sources.get(how, 0) + 1
        formats.add(fmt)
        loaded.append((when, path, jobs))
    loaded.sort(key=lambda item: item[0])
    report.assume("format", ", ".join(sorted(formats)))
    report.assume("snapshot time", ", ".join(
        f"{how} ({count} file{'s' if count > 1 else ''})" for how, count in sources.items()))
    if times.saw_local:
        report.assume("zone", zone_label)
    yield from _events(loaded, report)


def command_json(squeue: str = "squeue") -> list[str]:
    return [squeue, "--all", "--json"]


def command_text(squeue: str = "squeue") -> list[str]:
    return [squeue, "--all", "--states=all", f"--format={SQUEUE_FORMAT}"]


def _shown(argv: list[str]) -> str:
    return "cmd:" + " ".join(
        a.replace(DELIMITER, "|") if DELIMITER in a else shlex.quote(a) for a in argv)


def _run_once(squeue: str, report: ImportReport, times: sf.Times,
              nodes: sf.NodeLists) -> tuple[float, str, list]:
    when = time.time()
    argv = command_json(squeue)
    try:
        proc = subprocess.run(argv, capture_output=True, check=False, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise CommandFailed(
            "squeue not found", squeue,
            "run where the Slurm client is installed (Debian: slurm-client), or save "
            "squeue --json there and import it with --file",
        ) from None
    if proc.returncode == 0 and proc.stdout.lstrip()[:1] == b"{":
        doc = orjson.loads(proc.stdout)
        report.assume("format", "squeue --json (ran it)")
        own = _snapshot_time_from_json(doc)
        return own or when, _shown(argv), [(None, j, "") for j in _json_jobs(doc, nodes)]
    # no JSON support (plugin missing, old Slurm): the wide -o format
    argv = command_text(squeue)
    when = time.time()
    proc2 = subprocess.run(argv, capture_output=True, check=False, stdin=subprocess.DEVNULL)
    if proc2.returncode != 0:
        said = (proc2.stderr or proc.stderr).decode("utf-8", "replace").strip().splitlines()
        raise CommandFailed("squeue failed", " ".join(argv[:3]),
                            said[-1] if said else f"exit status {proc2.returncode}")
    report.assume("format", "squeue -o (ran it; no --json here)")
    return when, _shown(argv), _text_jobs(
        "squeue", proc2.stdout.decode("utf-8", "replace"), times, nodes, report)


def run(*, count: int = 1, interval: float = 5.0, report: ImportReport | None = None,
        squeue: str = "squeue") -> Iterator[dict[str, Any]]:
    """Take ``count`` snapshots ``interval`` seconds apart with squeue itself -> events."""
    report = report if report is not None else ImportReport()
    times = sf.Times(NaiveTimeConverter(resolve_zone(None)[0]))
    nodes = sf.NodeLists()
    report.assume("snapshot time", "when squeue ran")
    last: dict = {}
    for index in range(max(1, count)):
        if index:
            time.sleep(interval)
        when, origin, jobs = _run_once(squeue, report, times, nodes)
        yield from _events([(when, origin, jobs)], report, last)


def read(sources: Iterable[str | os.PathLike] = (), *, at: Sequence[str] | str | None = None,
         tz: str | None = None, report: ImportReport | None = None, count: int = 1,
         interval: float = 5.0, squeue: str = "squeue") -> Iterator[dict[str, Any]]:
    """Saved snapshots (``sources``), or live ones when ``sources`` is empty -> events."""
    sources = list(sources)
    if sources:
        return read_files(sources, at=at, tz=tz, report=report)
    return run(count=count, interval=interval, report=report, squeue=squeue)
