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


def _copy(query, target: str, fields: Sequence[str] | None, options: str) -> int:
    columns = filled_columns(query, fields)
    listed = ", ".join(quote_ident(c) for c in columns) or "NULL AS empty"
    staged = [*columns, *(k for k in ORDER_KEYS if k not in columns)]
    con = query.pool.con
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    # One thread: sorting ~300-column rows on two threads and writing them needs more than
    # the default memory limit; one thread stays within it (and the disk is the bottleneck).
    con.execute("SET threads = 1")
    # Sorting straight off the JSON scan holds the scan's buffers and the sort's at once, and
    # an in-memory temporary table does not spill: past a ~30 MB pool either exceeds the
    # default memory limit. The rows are staged in a DuckDB file on disk first, then sorted
    # from it (the sort spills to the temp directory), so memory stays flat.
    stage_dir = tempfile.mkdtemp(prefix="ev-import-export-")
    try:
        con.execute(f"ATTACH {quote_literal(os.path.join(stage_dir, 'stage.duckdb'))} "
                    "AS ev_export_stage")
        try:
            con.execute("CREATE TABLE ev_export_stage.events AS "
                        + query.sql(", ".join(quote_ident(c) for c in staged), ordered=False))
            with atomic_path(target) as tmp:
                rows = con.execute(f"COPY (SELECT {listed} FROM ev_export_stage.events {ORDER}) "
                                   f"TO {quote_literal(tmp)} ({options})").fetchall()
        finally:
            con.execute("DETACH ev_export_stage")
    finally:
        con.execute(f"SET threads = {int(threads)}")
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
