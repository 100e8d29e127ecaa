"""``sacct --json`` output, in the 22.05 and the 23.02+ layouts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ...core.clock import Clock
from ...core.errors import UnusableInput
from ...core.record import (
    UNKNOWN_VALUES,
    unparsed,
)
from ...core.report import (
    COMMAND_FAILED,
    TRUNCATED_INPUT,
    UNPARSED_LINE,
    UNREADABLE_FILE,
    ImportReport,
)
from ...core.timezones import resolve_zone
from .. import _slurm as sf
from .events import Emitter
from .fields import Converters
from .keys import (
    ELIGIBLE_TIME,
    END_TIME,
    JOBID,
    JOBID_RAW,
    RECORD_NAME,
    SOURCE_NAME,
    START_TIME,
    STATE,
    STEP,
    SUBMIT_TIME,
)

# ---------------------------------------------------------------------------------------
# JSON (sacct --json): 22.05 (openapi/dbv0.0.38) and 23.02+ (v0.0.39 onwards)




def _json_exit(fields: dict, prefix: str, value: Any) -> None:
    if isinstance(value, int):  # a raw wait status
        fields[prefix + "_code"], fields[prefix + "_signal"] = sf.wait_status(value)
        return
    if not isinstance(value, dict):
        return
    status = sf.json_first(value.get("status"))
    fields[prefix + "_status"] = status
    code = sf.json_number(value.get("return_code"))
    signal = value.get("signal") or {}
    signal_id = sf.json_number(signal.get("signal_id", signal.get("id")))
    if status == "SIGNALED" and signal_id is not None:
        fields[prefix + "_code"] = 0 if code is None else code
        fields[prefix + "_signal"] = signal_id
        if signal.get("name"):
            fields[prefix + "_signal_name"] = signal["name"]
    elif code is not None:
        fields[prefix + "_code"] = code
        fields[prefix + "_signal"] = signal_id or 0


def _json_time(fields: dict, key: str, value: Any) -> None:
    value = sf.json_number(value)
    if isinstance(value, (int, float)) and value > 0:
        fields[key] = float(value)


def _cpu_seconds(value: Any) -> float | None:
    if isinstance(value, dict) and "seconds" in value:
        seconds = sf.json_number(value.get("seconds")) or 0
        return seconds + (sf.json_number(value.get("microseconds")) or 0) / 1e6
    return None


def _tres(items: Any) -> str | None:
    if not isinstance(items, list) or not items:
        return None
    parts = []
    for item in items:
        count = sf.json_number(item.get("count"))
        if count is None:
            continue
        kind = item.get("type", "?") + (f"/{item['name']}" if item.get("name") else "")
        parts.append(f"{kind}={count}{'M' if item.get('type') == 'mem' else ''}")
    return ",".join(parts) or None


def _tres_max(step: dict, kind: str) -> tuple[int, str | None] | None:
    tres = (step.get("tres") or {}).get("requested") or {}
    for item in tres.get("max") or ():
        if item.get("type") == kind and sf.json_number(item.get("count")) is not None:
            return sf.json_number(item["count"]), item.get("node")
    return None


def _tres_ave(step: dict, kind: str) -> int | None:
    tres = (step.get("tres") or {}).get("requested") or {}
    for item in tres.get("average") or ():
        if item.get("type") == kind:
            return sf.json_number(item.get("count"))
    return None


def _node_fields(fields: dict, nodes: Any, conv: Converters) -> None:
    if isinstance(nodes, dict):
        nodes = nodes.get("range")
    if isinstance(nodes, str) and nodes and nodes != "None assigned":
        fields["slurm.nodelist"] = nodes
        conv.nodelist(fields, "slurm.nodelist", nodes)


def _json_job_fields(job: dict, conv: Converters) -> dict[str, Any]:
    f: dict[str, Any] = {}
    raw = str(job.get("job_id"))
    array = job.get("array") or {}
    het = job.get("het") or {}
    array_job = sf.json_number(array.get("job_id")) or 0
    task = sf.json_number(array.get("task_id"))
    task_range = array.get("task")
    het_job = sf.json_number(het.get("job_id")) or 0
    het_offset = sf.json_number(het.get("job_offset"))
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
        ("slurm.qos", job.get("qos")), ("slurm.priority", sf.json_number(job.get("priority"))),
        ("slurm.work_dir", job.get("working_directory")),
        ("slurm.submit_line", job.get("submit_line")),
        ("slurm.nnodes", job.get("allocation_nodes")),
        ("slurm.constraints", job.get("constraints")),
    ):
        f[key] = value
    comment = job.get("comment")
    f["slurm.comment"] = comment.get("job") if isinstance(comment, dict) else comment
    state = job.get("state") or {}
    f[STATE] = sf.json_first(state.get("current"))
    f["slurm.reason"] = state.get("reason")
    _json_exit(f, "slurm.exit", job.get("exit_code"))
    _json_exit(f, "slurm.derived_exit", job.get("derived_exit_code"))
    times = job.get("time") or {}
    for key, name in ((SUBMIT_TIME, "submission"), (ELIGIBLE_TIME, "eligible"),
                      (START_TIME, "start"), (END_TIME, "end")):
        _json_time(f, key, times.get(name))
    f["slurm.elapsed_s"] = sf.json_number(times.get("elapsed"))
    limit = sf.json_number(times.get("limit"))
    if isinstance(limit, int):
        f["slurm.timelimit_s"] = limit * 60
        f["slurm.timelimit_raw"] = limit
    elif limit is None or limit == "UNLIMITED":
        f["slurm.timelimit"] = "UNLIMITED"
    f["slurm.suspended_s"] = sf.json_number(times.get("suspended"))
    for key, name in (("slurm.total_cpu_s", "total"), ("slurm.user_cpu_s", "user"),
                      ("slurm.system_cpu_s", "system")):
        f[key] = _cpu_seconds(times.get(name))
    required = job.get("required") or {}
    f["slurm.req_cpus"] = sf.json_number(required.get("CPUs"))
    mem = sf.json_number(required.get("memory"))
    if isinstance(mem, int):
        f["slurm.req_mem_bytes"] = mem << 20
    for name, per in (("memory_per_node", "node"), ("memory_per_cpu", "cpu")):
        value = sf.json_number(required.get(name))
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


def _json_step_fields(step: dict, job_fields: dict, conv: Converters) -> dict[str, Any]:
    f: dict[str, Any] = {JOBID: job_fields.get(JOBID), JOBID_RAW: job_fields.get(JOBID_RAW)}
    ident = step.get("step") or {}
    step_id = ident.get("id")
    if isinstance(step_id, str) and "." in step_id:  # 23.02+: "33.batch"
        step_id = step_id.rsplit(".", 1)[1]
    f[STEP] = None if step_id is None else str(step_id)
    f["slurm.job_name"] = ident.get("name")
    f[STATE] = sf.json_first(step.get("state"))
    _json_exit(f, "slurm.exit", step.get("exit_code"))
    times = step.get("time") or {}
    for key, name in ((START_TIME, "start"), (END_TIME, "end")):
        _json_time(f, key, times.get(name))
    f["slurm.elapsed_s"] = sf.json_number(times.get("elapsed"))
    for key, name in (("slurm.total_cpu_s", "total"), ("slurm.user_cpu_s", "user"),
                      ("slurm.system_cpu_s", "system")):
        f[key] = _cpu_seconds(times.get(name))
    nodes = step.get("nodes") or {}
    f["slurm.nnodes"] = sf.json_number(nodes.get("count")) if isinstance(nodes, dict) else None
    f["slurm.ntasks"] = sf.json_number((step.get("tasks") or {}).get("count"))
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


def _stream(fh: BinaryIO) -> Iterator[tuple[str, Any]]:
    """(``job`` | ``meta`` | ``errors``, value) from ``sacct --json`` output, one job at a
    time (ijson): memory stays that of one job, whatever the size of the file (a 30 MB
    document read whole once took 338 MiB)."""
    import ijson

    builder: ijson.ObjectBuilder | None = None
    top = None
    for prefix, event, value in ijson.parse(fh, use_float=True):
        if builder is None:
            if prefix == "jobs.item" and event in ("start_map", "start_array"):
                top = "job"
            elif prefix in ("meta", "errors") and event in ("start_map", "start_array"):
                top = prefix
            elif prefix == "jobs" and event == "start_array":
                yield "jobs", None
                continue
            else:
                continue
            builder = ijson.ObjectBuilder()
            base = prefix
        builder.event(event, value)
        if prefix == base and event in ("end_map", "end_array"):
            yield top, builder.value
            builder = None


def read_json(path: str, fh: BinaryIO, origin: str, report: ImportReport,
              emitter: Emitter) -> Iterator[dict[str, Any]]:
    """``sacct --json`` output, streamed job by job. A document cut short keeps the jobs
    before the cut (``TruncatedInput``); one with no ``jobs`` list is refused."""
    import ijson

    report.assume("exit codes", "as the JSON says (Slurm 22.05's sacct --json reports a "
                  "plain non-zero exit as 0; see docs/slurm.md)")
    conv = Converters(sf.Times(Clock(resolve_zone("UTC")[0])), report)
    meta: dict = {}
    saw_jobs = False
    count = 0
    try:
        for kind, value in _stream(fh):
            if kind == "jobs":
                saw_jobs = True
            elif kind == "meta" and isinstance(value, dict):
                meta = value
            elif kind == "errors":
                for error in value or ():
                    report.problem(COMMAND_FAILED, f"sacct reported: {error}")
            elif kind == "job":
                count += 1
                yield from _job_events(path, value, origin, report, emitter, conv)
    except ijson.JSONError as exc:
        if not count:
            raise UnusableInput("not valid JSON", path,
                                f"{exc}; save it again with sacct --json") from None
        report.problem(TRUNCATED_INPUT, f"{path}: the JSON ends after {count} jobs ({exc})")
    except OSError as exc:     # EIO mid-file: the jobs read before it are kept, and named
        if not count:
            raise UnusableInput("cannot read", path, exc.strerror or str(exc)) from None
        report.problem(UNREADABLE_FILE, f"{path}: {exc.strerror or exc} after {count} jobs; "
                       "the rest of the file was not read")
    if not saw_jobs:
        raise UnusableInput("JSON without a jobs list, not sacct --json output", path,
                            "save it with sacct --json")
    report.assume("format", json_layout({"meta": meta}))


def _job_events(path: str, job: Any, origin: str, report: ImportReport, emitter: Emitter,
                conv: Converters) -> Iterator[dict[str, Any]]:
    try:
        if not isinstance(job, dict):
            raise TypeError("a job is not a JSON object")
        fields = _json_job_fields(job, conv)
    except (TypeError, ValueError, AttributeError) as exc:
        name = job.get("job_id") if isinstance(job, dict) else "?"
        report.problem(UNPARSED_LINE, f"{Path(path).name} job {name!s}")
        yield unparsed(orjson.dumps(job).decode(), source=SOURCE_NAME, origin=origin,
                       name=RECORD_NAME, reason=f"unexpected sacct --json job: {exc}")
        return
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
