"""A row's fields -> its events: one per known time (submit, eligible, start, end), each
carrying every field, with a readable ``formatted`` line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...core.record import (
    LINUX_HOSTNAME,
    envelope,
)
from .. import _slurm as sf
from .keys import (
    INHERITED,
    JOB_EVENTS,
    JOBID,
    JOBID_RAW,
    QUEUE_WAIT,
    RECORD_NAME,
    SOURCE_NAME,
    START_TIME,
    STATE,
    STEP,
    STEP_EVENTS,
    SUBMIT_TIME,
)

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


class Emitter:
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
            rec = envelope(created, event, _describe(event, fields), name=RECORD_NAME,
                           source=SOURCE_NAME, origin=origin, levelname=levelname)
            rec.update(fields)
            yield rec
        if not emitted:
            rec = envelope(None, timeless, _describe(timeless, fields), name=RECORD_NAME,
                           source=SOURCE_NAME, origin=origin)
            rec.update(fields)
            yield rec
