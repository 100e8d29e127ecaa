"""Saved snapshots: each file's jobs and its time (its own, ``--at``, its name, or the file's
mtime), read in snapshot-time order, one snapshot at a time."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ...core.clock import Clock, local_epoch
from ...core.errors import UnusableInput
from ...core.inputs import open_regular
from ...core.report import BAD_TIMESTAMP, TRUNCATED_INPUT, UNREADABLE_FILE, ImportReport
from ...core.timezones import resolve_zone
from .. import _slurm as sf
from .events import snapshot_events
from .json_output import json_jobs, snapshot_time_from_json
from .text import text_jobs, text_plan


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
# Pass 1: what each file is and when it was taken (nothing of its jobs is kept)

# How much of a file is looked at to tell JSON, text and sacct's JSON apart.
HEAD_BYTES = 4096
# A JSON snapshot up to this size is parsed whole (orjson: ~6x faster than streaming it,
# for a few times this size of memory, once, whatever the number of snapshots); a bigger
# one is streamed job by job (ijson), so no snapshot's size sets the memory either.
JSON_WHOLE_MAX = 4 << 20


@dataclass(frozen=True)
class Snapshot:
    """One saved snapshot as the first pass finds it: its time, where that time came from,
    its format. Its jobs are read only when its turn comes in time order, so an import holds
    one snapshot's jobs at a time, not every snapshot (whose number has no limit: a loop
    saving ``squeue`` every minute makes 1440 a day)."""

    when: float
    how: str
    fmt: str        # FORMAT_JSON or FORMAT_TEXT
    path: str


FORMAT_JSON = "squeue --json"
FORMAT_TEXT = "squeue text with header"


def _head(fh: BinaryIO) -> bytes:
    """The first ``HEAD_BYTES`` after any leading blank space (a file of blank space only
    gives b"", however long it is)."""
    while True:
        chunk = fh.read(65536)
        if not chunk:
            return b""
        if chunk.strip():
            start = len(chunk) - len(chunk.lstrip())
            fh.seek(fh.tell() - len(chunk) + start)
            return fh.read(HEAD_BYTES)


def _json_error(path: str, exc: Exception) -> UnusableInput:
    said = str(exc).strip().split("\n")[0].strip() or type(exc).__name__
    return UnusableInput("not valid JSON", path, said)


def _json_own_time(path: str, fh: BinaryIO) -> float | None:
    """Check a whole ``squeue --json`` document, streamed (ijson), and return the time it
    carries (``last_update``, 23.02+), or None. Only the top level's few scalar keys are
    kept, whatever the number of jobs."""
    import ijson

    top: dict[str, Any] = {}
    builder: Any = None
    building = ""
    saw_jobs = False
    try:
        for prefix, event, value in ijson.parse(fh, use_float=True):
            if builder is not None:
                builder.event(event, value)
                if prefix == building and event in ("end_map", "end_array"):
                    top[building] = builder.value
                    builder = None
            elif prefix == "" and event not in ("start_map", "end_map", "map_key"):
                raise UnusableInput("JSON without a jobs list, not squeue --json output",
                                    path, "save it with squeue --json")
            elif prefix in ("last_update", "last_backfill"):
                if event in ("start_map", "start_array"):
                    builder, building = ijson.ObjectBuilder(), prefix
                    builder.event(event, value)
                else:
                    top[prefix] = value
            elif prefix == "jobs" and event in ("start_array", "start_map", "string", "number",
                                                "integer", "double", "boolean", "null"):
                saw_jobs = event == "start_array"
    except ijson.JSONError as exc:
        raise _json_error(path, exc) from None
    if not saw_jobs:
        raise UnusableInput("JSON without a jobs list, not squeue --json output", path,
                            "save it with squeue --json")
    return snapshot_time_from_json(top)


def _json_whole_time(path: str, data: bytes) -> float | None:
    """:func:`_json_own_time` for a small document, parsed whole."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UnusableInput("not valid JSON", path, f"{exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), list):
        raise UnusableInput("JSON without a jobs list, not squeue --json output", path,
                            "save it with squeue --json")
    return snapshot_time_from_json(doc)


def _scan(path: str, at: float | None, tz: str | None) -> Snapshot:
    """Pass 1 over one saved snapshot: is it squeue's, and when was it taken? The whole
    file is checked (a JSON document to its end), so a bad file stops nothing half-way."""
    try:
        with open_regular(path) as fh:
            head = _head(fh)
            if not head:
                raise UnusableInput("empty file, not an squeue snapshot", path,
                                    "save squeue --json (or squeue -o ... with a header line)")
            if sf.slurm_json_kind(head) == "sacct":   # checked before anything is written
                raise UnusableInput("this is sacct --json output, not squeue", path,
                                    "import it with ev-import sacct --file")
            if head[:1] == b"{":
                fh.seek(0)
                own = (_json_own_time(path, fh) if os.fstat(fh.fileno()).st_size > JSON_WHOLE_MAX
                       else _json_whole_time(path, fh.read()))
                if own is not None:
                    return Snapshot(own, "from the JSON (last_update)", FORMAT_JSON, path)
                fmt = FORMAT_JSON
            else:
                fh.seek(0)
                text_plan(path, fh.readline().decode("utf-8", "replace").rstrip("\n"))
                fmt = FORMAT_TEXT
    except OSError as exc:
        raise UnusableInput("cannot read", path,
                            exc.strerror or "check that it exists and is readable") from None
    if at is not None:
        return Snapshot(at, "--at", fmt, path)
    named = time_from_name(path, tz)
    if named is not None:
        return Snapshot(named, "file name", fmt, path)
    return Snapshot(_mtime(path), "file mtime", fmt, path)


# ---------------------------------------------------------------------------------------
# Pass 2: one snapshot's jobs, streamed


def _jobs(snap: Snapshot, times: sf.Times, nodes: sf.NodeLists, report: ImportReport
          ) -> Iterator[tuple[int | None, dict[str, Any] | None, str]]:
    """The jobs of one snapshot as they are read (ijson for JSON, line by line for text)."""
    try:
        with open_regular(snap.path) as fh:
            if snap.fmt == FORMAT_JSON and os.fstat(fh.fileno()).st_size <= JSON_WHOLE_MAX:
                try:
                    jobs = orjson.loads(fh.read()).get("jobs") or ()
                except (orjson.JSONDecodeError, AttributeError) as exc:  # changed since pass 1
                    report.problem(TRUNCATED_INPUT, f"{snap.path}: {exc}")
                    jobs = ()
                for job in jobs:
                    yield _one_json_job(job, nodes)
            elif snap.fmt == FORMAT_JSON:
                import ijson

                try:
                    for job in ijson.items(fh, "jobs.item", use_float=True):
                        yield _one_json_job(job, nodes)
                except ijson.JSONError as exc:   # changed since pass 1 checked it
                    report.problem(TRUNCATED_INPUT, f"{snap.path}: {_json_error('', exc).todo}")
            else:
                lines = (raw.decode("utf-8", "replace").rstrip("\n") if raw.endswith(b"\n")
                         else raw.decode("utf-8", "replace") for raw in fh)
                yield from text_jobs(snap.path, lines, times, nodes, report)
            report.advance(fh.tell())
    except OSError as exc:
        report.problem(UNREADABLE_FILE, f"{snap.path}: {exc.strerror or exc}")


def _one_json_job(job: Any, nodes: sf.NodeLists
                  ) -> tuple[int | None, dict[str, Any] | None, str]:
    if isinstance(job, dict):
        try:
            return None, json_jobs({"jobs": [job]}, nodes)[0], ""
        except (TypeError, ValueError, AttributeError):
            pass
    return None, None, orjson.dumps(job, default=str).decode()


# Snapshots whose mtimes lie closer than this were set by one copy (cp without -p, a git
# clone, an unpacked tar write files milliseconds apart), not by squeue runs: a snapshot
# loop that fast would be a tight loop of its own.
MTIME_CLUSTER_SECONDS = 1.0


def _shared_mtimes(snapshots: list[Snapshot], report: ImportReport) -> list[Snapshot]:
    """Snapshots timed by mtime that share one, or whose mtimes a copy set within
    ``MTIME_CLUSTER_SECONDS`` of each other (cp, a clone, a tar), have unknown times and
    an unknown order (a copy writes in directory order): never silent. Each such group is
    given its first mtime and ordered by file name (so no state change is made up between
    them), and counted as BadTimestamp."""
    timed = sorted((s for s in snapshots if s.how == "file mtime"),
                   key=lambda s: (s.when, s.path))
    groups: list[list[Snapshot]] = []
    for snap in timed:
        if groups and snap.when - groups[-1][-1].when < MTIME_CLUSTER_SECONDS:
            groups[-1].append(snap)
        else:
            groups.append([snap])
    out = [s for s in snapshots if s.how != "file mtime"]
    for group in groups:
        first = min(group, key=lambda s: s.path)
        span = group[-1].when - group[0].when
        if len(group) > 1 and span == 0:
            report.problem(BAD_TIMESTAMP, f"{len(group)} snapshots share one file mtime "
                           f"({Path(first.path).name}, ...): their times are unknown and they "
                           "are ordered by name; give --at per file")
        elif len(group) > 1:
            report.problem(BAD_TIMESTAMP, f"{len(group)} snapshots have file mtimes within "
                           f"{span:.3f} s of each other ({Path(first.path).name}, ...), as a "
                           "copy, a clone or a tar sets them: their times are unknown, they "
                           "are given the first and ordered by name; give --at per file")
        out.extend(replace(s, when=group[0].when) for s in group)
    return out


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
    """Saved snapshots (JSON or text, mixed) -> events, in snapshot-time order.

    Two passes, so memory does not grow with the number of snapshots: the first checks
    every file (nothing is yielded before each is known to be squeue's) and finds its time;
    the second reads each file's jobs, in time order, as a stream. What is kept across
    snapshots is one small entry per file and each job's last state (for
    ``job_state_change``).

    Several files, one rule (DESIGN §5): a file that is not a usable snapshot among good
    ones is named (``UnreadableFile``; an empty one only said) and the others are read;
    with one file, or without a ``report``, its error is raised (the CLI's exit 2).
    """
    strict = report is None
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
    snapshots: list[Snapshot] = []
    errors: list[UnusableInput] = []
    for index, path in enumerate(paths):
        when_at = at_times[index if len(at_times) > 1 else 0] if at_times else None
        try:
            snapshots.append(_scan(path, when_at, tz))
        except UnusableInput as exc:
            errors.append(exc)
    if errors and (strict or not snapshots):
        raise errors[0]
    empty = [exc.where for exc in errors if exc.what.startswith("empty file")]
    if empty:
        report.assume("empty files, skipped", ", ".join(empty))
    for exc in errors:
        if not exc.what.startswith("empty file"):
            report.problem(UNREADABLE_FILE, f"{exc.where}: {exc.what}")
    report.expect(sum(os.path.getsize(s.path) for s in snapshots))
    snapshots = _shared_mtimes(snapshots, report)
    snapshots.sort(key=lambda snap: (snap.when, snap.path))
    sources: dict[str, int] = {}
    for snap in snapshots:
        sources[snap.how] = sources.get(snap.how, 0) + 1
    report.assume("format", ", ".join(sorted({snap.fmt for snap in snapshots})))
    report.assume("snapshot time", ", ".join(
        f"{how} ({count} file{'s' if count > 1 else ''})" for how, count in sources.items()))
    yield from snapshot_events(((snap.when, snap.path, _jobs(snap, times, nodes, report))
                                for snap in snapshots), report)
    if times.saw_local:
        report.assume("zone", zone_label)
