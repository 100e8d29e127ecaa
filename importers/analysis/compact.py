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
``host`` the record's ``linux.hostname``, else the host in its pool file's name (the node that
imported it: ``<source>-<host>-<id>.jsonlog``, ``copied/<host>/...``), else ``unknown``;
both are cleaned to ``[A-Za-z0-9_-]`` so pool content never chooses a path.
A new copy is written beside the old one and swapped in by renames, so a reader sees the old
copy, no copy (then it reads JSON), or the new one, never half of one.

Memory stays bounded whatever the pool: the files are copied in batches (files of one source
and host together, at most :data:`BATCH_BYTES` of JSON per ``COPY``), so each ``COPY`` keeps
only a few partitions' row groups open; one ``COPY`` of a whole pool of 100 hosts kept 700
open at once and needed 3 GB at 10^6 events. Every batch writes the same typed columns, so all
shards share one schema; the manifest keeps it (``columns``), and readers neither read the
footers to learn it nor reconcile shards by name (``union_by_name``), which halves a scan.

Example::

    from importers.analysis import compact
    compact.compact("evpool")           # or: ev-import compact evpool
    compact.status("evpool").fresh      # True until a pool file changes
"""

from __future__ import annotations

import os
import re
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
#: The pool line each row came from, so ``records()`` gives the records exactly as in the
#: pool (absent keys absent, Academy's strings as written); never a column of ``events``.
RAW_NAME = "ev.line"
RAW = f'"{RAW_NAME}"'
COMPACT_MEMORY = os.environ.get("EV_COMPACT_MEMORY", "1GB")
#: JSON bytes per ``COPY``: a batch's rows go to a few partitions at a time (memory bounded).
BATCH_BYTES = int(float(os.environ.get("EV_COMPACT_BATCH_BYTES", str(256 << 20))))
#: (source, host) groups of files per ``COPY``: each open partition buffers a row group of
#: every column (~300 in a pool of every source), so their number bounds the memory.
BATCH_GROUPS = int(os.environ.get("EV_COMPACT_BATCH_GROUPS", "8"))


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
    """SQL: the host in a pool file's path: ``<source>-<host>-<id>.jsonlog`` (the writer's
    names) or ``copied/<host>/...`` (pool files ``auto`` copied in), else NULL."""
    from ..sources import all_sources

    names = "|".join(sorted((re.escape(s.name) for s in all_sources()), key=len, reverse=True))
    named = f"/(?:{names})-([A-Za-z0-9._-]+)-[0-9a-f]{{12}}\\.jsonlog$"
    copied = "/copied/([^/]+)/"
    return (f"coalesce(nullif(regexp_extract(\"{FILE_KEY}\", '{named}', 1), ''), "
            f"nullif(regexp_extract(\"{FILE_KEY}\", '{copied}', 1), ''))")


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


def write_shards(con, select_sql: str, target: Path, batch: int = 0) -> None:
    """``COPY (select_sql) TO target (PARQUET, PARTITION_BY (source, host))``; batch ``n``'s
    shards are named ``b<n>_<i>.parquet`` so batches add files beside each other."""
    target.mkdir(parents=True, exist_ok=True)
    data = str(target / DATA).replace("'", "''")
    con.execute(
        f"COPY ({select_sql}) TO '{data}' "
        f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({', '.join(PARTITIONS)}), "
        f"OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'b{batch:05d}_{{i}}')"
    )


def _group_of(path: str, pool: Path, named: re.Pattern) -> tuple[str, str]:
    """(source, host) a pool file's name says (``<source>-<host>-<id>.jsonlog``,
    ``copied/<host>/...``), else ("", its directory): files whose rows land in the same
    partitions, to copy together."""
    rel = Path(path).relative_to(pool) if Path(path).is_relative_to(pool) else Path(path)
    if rel.parts and rel.parts[0] == "copied" and len(rel.parts) > 2:
        return ("pool", rel.parts[1])
    m = named.match(rel.name)
    if m:
        return (m.group(1), m.group(2))
    return ("", str(rel.parent))


def _writer_names() -> re.Pattern:
    from ..sources import all_sources

    names = "|".join(sorted((re.escape(s.name) for s in all_sources()), key=len, reverse=True))
    return re.compile(f"^({names})-([A-Za-z0-9._-]+)-[0-9a-f]{{12}}\\.jsonlog$")


def plan_batches(files: list[str], pool: Path, limit: int | None = None,
                 groups: int | None = None) -> list[list[str]]:
    """The pool files in batches of at most ``limit`` bytes (a bigger file alone) and
    ``groups`` (source, host) groups, files of one group together: one ``COPY`` per batch
    writes to few partitions."""
    limit = BATCH_BYTES if limit is None else limit
    groups = BATCH_GROUPS if groups is None else groups
    named = _writer_names()
    sized = []
    for f in files:
        try:
            size = os.stat(f).st_size
        except OSError:
            size = 0
        sized.append((_group_of(f, pool, named), f, size))
    sized.sort(key=lambda t: (t[0], t[1]))
    batches: list[list[str]] = []
    current: list[str] = []
    seen: set[tuple[str, str]] = set()
    total = 0
    for group, f, size in sized:
        if current and (total + size > limit or (group not in seen and len(seen) >= groups)):
            batches.append(current)
            current, total, seen = [], 0, set()
        current.append(f)
        seen.add(group)
        total += size
    if current:
        batches.append(current)
    return batches


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
    import duckdb

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
            columns = [*opened.schema.columns, FILE_KEY, RAW_NAME]
            select = partition_select(columns)
            new.mkdir(parents=True)
            for n, batch in enumerate(plan_batches(opened.files, pool)):
                rows_sql = typed_rows_sql(opened.schema, batch)
                write_shards(opened.con, f"SELECT {select} FROM ({rows_sql})", new, n)
            glob = str(new / DATA / "**" / "*.parquet").replace("'", "''")
            rows = opened.con.execute(
                f"SELECT count(*) FROM read_parquet('{glob}', union_by_name=false)"
            ).fetchone()[0] if any((new / DATA).rglob("*.parquet")) else 0
            shard_types = opened.con.execute(
                f"DESCRIBE SELECT * FROM ({typed_rows_sql(opened.schema, [])})").fetchall()
        manifest = {"version": FORMAT_VERSION, "created": time.time(), "rows": rows,
                    "files": files, "partitions": list(PARTITIONS),
                    "columns": [[name, sql_type] for name, sql_type, *_ in shard_types]}
        (new / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        _swap(pool, new)
    except OSError as exc:
        shutil.rmtree(new, ignore_errors=True)
        raise PoolError("cannot write the Parquet copy", str(pool / DIR_NAME),
                        f"{exc.strerror}; the JSON files are unchanged") from None
    except duckdb.Error as exc:   # out of memory or disk, mostly: one line, no traceback
        shutil.rmtree(new, ignore_errors=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PoolError("cannot write the Parquet copy", str(pool / DIR_NAME),
                        f"{first}; the JSON files are unchanged; more memory: "
                        "$EV_COMPACT_MEMORY (default 1GB)") from None
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    shards, size = _du(pool / DIR_NAME)
    return Result(pool, rows, len(files), shards, size, time.monotonic() - t0)


def parquet_source_sql(pool: Path, uniform: bool = False) -> str:
    """The shards as one relation with the ``events`` columns (partition columns dropped).

    ``uniform``: every shard has the same columns (compact writes them so, and says so in the
    manifest): DuckDB then takes the first footer's schema instead of reconciling each
    shard's by name, which halves a scan of 10^7 events (5.5 -> 2.6 s)."""
    glob = str(pool / DIR_NAME / DATA / "**" / "*.parquet").replace("'", "''")
    return (f"(SELECT * EXCLUDE ({', '.join(PARTITIONS)}) FROM read_parquet('{glob}', "
            f"hive_partitioning=true, union_by_name={'false' if uniform else 'true'}))")


def shard_columns(con, pool: Path, state: Status) -> tuple[list[tuple[str, str]], bool]:
    """The shards' columns (name, type) and whether all shards share them: from the manifest
    when compact wrote them there (no footer is read), else from the footers (older copies)."""
    listed = state.manifest.get("columns")
    if listed:
        return [(str(name), str(sql_type)) for name, sql_type in listed], True
    described = con.execute(f"DESCRIBE SELECT * FROM {parquet_source_sql(pool)}").fetchall()
    return [(name, sql_type) for name, sql_type, *_ in described], False


def shard_schema(columns: list[tuple[str, str]], state: Status, pool: Path):
    """The ``events`` columns of the shards, as a :class:`~importers.analysis.load.Schema`
    (types as stored; rows from the manifest)."""
    from . import load

    found = {name: load.Column(name, sql_type, (name,))
             for name, sql_type in columns if name not in (FILE_KEY, RAW_NAME)}
    stats = load.FileStats(rows=int(state.manifest.get("rows", 0)))
    return load.Schema(dict(sorted(found.items())), {str(pool / DIR_NAME): stats})


def row_json_sql(schema) -> str:
    """SQL: one row of the shards as a JSON object (NULLs included; records() drops them)."""
    from .load import quote_ident, quote_literal

    fields = ", ".join(f"{quote_literal(name)}: {quote_ident(name)}"
                       for name in schema.columns)
    return f"to_json({{{fields}}})"


def open_shards(con, pool: Path, state: Status, all_view: str, view: str,
                json_col: str):
    """Create the pool's views over the shards (what the loader does over JSON files):
    ``view`` with the typed columns, ``all_view`` with the line as in the pool too.

    Both are plain projections of ``read_parquet``: a query reads only the columns it names
    (projection pushdown) and skips row groups its filters exclude."""
    columns, uniform = shard_columns(con, pool, state)
    schema = shard_schema(columns, state, pool)
    # An analysis runs many queries (breakdown: ~25) over the same shards; each would parse
    # every footer again (hundreds of shards x ~300 columns) without DuckDB's metadata cache.
    con.execute("SET parquet_metadata_cache = true")
    row = row_json_sql(schema)
    source = parquet_source_sql(pool, uniform)
    if any(name == RAW_NAME for name, _ in columns):
        select = f"* EXCLUDE ({RAW}), coalesce({RAW}, {row}) AS {json_col}"
    else:   # shards made without the lines (scripts/make_scale_inputs.py)
        select = f"*, {row} AS {json_col}"
    con.execute(f"CREATE VIEW {all_view} AS SELECT {select} FROM {source}")
    con.execute(f"CREATE VIEW {view} AS SELECT * EXCLUDE ({json_col}) FROM {all_view}")
    return schema


def typed_rows_sql(schema, files: list[str]) -> str:
    """The ``events`` view's rows and columns (the loader's :class:`Schema`: same names,
    types and aliases), parsing each JSON line once for all its keys.

    The view extracts each column with its own ``->>``, which DuckDB parses the document
    for each time; with hundreds of keys a full-width read (``SELECT *``, which a Parquet
    copy is) runs out of memory. One ``json_extract_string(json, [paths])`` per line (and
    one ``json_extract`` for JSON-typed columns) does not, and is several times faster."""
    from . import load

    text_keys: dict[str, int] = {}   # values as text: json_extract_string, one parse
    json_keys: dict[str, int] = {}   # JSON-typed columns keep their JSON
    for col in schema.columns.values():
        for key in col.keys:
            chosen = json_keys if col.sql_type == "JSON" else text_keys
            chosen.setdefault(key, len(chosen) + 1)

    def path_list(keys: dict[str, int]) -> str:
        return "[" + ", ".join(load.quote_literal(load.json_pointer(k)) for k in keys) + "]"

    bad = load.not_an_object()

    def element(key: str, sql_type: str) -> str:
        if sql_type == "JSON":
            return f"__j[{json_keys[key]}]"
        return load.typed_expr(f"__s[{text_keys[key]}]", sql_type)

    items = []
    for col in schema.columns.values():
        parts = [element(k, col.sql_type) for k in col.keys]
        expr = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
        items.append(f"{load.mark_unparsed(col.name, expr, bad)} AS "
                     f"{load.quote_ident(col.name)}")
    items += load.reason_if_missing(schema, bad)
    items.append(f"filename AS {load.quote_ident(FILE_KEY)}")
    items.append(f"CAST(json AS VARCHAR) AS {RAW}")   # the line, for records()
    source = load.raw_source_sql(files)
    lists = [f"json_extract_string(json, {path_list(text_keys)}) AS __s"]
    if json_keys:
        lists.append(f"json_extract(json, {path_list(json_keys)}) AS __j")
    return (f"SELECT {', '.join(items)} FROM (SELECT json, filename, {', '.join(lists)} "
            f"FROM {source})")
