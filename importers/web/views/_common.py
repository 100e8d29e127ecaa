"""Helpers the views share: SQL identifier quoting, the pool's columns, the analysis API."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

#: The most rows any view asks DuckDB for in one answer (tables, bars, events per page).
ROW_LIMIT = 2000


def ident(key: str) -> str:
    """A key as a quoted SQL identifier (keys hold dots, quotes, anything)."""
    return '"' + key.replace('"', '""') + '"'


def analysis() -> ModuleType:
    """The analysis functions (``importers.analysis``) the views apply to a pool."""
    from importers import analysis as ev

    return ev


def fetch(pool: Any, sql: str) -> list[tuple]:
    """Rows of one SQL query over the pool's ``events``.

    Plain SQL on the pool's connection: DuckDB's relation API binds every step of a chain
    against the view's few hundred columns (~30 ms a step here), which the page cannot
    afford for each of a dozen small questions.
    """
    con = getattr(pool, "con", None)
    if con is None:
        return pool.sql(sql).fetchall()
    return con.execute(sql).fetchall()


def fetch_dicts(pool: Any, sql: str) -> list[dict[str, Any]]:
    """Rows as dicts with NULL keys left out (records as in the pool)."""
    con = pool.con
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [{c: v for c, v in zip(names, row, strict=True) if v is not None}
            for row in cursor.fetchall()]


def columns(pool: Any) -> list[str]:
    """Every key (column) of the pool's ``events`` view."""
    cached = getattr(pool, "_web_columns", None)
    if cached is None:
        con = pool.con
        cursor = con.execute("SELECT * FROM events LIMIT 0")
        cached = [d[0] for d in cursor.description]
        cursor.fetchall()
        try:
            pool._web_columns = cached
        except AttributeError:  # pragma: no cover - a Pool with __slots__
            pass
    return cached


def present(pool: Any, keys: Iterable[str]) -> bool:
    cols = set(columns(pool))
    return all(k in cols for k in keys)


def repr_call(module: str, func: str, **kwargs: Any) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if v not in (None, [], (), ""))
    return (f"from importers import analysis as ev\n"
            f"from importers.web.views import {module}\n"
            f"pool = ev.open_pool(POOL)\n"
            f"data = {module}.{func}(pool, {module}.Params({args}))")


def typed_where(pool: Any, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, Any]]:
    """URL ``key=value`` pairs as the Pool's ``where``: text, except for a key whose values
    have mixed JSON types in the pool, where ``7`` must match the number 7 and the text "7"."""
    import orjson

    schema = getattr(pool, "schema", None)
    out: list[tuple[str, Any]] = []
    for key, text in pairs:
        sql_type = schema.type_of(key) if schema is not None else None
        if sql_type == "JSON":
            try:
                parsed = orjson.loads(text)
            except orjson.JSONDecodeError:
                parsed = text
            out.append((key, [text, parsed] if parsed != text else text))
        else:
            out.append((key, text))
    return out
