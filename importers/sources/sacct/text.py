"""``sacct -P``/``--parsable2`` text with a header, any fields in any order; a free-text
field holding the delimiter is put back together by scoring the possible splits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...core.clock import Clock
from ...core.errors import UnusableInput
from ...core.record import (
    UNKNOWN_VALUES,
    unparsed,
)
from ...core.report import UNPARSED_LINE, ImportReport
from ...core.timezones import resolve_zone
from .. import _slurm as sf
from .events import Emitter
from .fields import Converters, _Plan, plan_header, score_free_text
from .keys import DELIMITER, RECORD_NAME, SOURCE_NAME

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


# A line that starts like a row: a job id as sacct prints it (123, 123_4, 123+0, 123.batch,
# 123_[1-3]) and then the delimiter or the end of the line.
_ROW_START = r"^\d+(?:_\d+|_\[[^\]]*\]|\+\d+)?(?:\.[\w-]+)?(?:{d}|$)"


def _rows(
    lines: Iterator[tuple[int, str, bool]], plan: _Plan, report: ImportReport,
) -> Iterator[tuple[int, list[str] | None, str]]:
    """(lineno, cells or None when unparsable, raw) per row. A line with too few cells that
    follows a row is a newline inside that row's last free-text field (a multi-line
    ``--wrap`` in SubmitLine): it is joined to it, unless it starts like a row itself (a job
    id and the delimiter): then it is a truncated row (a file cut short, a killed sacct),
    unparsed on its own, and never hides in the previous job's SubmitLine."""
    width = plan.width
    delimiter = plan.delimiter
    score = score_free_text(plan.free_keys) if plan.free > 1 else None
    row_start = re.compile(_ROW_START.format(d=re.escape(delimiter))).match
    pending: tuple[int, list[str], str] | None = None
    for lineno, line, _bad in lines:
        cells = line.split(delimiter)
        if len(cells) < width and pending is not None and plan.free \
                and not row_start(line):
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


def read_text(path: str, lines: Iterator[tuple[int, str, bool]], origin: str,
               tz: str | None, report: ImportReport,
               emitter: Emitter) -> Iterator[dict[str, Any]]:
    first = next(lines, None)
    while first is not None and not first[1].strip():
        first = next(lines, None)
    if first is None:
        raise UnusableInput("empty sacct output", path,
                            "nothing to import: was the query's time window or job list right?")
    header, delimiter = _header(first[1], path)
    zone, zone_label = resolve_zone(tz)
    times = sf.Times(Clock(zone, zone_label, report))
    conv = Converters(times, report)
    plan = plan_header(header, delimiter, conv)
    keys = plan.keys
    converters = plan.converters
    unknown = UNKNOWN_VALUES
    emit = emitter.events
    guessed = plan.free > 1 and "slurm.submit_line" not in plan.free_keys
    for lineno, cells, raw in _rows(lines, plan, report):
        spans = raw.count("\n") + 1
        if cells is None:
            report.problem(UNPARSED_LINE, f"{Path(path).name} line {lineno}")
            yield unparsed(
                raw, source=SOURCE_NAME, origin=origin, name=RECORD_NAME, lineno=lineno,
                reason=f"expected {plan.width} '{delimiter}'-separated fields as in the "
                f"header, got {raw.count(delimiter) + 1}",
                fields={"ev.line_count": spans} if spans > 1 else (),
            )
            continue
        fields = {k: v for k, v in zip(keys, cells) if v and v not in unknown}  # noqa: B905
        if spans > 1:
            fields["ev.line_count"] = spans   # a newline in a free-text field
        # Rows are not in time order (a step's Submit is its start; array tasks come after
        # later jobs): a row's times follow each other, its Submit stands alone.
        times.row(ordered=False)
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
