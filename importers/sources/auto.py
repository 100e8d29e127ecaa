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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..core.errors import UnusableInput
from ..core.report import ImportReport
from . import parsl_db, parsl_logs, procs, redis_log, sacct, squeue

HEAD_BYTES = 8192


@dataclass(frozen=True)
class AutoSource:
    """How ``auto`` finds and imports one source.

    ``read`` takes the files recognised for this source; ``per_file`` sources (a DB) get one
    import, and so one pool file, per input file.
    """

    name: str
    sniff: Callable[[Path, bytes], bool]
    read: Callable[[list[Path], str | None, ImportReport], Iterator[dict[str, Any]]]
    per_file: bool = False


def _sniff_parsl_db(path: Path, head: bytes) -> bool:
    return head.startswith(parsl_db.SQLITE_MAGIC) and parsl_db.has_parsl_tables(path)


def _sniff_parsl_logs(path: Path, head: bytes) -> bool:
    if path.name.endswith(".sh.ec") and parsl_logs.run_dir_of(path.resolve()):
        return True
    if path.name.endswith(".jsonlog"):
        return _first_json_object(head).get("funcname") is not None
    return parsl_logs.sniff(head)


def _each(read_one: Callable[..., Iterator[dict[str, Any]]]) -> Callable[..., Iterator[dict]]:
    """An importer of one file at a time, over all of a source's files, in one import."""
    def read(files: list[Path], tz: str | None, report: ImportReport) -> Iterator[dict]:
        for path in files:
            yield from read_one(path, tz=tz, report=report)
    return read


def _all(read_many: Callable[..., Iterator[dict[str, Any]]]) -> Callable[..., Iterator[dict]]:
    """An importer that takes all of a source's files at once."""
    def read(files: list[Path], tz: str | None, report: ImportReport) -> Iterator[dict]:
        return read_many(files, tz=tz, report=report)
    return read


def _slurm_json_kind(head: bytes) -> str | None:
    """``sacct --json`` or ``squeue --json`` output, told apart by the meta block Slurm
    writes first (22.05: the ``openapi/dbv*`` plugin is sacct's; 23.02+: ``command``)."""
    if not head.lstrip().startswith(b"{") or b'"jobs"' not in head and b'"meta"' not in head:
        return None
    if b'"sacct"' in head or b"openapi\\/dbv" in head or b"OpenAPI DB" in head:
        return "sacct"
    if b'"squeue"' in head or b'"job_state"' in head or b"openapi" in head:
        return "squeue"
    return None


def _first_line_cells(head: bytes) -> list[str]:
    return head.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split("|")


def _sniff_sacct(path: Path, head: bytes) -> bool:
    cells = _first_line_cells(head)
    return ("JobID" in cells and ("State" in cells or "JobIDRaw" in cells)) or \
        _slurm_json_kind(head) == "sacct"


def _sniff_squeue(path: Path, head: bytes) -> bool:
    cells = _first_line_cells(head)
    return (cells[:1] == ["JOBID"] and "STATE" in cells) or _slurm_json_kind(head) == "squeue"


SOURCES: list[AutoSource] = [
    AutoSource("parsl-db", _sniff_parsl_db, _each(parsl_db.read), per_file=True),
    AutoSource("parsl-logs", _sniff_parsl_logs, _all(parsl_logs.read)),
    AutoSource("sacct", _sniff_sacct, _each(sacct.read_file)),
    # all snapshots in one import: state changes are seen between them
    AutoSource("squeue", _sniff_squeue, _all(squeue.read_files)),
    AutoSource("procs", lambda path, head: procs.sniff(head), _all(procs.read)),
    AutoSource("redis-log", lambda path, head: redis_log.looks_like_redis(head),
               _all(redis_log.read)),
]


def _first_json_object(head: bytes) -> dict[str, Any]:
    line = head.split(b"\n", 1)[0]
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return {}
    return obj if isinstance(obj, dict) else {}


def is_pool_file(path: Path, head: bytes) -> bool:
    """A ``*.jsonlog`` of LogRecord-shaped objects: Academy's pool logs, or a pool's own."""
    if not path.name.endswith(".jsonlog"):
        return False
    obj = _first_json_object(head)
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
        for source in SOURCES:
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
