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
