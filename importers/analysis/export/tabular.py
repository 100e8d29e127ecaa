"""CSV (spreadsheets) and Parquet (large pools, Dask/Spark/pandas) exports, written by
DuckDB's ``COPY`` from the typed view: streaming, so memory stays flat at any size.

Both keep the events in time order with one column per key that some selected event carries
(or ``--fields``); Parquet keeps the column types (``created`` DOUBLE, ``linux.pid`` BIGINT).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence

from ..load import quote_ident, quote_literal
from ..query import FILE_KEY, ORDER
from . import ExportFormat, atomic_path, filled_columns

# The columns the time order sorts by (query.ORDER), kept in the staging table even when
# --fields leaves them out of the export.
ORDER_KEYS = ("created", FILE_KEY, "ev.lineno")
# Rows sorted at a time: a sort of ~300-column rows holds them all in memory, ~10 kB a row.
CHUNK_ROWS = 10_000
STAGE = "ev_export_stage"


def _time_ranges(con, table: str) -> list[str]:
    """WHERE clauses that cut ``table`` into time ranges of about CHUNK_ROWS rows, in time
    order (rows without ``created`` first, as ORDER puts them)."""
    total = con.execute(f'SELECT count("created") FROM {table}').fetchall()[0][0]
    parts = -(-total // CHUNK_ROWS)
    edges: list[float] = []
    if parts > 1:
        probs = ", ".join(str(i / parts) for i in range(1, parts))
        [[found]] = con.execute(f'SELECT quantile_disc("created", [{probs}]) '
                                f"FROM {table}").fetchall()
        edges = sorted(set(found))
    bounds = [None, *edges, None]
    ranges = ['"created" IS NULL']
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        conds = [f'"created" >= {lo!r}' if lo is not None else '"created" IS NOT NULL']
        if hi is not None:
            conds.append(f'"created" < {hi!r}')
        ranges.append(" AND ".join(conds))
    return ranges


def _copy(query, target: str, fields: Sequence[str] | None, options: str) -> int:
    columns = filled_columns(query, fields)
    listed = ", ".join(quote_ident(c) for c in columns) or "NULL AS empty"
    staged = [*columns, *(k for k in ORDER_KEYS if k not in columns)]
    con = query.pool.con
    settings = dict(con.execute(
        "SELECT name, value FROM duckdb_settings() "
        "WHERE name IN ('threads', 'preserve_insertion_order')").fetchall())
    # Sorting the whole selection at once holds every row in memory (past a ~30 MB pool that
    # exceeds the default limit, and an in-memory temporary table does not spill). So the
    # rows are staged in a DuckDB file on disk, sorted one time range at a time into Parquet
    # parts, and the parts are copied out in order: memory stays bounded by CHUNK_ROWS.
    # One thread: the parts' order is kept only by a single-threaded, order-preserving scan.
    con.execute("SET threads = 1")
    stage_dir = tempfile.mkdtemp(prefix="ev-import-export-")
    try:
        con.execute(f"ATTACH {quote_literal(os.path.join(stage_dir, 'stage.duckdb'))} AS {STAGE}")
        try:
            table = f"{STAGE}.events"
            con.execute(f"CREATE TABLE {table} AS "
                        + query.sql(", ".join(quote_ident(c) for c in staged), ordered=False))
            parts = []
            for i, where in enumerate(_time_ranges(con, table)):
                part = os.path.join(stage_dir, f"part-{i:05d}.parquet")
                con.execute(f"COPY (SELECT {listed} FROM {table} WHERE {where} {ORDER}) "
                            f"TO {quote_literal(part)} (FORMAT parquet)")
                parts.append(quote_literal(part))
            con.execute("SET preserve_insertion_order = true")
            with atomic_path(target) as tmp:
                rows = con.execute(f"COPY (SELECT * FROM read_parquet([{', '.join(parts)}])) "
                                   f"TO {quote_literal(tmp)} ({options})").fetchall()
        finally:
            con.execute(f"DETACH {STAGE}")
    finally:
        con.execute(f"SET threads = {int(settings['threads'])}")
        con.execute(f"SET preserve_insertion_order = {settings['preserve_insertion_order']}")
        shutil.rmtree(stage_dir, ignore_errors=True)
    return int(rows[0][0]) if rows and rows[0] else 0


def write_csv(query, target: str, fields: Sequence[str] | None = None) -> int:
    """One header row, then one row per event; empty cells for keys an event lacks."""
    return _copy(query, target, fields, "FORMAT csv, HEADER true")


def write_parquet(query, target: str, fields: Sequence[str] | None = None) -> int:
    """Typed columns, zstd-compressed row groups."""
    # Small row groups: the writer holds one in memory, and a pool has ~300 columns.
    return _copy(query, target, fields, "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 16384")


CSV = ExportFormat("csv", (".csv",), "CSV with a header row, for spreadsheets", write_csv)
PARQUET = ExportFormat("parquet", (".parquet", ".pq"), "typed Parquet, for large pools",
                       write_parquet)
FORMATS = (CSV, PARQUET)
