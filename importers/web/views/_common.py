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
    """The analysis functions (``importers.analysis``), or the interim stand-in."""
    try:
        from importers import analysis as ev
    except ImportError:
        ev = None
    if ev is None or not hasattr(ev, "open_pool"):
        from .. import _interim as ev
    return ev


def columns(pool: Any) -> list[str]:
    """Every key (column) of the pool's ``events`` view."""
    cached = getattr(pool, "_web_columns", None)
    if cached is None:
        cached = list(pool.sql("SELECT * FROM events LIMIT 0").columns)
        try:
            pool._web_columns = cached
        except AttributeError:  # pragma: no cover - a Pool with __slots__
            pass
    return cached


def present(pool: Any, keys: Iterable[str]) -> bool:
    cols = set(columns(pool))
    return all(k in cols for k in keys)


def rows(relation: Any, limit: int | None = None) -> list[dict[str, Any]]:
    """A DuckDB relation's rows as dicts (NULL keys left out, as in the pool)."""
    if limit is not None:
        relation = relation.limit(limit)
    cols = relation.columns
    return [{c: v for c, v in zip(cols, row, strict=True) if v is not None}
            for row in relation.fetchall()]


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
