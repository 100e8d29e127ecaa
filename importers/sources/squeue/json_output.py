"""``squeue --json`` jobs (22.05's flat layout and 23.02+'s wrapped numbers) -> fields."""

from __future__ import annotations

from typing import Any

from ...core.record import (
    LINUX_HOSTNAME,
    UNKNOWN_VALUES,
)
from .. import _slurm as sf
from .keys import REASON, STATE

# ---------------------------------------------------------------------------------------
# Snapshots -> job field dicts




def _json_job(job: dict, nodes: sf.NodeLists) -> dict[str, Any]:
    f: dict[str, Any] = {}
    raw = str(sf.json_number(job.get("job_id")))
    array_job = sf.json_number(job.get("array_job_id")) or 0
    task = sf.json_number(job.get("array_task_id"))
    task_string = job.get("array_task_string") or ""
    het_job = sf.json_number(job.get("het_job_id")) or 0
    het_offset = sf.json_number(job.get("het_job_offset"))
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
    f[STATE] = sf.json_first(job.get("job_state"))
    f[REASON] = job.get("state_reason")
    for key, name in (("slurm.user", "user_name"), ("slurm.uid", "user_id"),
                      ("slurm.group", "group_name"), ("slurm.account", "account"),
                      ("slurm.partition", "partition"), ("slurm.qos", "qos"),
                      ("slurm.job_name", "name"), ("slurm.comment", "comment"),
                      ("slurm.priority", "priority"), ("slurm.dependency", "dependency"),
                      ("slurm.work_dir", "current_working_directory"),
                      ("slurm.nnodes", "node_count"), ("slurm.ncpus", "cpus"),
                      ("slurm.batch_host", "batch_host"), ("slurm.cluster", "cluster")):
        value = sf.json_number(job.get(name))
        if value is not None and value != "":
            f[key] = value
    for key, name in (("slurm.submit_time", "submit_time"),
                      ("slurm.eligible_time", "eligible_time"),
                      ("slurm.start_time", "start_time"), ("slurm.end_time", "end_time")):
        value = sf.json_number(job.get(name))
        if isinstance(value, (int, float)) and value > 0:
            f[key] = float(value)
    limit = sf.json_number(job.get("time_limit"))
    if isinstance(limit, int):
        f["slurm.timelimit_s"] = limit * 60
    elif limit is None or limit == "UNLIMITED":  # 22.05 writes no limit as null
        f["slurm.timelimit"] = "UNLIMITED"
    for prefix, name in (("slurm.exit", "exit_code"), ("slurm.derived_exit", "derived_exit_code")):
        value = job.get(name)
        if isinstance(value, int):  # 22.05: the raw wait status (768 = exit 3)
            f[prefix + "_code"], f[prefix + "_signal"] = sf.wait_status(value)
            f[prefix + "_status_raw"] = value
        elif isinstance(value, dict):  # 23.02+: {"status": [...], "return_code": {...}, ...}
            code = sf.json_number(value.get("return_code"))
            signal = value.get("signal") or {}
            signal_id = sf.json_number(signal.get("id", signal.get("signal_id")))
            if code is not None:
                f[prefix + "_code"] = code
            f[prefix + "_signal"] = signal_id or 0
            f[prefix + "_status"] = sf.json_first(value.get("status"))
    for per, name in (("node", "memory_per_node"), ("cpu", "memory_per_cpu")):
        value = sf.json_number(job.get(name))
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
    sf.estimates_apart(f, f.get(STATE))
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


# ---------------------------------------------------------------------------------------
# One snapshot = (time, how the time was found, origin, job dicts)


def snapshot_time_from_json(doc: dict) -> float | None:
    for key in ("last_update", "last_backfill"):
        value = sf.json_number(doc.get(key))
        if isinstance(value, (int, float)) and value > 0:
            return float(value)
    return None


def json_jobs(doc: dict, nodes: sf.NodeLists) -> list[dict[str, Any]]:
    return [_json_job(job, nodes) for job in doc.get("jobs") or ()]
