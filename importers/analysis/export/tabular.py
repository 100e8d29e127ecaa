"""CSV (spreadsheets) and Parquet (large pools, Dask/Spark/pandas) exports, written by
DuckDB's ``COPY`` from the typed view: streaming, so memory stays flat at any size.

Both keep the events in time order with one column per key that some selected event carries
(or ``--fields``); Parquet keeps the column types (``created`` DOUBLE, ``linux.pid`` BIGINT).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..load import quote_ident, quote_literal
from . import ExportFormat, atomic_path, filled_columns


def _copy(query, target: str, fields: Sequence[str] | None, options: str) -> int:
    columns = filled_columns(query, fields)
    select = query.sql(", ".join(quote_ident(c) for c in columns) or "NULL AS empty")
    con = query.pool.con
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    # One thread: sorting ~300-column rows on two threads and writing them needs more than
    # the default memory limit; one thread stays within it (and the disk is the bottleneck).
    con.execute("SET threads = 1")
    try:
        with atomic_path(target) as tmp:
            rows = con.execute(f"COPY ({select}) TO {quote_literal(tmp)} ({options})").fetchall()
    finally:
        con.execute(f"SET threads = {int(threads)}")
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
