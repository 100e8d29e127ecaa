"""parsl-db as a source: ``read``, ``write_to`` (big tables in rowid ranges on several
cores), the ``sniff`` for ``auto``, and its declaration (CLI arguments included)."""

from __future__ import annotations

import argparse
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ...core.clock import Clock
from ...core.errors import InputLocked, UnusableInput
from ...core.parallel import Part, write_parts
from ...core.pool import PoolWriter
from ...core.report import (
    TRUNCATED_INPUT,
    UNKNOWN_COLUMN,
    UNKNOWN_TABLE,
    UNREADABLE_TABLE,
    ImportReport,
)
from ...core.runner import run_import
from ...core.source import Source, add_jobs_argument
from ...core.timezones import resolve_zone
from ..parsl_logs.paths import run_spans, zone_of_runs
from .database import (
    SQLITE_MAGIC,
    database_error,
    has_parsl_tables,
    missing_bytes,
    open_engine,
    resolve_db_path,
)
from .keys import BATCH_ROWS, SOURCE_NAME
from .rows import plan_table, rows_to_records, salvage
from .tables import FORMATS_BY_TABLE


def read(
    path: str | os.PathLike,
    *,
    tz: str | None = None,
    report: ImportReport | None = None,
    lock_timeout: float = 5.0,
    batch_rows: int = BATCH_ROWS,
    skip: Collection[str] = (),
    include_unknown: bool = True,
    only: str | None = None,
    rowids: tuple[int, int] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the events of one Parsl monitoring DB, table by table, streamed.

    Raises :class:`UnusableInput` / :class:`InputLocked` before the first record when the file
    cannot be used at all; a table that breaks mid-read (a truncated copy) is counted as
    ``UnreadableTable`` in ``report`` and the other tables are still read. ``skip``, ``only``
    and ``rowids`` (an inclusive range of ``only``) let :func:`write_to` share tables out.
    """
    report = report if report is not None else ImportReport()
    db_path = resolve_db_path(path)
    inferred = None if tz else zone_of_runs(db_path.parent)
    zone, zone_label = inferred or resolve_zone(tz)
    report.assume("zone", zone_label)
    # The hour repeated when clocks go back (docs/design.md, Times): the occurrence inside
    # the runs' spans (their parsl.log epochs), else each time column's row order (rows
    # are inserted as they arrive: more slack than a log's lines)
    converter = Clock(zone, zone_label, report, slack=DB_SLACK, order="row order",
                      spans=run_spans(db_path.parent))
    origin = str(db_path)
    short = missing_bytes(db_path) if rowids is None else 0
    if short:
        report.problem(TRUNCATED_INPUT, f"{db_path.name} lacks its last {short} bytes")
    engine = open_engine(db_path, lock_timeout)
    try:
        try:
            conn = engine.connect()
            names = sa.inspect(conn).get_table_names()
        except sa_exc.DBAPIError as exc:
            raise database_error(exc, db_path) from None
        with conn:
            known = [t for t in FORMATS_BY_TABLE if t in names]
            if not known:
                found = ", ".join(names) if names else "no tables at all"
                raise UnusableInput(
                    "not a Parsl monitoring DB", str(db_path),
                    f"found {found}; expected tables such as workflow, task, try, status",
                )
            unknown = [t for t in names if t not in FORMATS_BY_TABLE] if include_unknown \
                else []
            # The hot loop reads through the driver's own cursor: SQLAlchemy reflected the
            # schema and wrote the SELECT; per-row Result machinery would only cost time.
            cursor_of = conn.connection.driver_connection.execute
            report.unit = "rows"
            if report.progress is not None and not report.expected and rowids is None:
                report.expect(_rows_about(cursor_of, known + unknown), "rows")
            yielded_any = only is not None  # a part of a table: the caller judges the whole
            where = "" if rowids is None else f" WHERE rowid BETWEEN {rowids[0]} AND {rowids[1]}"
            for table_name in known + unknown:
                if table_name in skip or (only is not None and table_name != only):
                    continue
                try:
                    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
                except sa_exc.DBAPIError as exc:
                    report.problem(UNREADABLE_TABLE, f"{table_name}: {getattr(exc, 'orig', exc)}")
                    continue
                plan = plan_table(table, converter, conn.dialect)
                if rowids is None:
                    if table_name in unknown:
                        report.problem(UNKNOWN_TABLE, table_name)
                    for column in plan.unknown_columns:
                        report.problem(UNKNOWN_COLUMN, f"{table_name}.{column}")
                plan.sql += where
                count = 0
                try:
                    cursor = cursor_of(plan.sql)
                    while rows := cursor.fetchmany(batch_rows):
                        yield from rows_to_records(rows, plan, origin, report)
                        count += len(rows)
                        report.advance(len(rows))
                        yielded_any = True
                except sqlite3.DatabaseError as exc:
                    err = database_error(exc, db_path)
                    if isinstance(err, InputLocked) and not yielded_any:
                        raise err from None
                    # A damaged page fails a whole batch: go back and take the rows of that
                    # batch one at a time, up to the first one that cannot be read.
                    salvaged = yield from salvage(cursor_of, plan, count, origin, report)
                    count += salvaged
                    yielded_any = yielded_any or salvaged > 0
                    report.problem(UNREADABLE_TABLE, f"{table_name} after {count} rows")
            if not yielded_any and report.problems[UNREADABLE_TABLE]:
                details = "; ".join(report.details.get(UNREADABLE_TABLE, []))
                raise UnusableInput(
                    "damaged SQLite database, no rows could be read", str(db_path),
                    f"{details}. Try `sqlite3 {db_path.name} .recover`",
                )
    finally:
        engine.dispose()


def _rows_about(cursor_of: Callable[[str], Any], tables: list[str]) -> int:
    """About how many rows the tables hold, for the progress bar: ``max(rowid)`` is one
    index look-up where ``count(*)`` reads the whole table. Only asked when someone
    watches."""
    total = 0
    for table in tables:
        try:
            total += cursor_of(f'SELECT max(rowid) FROM "{table}"').fetchone()[0] or 0
        except sqlite3.DatabaseError:
            continue
    return total


# How far back a DB row's time may be from the previous row's of its column and still be
# read as not going backwards (the monitoring router inserts in batches, several senders).
DB_SLACK = 600.0

# Tables of at least this many rows are shared out between processes by rowid range.
PARALLEL_MIN_ROWS = 200_000


def _table_part(db: str, table: str, tz: str | None, lock_timeout: float, part: Part,
                report: ImportReport) -> Iterator[dict[str, Any]]:
    yield from read(db, tz=tz, report=report, lock_timeout=lock_timeout, only=table,
                    rowids=(part.start, part.end))


def write_to(
    writer: PoolWriter,
    path: str | os.PathLike,
    *,
    tz: str | None = None,
    report: ImportReport,
    lock_timeout: float = 5.0,
    jobs: int = 1,
) -> None:
    """What ``writer.write_all(read(...))`` does, with big tables (``PARALLEL_MIN_ROWS``)
    cut into rowid ranges and converted by ``jobs`` processes, in the same order."""
    db_path = resolve_db_path(path)
    big: dict[str, tuple[int, int]] = {}
    if jobs > 1:
        try:
            conn = sqlite3.connect(f"file:{pathname2url(str(db_path.resolve()))}?mode=ro",
                                   uri=True, timeout=lock_timeout)
            try:
                if report.progress is not None:
                    report.expect(_rows_about(conn.execute, list(FORMATS_BY_TABLE)), "rows")
                for table in FORMATS_BY_TABLE:
                    # The rowid span, not count(*): two look-ups in the rowid b-tree where
                    # count(*) reads the whole table before any process starts (a table
                    # with gaps is split a little early, which costs nothing but a part).
                    try:
                        lo, hi = conn.execute(
                            f'SELECT min(rowid), max(rowid) FROM "{table}"').fetchone()
                    except sqlite3.DatabaseError:
                        continue
                    if lo is not None and hi - lo + 1 >= PARALLEL_MIN_ROWS:
                        big[table] = (lo, hi)
            finally:
                conn.close()
        except sqlite3.DatabaseError:
            big = {}
    if not big:
        writer.write_all(read(db_path, tz=tz, report=report, lock_timeout=lock_timeout))
        return
    # Table by table in read()'s order, so the output is the sequential one, byte for byte.
    order = list(FORMATS_BY_TABLE)
    small_before: list[str] = []
    for table in order:
        if table not in big:
            small_before.append(table)
            continue
        if small_before:
            writer.write_all(read(db_path, tz=tz, report=report, lock_timeout=lock_timeout,
                                  skip=[t for t in order if t not in small_before],
                                  include_unknown=False))
            small_before = []
        lo, hi = big[table]
        step = (hi - lo) // (jobs * 2) + 1
        parts = [Part(table, start, min(start + step - 1, hi), 0)
                 for start in range(lo, hi + 1, step)]
        write_parts(parts, partial(_table_part, str(db_path), table, tz, lock_timeout),
                    writer, report, jobs)
    # the known tables after the last big one, then every table we do not know
    writer.write_all(read(db_path, tz=tz, report=report, lock_timeout=lock_timeout,
                          skip=[t for t in order if t not in small_before]))


# ---------------------------------------------------------------------------------------
# The source's declaration: CLI and auto.


def sniff_file(path: Path, head: bytes) -> bool:
    """A SQLite file with Parsl's monitoring tables (for ``auto``)."""
    return head.startswith(SQLITE_MAGIC) and has_parsl_tables(path)


def import_files(writer: PoolWriter, files: list[Path], tz: str | None,
                 report: ImportReport, jobs: int = 1) -> None:
    for path in files:
        write_to(writer, path, tz=tz, report=report, jobs=jobs)


def cli(args: argparse.Namespace) -> int:
    """Import a Parsl monitoring DB (any release): every row of every table as events.

    Example:
        ev-import parsl-db runinfo/monitoring.db --tz America/Chicago
        ev-import parsl-db runinfo/
    """
    db = str(resolve_db_path(args.db))
    return run_import(
        args,
        SOURCE_NAME,
        [db],
        {"tz": args.tz},
        fill=lambda writer, report: write_to(
            writer, db, tz=args.tz, report=report, lock_timeout=args.lock_timeout,
            jobs=args.jobs),
    )


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", metavar="DB", help="monitoring.db, or the runinfo/ directory holding it")
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds to wait for a writer's lock before giving up (default 5)",
    )
    add_jobs_argument(p, f"processes for tables of {PARALLEL_MIN_ROWS:,} rows or more "
                      "(default: all cores)")


SOURCE = Source(
    name=SOURCE_NAME,
    help="a Parsl monitoring.db (any release)",
    arguments=arguments,
    run=cli,
    read=read,
    write_to=write_to,
    sniff=sniff_file,
    import_files=import_files,
    per_file=True,
    sniff_rank=10,
)
