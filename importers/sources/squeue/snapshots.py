"""Saved snapshots: each file's jobs and its time (its own, ``--at``, or the file's mtime),
read in snapshot-time order."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from ...core.errors import UnusableInput
from ...core.report import ImportReport
from ...core.timezones import NaiveTimeConverter, resolve_zone
from .. import _slurm as sf
from .events import snapshot_events
from .json_output import json_jobs, snapshot_time_from_json
from .text import text_jobs


def _mtime(path: str) -> float:
    return os.stat(path).st_mtime


# ---------------------------------------------------------------------------------------
# Entry points


def _load(path: str, at: float | None, times: sf.Times, nodes: sf.NodeLists,
          report: ImportReport) -> tuple[float, str, str, list]:
    """One saved snapshot -> (time, where the time came from, origin, jobs)."""
    try:
        data = Path(path).read_bytes()
        report.advance(len(data))
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
        jobs = [(None, job, "") for job in json_jobs(doc, nodes)]
        own = snapshot_time_from_json(doc)
        fmt = "squeue --json"
        if own is not None:
            return own, "from the JSON (last_update)", fmt, jobs
    else:
        jobs = text_jobs(path, data.decode("utf-8", "replace"), times, nodes, report)
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
    report.expect(sum(os.path.getsize(p) for p in paths if os.path.isfile(p)))
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
    yield from snapshot_events(loaded, report)
