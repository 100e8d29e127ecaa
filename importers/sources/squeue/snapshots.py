"""Saved snapshots: each file's jobs and its time (its own, ``--at``, or the file's mtime),
read in snapshot-time order."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from ...core.clock import Clock, local_epoch
from ...core.errors import UnusableInput
from ...core.report import BAD_TIMESTAMP, ImportReport
from ...core.timezones import resolve_zone
from .. import _slurm as sf
from .events import snapshot_events
from .json_output import json_jobs, snapshot_time_from_json
from .text import text_jobs


def _mtime(path: str) -> float:
    return os.stat(path).st_mtime


# A time in a snapshot's file name, as a loop `squeue > q_$(date -u +%Y%m%dT%H%M%SZ).txt`
# writes it: survives cp, git clone and tar, which all reset or share mtimes.
_NAME_TIME = re.compile(r"(?<!\d)(\d{4})-?(\d\d)-?(\d\d)T(\d\d)[:_-]?(\d\d)[:_-]?(\d\d)(Z?)")


def time_from_name(path: str, tz: str | None) -> float | None:
    """The snapshot time a file name carries (``..._20261125T085437Z.txt``), or None."""
    m = _NAME_TIME.search(Path(path).name)
    if m is None:
        return None
    try:
        when = datetime(*(int(g) for g in m.groups()[:6]))
    except ValueError:
        return None
    if m.group(7):
        return when.replace(tzinfo=timezone.utc).timestamp()
    return local_epoch(when, resolve_zone(tz)[0])


# ---------------------------------------------------------------------------------------
# Entry points


def _load(path: str, at: float | None, times: sf.Times, nodes: sf.NodeLists, tz: str | None,
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
    if sf.slurm_json_kind(data[:4096]) == "sacct":   # checked before anything is written
        raise UnusableInput("this is sacct --json output, not squeue", path,
                            "import it with ev-import sacct --file")
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
    named = time_from_name(path, tz)
    if named is not None:
        return named, "file name", fmt, jobs
    return _mtime(path), "file mtime", fmt, jobs


def _shared_mtimes(loaded: list, hows: list[str], report: ImportReport) -> None:
    """Snapshots timed by mtime that share one (a cp, a clone, a tar) have unknown times and
    an unknown order: never silent. They are ordered by file name and counted."""
    by_time: dict[float, list[str]] = {}
    for (when, path, _jobs), how in zip(loaded, hows, strict=True):
        if how == "file mtime":
            by_time.setdefault(when, []).append(path)
    for paths in by_time.values():
        if len(paths) > 1:
            report.problem(BAD_TIMESTAMP, f"{len(paths)} snapshots share one file mtime "
                           f"({Path(min(paths)).name}, ...): their times are unknown and they "
                           "are ordered by name; give --at per file")


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
        return local_epoch(parsed, resolve_zone(tz)[0])
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
    times = sf.Times(Clock(zone, zone_label, report))
    nodes = sf.NodeLists()
    loaded = []
    hows: list[str] = []
    sources: dict[str, int] = {}
    formats: set[str] = set()
    report.expect(sum(os.path.getsize(p) for p in paths if os.path.isfile(p)))
    for index, path in enumerate(paths):
        when_at = at_times[index if len(at_times) > 1 else 0] if at_times else None
        when, how, fmt, jobs = _load(path, when_at, times, nodes, tz, report)
        sources[how] = sources.get(how, 0) + 1
        formats.add(fmt)
        loaded.append((when, path, jobs))
        hows.append(how)
    _shared_mtimes(loaded, hows, report)
    loaded.sort(key=lambda item: (item[0], item[1]))
    report.assume("format", ", ".join(sorted(formats)))
    report.assume("snapshot time", ", ".join(
        f"{how} ({count} file{'s' if count > 1 else ''})" for how, count in sources.items()))
    if times.saw_local:
        report.assume("zone", zone_label)
    yield from snapshot_events(loaded, report)
