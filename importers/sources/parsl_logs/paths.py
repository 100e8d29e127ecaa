"""Which files to read, and what a file's place in a ``runinfo/`` tree says about it.

``.../000/htex_local/block-1/<manager>/worker_0.log`` names the run dir, executor, block,
manager and worker; the run's ``parsl.log`` names the run id and, on ``v2022`` lines, the
zone offset of the machine (epoch and local time side by side). Each file becomes a
:class:`FileJob` with those keys and the zone its local times are read in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from ...core.errors import UnusableInput
from ...core.inputs import check_path
from ...core.report import ImportReport
from ...core.timezones import resolve_zone
from .keys import BLOCK_ID, EXECUTOR, MANAGER_ID, RUN_DIR, RUN_ID, WORKER_ID

# ---------------------------------------------------------------------------------------
# Paths: which keys a file's place in a runinfo tree implies.

_RUN_DIR = re.compile(r"^\d{3,}$")
_BLOCK_DIR = re.compile(r"^block-(\d+)$")
_WORKER_FILE = re.compile(r"^worker_(\d+)\.(?:log|jsonlog)$")
EC_FILE = re.compile(r"^parsl\.(?P<executor>.+)\.block-(?P<block>\d+)\.(?P<submit>[\d.]+)"
                      r"\.sh\.ec$")
# 1.x names a block's script after its provider only: parsl.localprovider.<epoch>.sh.ec
EC_FILE_1X = re.compile(r"^parsl\.(?P<provider>[^.]+)\.(?P<submit>\d{9,11}\.\d+)\.sh\.ec$")
LOG_SUFFIXES = (".log", ".jsonlog")


def _run_index(parts: tuple[str, ...]) -> int | None:
    """Index of the run dir (``000``) in a path's parts: the last all-digit dir."""
    for i in range(len(parts) - 2, -1, -1):
        if _RUN_DIR.match(parts[i]):
            return i
    return None


def run_dir_of(path: Path) -> Path | None:
    parts = path.parts
    index = _run_index(parts)
    return None if index is None else Path(*parts[: index + 1])


def path_keys(path: Path) -> dict[str, Any]:
    """``.../000/htex_local/block-1/a153b77f627e/worker_0.log`` -> run dir, executor, block,
    manager and worker keys."""
    parts = path.parts
    keys: dict[str, Any] = {}
    run_index = _run_index(parts)
    if run_index is None:
        return keys
    keys[RUN_DIR] = parts[run_index]
    rest = parts[run_index + 1:]
    if len(rest) >= 2 and rest[0] not in ("submit_scripts", "task_logs"):
        keys[EXECUTOR] = rest[0]
        block = _BLOCK_DIR.match(rest[1]) if len(rest) >= 3 else None
        if block:
            keys[BLOCK_ID] = block.group(1)
            if len(rest) >= 4:
                keys[MANAGER_ID] = rest[2]
    worker = _WORKER_FILE.match(path.name)
    if worker:
        keys[WORKER_ID] = int(worker.group(1))
    return keys


@dataclass
class RunContext:
    """What a run's parsl.log says about the whole run dir: its run id and the zone offset
    of the machine that wrote it (epoch vs local asctime on the same v2022 line, or, for 1.x
    whose parsl.log has no epoch, a submit script's epoch vs the local time of the block
    launch it made: ``offset_from``)."""

    run_id: str | None = None
    offset_seconds: float | None = None
    offset_from: str = "parsl.log"
    # the same at the end of parsl.log: a run across a daylight-saving change has two
    start_epoch: float | None = None
    end_epoch: float | None = None
    end_offset_seconds: float | None = None


# submit_scripts/parsl.<executor>.block-<n>.<epoch>.sh (2022.10 on), parsl.<provider>.<epoch>.sh
# (1.x): the epoch is time.time() when the block's job was submitted.
_SUBMIT_EPOCH = re.compile(r"\.(\d{9,11}\.\d+)\.sh$")
# The line parsl.log writes right after that submission: "Launched block 0->29899" (1.x),
# "Launched block 0 with job ID 24110", "[Scaling executor htex_local] Launched block ...".
_LAUNCHED_MS = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) .*\bLaunched block ")


def _offset_from_submit_scripts(run_dir: Path, parsl_log: Path,
                                max_lines: int = 20_000) -> float | None:
    """local - epoch for a run whose parsl.log prints local time only (Parsl 1.x).

    The first submit script's name holds the epoch of the first block submission, and the
    first "Launched block" line its local time a few milliseconds later; rounded to the
    quarter hour zones use, as for v2022 lines.
    """
    try:
        epochs = sorted(float(m[1]) for p in (run_dir / "submit_scripts").iterdir()
                        if (m := _SUBMIT_EPOCH.search(p.name)))
    except OSError:
        return None
    if not epochs:
        return None
    try:
        with open(parsl_log, "rb") as fh:
            for _, raw in zip(range(max_lines), fh, strict=False):
                m = _LAUNCHED_MS.match(raw.decode("utf-8", "replace"))
                if m:
                    local = datetime.fromisoformat(m[1]).replace(tzinfo=timezone.utc)
                    return round((local.timestamp() - epochs[0]) / 900) * 900
    except OSError:
        return None
    return None


_EPOCH_AND_LOCAL = re.compile(r"(\d{9,11}\.\d+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ")


def _offset_of(m: re.Match[str]) -> tuple[float, float]:
    """(epoch, local - epoch rounded to the quarter hour zones use) of a v2022 line."""
    local = datetime.fromisoformat(m.group(2)).replace(tzinfo=timezone.utc).timestamp()
    epoch = float(m.group(1))
    return epoch, round((local - epoch) / 900) * 900


def _last_offset(path: Path, tail: int = 65536) -> tuple[float, float] | None:
    """The offset on the last v2022 line of parsl.log (its end is read, not the whole)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - tail))
            lines = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        m = _EPOCH_AND_LOCAL.match(line)
        if m:
            return _offset_of(m)
    return None


def zone_of_run(ctx: RunContext) -> tuple[tzinfo, str] | None:
    """A named zone for a run whose parsl.log shows two offsets (a daylight-saving change
    during the run): this machine's zone if it fits both ends, else the first IANA zone that
    does. A fixed offset would put every time after the change an hour off."""
    if ctx.end_offset_seconds in (None, ctx.offset_seconds) or ctx.start_epoch is None:
        return None
    from zoneinfo import ZoneInfo, available_timezones

    def fits(zone: tzinfo) -> bool:
        return all((datetime.fromtimestamp(t, zone).utcoffset() or timedelta(0))
                   .total_seconds() == off for t, off in ((ctx.start_epoch, ctx.offset_seconds),
                                                          (ctx.end_epoch,
                                                           ctx.end_offset_seconds)))

    said = (f"UTC{ctx.offset_seconds / 3600:+g}h at the start of the run's parsl.log, "
            f"UTC{ctx.end_offset_seconds / 3600:+g}h at its end")
    machine, key = resolve_zone(None)
    if fits(machine):
        return machine, f"{key.split(' (')[0]} (this machine's zone, which fits {said})"
    for name in sorted(available_timezones()):
        if "/" in name and not name.startswith(("Etc/", "posix", "right", "SystemV")):
            zone = ZoneInfo(name)
            if fits(zone):
                return zone, f"{name} (a zone that fits {said}; --tz to say which)"
    return None


def scan_run(run_dir: Path, max_lines: int = 400) -> RunContext:
    ctx = RunContext()
    for name in ("parsl.log", "parsl.jsonlog"):
        path = run_dir / name
        if not path.is_file():
            continue
        try:
            with open(path, "rb") as fh:
                for _, raw in zip(range(max_lines), fh, strict=False):
                    line = raw.decode("utf-8", "replace")
                    if name.endswith(".jsonlog"):
                        m = re.search(r'"parsl\.dfk":\s*"([^"]+)"', line)
                        if m and ctx.run_id is None:
                            ctx.run_id = m.group(1)
                        continue
                    if ctx.offset_seconds is None:
                        m = _EPOCH_AND_LOCAL.match(line)
                        if m:
                            ctx.start_epoch, ctx.offset_seconds = _offset_of(m)
                            ctx.end_epoch, ctx.end_offset_seconds = _last_offset(path) or (
                                ctx.start_epoch, ctx.offset_seconds)
                    m = re.search(r"Run id is: (\S+)", line)
                    if m:
                        ctx.run_id = m.group(1)
                    if ctx.run_id and ctx.offset_seconds is not None:
                        return ctx
        except OSError:
            continue
    if ctx.offset_seconds is None and (run_dir / "parsl.log").is_file():
        ctx.offset_seconds = _offset_from_submit_scripts(run_dir, run_dir / "parsl.log")
        ctx.offset_from = "submit script names and parsl.log"
    return ctx


def zone_of_runs(runinfo: Path) -> tuple[tzinfo, str] | None:
    """The zone offset of the run dirs under ``runinfo`` (``000``, ``001``...), from the first
    whose logs tell it, with a label for the summary; None when none does.

    The monitoring DB beside them stores the same machine's naive local times, so parsl-db
    reads it in this zone when no ``--tz`` is given (one offset for the whole DB: runs that
    straddle a daylight-saving change need ``--tz``).
    """
    try:
        runs = sorted(p for p in runinfo.iterdir() if _RUN_DIR.match(p.name) and p.is_dir())
    except OSError:
        return None
    for run in runs:
        ctx = scan_run(run)
        named = zone_of_run(ctx)    # a run across a daylight-saving change: a named zone
        if named is not None:
            return named[0], f"{named[1]} (run {run.name})"
        if ctx.offset_seconds is not None:
            label = (f"UTC{ctx.offset_seconds / 3600:+g}h inferred from run {run.name}'s "
                     f"{ctx.offset_from}; --tz to change")
            return timezone(timedelta(seconds=ctx.offset_seconds)), label
    return None


def run_spans(runinfo: Path) -> list[tuple[float, float]]:
    """(first, last) epoch of each run dir's parsl.log under ``runinfo`` (v2022 lines print
    the epoch): the absolute spans the monitoring DB beside them can hold. A time in the
    hour repeated when clocks go back is read as the occurrence inside them."""
    try:
        runs = sorted(p for p in runinfo.iterdir() if _RUN_DIR.match(p.name) and p.is_dir())
    except OSError:
        return []
    spans = []
    for run in runs:
        ctx = scan_run(run)
        if ctx.start_epoch is not None and ctx.end_epoch is not None:
            spans.append((ctx.start_epoch, ctx.end_epoch))
    return spans


def is_log_file(path: Path) -> bool:
    """Files parsl-logs reads when given a directory."""
    return path.name.endswith(LOG_SUFFIXES) or path.name.endswith(".sh.ec")


def _check_format(path: Path) -> None:
    """A file named on the command line must be a Parsl log before anything is written: a
    Redis log or sacct output given to parsl-logs is one error line, not N unparsed lines.
    (Files in a run dir are Parsl's by place and are read whatever they hold.)"""
    from ...core.identity import real_path
    from ...core.inputs import read_head
    from .source import sniff_file

    if run_dir_of(Path(real_path(path))) is not None:
        return   # inside a run dir: Parsl's by place (an empty parsl.log is no records)
    head = read_head(path, 65536)
    if not head.strip():
        raise UnusableInput("empty file, not a Parsl log", str(path),
                            "give a runinfo/ dir, a run dir such as runinfo/000, or log files")
    if not sniff_file(path, head):
        raise UnusableInput(
            "not a Parsl log", str(path),
            "no line in its first 64 KiB is in a Parsl log format (parsl.log, interchange, "
            "manager, worker, monitoring logs, Parsl's *.jsonlog, submit_scripts/*.sh.ec)")


def log_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Path]]:
    """(log files to read, other files seen) under the given files and directories."""
    logs: list[Path] = []
    others: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if child.is_file() or child.is_symlink():
                    (logs if is_log_file(child) else others).append(child)
        elif p.exists():
            check_path(p)   # a FIFO or device: one line, never a hang
            _check_format(p)
            logs.append(p)
        elif os.path.lexists(p):
            check_path(p)   # a dangling link or a loop: one line naming it
        else:
            raise UnusableInput("no such file or directory", str(p),
                                "give a runinfo/ dir, a run dir such as runinfo/000, or log files")
    return logs, others


@dataclass(frozen=True)
class FileJob:
    """One log file and what its place says: the keys of its path and run, and its zone."""

    path: Path
    base: dict[str, Any]
    zone: tzinfo
    zone_label: str

    @property
    def kind(self) -> str:
        name = self.path.name
        return "json" if name.endswith(".jsonlog") else "ec" if name.endswith(".sh.ec") \
            else "text"


def plan_files(paths: Iterable[str | os.PathLike], tz: str | None,
               report: ImportReport) -> list[FileJob]:
    """The files to read, with their path keys, run id and zone (one parsl.log scan per run)."""
    logs, others = log_files(paths)
    if others:
        report.assume("not logs, skipped", f"{len(others)} files")
    explicit_zone = resolve_zone(tz) if tz else None
    contexts: dict[Path, RunContext] = {}
    named_zones: dict[Path | None, tuple[tzinfo, str] | None] = {}
    jobs = []
    for path in logs:
        resolved = path.resolve()
        base = path_keys(resolved)
        run_dir = run_dir_of(resolved)
        ctx = contexts.get(run_dir) if run_dir else None
        if run_dir is not None and ctx is None:
            ctx = contexts[run_dir] = scan_run(run_dir)
        if ctx and ctx.run_id:
            base[RUN_ID] = ctx.run_id
        if explicit_zone is not None:
            zone, label = explicit_zone
        elif ctx and ctx.offset_seconds is not None:
            if run_dir not in named_zones:
                named_zones[run_dir] = zone_of_run(ctx)
            named = named_zones[run_dir]
            if named is not None:
                zone, label = named
            else:
                zone = timezone(timedelta(seconds=ctx.offset_seconds))
                label = (f"UTC{ctx.offset_seconds / 3600:+g}h inferred from the run's "
                         f"{ctx.offset_from}")
        else:
            zone, label = resolve_zone(None)
        jobs.append(FileJob(path, base, zone, label))
    return jobs
