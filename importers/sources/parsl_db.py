"""Parsl's monitoring database (``runinfo/monitoring.db``) as wide events.

Why reflection and not Parsl's own models: the schema changed across releases (columns
added, moved between ``task`` and ``try``, tables added), and users keep DBs from old runs.
We reflect whatever tables are there with SQLAlchemy Core, map the columns we know to the
keys of DESIGN §3 and keep every other column as ``parsl.<column>``; tables we do not know
become generic ``row`` events. Nothing is dropped.

Why not Parsl's ``Database`` class: it runs ``create_all`` on the file it opens. We open the
file read-only (``mode=ro``) so a post-mortem can never alter the evidence.

Parsl stores naive local datetimes (``2024-03-04 12:34:56.789012``); they are read in the
``--tz`` zone (default: the machine's), and the report says which.

Example::

    from importers.sources import parsl_db
    for rec in parsl_db.read("runinfo/monitoring.db", tz="UTC"):
        print(rec["ev.event"], rec.get("parsl.task_id"))
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from string import Formatter
from typing import Any
from urllib.request import pathname2url

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ..core.errors import InputLocked, UnusableInput
from ..core.parallel import Part, write_parts
from ..core.pool import PoolWriter
from ..core.record import (
    CREATED,
    EVENT,
    FORMATTED,
    LEVELNAME,
    LEVELNO,
    LEVELS,
    LINUX_HOSTNAME,
    LINUX_PID,
    NAME,
    ORIGIN,
    SOURCE,
    UNKNOWN_VALUES,
)
from ..core.report import (
    BAD_TIMESTAMP,
    TRUNCATED_INPUT,
    UNKNOWN_COLUMN,
    UNKNOWN_TABLE,
    UNREADABLE_TABLE,
    ImportReport,
)
from ..core.timezones import NaiveTimeConverter, resolve_zone

SOURCE_NAME = "parsl-db"
SQLITE_MAGIC = b"SQLite format 3\x00"
BATCH_ROWS = 2_000    # rows per fetch: 10k rows of wide tuples alone cost ~13 MiB of RSS

# Keys of DESIGN §3 that this importer writes.
RUN_ID = "parsl.run_id"
TASK_ID = "parsl.task_id"
TRY_ID = "parsl.try_id"
EXECUTOR = "parsl.executor"
BLOCK_ID = "parsl.block_id"
JOB_ID = "parsl.job_id"
MANAGER_ID = "parsl.manager_id"

# Keys whose values are identifiers that DESIGN §3 wants as strings whatever the DB holds.
STRING_KEYS = frozenset({BLOCK_ID, JOB_ID, MANAGER_ID, RUN_ID})


@dataclass(frozen=True)
class TableFormat:
    """How one monitoring table becomes events: data, run by one shared engine.

    ``keys`` maps the columns we know to record keys; any other column becomes
    ``parsl.<column>`` (and is named in the report). ``events`` lists (event, time key)
    pairs: one event per pair whose time the row knows. ``describe`` is a template over
    column names for the ``formatted`` line (a column this release lacks prints ``?``).
    ``levels`` maps values of ``level_column`` to a level name (default ``INFO``).
    Real rows and what they must produce are the golden files under tests/golden/.
    """

    table: str
    keys: Mapping[str, str]
    events: tuple[tuple[str, str], ...]
    describe: str
    level_column: str | None = None
    levels: Mapping[str, str] = field(default_factory=dict)
    # When none of the event times is known, still emit this event (with no ``created``)
    # rather than lose the row.
    timeless_event: str | None = None


FORMATS: tuple[TableFormat, ...] = (
    TableFormat(
        table="workflow",
        keys={
            "run_id": RUN_ID,
            "workflow_name": "parsl.workflow_name",
            "workflow_version": "parsl.workflow_version",
            "time_began": "parsl.workflow_began_time",
            "time_completed": "parsl.workflow_completed_time",
            "host": LINUX_HOSTNAME,
            "user": "parsl.user",
            "rundir": "parsl.rundir",
            "tasks_failed_count": "parsl.tasks_failed_count",
            "tasks_completed_count": "parsl.tasks_completed_count",
            "parsl_version": "parsl.version",
            "python_version": "parsl.python_version",
        },
        events=(
            ("workflow_start", "parsl.workflow_began_time"),
            ("workflow_end", "parsl.workflow_completed_time"),
        ),
        describe="workflow {workflow_name} run {run_id} on {host}: {tasks_completed_count} "
        "tasks completed, {tasks_failed_count} failed",
        timeless_event="workflow_start",
    ),
    TableFormat(
        table="task",
        keys={
            "task_id": TASK_ID,
            "run_id": RUN_ID,
            "task_depends": "parsl.task_depends",
            "task_func_name": "parsl.task_func_name",
            "task_executor": EXECUTOR,
            "task_memoize": "parsl.task_memoize",
            "task_hashsum": "parsl.task_hashsum",
            "task_inputs": "parsl.task_inputs",
            "task_outputs": "parsl.task_outputs",
            "task_stdin": "parsl.task_stdin",
            "task_stdout": "parsl.task_stdout",
            "task_stderr": "parsl.task_stderr",
            "task_time_invoked": "parsl.task_invoked_time",
            "task_time_returned": "parsl.task_returned_time",
            "task_fail_count": "parsl.task_fail_count",
            "task_fail_cost": "parsl.task_fail_cost",
            "task_joins": "parsl.task_joins",
        },
        events=(("task", "parsl.task_invoked_time"),),
        describe="task {task_id} {task_func_name} invoked, {task_fail_count} failures",
        timeless_event="task",
    ),
    TableFormat(
        table="try",
        keys={
            "try_id": TRY_ID,
            "task_id": TASK_ID,
            "run_id": RUN_ID,
            "block_id": BLOCK_ID,
            "hostname": LINUX_HOSTNAME,
            "task_executor": EXECUTOR,
            "task_try_time_launched": "parsl.try_launched_time",
            "task_try_time_running": "parsl.try_running_time",
            "task_try_time_returned": "parsl.try_returned_time",
            "task_fail_history": "parsl.task_fail_history",
            "task_joins": "parsl.task_joins",
        },
        events=(
            ("try_launched", "parsl.try_launched_time"),
            ("try_running", "parsl.try_running_time"),
            ("try_returned", "parsl.try_returned_time"),
        ),
        describe="task {task_id} try {try_id} on {task_executor} block {block_id} "
        "host {hostname}",
        timeless_event="try_launched",
    ),
    TableFormat(
        table="status",
        keys={
            "task_id": TASK_ID,
            "task_status_name": "parsl.task_status_name",
            "timestamp": CREATED,
            "run_id": RUN_ID,
            "try_id": TRY_ID,
        },
        events=(("task_status", CREATED),),
        describe="task {task_id} try {try_id} -> {task_status_name}",
        level_column="task_status_name",
        levels={"failed": "ERROR", "dep_fail": "ERROR", "fail_retryable": "WARNING"},
        timeless_event="task_status",
    ),
    TableFormat(
        table="block",
        keys={
            "run_id": RUN_ID,
            "executor_label": EXECUTOR,
            "block_id": BLOCK_ID,
            "job_id": JOB_ID,
            "timestamp": CREATED,
            "status": "parsl.block_status",
        },
        events=(("block_status", CREATED),),
        describe="block {block_id} of {executor_label} (job {job_id}) -> {status}",
        level_column="status",
        levels={"FAILED": "ERROR", "MISSING": "WARNING"},
        timeless_event="block_status",
    ),
    TableFormat(
        table="node",
        keys={
            "id": "parsl.node_row_id",
            "run_id": RUN_ID,
            "hostname": LINUX_HOSTNAME,
            "uid": MANAGER_ID,
            "block_id": BLOCK_ID,
            "cpu_count": "parsl.cpu_count",
            "total_memory": "parsl.total_memory",
            "active": "parsl.active",
            "worker_count": "parsl.worker_count",
            "python_v": "parsl.python_version",
            "timestamp": CREATED,
            "last_heartbeat": "parsl.last_heartbeat_time",
        },
        events=(("node", CREATED),),
        describe="manager {uid} on {hostname} block {block_id}: {worker_count} workers, "
        "active={active}",
        timeless_event="node",
    ),
    TableFormat(
        table="resource",
        keys={
            "try_id": TRY_ID,
            "task_id": TASK_ID,
            "run_id": RUN_ID,
            "timestamp": CREATED,
            "psutil_process_pid": LINUX_PID,
        },
        events=(("resource", CREATED),),
        describe="task {task_id} try {try_id} pid {psutil_process_pid}: user "
        "{psutil_process_time_user}s rss {psutil_process_memory_resident}B",
        timeless_event="resource",
    ),
)

FORMATS_BY_TABLE = {fmt.table: fmt for fmt in FORMATS}

# Columns of known tables kept under their own names as parsl.<column> without being
# "unknown": the psutil figures, whose set grows with psutil and Parsl releases.
KNOWN_PREFIXES = {"resource": ("psutil_", "resource_monitoring_interval")}


def _depends(value: Any) -> Any:
    """``"0,1"`` -> ``[0, 1]``: a list a user can unnest and join on; else kept as is."""
    if isinstance(value, str):
        try:
            return [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            return value
    return value


def _cpu_num(value: Any) -> Any:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _as_str(value: Any) -> str:
    return value if value.__class__ is str else str(value)


SPECIAL_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "parsl.task_depends": _depends,
    "parsl.psutil_cpu_num": _cpu_num,
}


@dataclass
class _Plan:
    """One reflected table compiled against its format, fixed before the first row."""

    table: str
    name: str                       # record ``name``: parsl.monitoring.<table>
    sql: str
    keys: tuple[str, ...]           # record key per column, in column order
    converters: tuple[tuple[int, str, Callable[[Any], Any]], ...]
    describe: str                   # ``describe`` with column names turned into positions
    events: tuple[tuple[str, str], ...]
    level_index: int | None
    levels: Mapping[str, str]
    timeless_event: str | None
    unknown_columns: list[str]


def _is_time(column: sa.Column) -> bool:
    return isinstance(column.type, (sa.DateTime, sa.Date, sa.TIMESTAMP))


def _time_key(column: str) -> str:
    return f"parsl.{column}" if column.endswith("_time") else f"parsl.{column}_time"


def _positional(template: str, columns: list[str]) -> str:
    """``"task {task_id}"`` -> ``"task {0}"`` for ``str.format(*row)``; absent columns -> ``?``."""
    out = []
    for literal, name, _spec, _conv in Formatter().parse(template):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is not None:
            out.append(f"{{{columns.index(name)}}}" if name in columns else "?")
    return "".join(out)


def _plan(table: sa.Table, converter: NaiveTimeConverter, dialect: sa.Dialect) -> _Plan:
    fmt = FORMATS_BY_TABLE.get(table.name)
    if fmt is None:
        # A table we do not know: one generic ``row`` event, at its first time column.
        times = [_time_key(c.name) for c in table.columns if _is_time(c)]
        fmt = TableFormat(
            table=table.name,
            keys={},
            events=(("row", times[0]),) if times else (),
            describe=f"{table.name} row",
            timeless_event="row",
        )
    known_prefixes = KNOWN_PREFIXES.get(table.name, ())
    names = [c.name for c in table.columns]
    keys: list[str] = []
    converters: list[tuple[int, str, Callable[[Any], Any]]] = []
    unknown: list[str] = []
    parse_time = converter.parse
    for index, column in enumerate(table.columns):
        is_time = _is_time(column)
        key = fmt.keys.get(column.name)
        if key is None:
            key = _time_key(column.name) if is_time else f"parsl.{column.name}"
            if table.name in FORMATS_BY_TABLE and not column.name.startswith(known_prefixes):
                unknown.append(column.name)
        keys.append(key)
        if is_time:
            converters.append((index, key, parse_time))
        elif isinstance(column.type, sa.Boolean):
            converters.append((index, key, bool))
        elif key in STRING_KEYS:
            converters.append((index, key, _as_str))
        elif key in SPECIAL_CONVERTERS:
            converters.append((index, key, SPECIAL_CONVERTERS[key]))
    # Plain column types: values arrive as the driver gives them and the converters above
    # do the work once, instead of SQLAlchemy's per-type result processors.
    stmt = sa.select(*(sa.type_coerce(c, sa.types.NullType()) for c in table.columns))
    return _Plan(
        table=table.name,
        name=f"parsl.monitoring.{table.name}",
        sql=str(stmt.select_from(table).compile(dialect=dialect)),
        keys=tuple(keys),
        converters=tuple(converters),
        describe=_positional(fmt.describe, names),
        events=fmt.events,
        level_index=names.index(fmt.level_column) if fmt.level_column in names else None,
        levels=fmt.levels,
        timeless_event=fmt.timeless_event,
        unknown_columns=unknown,
    )


def _fields_slow(row: tuple, plan: _Plan, report: ImportReport) -> dict[str, Any]:
    """Per-value conversion with unknowns dropped and bad values kept raw.

    The path for rows holding NULLs, unknown markers or values a converter refused.
    """
    fields = {k: v for k, v in zip(plan.keys, row, strict=True)
              if v is not None and not (v.__class__ is str and v in UNKNOWN_VALUES)}
    for index, key, conv in plan.converters:
        if key not in fields:
            continue
        try:
            fields[key] = conv(row[index])
        except (ValueError, TypeError, OverflowError):
            del fields[key]
            report.problem(BAD_TIMESTAMP, f"{plan.table} column {index}")
            raw_key = "parsl.timestamp" if key == CREATED else key.removesuffix("_time")
            fields[raw_key + "_raw"] = str(row[index])
    return fields


def _rows_to_records(
    rows: Iterable[tuple], plan: _Plan, origin: str, report: ImportReport
) -> Iterator[dict[str, Any]]:
    """The hot loop. Fields come from ``dict(zip())`` (C speed) for the common row with no
    NULL and no unknown marker; ``formatted`` from a positional template; one dict literal
    per event."""
    keys = plan.keys
    converters = plan.converters
    describe = plan.describe.format
    events = plan.events
    level_index = plan.level_index
    levels = plan.levels
    timeless = plan.timeless_event
    name = plan.name
    no_unknown = UNKNOWN_VALUES.isdisjoint
    level_numbers = LEVELS
    if len(events) == 1 and events[0][1] == CREATED:
        yield from _single_event_records(rows, plan, origin, report)
        return
    for row in rows:
        if None in row or not no_unknown(row):
            fields = _fields_slow(row, plan, report)
        else:
            fields = dict(zip(keys, row))  # noqa: B905 - C speed; lengths fixed by the plan
            try:
                for index, key, conv in converters:
                    fields[key] = conv(row[index])
            except (ValueError, TypeError, OverflowError):
                fields = _fields_slow(row, plan, report)
        formatted = describe(*row)
        levelname = "INFO" if level_index is None else levels.get(row[level_index], "INFO")
        levelno = level_numbers[levelname]
        emitted = False
        for event, time_key in events:
            created = fields.get(time_key)
            if created is None:
                continue
            emitted = True
            yield {
                CREATED: created,
                FORMATTED: formatted,
                NAME: name,
                LEVELNAME: levelname,
                LEVELNO: levelno,
                SOURCE: SOURCE_NAME,
                ORIGIN: origin,
                EVENT: event,
                **fields,
            }
        if not emitted and timeless:
            fields.pop(CREATED, None)
            yield {
                FORMATTED: formatted,
                NAME: name,
                LEVELNAME: levelname,
                LEVELNO: levelno,
                SOURCE: SOURCE_NAME,
                ORIGIN: origin,
                EVENT: timeless,
                **fields,
            }


def _single_event_records(
    rows: Iterable[tuple], plan: _Plan, origin: str, report: ImportReport
) -> Iterator[dict[str, Any]]:
    """The hottest loop, for tables with one event per row at a column mapped to ``created``
    (status, block, node, resource: nearly all rows of a big DB). One dict per row: the
    envelope literal, then the row's values zipped in at C speed, then the converters."""
    keys = plan.keys
    converters = plan.converters
    describe = plan.describe.format
    event = plan.events[0][0]
    level_index = plan.level_index
    levels = plan.levels
    name = plan.name
    no_unknown = UNKNOWN_VALUES.isdisjoint
    level_numbers = LEVELS
    for row in rows:
        if level_index is None:
            levelname, levelno = "INFO", 20
        else:
            levelname = levels.get(row[level_index], "INFO")
            levelno = level_numbers[levelname]
        rec = {
            CREATED: None,
            FORMATTED: describe(*row),
            NAME: name,
            LEVELNAME: levelname,
            LEVELNO: levelno,
            SOURCE: SOURCE_NAME,
            ORIGIN: origin,
            EVENT: event,
        }
        if None in row or not no_unknown(row):
            rec.update(_fields_slow(row, plan, report))
        else:
            rec.update(zip(keys, row))  # noqa: B905 - C speed; lengths fixed by the plan
            try:
                for index, key, conv in converters:
                    rec[key] = conv(row[index])
            except (ValueError, TypeError, OverflowError):
                rec.update(_fields_slow(row, plan, report))
        if rec[CREATED] is None or rec[CREATED].__class__ is str:
            del rec[CREATED]  # no usable time: kept, unsorted (raw value under *_raw)
            rec[EVENT] = plan.timeless_event or event
        yield rec


def _salvage(
    cursor_of: Callable[[str], sqlite3.Cursor], plan: _Plan, offset: int, origin: str,
    report: ImportReport,
) -> Iterator[dict[str, Any]]:
    """Re-read a table from ``offset`` row by row until the damaged row; return the count."""
    salvaged = 0
    try:
        cursor = cursor_of(f"{plan.sql} LIMIT -1 OFFSET {offset}")
        while (row := cursor.fetchone()) is not None:
            yield from _rows_to_records((row,), plan, origin, report)
            salvaged += 1
    except sqlite3.DatabaseError:
        pass
    return salvaged


def resolve_db_path(path: str | os.PathLike) -> Path:
    """A DB file, or a ``runinfo/`` directory holding ``monitoring.db``; checked for sense."""
    p = Path(path)
    if p.is_dir():
        candidate = p / "monitoring.db"
        if not candidate.is_file():
            raise UnusableInput(
                "no monitoring.db in directory", str(p),
                "give the DB file itself, or a runinfo/ directory that holds monitoring.db",
            )
        p = candidate
    if not p.exists():
        raise UnusableInput("no such file", str(p), "check the path to monitoring.db")
    try:
        with open(p, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise UnusableInput(
            "cannot read", str(p), exc.strerror or "check its permissions"
        ) from None
    if not head:
        raise UnusableInput(
            "empty file, not a Parsl monitoring DB", str(p),
            "Parsl writes runinfo/monitoring.db when MonitoringHub is configured",
        )
    if head != SQLITE_MAGIC:
        raise UnusableInput(
            "not an SQLite database", str(p),
            "give the monitoring.db that Parsl's MonitoringHub wrote",
        )
    return p


def has_parsl_tables(path: Path) -> bool:
    """Is this SQLite file a Parsl monitoring DB? (a cheap look for ``auto``)"""
    try:
        conn = sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro", uri=True,
                               timeout=1)
        try:
            conn.execute("PRAGMA writable_schema = ON")
            names = {r[0] for r in conn.execute(
                "select name from sqlite_master where type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False
    return bool(names & set(FORMATS_BY_TABLE))


def missing_bytes(path: Path) -> int:
    """How many bytes shorter the file is than its SQLite header says (0 when whole).

    The header's page count is only trusted when its change counter matches the
    version-valid-for number (sqlite.org/fileformat.html, offsets 24, 28, 92).
    """
    with open(path, "rb") as fh:
        header = fh.read(100)
    if len(header) < 100:
        return 0
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if header[24:28] != header[92:96] or not pages:
        return 0
    return max(0, pages * page_size - path.stat().st_size)


def _engine(path: Path, lock_timeout: float) -> sa.Engine:
    uri = f"file:{pathname2url(str(path.resolve()))}?mode=ro"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=lock_timeout, check_same_thread=False)
        # SQLite refuses a file shorter than its header's page count as "malformed" unless
        # writable_schema is on; with it, a truncated copy reads up to where it ends. The
        # connection is mode=ro, so nothing can be written either way.
        conn.execute("PRAGMA writable_schema = ON")
        return conn

    return sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.NullPool)


def _database_error(exc: BaseException, path: Path) -> Exception:
    message = str(getattr(exc, "orig", exc))
    if "locked" in message:
        return InputLocked(
            "database is locked by another process", str(path),
            "Parsl may still be writing it: wait for the workflow to finish, or copy the file "
            "and import the copy",
        )
    if "not a database" in message or "malformed" in message:
        return UnusableInput(
            "damaged SQLite database", str(path),
            f"{message}; nothing could be read. Try `sqlite3 {path.name} .recover`",
        )
    return UnusableInput("cannot read database", str(path), message)


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
    zone, zone_label = resolve_zone(tz)
    report.assume("zone", zone_label)
    converter = NaiveTimeConverter(zone)
    origin = str(db_path)
    short = missing_bytes(db_path) if rowids is None else 0
    if short:
        report.problem(TRUNCATED_INPUT, f"{db_path.name} lacks its last {short} bytes")
    engine = _engine(db_path, lock_timeout)
    try:
        try:
            conn = engine.connect()
            names = sa.inspect(conn).get_table_names()
        except sa_exc.DBAPIError as exc:
            raise _database_error(exc, db_path) from None
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
                plan = _plan(table, converter, conn.dialect)
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
                        yield from _rows_to_records(rows, plan, origin, report)
                        count += len(rows)
                        yielded_any = True
                except sqlite3.DatabaseError as exc:
                    err = _database_error(exc, db_path)
                    if isinstance(err, InputLocked) and not yielded_any:
                        raise err from None
                    # A damaged page fails a whole batch: go back and take the rows of that
                    # batch one at a time, up to the first one that cannot be read.
                    salvaged = yield from _salvage(cursor_of, plan, count, origin, report)
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
                for table in FORMATS_BY_TABLE:
                    try:
                        lo, hi, n = conn.execute(
                            f'SELECT min(rowid), max(rowid), count(*) FROM "{table}"').fetchone()
                    except sqlite3.DatabaseError:
                        continue
                    if n >= PARALLEL_MIN_ROWS:
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
