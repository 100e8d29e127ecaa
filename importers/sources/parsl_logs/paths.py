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
from ...core.report import FOREIGN_FILE, ImportReport
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
    # the first block submission (a submit script's name): when a 1.x run was already on
    first_submitted: float | None = None

    def span(self) -> tuple[float, float] | None:
        """The absolute times the run's files can hold: parsl.log's first and last epoch, or
        for 1.x from its first block submission on (its end is not known). A time in the
        hour repeated when clocks go back with one reading outside is the other one."""
        if self.offset_from == "parsl.log" and self.start_epoch is not None \
                and self.end_epoch is not None:
            return self.start_epoch, self.end_epoch
        if self.first_submitted is not None:
            return self.first_submitted, float("inf")
        return None


# submit_scripts/parsl.<executor>.block-<n>.<epoch>.sh (2022.10 on), parsl.<provider>.<epoch>.sh
# (1.x): the epoch is time.time() when the block's job was submitted.
_SUBMIT_EPOCH = re.compile(r"\.(\d{9,11}\.\d+)\.sh$")
# The line parsl.log writes right after that submission: "Launched block 0->29899" (1.x),
# "Launched block 0 with job ID 24110", "[Scaling executor htex_local] Launched block ...".
_LAUNCHED_MS = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) .*\bLaunched block ")


def _submit_epochs(run_dir: Path) -> list[float]:
    """The epochs in the run's submit script names, in order."""
    try:
        return sorted(float(m[1]) for p in (run_dir / "submit_scripts").iterdir()
                      if (m := _SUBMIT_EPOCH.search(p.name)))
    except OSError:
        return []


def _offset_from_submit_scripts(run_dir: Path, parsl_log: Path,
                                max_lines: int = 20_000) -> float | None:
    """local - epoch for a run whose parsl.log prints local time only (Parsl 1.x).

    The first submit script's name holds the epoch of the first block submission, and the
    first "Launched block" line its local time a few milliseconds later; rounded to the
    quarter hour zones use, as for v2022 lines.
    """
    epochs = _submit_epochs(run_dir)
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

    if ctx.offset_from == "parsl.log":
        said = (f"UTC{ctx.offset_seconds / 3600:+g}h at the start of the run's parsl.log, "
                f"UTC{ctx.end_offset_seconds / 3600:+g}h at its end")
    else:
        said = (f"UTC{ctx.offset_seconds / 3600:+g}h at the run's first block submission, "
                f"UTC{ctx.end_offset_seconds / 3600:+g}h after parsl.log's local time went "
                "back")
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
    if ctx.start_epoch is None:
        ctx.first_submitted = next(iter(_submit_epochs(run_dir)), None)
        back = (_clock_went_back(run_dir / "parsl.log")
                if ctx.offset_seconds is not None and ctx.first_submitted is not None else None)
        if back is not None:
            # a 1.x run across the change: its second offset, for zone_of_run
            after, went_back = back
            ctx.start_epoch = ctx.first_submitted
            ctx.end_offset_seconds = ctx.offset_seconds - went_back
            ctx.end_epoch = after - ctx.end_offset_seconds
    return ctx


_MS_LOCAL = re.compile(rb"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ")


def _clock_went_back(parsl_log: Path, limit: int = 256 << 20) -> tuple[float, float] | None:
    """For a run whose logs print local time only (1.x): (the local time just after, as
    seconds, and by how much) where parsl.log's local time goes back by 15 min to 2 h, a
    clock going back (a log does not go backwards), or None."""
    last: float | None = None
    try:
        with open(parsl_log, "rb") as fh:
            read = 0
            for raw in fh:
                read += len(raw)
                if read > limit:
                    break
                m = _MS_LOCAL.match(raw)
                if m is None:
                    continue
                try:
                    local = datetime.fromisoformat(m[1].decode()).replace(
                        tzinfo=timezone.utc).timestamp()
                except ValueError:
                    continue
                if last is not None and 900 <= last - local <= 7200:
                    return local, round((last - local) / 900) * 900
                last = local
    except OSError:
        return None
    return None


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
    """The span of each run dir under ``runinfo`` (:meth:`RunContext.span`): the absolute
    times the monitoring DB beside them can hold. A time in the hour repeated when clocks
    go back is read as the occurrence inside them."""
    try:
        runs = sorted(p for p in runinfo.iterdir() if _RUN_DIR.match(p.name) and p.is_dir())
    except OSError:
        return []
    return [span for run in runs if (span := scan_run(run).span()) is not None]


def is_log_file(path: Path) -> bool:
    """Files parsl-logs reads when given a directory."""
    return path.name.endswith(LOG_SUFFIXES) or path.name.endswith(".sh.ec")


# How much of a file is looked at to decide whether it holds a Parsl log.
FORMAT_HEAD_BYTES = 65536
EXIT_CODE = re.compile(rb"\s*(?:-?\d+|-)\s*")  # "-": the job started, never ended
NOT_PARSL_TODO = ("no line in its first 64 KiB is in a Parsl log format (parsl.log, interchange, "
                  "manager, worker, monitoring logs, Parsl's *.jsonlog, submit_scripts/*.sh.ec)")


def not_parsl_reason(path: Path, head: bytes) -> str | None:
    """Why a file at a Parsl log's place (``*.log``, ``*.jsonlog``, ``*.sh.ec`` in a run dir)
    holds no Parsl log, or None when it does, or may: nothing written yet (empty, blank, the
    NULs a crash leaves), or only the start of a first record (a log being written, as
    ``auto --follow`` sees one) are Parsl's by place. Anything else (a Redis log, an sacct
    dump, binary junk copied in) is not read as Parsl's (the rule in docs/design.md §5)."""
    from .source import sniff_file

    if not head.strip(b" \t\r\n\0"):
        return None
    first, newline, _rest = head.partition(b"\n")
    if path.name.endswith(".sh.ec"):
        return None if EXIT_CODE.fullmatch(first) else "not an exit code (*.sh.ec holds one)"
    if not newline and len(head) < FORMAT_HEAD_BYTES and head[:1] in b"{0123456789":
        try:
            head.decode("utf-8")
            return None      # a first record still being written
        except UnicodeDecodeError:
            pass
    if sniff_file(path, head):
        return None
    if path.name.endswith(".jsonlog"):
        return "not a Parsl *.jsonlog (its first line is no Parsl log record)"
    return "not a Parsl log (no line in its first 64 KiB is in a Parsl log format)"


def _check_format(path: Path) -> None:
    """A file named on the command line must be a Parsl log before anything is written: a
    Redis log or sacct output given to parsl-logs is one error line, not N unparsed lines.
    Inside a run dir too, where an empty or just-started log is Parsl's by place
    (:func:`not_parsl_reason`)."""
    from ...core.identity import real_path
    from ...core.inputs import read_head

    head = read_head(path, FORMAT_HEAD_BYTES)
    if run_dir_of(Path(real_path(path))) is not None:
        why = not_parsl_reason(path, head)
        if why is not None:
            raise UnusableInput(why, str(path), NOT_PARSL_TODO)
        return
    if not head.strip():
        raise UnusableInput("empty file, not a Parsl log", str(path),
                            "give a runinfo/ dir, a run dir such as runinfo/000, or log files")
    from .source import sniff_file

    if not sniff_file(path, head):
        raise UnusableInput("not a Parsl log", str(path), NOT_PARSL_TODO)


def log_files(paths: Iterable[str | os.PathLike],
              foreign: list[tuple[Path, str]] | None = None
              ) -> tuple[list[Path], list[Path]]:
    """(log files to read, other files seen) under the given files and directories.

    With ``foreign``, each log-named file found in a directory is looked at, and one that
    holds no Parsl log goes there as ``(path, why)`` instead of into the logs (a file given
    by name is checked whatever ``foreign`` is, and refused with :class:`UnusableInput`).
    """
    logs: list[Path] = []
    others: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if child.is_file() or child.is_symlink():
                    if not is_log_file(child):
                        others.append(child)
                    elif foreign is not None and (why := _walked_reason(child)) is not None:
                        foreign.append((child, why))
                    else:
                        logs.append(child)
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


def _walked_reason(path: Path) -> str | None:
    """:func:`not_parsl_reason` for a file met in a walk; one that cannot be opened is left
    to the reader, which names it (UnreadableFile) as before."""
    from ...core.inputs import read_head

    try:
        head = read_head(path, FORMAT_HEAD_BYTES)
    except (OSError, UnusableInput):
        return None
    return not_parsl_reason(path, head)


@dataclass(frozen=True)
class FileJob:
    """One log file and what its place says: the keys of its path and run, and its zone."""

    path: Path
    base: dict[str, Any]
    zone: tzinfo
    zone_label: str
    spans: tuple[tuple[float, float], ...] = ()   # the run's (RunContext.span)

    @property
    def kind(self) -> str:
        name = self.path.name
        return "json" if name.endswith(".jsonlog") else "ec" if name.endswith(".sh.ec") \
            else "text"


def plan_files(paths: Iterable[str | os.PathLike], tz: str | None,
               report: ImportReport) -> list[FileJob]:
    """The files to read, with their path keys, run id and zone (one parsl.log scan per run)."""
    foreign: list[tuple[Path, str]] = []
    logs, others = log_files(paths, foreign)
    if others:
        report.assume("not logs, skipped", f"{len(others)} files")
    for path, why in foreign:    # named and counted (exit 1), never read as Parsl's
        report.problem(FOREIGN_FILE, f"{path}: {why}")
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
        span = ctx.span() if ctx else None
        jobs.append(FileJob(path, base, zone, label, (span,) if span else ()))
    return jobs
