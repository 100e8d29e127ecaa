"""Snapshots -> events: one ``job_snapshot`` per job per snapshot, and a
``job_state_change`` where a job's state or reason differs from the previous snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...core.record import (
    envelope,
    unparsed,
)
from ...core.report import UNPARSED_LINE, ImportReport
from .. import _slurm as sf
from .keys import JOBID, REASON, RECORD_NAME, SNAPSHOT_TIME, SOURCE_NAME, STATE


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------
# Events


def _describe_snapshot(f: dict[str, Any]) -> str:
    reason = f.get(REASON)
    tail = f" ({reason})" if reason and reason != "None" else ""
    return f"job {f.get(JOBID, '?')} {f.get('slurm.job_name', '')} {f.get(STATE, '?')}{tail}"


def snapshot_events(snapshots, report: ImportReport,
            last: dict | None = None) -> Iterator[dict[str, Any]]:
    """Snapshots in time order -> job_snapshot events, and job_state_change between them.

    ``last`` (job id -> state, reason, time of the last snapshot showing it) carries over
    between calls, for live snapshots taken one at a time."""
    last = {} if last is None else last
    for when, origin, jobs in snapshots:
        for lineno, job, raw in jobs:
            if job is None:
                where = f"line {lineno}" if lineno is not None else "a job"
                report.problem(UNPARSED_LINE, f"{Path(origin).name} {where}")
                yield unparsed(raw, source=SOURCE_NAME, origin=origin, name=RECORD_NAME,
                               lineno=lineno, created=when,
                               reason="cells do not match the squeue header"
                               if lineno is not None else "an squeue --json job that is "
                               "not a job object")
                continue
            job[SNAPSHOT_TIME] = when
            if lineno is not None:
                job["ev.lineno"] = lineno
            state = job.get(STATE)
            reason = job.get(REASON)
            level = sf.level_of(state)
            rec = envelope(when, "job_snapshot", _describe_snapshot(job), name=RECORD_NAME,
                           source=SOURCE_NAME, origin=origin, levelname=level)
            rec.update(job)
            yield rec
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
            rec = envelope(when, "job_state_change",
                           f"job {key} {job.get('slurm.job_name', '')} {moved} (seen between "
                           f"{_iso(before[2])} and {_iso(when)})",
                           name=RECORD_NAME, source=SOURCE_NAME, origin=origin)
            rec.update(change)
            yield rec
