"""squeue text with a header line (``-o`` formats, or the default columns) -> fields."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from ...core.errors import UnusableInput
from ...core.record import (
    UNKNOWN_VALUES,
)
from ...core.report import ImportReport
from .. import _slurm as sf
from .json_output import _expand
from .keys import DELIMITER, FREE_TEXT, HEADERS, NO_VALUE, REASON, STATE


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
    timed: list[str] = []
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
            f[key] = value          # read below, in the order a job's times happen
            timed.append(key)
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
    if timed:
        # rows are in squeue's sort order, not time order: a repeated hour's time is the
        # first occurrence unless the job's earlier time (submit before start) says not
        times.row(ordered=False)
        for key in sorted(timed, key=sf.time_rank):
            parsed = times.parse(f[key])
            if parsed is None:
                del f[key]
            else:
                f[key] = parsed
    task = f.pop("slurm.array_task", None)
    if task is None and "slurm.array_task_id" not in f and "slurm.array_task_range" not in f:
        f.pop("slurm.array_job_id", None)  # %F prints the job's own id for a non-array job
    if task is not None and "slurm.array_task_id" not in f and "slurm.array_task_range" not in f:
        if task.isdigit():
            f["slurm.array_task_id"] = int(task)
        else:
            f["slurm.array_task_range"] = task
    sf.estimates_apart(f, f.get(STATE))
    return f


def text_plan(path: str, header_line: str) -> _TextPlan:
    """The columns of an squeue text snapshot from its header line (``|``, ``\\x1f`` or
    whitespace separated); a first line without JOBID is not squeue output with a header."""
    plan = (_plan_of(header_line) if len(header_line) <= 4096
            else _plan_of.__wrapped__(header_line))
    if plan is None:
        raise UnusableInput(
            "not squeue output with a header line", path,
            "save squeue --json, or squeue -o '%i|%T|%r|...' without -h/--noheader",
        )
    return plan


@lru_cache(maxsize=64)
def _plan_of(header_line: str) -> _TextPlan | None:
    """One plan per distinct header (snapshots of one loop share theirs)."""
    if DELIMITER in header_line:
        delimiter: str | None = DELIMITER
    elif "|" in header_line:
        delimiter = "|"
    else:
        delimiter = None
    header = header_line.split(delimiter) if delimiter else header_line.split()
    header = [h.strip() for h in header]
    if "JOBID" not in header:
        return None
    return _TextPlan(header, delimiter)


def text_jobs(path: str, lines: Iterable[str], times: sf.Times, nodes: sf.NodeLists,
              report: ImportReport) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line number, job fields or None when the cells do not fit the header, line) for each
    line after the header, as the lines come: one snapshot is never held whole."""
    lines = iter(lines)
    plan = text_plan(path, next(lines, ""))
    delimiter = plan.delimiter
    for lineno, line in enumerate(lines, 2):
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
            yield lineno, None, line
            continue
        try:
            job = _text_job(cells, plan, times, nodes)
        except ValueError:
            yield lineno, None, line
            continue
        if guessed:
            job["ev.raw"] = line
            report.assume("free text", "a '|' inside NAME/COMMENT was split by guess "
                          "(the line is kept in ev.raw)")
        yield lineno, job, line


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
