"""Cut an import into batches small enough to spread and big enough to be worth an app.

The unit of the pool is unchanged: one import, and so one pool file, is exactly what
``ev-import auto PATH...`` would write (the same sources grouped the same way, the same file
identity). Only the work inside one import is spread: a source whose files are independent
of each other (Parsl's logs) is cut into batches of consecutive files, a text log bigger than
a batch into byte ranges at record boundaries, and the batches' outputs are concatenated in
plan order, so the pool file is byte for byte the sequential one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import auto
from ..core.parallel import SPLIT_MIN_BYTES, split_points
from ..sources.parsl_logs.keys import SOURCE_NAME as PARSL_LOGS
from ..sources.parsl_logs.paths import log_files
from ..sources.parsl_logs.source import is_record_start

# Sources whose files can be read apart and concatenated in order: nothing in one file
# changes another's records. squeue (state changes between snapshots), redis (children
# linked to their parent) and procs read all their files as one stream, so stay whole.
SPLITTABLE = frozenset({PARSL_LOGS})

DEFAULT_BATCH_BYTES = 16 << 20   # ~0.15 s of parsing per MiB: start-up stays a few percent
#: A text log at least this big (and bigger than a batch) is cut into byte ranges.
CUT_MIN_BYTES = SPLIT_MIN_BYTES


@dataclass(frozen=True)
class Batch:
    """One app's work: ``files`` of one source, or bytes ``start``..``end`` of one file
    (``lineno`` is that range's first line number)."""

    source: str
    files: tuple[str, ...]
    start: int | None = None
    end: int | None = None
    lineno: int = 1

    def describe(self) -> str:
        where = self.files[0] if len(self.files) == 1 else \
            f"{self.files[0]} (+{len(self.files) - 1} more files)"
        if self.start is not None:
            where += f" bytes {self.start}-{self.end}"
        return where


@dataclass
class PlannedImport:
    """One pool file to write: its source, its unit (whose key names the file, with the
    host), the inputs ``auto`` would hand the importer, and the batches."""

    source: str
    inputs: list[str]
    unit: str
    batches: list[Batch] = field(default_factory=list)
    files: int = 0


@dataclass
class Plan:
    imports: list[PlannedImport]
    pool_files: list[Path]       # Academy's (or another pool's) files, copied unchanged
    unknown: list[Path]          # recognised by no importer, left alone
    skipped: list[tuple[str, str]] = field(default_factory=list)  # unreadable: (path, why)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # unreadable: the importer names it when it tries


def _batches(source: str, inputs: list[str], batch_bytes: int) -> list[Batch]:
    if source not in SPLITTABLE:
        return [Batch(source, tuple(inputs))]
    # the files the importer reads for these inputs (a run dir: its logs), in its order
    files = log_files(inputs)[0]
    batches: list[Batch] = []
    current: list[str] = []
    size = 0
    for path in files:
        n = _size(path)
        if n >= max(batch_bytes, CUT_MIN_BYTES) and not path.name.endswith(".jsonlog") \
                and not path.name.endswith(".sh.ec"):
            if current:
                batches.append(Batch(source, tuple(current)))
                current, size = [], 0
            pieces = max(2, -(-n // batch_bytes))
            for part in split_points(path, pieces, is_record_start):
                batches.append(Batch(source, (str(path),), part.start, part.end, part.lineno))
            continue
        current.append(str(path))
        size += n
        if size >= batch_bytes:
            batches.append(Batch(source, tuple(current)))
            current, size = [], 0
    if current:
        batches.append(Batch(source, tuple(current)))
    return batches


def plan(paths: Iterable[str | os.PathLike], *, pool: Path,
         batch_bytes: int = DEFAULT_BATCH_BYTES) -> Plan:
    """Recognise every file under ``paths`` (as ``auto`` does) and cut the imports."""
    paths = list(paths)
    found = auto.classify(paths, pool=pool)
    roots = [str(p) for p in paths if os.path.isdir(p)]
    imports: list[PlannedImport] = []
    for source in auto.recognisers():
        files = found.by_source.get(source.name, [])
        for unit in auto.units_of(source, files, roots):
            batches = _batches(source.name, unit.inputs, batch_bytes)
            imports.append(PlannedImport(
                source.name, unit.inputs, unit.key, batches,
                len({f for b in batches for f in b.files})))
    return Plan(imports, found.pool_files, found.unknown, found.skipped)
