"""CSV (spreadsheets) and Parquet (large pools, Dask/Spark/pandas) exports, written by
DuckDB's ``COPY`` from the typed view: streaming, so memory stays flat at any size.

Both keep the events in time order with one column per key that some selected event carries
(or ``--fields``); Parquet keeps the column types (``created`` DOUBLE, ``linux.pid`` BIGINT).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ...core.pool import FILE_KEY
from ..load import quote_ident, quote_literal
from . import ExportFormat, atomic_path, filled_columns

# Lines read back from the sorted copy; a pool line longer than this (records are capped at
# 1 MiB of text by the importers) is refused by DuckDB with an error, never cut.
MAX_LINE_BYTES = 4 * 1024 * 1024


@contextmanager
def _one_thread_in_order(con) -> Iterator[None]:
    saved = con.execute("SELECT current_setting('threads'), "
                        "current_setting('preserve_insertion_order')").fetchall()[0]
    con.execute("SET threads = 1")
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute(f"SET threads = {int(saved[0])}")
        con.execute(f"SET preserve_insertion_order = {'true' if saved[1] else 'false'}")


@contextmanager
def _sorted_lines(query) -> Iterator[str]:
    """The selected lines, time ordered, in a temporary CSV of ``(json, file)``: the SQL of a
    relation that reads them back in that order.

    Sorting the typed rows themselves carries every column through the sort (a pool has
    ~300 keys, 16 bytes each even when empty) and ran DuckDB out of its memory limit on a
    pool of 40k events; so the sort sees only the raw line, its file and the order keys,
    and the typed columns are made afterwards, from the sorted copy, without a sort. The
    copy goes through a file because DuckDB's Parquet writer fed straight by that sort still
    ran out of memory on 300k events (a CSV sink did not).
    """
    con = query.pool.con
    with tempfile.TemporaryDirectory(prefix="ev-import-export-") as scratch:
        path = os.path.join(scratch, "sorted.csv")
        narrow = query.narrow_sql([FILE_KEY], with_json=True)
        con.execute(f"COPY (SELECT * FROM ({narrow})) TO {quote_literal(path)} "
                    "(FORMAT csv, HEADER true)")
        yield (f"(SELECT \"__json\" AS json, {quote_ident(FILE_KEY)} AS filename FROM "
               f"read_csv({quote_literal(path)}, header=true, all_varchar=true, quote='\"', "
               f"escape='\"', max_line_size={MAX_LINE_BYTES}))")


def _copy(query, target: str, fields: Sequence[str] | None, options: str) -> int:
    columns = filled_columns(query, fields)
    con = query.pool.con
    with _one_thread_in_order(con), _sorted_lines(query) as lines:
        select = (query.narrow_sql(columns, ordered=False, lines=lines) if columns
                  else query.sql("NULL AS empty"))
        with atomic_path(target) as tmp:
            rows = con.execute(f"COPY ({select}) TO {quote_literal(tmp)} ({options})").fetchall()
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
