"""Which inputs ``ev-import auto --follow`` can keep importing, and how.

A text log is followable when its importer can parse a byte range of it that starts at a
record's first line (the same ability that lets a big log be parsed on two cores): Parsl's
text logs and Redis console logs. Files already in pool format (Academy's ``JSONPoolLogging``
output, Parsl's JSON logs) are followed by copying their new lines verbatim into
``<pool>/copied/...``, as ``auto`` copies them. Everything else (a monitoring DB, saved
``sacct`` output) is imported once, as plain ``auto`` does.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .core.filetail import FollowedLog, Parse
from .core.parallel import Part
from .core.report import ImportReport


@dataclasses.dataclass(frozen=True)
class Followable:
    source: str
    parser: Callable[[Path, str | None, ImportReport], Parse]
    is_record_start: Callable[[bytes], bool]


class _ParslParse:
    """Parses byte ranges of one Parsl text log. The file's keys (block, manager, run) come
    from its real path; the bytes from the descriptor ``parse`` is given, which may be the
    rotated-away file's. The run's id comes from its parsl.log, which may still be empty at
    first (planned again until it is known) or rotated away after a restart: ``context``
    keeps it, and the follower saves it with its checkpoint."""

    def __init__(self, path: Path, tz: str | None, report: ImportReport) -> None:
        self.path, self.tz, self.report = path, tz, report
        self.context: dict[str, Any] = {}
        self._job = None

    def __call__(self, readable: Path, start: int, end: int,
                 lineno: int) -> Iterator[dict[str, Any]]:
        from .sources.parsl_logs.keys import RUN_ID
        from .sources.parsl_logs.paths import plan_files
        from .sources.parsl_logs.source import records_of

        if self._job is None or RUN_ID not in self._job.base:
            [job] = plan_files([self.path], self.tz, ImportReport())
            if RUN_ID in job.base:
                self.context["run_id"] = job.base[RUN_ID]
            elif "run_id" in self.context:
                job = dataclasses.replace(job, base={**job.base,
                                                     RUN_ID: self.context["run_id"]})
            self._job = job
        text_job = dataclasses.replace(self._job, path=readable)
        return records_of(text_job, self.report, Part(str(readable), start, end, lineno))


def _parsl_logs(path: Path, tz: str | None, report: ImportReport) -> Parse:
    return _ParslParse(path, tz, report)


def _redis_log(path: Path, tz: str | None, report: ImportReport) -> Parse:
    from .sources.redis_log.source import _part_records

    def parse(readable: Path, start: int, end: int, lineno: int) -> Iterator[dict[str, Any]]:
        return _part_records(readable, tz, None, Part(str(readable), start, end, lineno),
                             report)
    return parse


def _record_start(module: str) -> Callable[[bytes], bool]:
    def is_record_start(line: bytes) -> bool:
        from importlib import import_module

        return import_module(f"importers.sources.{module}.source").is_record_start(line)
    return is_record_start


FOLLOWABLE: dict[str, Followable] = {
    "parsl-logs": Followable("parsl-logs", _parsl_logs, _record_start("parsl_logs")),
    "redis-log": Followable("redis-log", _redis_log, _record_start("redis_log")),
}


def followed_log(path: Path, source: str, pool: Path, *, tz: str | None,
                 report: ImportReport, **options: Any) -> FollowedLog:
    """A :class:`FollowedLog` for a text log of a followable ``source``."""
    how = FOLLOWABLE[source]
    return FollowedLog(path, how.parser(path, tz, report), how.is_record_start, pool=pool,
                       source=source, report=report, **options)


def followed_copy(path: Path, pool: Path, *, report: ImportReport,
                  **options: Any) -> FollowedLog:
    """A pool-format file followed by copying its new lines to where ``auto`` copies it
    (``<pool>/copied/<host>/<real path>``): a later plain ``auto`` replaces it with the same
    bytes, never a second copy."""
    from .auto import copied_path

    return FollowedLog(path, None, None, pool=pool, source="copied", report=report,
                       pool_name=copied_path(path, pool).relative_to(pool), **options)


# ---------------------------------------------------------------------------------------
# ``ev-import auto --follow``: everything under some paths, kept up to date


@dataclasses.dataclass
class FollowResult:
    """What :func:`follow_paths` did: followed files, re-imports, problems."""

    pool: Path
    logs: dict[str, FollowedLog] = dataclasses.field(default_factory=dict)
    imports: int = 0                       # one-shot (re-)imports of other inputs
    import_events: int = 0
    report: ImportReport = dataclasses.field(default_factory=ImportReport)
    errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def events(self) -> int:
        return sum(log.records for log in self.logs.values())

    @property
    def partial(self) -> bool:
        return self.report.partial or bool(self.errors)

    def summary_lines(self) -> list[str]:
        by_source: dict[str, int] = {}
        for log in self.logs.values():
            by_source[log.source] = by_source.get(log.source, 0) + 1
        followed = ", ".join(f"{n} {source}" for source, n in sorted(by_source.items()))
        lines = [f"auto --follow: {self.events} events from {len(self.logs)} followed files "
                 f"({followed or 'none'}); {self.imports} one-shot imports "
                 f"({self.import_events} events) -> {self.pool}"]
        parts = self.report.summary_parts()
        if parts:
            lines.append("auto --follow: " + "; ".join(parts))
        lines.extend(self.errors)
        return lines


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def follow_paths(
    paths: list[str | os.PathLike],
    pool: Path,
    *,
    tz: str | None = None,
    duration: float | None = None,
    stop: Callable[[], bool] | None = None,
    poll: float = 0.2,
    rescan: float = 2.0,
    settle: float = 1.0,
    reimport_every: float = 30.0,
    notice: Callable[[str], None] | None = None,
) -> FollowResult:
    """Import everything under ``paths`` and keep importing while it is written.

    Text logs of followable sources (Parsl's, Redis's) are followed line by line into their
    own pool files, with checkpoints (:mod:`importers.core.filetail`): stopping and running
    this again resumes without losing or doubling a line. Pool-format files (Academy's,
    Parsl's JSON logs) are followed by copying their new lines to where ``auto`` copies
    them. Other inputs (a monitoring DB, Slurm output, exit-code files) are imported as
    ``auto`` imports them, and imported again when they change (at most every
    ``reimport_every`` seconds: a monitoring DB changes all the time during a run, and each
    import reads it whole), and once more at the end: the import replaces its own pool file
    atomically, so nothing doubles. Sources whose pool file covers all their files
    together (squeue snapshots) are imported once, at the end. ``paths`` are walked again
    every ``rescan`` seconds for new files (a new block's manager log).
    """
    from . import auto
    from .core.errors import EvImportError

    notice = notice or (lambda text: None)
    result = FollowResult(pool)
    others: dict[Path, tuple | None] = {}
    at_end: set[Path] = set()
    imported: dict[Path, tuple | None] = {}
    started = time.monotonic()
    deadline = None if duration is None else started + duration
    sources = {s.name: s for s in auto.recognisers()}

    def discover() -> None:
        plan = auto.classify(paths, pool=pool)
        for source, files in plan.by_source.items():
            for path in files:
                key = path.resolve()
                if key in result.logs or key in others or key in at_end:
                    continue
                if source in FOLLOWABLE and path.name.endswith(".jsonlog"):
                    log = followed_copy(path, pool, report=result.report, notice=notice,
                                        settle=settle)
                elif source in FOLLOWABLE and not path.name.endswith(".sh.ec"):
                    log = followed_log(path, source, pool, tz=tz, report=result.report,
                                       notice=notice, settle=settle)
                elif sources[source].unit in ("all", "dir"):
                    at_end.add(key)
                    continue
                else:
                    others[key] = None
                    continue
                log.source = source
                log.start()
                result.logs[key] = log
        for path in plan.pool_files:
            key = path.resolve()
            if key not in result.logs:
                log = followed_copy(path, pool, report=result.report, notice=notice,
                                    settle=settle)
                log.source = "pool files"
                log.start()
                result.logs[key] = log

    def reimport(files: list[Path]) -> None:
        if not files:
            return
        try:
            done = auto.import_paths([str(f) for f in files], pool, tz=tz, copy=False)
        except EvImportError as exc:
            result.errors.append(f"auto --follow: error: {exc.line()}")
            return
        result.imports += 1
        result.import_events += sum(s.events for s in done.sources)
        for source in done.sources:
            result.errors.extend(d for d in source.details if d.startswith("error"))

    last_scan = last_import = -1e300
    try:
        while True:
            now = time.monotonic()
            if now - last_scan >= rescan:
                discover()
                last_scan = now
            if now - last_import >= reimport_every:
                changed = [p for p in others if _signature(p) != imported.get(p)]
                if changed:
                    for p in changed:
                        imported[p] = _signature(p)
                    reimport(changed)
                    last_import = now
            for log in result.logs.values():
                log.step()
            if (stop is not None and stop()) or (deadline is not None and now >= deadline):
                break
            time.sleep(poll)
        for log in result.logs.values():
            log.settle = 0.0          # stopping: what was held back is complete now
            log.step()
        reimport([p for p in others if _signature(p) != imported.get(p)])
        reimport(sorted(at_end))
    finally:
        for log in result.logs.values():
            log.close()
    return result
