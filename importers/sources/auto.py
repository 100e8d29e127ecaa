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
from ..core.identity import host_name, real_path
from ..core.inputs import read_head, walk_files
from ..core.report import ImportReport
from . import parsl_db, parsl_logs, procs, redis_log, sacct, squeue

HEAD_BYTES = 8192


@dataclass(frozen=True)
class AutoSource:
    """How ``auto`` finds and imports one source.

    ``read`` takes the files of one pool file. ``unit`` says how files are grouped into pool
    files (:mod:`importers.core.identity`): ``file`` one per file, ``run`` one per Parsl run
    dir the walk covers (then ``read`` gets the run dir), ``all`` one for all of them
    together (squeue snapshots, whose state changes lie between files).
    """

    name: str
    sniff: Callable[[Path, bytes], bool]
    read: Callable[[list[Path], str | None, ImportReport], Iterator[dict[str, Any]]]
    unit: str = "file"

    @property
    def per_file(self) -> bool:
        return self.unit == "file"


def _sniff_parsl_db(path: Path, head: bytes) -> bool:
    return head.startswith(parsl_db.SQLITE_MAGIC) and parsl_db.has_parsl_tables(path)


def _sniff_parsl_logs(path: Path, head: bytes) -> bool:
    if path.name.endswith(".sh.ec") and parsl_logs.run_dir_of(Path(real_path(path))):
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
    AutoSource("parsl-db", _sniff_parsl_db, _each(parsl_db.read)),
    AutoSource("parsl-logs", _sniff_parsl_logs, _all(parsl_logs.read), unit="run"),
    AutoSource("sacct", _sniff_sacct, _each(sacct.read_file)),
    # all snapshots in one import: state changes are seen between them
    AutoSource("squeue", _sniff_squeue, _all(squeue.read_files), unit="all"),
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


def copied_path(path: Path, pool: Path, host: str | None = None) -> Path:
    """Where a pool-format file is copied: ``<pool>/copied/<host>/<its real path>``.

    Its identity is the input's (host + real path), like every pool file's, so ``auto A``
    and ``auto A/sub`` copy a file to one place and other nodes' copies are kept; Academy's
    ``<pool-uuid>/<instance-uuid>.jsonlog`` layout survives at the end of the path.
    """
    return pool / "copied" / (host or host_name()) / real_path(path).lstrip(os.sep)


def copy_pool_file(path: Path, pool: Path, root: Path | None = None) -> Path:
    """Copy a pool-format file into the pool unchanged (temp + rename + directory fsync)."""
    from ..core.pool import fsync_dir, temp_name

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
