"""A pool opened for questions (:class:`Pool`) and a filtered, time-ordered selection of its
events (:class:`Query`), as a DuckDB relation, a pandas DataFrame or a stream of dicts.

Example::

    from importers import analysis as ev
    pool = ev.open_pool("evpool")
    q = pool.events(where={"ev.event": "task_status"}, since="2026-11-25T08:41:50")
    q.count(); q.df().head(); next(q.records())
    pool.sql('SELECT "ev.source", count(*) FROM events GROUP BY ALL').show()
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from ..core.errors import EvImportError, PoolError
from ..core.pool import FILE_KEY, coerce_record, pool_dir, pool_files
from ..core.record import unparsed as unparsed_record
from . import load
from .load import quote_ident, quote_literal

Where = Mapping[str, Any] | Sequence[tuple[str, Any]] | None

#: The view every query reads; ``_events_all`` (lines as in the pool too) exists only over a
#: Parquet copy (compact.py): over JSON files, Query.narrow_sql reads the lines themselves.
VIEW = "events"
_ALL = "_events_all"
_JSON = "__json"
ORDER = f'ORDER BY "created" ASC NULLS FIRST, {quote_ident(FILE_KEY)}, "ev.lineno"'


class QueryError(EvImportError):
    """A filter that cannot be applied (a number expected, a bad time)."""


def parse_time(value: float | int | str | datetime | None, tz: str | None = None) -> float | None:
    """Epoch seconds from a number, an ISO 8601 time (naive = ``tz``, else local) or datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)):
        return float(value)
    else:
        text = str(value).strip()
        try:
            return float(text)
        except ValueError:
            pass
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise QueryError(f"not a time: {text!r}", "",
                             "give epoch seconds or an ISO time like 2026-11-25T08:45:00") from None
    if dt.tzinfo is None:
        if tz:
            from zoneinfo import ZoneInfo

            dt = dt.replace(tzinfo=ZoneInfo(tz))
        else:
            dt = dt.astimezone()
    return dt.timestamp()


def _pairs(where: Where) -> list[tuple[str, Any]]:
    if where is None:
        return []
    if isinstance(where, Mapping):
        return list(where.items())
    return [tuple(p) for p in where]


class Pool:
    """A pool directory read through DuckDB. Use :func:`open_pool`.

    ``con`` is the DuckDB connection: the view ``events`` (typed columns, ``ev.file``) is
    there for any SQL; ``schema`` says how each key was typed and what was unparsed.
    """

    def __init__(self, path: Path, files: list[str], con, schema: load.Schema,
                 parquet: bool = False) -> None:
        self.path = path
        self.files = files
        self.con = con
        self.schema = schema
        self.parquet = parquet      # read from the fresh Parquet copy (ev-import compact)

    # -- selections
    def events(self, where: Where = None, has: Iterable[str] = (), since: Any = None,
               until: Any = None, grep: str | None = None, tz: str | None = None) -> Query:
        """Events matching every filter, time ordered (records without ``created`` first).

        ``where``: ``{key: value}`` or ``[(key, value), ...]`` (a list/tuple/set value means
        any of them; numeric keys compare as numbers, so Academy's ``"7"`` matches 7);
        ``has``: keys that must be present; ``since``/``until``: epoch seconds or ISO times
        (inclusive); ``grep``: a regular expression (RE2) searched in the message.
        """
        return Query(self, _pairs(where), tuple(has), parse_time(since, tz),
                     parse_time(until, tz), grep)

    def sql(self, query: str):
        """A DuckDB relation for any SQL over the view ``events``."""
        return self.con.sql(query)

    def columns(self) -> list[str]:
        return list(self.schema.columns) + [FILE_KEY]

    def unparsed(self) -> Iterator[dict[str, Any]]:
        """Each line the view holds as ``unparsed``, with its file, line number and text."""
        for name in self.schema.unparsed:
            with open(name, "rb") as fh:
                for lineno, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        ok = isinstance(orjson.loads(line), dict)
                    except orjson.JSONDecodeError:
                        ok = False
                    if not ok:
                        torn = not line.endswith(b"\n")
                        yield unparsed_record(
                            line.decode("utf-8", "replace").rstrip("\n"), source="pool",
                            origin=name, name="ev.pool",
                            reason=("torn last line (a writer mid-flush)" if torn
                                    else load.UNPARSED_REASON),
                            lineno=lineno, fields={FILE_KEY: name})

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<Pool {self.path}: {len(self.files)} files, {self.schema.rows} lines, "
                f"{len(self.schema.columns)} columns>")


def open_pool(pool: str | os.PathLike | None = None, *, memory_limit: str | None = None,
              threads: int | None = None, parquet: bool | None = None,
              materialize: bool = False) -> Pool:
    """Open a pool (a dir of ``*.jsonlog``, nested dirs too; None -> ``$EV_POOL`` or
    ``./evpool``) for questions. Reads nothing but the key discovery, cached per file.
    When ``ev-import compact`` made a Parquet copy and no pool file changed since, the views
    read its shards instead (``parquet=None``); ``parquet=False`` always reads the JSON
    files, ``parquet=True`` insists on the copy (PoolError when it is missing or stale).

    By default ``events`` is a view: each query reads the JSON files again (right for one
    question, and for files still being written). ``materialize=True`` loads the pool once
    into a DuckDB table (spilling to a temp dir, never into the pool), so many questions
    on the same pool (a notebook, the web page) each take milliseconds.

    Example::

        pool = open_pool("evpool")
        pool.schema.type_of("linux.pid")   # 'BIGINT'
    """
    path = pool_dir(pool)
    if not path.is_dir():
        raise PoolError("no pool directory here", str(path),
                        "give the pool as POOL or --pool DIR, or set $EV_POOL")
    try:
        files = [str(p) for p in pool_files(path)]
    except OSError as exc:
        raise PoolError("cannot list the pool", str(path), exc.strerror or str(exc)) from None
    con = load.connect(memory_limit, threads)
    if parquet is not False:   # the Parquet copy while it is fresh (compact.py), else JSON
        from . import compact

        state = compact.status(path)
        if state.fresh:
            schema = compact.open_shards(con, path, state, _ALL, VIEW, _JSON)
            return Pool(path, files, con, schema, parquet=True)
        if parquet:
            raise PoolError("no fresh Parquet copy", str(path), state.reason)
    stats = load.discover(con, files)
    schema = load.build_schema(stats)
    # `events` parses each line once into text columns (wide queries, exports); the raw
    # lines (records as in the pool) are read by Query.narrow_sql, which extracts only the
    # keys a query names, also with one parse per line.
    wide = load.wide_source_sql(files, schema)
    body = f"SELECT {load.select_list(schema, None, '__file')} FROM {wide}"
    if materialize:
        con.execute(f"CREATE TABLE {VIEW} AS {body}")
    else:
        con.execute(f"CREATE VIEW {VIEW} AS {body}")
    return Pool(path, files, con, schema)


_NUMBER_TYPES = {"BIGINT", "INTEGER", "HUGEINT", "DOUBLE"}


class Query:
    """A selection of a pool's events; nothing runs until you ask for a result."""

    def __init__(self, pool: Pool, where: list[tuple[str, Any]], has: tuple[str, ...],
                 since: float | None, until: float | None, grep: str | None) -> None:
        self.pool = pool
        self.where = where
        self.has = has
        self.since = since
        self.until = until
        self.grep = grep

    # -- SQL
    def _condition(self, key: str, value: Any) -> str:
        sql_type = self.pool.schema.type_of(key)
        if sql_type is None:
            return "false"  # no record has the key
        col = quote_ident(key)
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        if any(v is None for v in values):
            raise QueryError(f"a value for {key} is None", "", "use has= for presence")
        if sql_type in _NUMBER_TYPES:
            nums = []
            for v in values:
                try:
                    nums.append(repr(float(v)))
                except (TypeError, ValueError):
                    raise QueryError(f"{key} holds numbers; {v!r} is not one", "",
                                     f"e.g. {key}=7") from None
            return f"{col} IN ({', '.join(nums)})"
        if sql_type == "BOOLEAN":
            texts = [str(v).lower() for v in values]
            return f"lower({col}::VARCHAR) IN ({', '.join(quote_literal(t) for t in texts)})"
        if sql_type == "JSON":
            return (f"{col}::VARCHAR IN "
                    f"({', '.join(quote_literal(orjson.dumps(v).decode()) for v in values)})")
        texts = [_text(v) for v in values]
        return f"{col} IN ({', '.join(quote_literal(t) for t in texts)})"

    def conditions(self) -> list[str]:
        conds = [self._condition(k, v) for k, v in self.where]
        for key in self.has:
            conds.append(f"{quote_ident(key)} IS NOT NULL"
                         if self.pool.schema.type_of(key) else "false")
        if self.since is not None:
            conds.append(f'"created" >= {self.since!r}')
        if self.until is not None:
            conds.append(f'"created" <= {self.until!r}')
        if self.grep:
            try:
                re.compile(self.grep)
            except re.error as exc:
                raise QueryError(f"bad --grep pattern: {exc}", self.grep) from None
            texts = [k for k in ("formatted", "message", "msg") if k in self.pool.schema.columns]
            pattern = quote_literal(self.grep)
            conds.append("(" + " OR ".join(
                f"coalesce(regexp_matches({quote_ident(k)}, {pattern}), false)" for k in texts)
                + ")" if texts else "false")
        return conds

    def keys(self) -> set[str]:
        """The columns the filters read."""
        used = {k for k, _ in self.where} | set(self.has)
        if self.since is not None or self.until is not None:
            used.add("created")
        if self.grep:
            used |= {"formatted", "message", "msg"}
        return {k for k in used if k in self.pool.schema.columns}

    def narrow_sql(self, columns: Sequence[str], with_json: bool = False,
                   ordered: bool = True, lines: str | None = None) -> str:
        """SQL over the raw lines that extracts only ``columns`` and the filters' keys, each
        line parsed once (``json_extract_string`` of a list of pointers): for ``records()``
        (which needs the raw line) and ``show``. Unknown columns are NULL.

        ``lines`` is a relation of ``(json, filename)`` rows to read instead of the pool's
        files (the exports read back lines they sorted first)."""
        schema = self.pool.schema
        wanted = list(dict.fromkeys([*columns, *sorted(self.keys()), "created", "ev.lineno"]))
        cols = [schema.columns[c] for c in wanted if c in schema.columns]
        keys = list(dict.fromkeys(k for c in cols for k in c.keys))
        index = {k: i + 1 for i, k in enumerate(keys)}
        ptrs = ", ".join(quote_literal(load.json_pointer(k)) for k in keys) or "'/'"
        bad = load.not_an_object()
        typed = []
        for c in cols:
            parts = [load.typed_expr(f"__v[{index[k]}]", c.sql_type) for k in c.keys]
            expr = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
            typed.append(f"{load.mark_unparsed(c.name, expr, bad)} AS {quote_ident(c.name)}")
        typed += load.reason_if_missing(schema, bad)
        typed.append(f"filename AS {quote_ident(FILE_KEY)}")
        typed.append(f"json AS {_JSON}")
        inner = (f"SELECT json, filename, json_extract_string(json, [{ptrs}]) AS __v "
                 f"FROM {lines or load.raw_source_sql(self.pool.files)}")
        source = f"(SELECT {', '.join(typed)} FROM ({inner}))"
        have = set(schema.columns) | {FILE_KEY, "ev.reason"}
        select = [quote_ident(c) if c in have else f"NULL AS {quote_ident(c)}" for c in columns]
        if with_json:
            select.append(_JSON)
        return self.sql(", ".join(select), ordered=ordered, source=source)

    def sql(self, columns: str = "*", ordered: bool = True, source: str = VIEW) -> str:
        conds = self.conditions()
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        order = f" {ORDER}" if ordered else ""
        return f"SELECT {columns} FROM {source}{where}{order}"

    # -- results
    def relation(self):
        """A DuckDB relation of the matching events, time ordered (typed columns)."""
        return self.pool.con.sql(self.sql())

    def df(self):
        """A pandas DataFrame of the matching events (only columns some row fills)."""
        frame = self.relation().df()
        return frame.dropna(axis=1, how="all") if len(frame) else frame

    def count(self) -> int:
        return self.pool.con.execute(self.sql("count(*)", ordered=False)).fetchall()[0][0]

    def records(self, batch: int = 4096, order: str = "auto") -> Iterator[dict[str, Any]]:
        """The matching records as in the pool (``created`` etc. numbers), time ordered.

        Streams either way, with memory flat: ``order="merge"`` merges the files
        (``heapq.merge``, one record per file in memory), which needs each file to be time
        ordered; ``"sort"`` lets DuckDB sort, spilling to disk; ``"auto"`` merges when every
        file is time ordered (checked once per file, cached), else sorts.
        """
        if order not in ("auto", "merge", "sort"):
            raise ValueError(f"order must be auto, merge or sort, not {order!r}")
        if order != "sort":
            from .merge import file_is_time_ordered, merged_records

            unordered = [f for f in self.pool.files
                         if not file_is_time_ordered(self.pool.con, f)]
            if not unordered:
                yield from merged_records(self, self.pool.files)
                return
            if order == "merge":
                raise QueryError("cannot merge: a pool file is not time ordered", unordered[0],
                                 "use order='sort'")
        yield from self._sorted_records(batch)

    def _sorted_records(self, batch: int) -> Iterator[dict[str, Any]]:
        cur = self.pool.con.cursor()
        cur.execute(self.narrow_sql([FILE_KEY], with_json=True))
        loads = orjson.loads
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                break
            for fname, raw in rows:
                rec = loads(raw) if raw is not None else None
                if not isinstance(rec, dict):
                    yield unparsed_record(
                        raw or "", source="pool", origin=fname, name="ev.pool",
                        reason=load.UNPARSED_REASON + "; Pool.unparsed() has its text",
                        fields={FILE_KEY: fname})
                    continue
                if self.pool.parquet:   # a row of the shards: absent keys are NULL there
                    rec = {k: v for k, v in rec.items() if v is not None}
                coerce_record(rec)
                rec[FILE_KEY] = fname
                yield rec
        cur.close()

    def __repr__(self) -> str:
        return f"<Query {self.sql(ordered=False)}>"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)
