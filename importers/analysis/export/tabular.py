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
    with atomic_path(target) as tmp:
        rows = query.pool.con.execute(
            f"COPY ({select}) TO {quote_literal(tmp)} ({options})").fetchall()
    return int(rows[0][0]) if rows and rows[0] else 0


def write_csv(query, target: str, fields: Sequence[str] | None = None) -> int:
    """One header row, then one row per event; empty cells for keys an event lacks."""
    return _copy(query, target, fields, "FORMAT csv, HEADER true")


def write_parquet(query, target: str, fields: Sequence[str] | None = None) -> int:
    """Typed columns, zstd-compressed row groups."""
    return _copy(query, target, fields, "FORMAT parquet, COMPRESSION zstd")


CSV = ExportFormat("csv", (".csv",), "CSV with a header row, for spreadsheets", write_csv)
PARQUET = ExportFormat("parquet", (".parquet", ".pq"), "typed Parquet, for large pools",
                       write_parquet)
FORMATS = (CSV, PARQUET)
