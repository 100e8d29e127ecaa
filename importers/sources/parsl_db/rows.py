"""The engine: a table's rows -> events, as its :class:`TableFormat` says.

Per table, a plan is built once (which column is which key, which are times, the template
of the ``formatted`` line) and each row is then converted without looking anything up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Any

import sqlalchemy as sa

from ...core.clock import Clock
from ...core.record import (
    CREATED,
    EVENT,
    FORMATTED,
    LEVELNAME,
    LEVELNO,
    LEVELS,
    NAME,
    ORIGIN,
    SOURCE,
    UNKNOWN_VALUES,
)
from ...core.report import (
    BAD_TIMESTAMP,
    ImportReport,
)
from .keys import SOURCE_NAME, STRING_KEYS
from .tables import FORMATS_BY_TABLE, KNOWN_PREFIXES, SPECIAL_CONVERTERS, TableFormat, _as_str


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


def plan_table(table: sa.Table, converter: Clock, dialect: sa.Dialect) -> _Plan:
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
    for index, column in enumerate(table.columns):
        is_time = _is_time(column)
        key = fmt.keys.get(column.name)
        if key is None:
            key = _time_key(column.name) if is_time else f"parsl.{column.name}"
            if table.name in FORMATS_BY_TABLE and not column.name.startswith(known_prefixes):
                unknown.append(column.name)
        keys.append(key)
        if is_time:   # each time column its own stream in row order (same zone, report)
            converters.append((index, key, converter.fork().parse))
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


def fields_slow(row: tuple, plan: _Plan, report: ImportReport) -> dict[str, Any]:
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


def rows_to_records(
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
        yield from single_event_records(rows, plan, origin, report)
        return
    for row in rows:
        if None in row or not no_unknown(row):
            fields = fields_slow(row, plan, report)
        else:
            fields = dict(zip(keys, row))  # noqa: B905 - C speed; lengths fixed by the plan
            try:
                for index, key, conv in converters:
                    fields[key] = conv(row[index])
            except (ValueError, TypeError, OverflowError):
                fields = fields_slow(row, plan, report)
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


# A row holding none of these needs no per-value checks (DESIGN §2: unknowns are omitted).
_UNKNOWN_OR_NULL = UNKNOWN_VALUES | {None}


def single_event_records(
    rows: Iterable[tuple], plan: _Plan, origin: str, report: ImportReport
) -> Iterator[dict[str, Any]]:
    """The hottest loop, for tables with one event per row at a column mapped to ``created``
    (status, block, node, resource: nearly all rows of a big DB).

    Per row: a copy of the table's constant envelope (a C-level copy of a small dict, keys
    in their final order), the ``formatted`` line, the row's values zipped in at C speed,
    then the converters. One ``isdisjoint`` tells a clean row (no NULL, no unknown marker)
    from one that needs :func:`fields_slow`.
    """
    keys = plan.keys
    converters = plan.converters
    describe = plan.describe.format
    event = plan.events[0][0]
    level_index = plan.level_index
    levels = plan.levels
    level_numbers = LEVELS
    clean = _UNKNOWN_OR_NULL.isdisjoint
    envelope = {
        CREATED: None,       # placeholders keep each key's place in the record
        FORMATTED: None,
        NAME: plan.name,
        LEVELNAME: "INFO",
        LEVELNO: level_numbers["INFO"],
        SOURCE: SOURCE_NAME,
        ORIGIN: origin,
        EVENT: event,
    }
    new_record = envelope.copy
    for row in rows:
        rec = new_record()
        rec[FORMATTED] = describe(*row)
        if level_index is not None:
            levelname = levels.get(row[level_index])
            if levelname is not None:
                rec[LEVELNAME] = levelname
                rec[LEVELNO] = level_numbers[levelname]
        if clean(row):
            rec.update(zip(keys, row))  # noqa: B905 - C speed; lengths fixed by the plan
            try:
                for index, key, conv in converters:
                    rec[key] = conv(row[index])
            except (ValueError, TypeError, OverflowError):
                rec.update(fields_slow(row, plan, report))
        else:
            rec.update(fields_slow(row, plan, report))
        created = rec[CREATED]
        if created is None or created.__class__ is str:
            del rec[CREATED]  # no usable time: kept, unsorted (raw value under *_raw)
            rec[EVENT] = plan.timeless_event or event
        yield rec


def salvage(
    cursor_of: Callable[[str], sqlite3.Cursor], plan: _Plan, offset: int, origin: str,
    report: ImportReport,
) -> Iterator[dict[str, Any]]:
    """Re-read a table from ``offset`` row by row until the damaged row; return the count."""
    salvaged = 0
    try:
        cursor = cursor_of(f"{plan.sql} LIMIT -1 OFFSET {offset}")
        while (row := cursor.fetchone()) is not None:
            yield from rows_to_records((row,), plan, origin, report)
            salvaged += 1
    except sqlite3.DatabaseError:
        pass
    return salvaged
