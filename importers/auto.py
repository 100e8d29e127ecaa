"""``ev-import auto``: walk paths, recognise each file by its content, import them all.

Recognition is by content, not by name, because runinfo trees get renamed, copied and
tarred: a SQLite header with Parsl's tables is a monitoring DB, a first line in one of
Parsl's log formats is a Parsl log, and so on. Each importer module offers a ``sniff``;
this module only asks them in order and groups the files. Files already in pool format
(Academy's ``JSONPoolLogging`` output, or another ev-import pool) are copied into the pool
unchanged. Files nobody recognises are listed, never an error.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import sources
from .core.errors import EvImportError, UnusableInput
from .core.identity import Unit, container_units, file_units, host_name, real_path
from .core.inputs import read_head, walk_files
from .core.pool import FULL_ERRNOS, PoolWriter, fsync_dir, full_error, temp_name
from .core.progress import rate_text
from .core.report import FOREIGN_FILE, ImportReport
from .core.runner import merge_report, summary_line, write_import
from .core.source import Source, first_json_object

HEAD_BYTES = 8192


def recognisers() -> list[Source]:
    """The sources ``auto`` asks, in the order they ask (by ``sniff_rank``, then name)."""
    return sorted((s for s in sources.all_sources() if s.sniff is not None),
                  key=lambda s: (s.sniff_rank, s.name))


def is_pool_file(path: Path, head: bytes) -> bool:
    """A ``*.jsonlog`` of LogRecord-shaped objects: Academy's pool logs, or a pool's own."""
    if not path.name.endswith(".jsonlog"):
        return False
    obj = first_json_object(head)
    return "created" in obj and ("levelname" in obj or "ev.event" in obj)


@dataclass
class Plan:
    """What ``auto`` found under the paths it was given."""

    by_source: dict[str, list[Path]] = field(default_factory=dict)
    pool_files: list[Path] = field(default_factory=list)
    unknown: list[Path] = field(default_factory=list)
    # (path, why) of what could not be looked at: missing paths, FIFOs, dangling links...
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _walk(paths: Iterable[str | os.PathLike], skipped: list[tuple[str, str]]
          ) -> Iterator[Path]:
    """Regular files under ``paths``, each once (by real path, so ``auto A A/sub`` reads
    ``A/sub`` once); a missing path, a FIFO, a loop is named in ``skipped`` instead."""
    seen: set[str] = set()
    for p in paths:
        try:
            for path in walk_files([p], skipped):
                key = real_path(path)
                if key not in seen:
                    seen.add(key)
                    yield path
        except UnusableInput as exc:
            skipped.append((str(p), exc.what))


def classify(paths: Iterable[str | os.PathLike], pool: Path | None = None) -> Plan:
    """Recognise every file under ``paths`` by content (the pool itself is skipped).

    Nothing blocks or raises on a bad path: FIFOs, sockets, dangling symlinks, loops and
    missing paths are named in ``Plan.skipped``.
    """
    plan = Plan()
    pool_real = real_path(pool) + os.sep if pool is not None else None
    for path in _walk(paths, plan.skipped):
        if pool_real is not None and real_path(path).startswith(pool_real):
            continue
        try:
            head = read_head(path, HEAD_BYTES)
        except (OSError, UnusableInput) as exc:
            plan.skipped.append((str(path), getattr(exc, "what", None) or str(exc)))
            continue
        for source in recognisers():
            if source.sniff(path, head):
                plan.by_source.setdefault(source.name, []).append(path)
                break
        else:
            if is_pool_file(path, head):
                plan.pool_files.append(path)
            else:
                plan.unknown.append(path)
    return plan


def copied_path(path: Path, pool: Path, host: str | None = None) -> Path:
    """Where a pool-format file is copied: ``<pool>/copied/<host>/<its real path>``.

    Its identity is the input's (host + real path), like every pool file's, so ``auto A``
    and ``auto A/sub`` copy a file to one place and other nodes' copies are kept; Academy's
    ``<pool-uuid>/<instance-uuid>.jsonlog`` layout survives at the end of the path.
    """
    return pool / "copied" / (host or host_name()) / real_path(path).lstrip(os.sep)


def copy_pool_file(path: Path, pool: Path, root: Path | None = None) -> Path:
    """Copy a pool-format file into the pool unchanged (temp + rename + directory fsync)."""
    target = copied_path(path, pool)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / temp_name(target.name)
    try:
        shutil.copyfile(path, temp)
        with open(temp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    fsync_dir(target.parent)
    return target


def units_of(source: Source, files: list[Path], roots: list[str]) -> list[Unit]:
    """The pool files of one source's files (:mod:`importers.core.identity`)."""
    if source.unit == "run" and source.container_of is not None:
        return container_units(files, roots, source.container_of)
    if source.unit == "all":
        return [Unit("", [str(f) for f in files])] if files else []
    if source.unit == "dir":     # one series per directory: two dirs are not one timeline
        by_dir: dict[str, list[str]] = {}
        for f in files:
            by_dir.setdefault(os.path.dirname(real_path(f)), []).append(str(f))
        return [Unit("", group) for group in by_dir.values()]
    return file_units(files)


@dataclass
class SourceResult:
    """What ``auto`` did with one source's files: one pool file per import."""

    name: str
    files: list[Path]
    events: int = 0
    unparsed: int = 0
    outputs: list[Path] = field(default_factory=list)
    details: list[str] = field(default_factory=list)   # per-import summaries worth showing
    partial: bool = False
    report: ImportReport = field(default_factory=ImportReport)  # all its imports' together


@dataclass
class AutoResult:
    """The outcome of :func:`import_paths`: per source, and the files not imported."""

    pool: Path
    plan: Plan
    sources: list[SourceResult] = field(default_factory=list)
    copied: list[Path] = field(default_factory=list)
    copy: bool = True
    copy_errors: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return (any(s.partial for s in self.sources) or bool(self.plan.skipped)
                or bool(self.copy_errors))

    def summary_lines(self, show_unknown: int = 5) -> list[str]:
        """The lines ``ev-import auto`` prints: one per source, then pool files and unknowns."""
        lines: list[str] = []
        for res in self.sources:
            shown = ", ".join(map(str, res.outputs[:2])) + (
                f" (+{len(res.outputs) - 2} more)" if len(res.outputs) > 2 else "")
            lines.append("; ".join([
                f"auto: {res.name}: {len(res.files)} files, {res.events} events "
                f"({res.unparsed} unparsed) -> {shown}",
                rate_text(res.events, res.report.elapsed, res.report.read, res.report.unit),
                *(f"{what} {value}" for what, value in res.report.assumptions.items())]))
            lines.extend(res.details)
        plan = self.plan
        if plan.pool_files and self.copy:
            lines.append(f"auto: pool files (Academy or other pools): {len(plan.pool_files)} "
                         f"copied unchanged into {self.pool / 'copied'}")
        elif plan.pool_files:
            lines.append(f"auto: pool files (Academy or other pools): {len(plan.pool_files)} "
                         "left where they are (--no-copy); read them with the pool reader "
                         "directly")
        lines.extend(self.copy_errors)
        if plan.skipped:
            names = "; ".join(f"{path}: {why}" for path, why in plan.skipped[:show_unknown])
            more = (f" (+{len(plan.skipped) - show_unknown} more)"
                    if len(plan.skipped) > show_unknown else "")
            lines.append(f"auto: skipped, cannot be read: {len(plan.skipped)}: {names}{more}")
        if plan.unknown:
            names = ", ".join(str(p) for p in plan.unknown[:show_unknown])
            more = (f" (+{len(plan.unknown) - show_unknown} more)"
                    if len(plan.unknown) > show_unknown else "")
            lines.append(f"auto: not recognised, not imported: {len(plan.unknown)} files: "
                         f"{names}{more}")
        if not plan.by_source and not plan.pool_files:
            lines.append("auto: nothing recognised to import")
        return lines


def _import_group(source: Source, pool: Path, unit: Unit, tz: str | None, jobs: int,
                  progress: bool) -> tuple[PoolWriter, ImportReport]:
    inputs = unit.inputs
    group = [Path(i) for i in inputs]
    key = unit.key or None
    if source.import_files is not None:
        return write_import(pool, source.name, inputs, None, unit=key,
                            fill=lambda w, r: source.import_files(w, group, tz, r, jobs),
                            progress=progress)
    return write_import(pool, source.name, inputs, None, unit=key,
                        reader=lambda r: source.read(group, tz=tz, report=r),
                        progress=progress)


def unclaim_foreign(report: ImportReport, claimed: set[str]) -> None:
    """A file in a Parsl run dir that parsl-logs names as not Parsl's (``ForeignFile``) but
    that ``auto`` recognised as another source's, and imports with it, is not lost: it is
    no problem of this import (a Redis log kept in runinfo/000 goes to redis-log)."""
    details = report.details.get(FOREIGN_FILE)
    if not details:
        return
    kept = [d for d in details if real_path(d.split(": ", 1)[0]) not in claimed]
    report.problems[FOREIGN_FILE] -= len(details) - len(kept)
    if kept:
        report.details[FOREIGN_FILE] = kept
    else:
        del report.details[FOREIGN_FILE], report.problems[FOREIGN_FILE]


def import_paths(
    paths: Iterable[str | os.PathLike],
    pool: Path,
    *,
    tz: str | None = None,
    copy: bool = True,
    jobs: int = 1,
    progress: bool = False,
) -> AutoResult:
    """Recognise every file under ``paths`` and import each source's files into ``pool``.

    The library face of ``ev-import auto`` (a notebook calls this): one pool file per input
    unit (:func:`units_of`: a file, a Parsl run dir, or squeue's snapshots together), the
    same file any other command importing that input writes; Academy/pool files copied in
    unchanged unless ``copy`` is false. An input a source cannot use is named in that
    source's ``details`` and the others are still imported; FIFOs, loops, dangling links
    and missing paths are named in ``plan.skipped`` (partial). When nothing at all could be
    looked at, the first one's error is raised (one ``error:`` line, exit 2).
    """
    paths = list(paths)
    plan = classify(paths, pool=pool)
    if plan.skipped and not (plan.by_source or plan.pool_files or plan.unknown):
        path, why = plan.skipped[0]
        raise UnusableInput(why, path, "give directories or files to import")
    result = AutoResult(pool=pool, plan=plan, copy=copy)
    roots = [str(p) for p in paths if os.path.isdir(p)]
    claimed = {real_path(f): name for name, files in plan.by_source.items() for f in files}
    claimed.update((real_path(f), "pool file") for f in plan.pool_files)
    for source in recognisers():
        files = plan.by_source.get(source.name, [])
        if not files:
            continue
        res = SourceResult(source.name, files)
        result.sources.append(res)
        for unit in units_of(source, files, roots):
            group = unit.inputs
            try:
                writer, report = _import_group(source, pool, unit, tz, jobs, progress)
            except EvImportError as exc:
                res.details.append(f"error: {exc.line()}")
                res.partial = True
                continue
            unclaim_foreign(report, {f for f, name in claimed.items() if name != source.name})
            res.events += writer.count
            res.unparsed += writer.unparsed
            merge_report(res.report, report)
            res.outputs.append(writer.final)
            if writer.unparsed or report.partial or report.problems:
                res.details.append("  " + summary_line(source.name, [str(f) for f in group],
                                                       writer, report))
            res.partial = res.partial or bool(writer.unparsed) or report.partial
    if plan.pool_files and copy:
        for path in plan.pool_files:
            try:
                result.copied.append(copy_pool_file(path, pool))
            except OSError as exc:
                if exc.errno in FULL_ERRNOS:
                    raise full_error(exc, pool) from None
                result.copy_errors.append(f"error: cannot copy {path}: {exc.strerror}")
    return result
