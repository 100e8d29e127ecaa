"""A Parquet copy of a pool for big questions: a cache that knows when it is stale.

The JSON lines files stay the source of truth. ``compact`` writes every event of the pool's
``events`` view (typed columns, ``ev.file``) as Parquet shards partitioned by source and host
(``COPY ... PARTITION_BY``), under ``<pool>/.ev-parquet/`` (a dot-dir: no ``*.jsonlog`` glob
and no importer sees it), with a manifest of the JSON files it was made from (path, size,
mtime, inode). A pool file added, removed, grown or replaced since then makes the copy
stale, and readers go back to the JSON files until ``compact`` runs again: an answer is never
read from an out-of-date copy. Readers that find the copy fresh read the shards instead
(10-100x fewer bytes, columns read only when used); Dask and Spark read the same shards.

Layout::

    <pool>/.ev-parquet/manifest.json
    <pool>/.ev-parquet/data/source=<ev.source>/host=<host>/data_0.parquet

``source`` is ``ev.source`` (``pool`` for Academy's and Parsl's own files, which have none),
``host`` the record's ``linux.hostname``, else the host in its pool file's name, else
``unknown``; both are cleaned to ``[A-Za-z0-9_-]`` so pool content never chooses a path.
A new copy is written beside the old one and swapped in by renames, so a reader sees the old
copy, no copy (then it reads JSON), or the new one, never half of one.

Example::

    from importers.analysis import compact
    compact.compact("evpool")           # or: ev-import compact evpool
    compact.status("evpool").fresh      # True until a pool file changes
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..core.errors import PoolError
from ..core.pool import FILE_KEY, pool_dir, pool_files

DIR_NAME = ".ev-parquet"
MANIFEST = "manifest.json"
DATA = "data"
FORMAT_VERSION = 1
#: Partition columns: in directory names only, never columns of ``events``.
PARTITIONS = ("source", "host")
COMPACT_MEMORY = os.environ.get("EV_COMPACT_MEMORY", "1GB")


def _stat_of(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def snapshot(pool: Path) -> dict[str, list[int]]:
    """Every pool file (relative path) with its size, mtime and inode."""
    out = {}
    for path in pool_files(pool):
        try:
            out[str(path.relative_to(pool))] = _stat_of(path)
        except OSError:
            continue  # gone between the listing and the stat: not part of the pool any more
    return out


@dataclass
class Status:
    """Is there a Parquet copy, and may it answer questions for the pool as it is now?"""

    pool: Path
    exists: bool
    fresh: bool
    reason: str
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def data_glob(self) -> str:
        return str(self.pool / DIR_NAME / DATA / "**" / "*.parquet")


def _diff(then: dict[str, list[int]], now: dict[str, list[int]]) -> str:
    added = sorted(set(now) - set(then))
    removed = sorted(set(then) - set(now))
    changed = sorted(k for k in set(now) & set(then) if now[k] != then[k])
    for what, names in (("changed", changed), ("added", added), ("removed", removed)):
        if names:
            more = f" (+{len(names) - 1} more)" if len(names) > 1 else ""
            return f"{what} since compact: {names[0]}{more}"
    return ""


def status(pool: str | os.PathLike | None = None) -> Status:
    pool = pool_dir(pool)
    path = pool / DIR_NAME / MANIFEST
    try:
        manifest = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return Status(pool, False, False, "no Parquet copy (run: ev-import compact)")
    if manifest.get("version") != FORMAT_VERSION:
        return Status(pool, True, False, "made by another version of ev-import", manifest)
    why = _diff(manifest.get("files", {}), snapshot(pool))
    if why:
        return Status(pool, True, False, why, manifest)
    return Status(pool, True, True, "fresh", manifest)


def _clean(expr: str) -> str:
    return f"regexp_replace({expr}, '[^A-Za-z0-9_-]', '_', 'g')"


def _host_of_file() -> str:
    """SQL: the host a pool file's name carries (``<source>@<host>-<id>.jsonlog``), if any."""
    return (f"nullif(regexp_extract(\"{FILE_KEY}\", '@([A-Za-z0-9._-]+)-[0-9a-f]+\\.jsonlog$', 1),"
            " '')")


def partition_select(columns: list[str]) -> str:
    """``*`` plus the two partition columns, from the typed ``events`` columns."""
    host = ["\"linux.hostname\""] if "linux.hostname" in columns else []
    source = "coalesce(\"ev.source\", 'pool')" if "ev.source" in columns else "'pool'"
    host_expr = f"coalesce({', '.join([*host, _host_of_file(), repr('unknown')])})"
    return f"*, {_clean(source)} AS source, {_clean(host_expr)} AS host"


@dataclass
class Result:
    pool: Path
    rows: int
    files: int
    shards: int
    bytes: int
    seconds: float
    skipped: bool = False

    def line(self) -> str:
        if self.skipped:
            return f"compact: {self.pool / DIR_NAME} is fresh ({self.rows} events); nothing to do"
        return (f"compact: {self.rows} events from {self.files} pool files -> {self.shards} "
                f"Parquet shards ({self.bytes / 1e6:.1f} MB) in {self.pool / DIR_NAME}, "
                f"{self.seconds:.1f} s")


def write_shards(con, select_sql: str, target: Path) -> None:
    """``COPY (select_sql) TO target (PARQUET, PARTITION_BY (source, host))``."""
    target.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY ({select_sql}) TO '{str(target / DATA)}' "
        f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({', '.join(PARTITIONS)}), "
        "OVERWRITE_OR_IGNORE true)"
    )


def _swap(pool: Path, new: Path) -> None:
    """Replace ``<pool>/.ev-parquet`` by ``new`` with renames (readers never see half)."""
    final = pool / DIR_NAME
    old = pool / f".{DIR_NAME}.old-{uuid.uuid4().hex[:8]}.tmp"
    if final.exists():
        os.rename(final, old)
    os.rename(new, final)
    shutil.rmtree(old, ignore_errors=True)


def _du(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*.parquet")]
    return len(files), sum(p.stat().st_size for p in files)


def compact(pool: str | os.PathLike | None = None, *, force: bool = False,
            memory_limit: str | None = None) -> Result:
    """Write (or refresh) the pool's Parquet copy; a fresh copy is kept unless ``force``."""
    from . import open_pool

    t0 = time.monotonic()
    pool = pool_dir(pool)
    if not pool.is_dir():
        raise PoolError("no such pool", str(pool), "give the pool directory, or set $EV_POOL")
    current = status(pool)
    if current.fresh and not force:
        return Result(pool, current.manifest.get("rows", 0), len(current.manifest["files"]),
                      0, 0, 0.0, skipped=True)
    files = snapshot(pool)
    new = pool / f".{DIR_NAME}.new-{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open_pool(pool, memory_limit=memory_limit or COMPACT_MEMORY,
                       parquet=False) as opened:
            columns = list(opened.schema.columns)
            write_shards(opened.con, f"SELECT {partition_select(columns)} FROM events", new)
            rows = opened.con.execute(
                f"SELECT count(*) FROM read_parquet('{new / DATA}/**/*.parquet')").fetchone()[0]
        manifest = {"version": FORMAT_VERSION, "created": time.time(), "rows": rows,
                    "files": files, "partitions": list(PARTITIONS)}
        (new / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        _swap(pool, new)
    except OSError as exc:
        shutil.rmtree(new, ignore_errors=True)
        raise PoolError("cannot write the Parquet copy", str(pool / DIR_NAME),
                        f"{exc.strerror}; the JSON files are unchanged") from None
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    shards, size = _du(pool / DIR_NAME)
    return Result(pool, rows, len(files), shards, size, time.monotonic() - t0)


def parquet_source_sql(pool: Path) -> str:
    """The shards as one relation with the ``events`` columns (partition columns dropped)."""
    glob = str(pool / DIR_NAME / DATA / "**" / "*.parquet").replace("'", "''")
    return (f"(SELECT * EXCLUDE ({', '.join(PARTITIONS)}) FROM read_parquet('{glob}', "
            "hive_partitioning=true, union_by_name=true))")
