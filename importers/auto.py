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
from .core.pool import PoolWriter
from .core.report import ImportReport
from .core.runner import summary_line, write_import
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


def _walk(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    yield Path(root) / name
        elif p.exists() or p.is_symlink():
            yield p
        else:
            raise UnusableInput("no such file or directory", str(p),
                                "give directories or files to import")


def classify(paths: Iterable[str | os.PathLike], pool: Path | None = None) -> Plan:
    """Recognise every file under ``paths`` by content (the pool itself is skipped)."""
    plan = Plan()
    pool_resolved = pool.resolve() if pool is not None else None
    for path in _walk(paths):
        if pool_resolved is not None and pool_resolved in path.resolve().parents:
            continue
        try:
            with open(path, "rb") as fh:
                head = fh.read(HEAD_BYTES)
        except OSError:
            plan.unknown.append(path)
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


def copy_pool_file(path: Path, pool: Path, root: Path | None) -> Path:
    """Copy a pool-format file into the pool unchanged (temp + rename), keeping its place
    under ``root`` so Academy's ``<pool-uuid>/<instance-uuid>.jsonlog`` layout survives."""
    relative = path.relative_to(root) if root and root in path.parents else Path(path.name)
    target = pool / "copied" / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.name}.{os.getpid()}.tmp"
    shutil.copyfile(path, temp)
    os.replace(temp, target)
    return target


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


@dataclass
class AutoResult:
    """The outcome of :func:`import_paths`: per source, and the files not imported."""

    pool: Path
    plan: Plan
    sources: list[SourceResult] = field(default_factory=list)
    copied: list[Path] = field(default_factory=list)
    copy: bool = True

    @property
    def partial(self) -> bool:
        return any(s.partial for s in self.sources)

    def summary_lines(self, show_unknown: int = 5) -> list[str]:
        """The lines ``ev-import auto`` prints: one per source, then pool files and unknowns."""
        lines: list[str] = []
        for res in self.sources:
            shown = ", ".join(map(str, res.outputs[:2])) + (
                f" (+{len(res.outputs) - 2} more)" if len(res.outputs) > 2 else "")
            lines.append(f"auto: {res.name}: {len(res.files)} files, {res.events} events "
                         f"({res.unparsed} unparsed) -> {shown}")
            lines.extend(res.details)
        plan = self.plan
        if plan.pool_files and self.copy:
            lines.append(f"auto: pool files (Academy or other pools): {len(plan.pool_files)} "
                         f"copied unchanged into {self.pool / 'copied'}")
        elif plan.pool_files:
            lines.append(f"auto: pool files (Academy or other pools): {len(plan.pool_files)} "
                         "left where they are (--no-copy); read them with the pool reader "
                         "directly")
        if plan.unknown:
            names = ", ".join(str(p) for p in plan.unknown[:show_unknown])
            more = (f" (+{len(plan.unknown) - show_unknown} more)"
                    if len(plan.unknown) > show_unknown else "")
            lines.append(f"auto: not recognised, not imported: {len(plan.unknown)} files: "
                         f"{names}{more}")
        if not plan.by_source and not plan.pool_files:
            lines.append("auto: nothing recognised to import")
        return lines


def _import_group(source: Source, pool: Path, group: list[Path], tz: str | None, jobs: int,
                  progress: bool) -> tuple[PoolWriter, ImportReport]:
    inputs = [str(f) for f in group]
    if source.import_files is not None:
        return write_import(pool, source.name, inputs, {"tz": tz},
                            fill=lambda w, r: source.import_files(w, group, tz, r, jobs))
    return write_import(pool, source.name, inputs, {"tz": tz},
                        lambda r: source.read(group, tz=tz, report=r), progress=progress)


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

    The library face of ``ev-import auto`` (a notebook calls this): one pool file per source
    (per file for ``per_file`` sources such as a DB), Academy/pool files copied in unchanged
    unless ``copy`` is false. An input a source cannot use is named in that source's
    ``details`` and the others are still imported.
    """
    paths = list(paths)
    plan = classify(paths, pool=pool)
    result = AutoResult(pool=pool, plan=plan, copy=copy)
    for source in recognisers():
        files = plan.by_source.get(source.name, [])
        if not files:
            continue
        res = SourceResult(source.name, files)
        result.sources.append(res)
        groups = [[f] for f in files] if source.per_file else [files]
        for group in groups:
            try:
                writer, report = _import_group(source, pool, group, tz, jobs, progress)
            except EvImportError as exc:
                res.details.append(f"error: {exc.line()}")
                res.partial = True
                continue
            res.events += writer.count
            res.unparsed += writer.unparsed
            res.outputs.append(writer.final)
            if writer.unparsed or report.partial or report.problems:
                res.details.append("  " + summary_line(source.name, [str(f) for f in group],
                                                       writer, report))
            res.partial = res.partial or bool(writer.unparsed) or report.partial
    if plan.pool_files and copy:
        roots = [Path(p) for p in paths if Path(p).is_dir()]
        for path in plan.pool_files:
            root = next((r for r in roots if r in path.parents), None)
            result.copied.append(copy_pool_file(path, pool, root))
    return result
