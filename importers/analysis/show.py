"""One readable line per event, as ``ev-import show`` prints them.

``2026-11-25 08:45:43.505 INFO  parsl-logs     vm:28812     Received executor task 1``: local
time (or ``--tz``), level, layer (the importer, or the logger name for Academy's and Parsl's
own files), host:pid, and the first line of the message. Everything from the pool is escaped
(:func:`importers.analysis.tables.escape`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .query import Query
from .tables import escape, fetch_batches, format_time, zone

#: Columns a line is made of; missing ones are selected as NULL.
LINE_COLUMNS = ("created", "levelname", "levelno", "ev.source", "name", "linux.hostname",
                "linux.pid", "formatted", "message", "msg", "ev.event", "ev.file",
                "ev.reason")

_COLOURS = {"red": "\x1b[31m", "yellow": "\x1b[33m", "dim": "\x1b[2m", "bold_red": "\x1b[1;31m"}
_RESET = "\x1b[0m"


def _colour(levelno: Any) -> str | None:
    try:
        n = int(levelno)
    except (TypeError, ValueError):
        return None
    if n >= 50:
        return _COLOURS["bold_red"]
    if n >= 40:
        return _COLOURS["red"]
    if n >= 30:
        return _COLOURS["yellow"]
    if n < 20:
        return _COLOURS["dim"]
    return None


def event_lines(query: Query, tz: str | None = None, colour: bool = False,
                fields: Sequence[str] = ()) -> Iterator[str]:
    """The lines ``ev-import show`` prints for ``query`` (no trailing newline)."""
    tzinfo = zone(tz)
    columns = list(LINE_COLUMNS) + [f for f in fields if f not in LINE_COLUMNS]
    cur = query.pool.con.cursor()
    cur.execute(query.narrow_sql(columns))
    index = {c: i for i, c in enumerate(columns)}
    for row in fetch_batches(cur):
        def get(key: str, row=row) -> Any:
            return row[index[key]]

        when = format_time(get("created"), tzinfo)
        if get("ev.event") == "unparsed" and get("ev.reason") and get("name") is None:
            yield f"{when} ?     unparsed      {escape(get('ev.file'))}: {get('ev.reason')}"
            continue
        level = escape(get("levelname") or "")[:5].ljust(5)
        # The importer, else the logger's top namespace (Academy's and Parsl's own files).
        layer = escape(get("ev.source") or str(get("name") or "?").split(".", 1)[0])
        host = get("linux.hostname")
        pid = get("linux.pid")
        where = ":".join(escape(v) for v in (host, pid) if v is not None)
        if fields:
            body = " ".join(f"{escape(f)}={escape(_show_value(get(f)))}" for f in fields
                            if get(f) is not None)
        else:
            text = get("formatted") or get("message") or get("msg") or get("ev.event") or ""
            first, _, rest = str(text).partition("\n")
            body = escape(first) + (f"  [+{rest.count(chr(10)) + 1} lines]" if rest else "")
        line = f"{when} {level} {layer:<13} {where:<13} {body}".rstrip()
        code = _colour(get("levelno")) if colour else None
        yield f"{code}{line}{_RESET}" if code else line
    cur.close()


def _show_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)
