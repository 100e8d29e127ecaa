"""A time-ordered merge across pool files that streams, for files that are each time ordered.

Academy's and Parsl's own files, and live watchers' files, are written as events happen, so
each is in time order; the events of a whole pool in time order are then a k-way merge
(``heapq.merge``) of the files, holding one record per file in memory, whatever the pool's
size. Files written by importers are often not time ordered (a run dir's logs one after
another, a DB table by table); for those :meth:`importers.analysis.Query.records` lets
DuckDB sort, spilling to disk. Whether a file is time ordered is checked once (DuckDB reads
its ``created`` in file order) and cached with its schema.

The filters here are :class:`~importers.analysis.Query`'s, evaluated in Python with the same
rules (numeric keys compare as numbers, Parsl's own key names count as the pool's);
``grep`` uses Python's ``re``, which agrees with RE2 on ordinary patterns.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from ..core.pool import FILE_KEY, coerce_record
from ..core.record import unparsed as unparsed_record
from . import load

_NUMBER_TYPES = {"BIGINT", "INTEGER", "HUGEINT", "DOUBLE"}


def file_is_time_ordered(con, path: str) -> bool:
    """True if ``created`` never decreases down the file (lines without it ignored)."""
    cached = load.cached_fact(path, "ordered")
    if cached is not None:
        return bool(cached)
    cur = con.cursor()
    cur.execute("SET preserve_insertion_order = true")
    cur.execute("SET threads = 1")  # one reader: rows come in file order
    cur.execute(f"SELECT TRY_CAST(created AS DOUBLE) FROM read_json("
                f"{load.file_list_sql([path])}, format='newline_delimited', "
                "columns={'created': 'VARCHAR'}, ignore_errors=true)")
    last = float("-inf")
    ordered = True
    while ordered and (rows := cur.fetchmany(8192)):
        for (value,) in rows:
            if value is None:
                continue
            if value < last:
                ordered = False
                break
            last = value
    cur.close()
    load.store_fact(path, "ordered", ordered)
    return ordered


def _value(rec: dict[str, Any], key: str) -> Any:
    value = rec.get(key)
    if value is None:
        for alias in load.ALIASES.get(key, ()):
            value = rec.get(alias)
            if value is not None:
                break
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def predicate(query) -> Callable[[dict[str, Any]], bool]:
    """The query's filters as a Python function of one (coerced) record."""
    schema = query.pool.schema
    tests: list[Callable[[dict[str, Any]], bool]] = []
    for key, wanted in query.where:
        values = list(wanted) if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]
        sql_type = schema.type_of(key)
        if sql_type is None:
            return lambda rec: False
        if sql_type in _NUMBER_TYPES:
            nums = {float(v) for v in values}

            def test(rec, key=key, nums=nums) -> bool:
                try:
                    return float(_value(rec, key)) in nums
                except (TypeError, ValueError):
                    return False
        else:
            texts = {_text(v).lower() if sql_type == "BOOLEAN" else _text(v) for v in values}

            def test(rec, key=key, texts=texts, lower=sql_type == "BOOLEAN") -> bool:
                value = _value(rec, key)
                if value is None:
                    return False
                text = _text(value)
                return (text.lower() if lower else text) in texts
        tests.append(test)
    for key in query.has:
        tests.append(lambda rec, key=key: _value(rec, key) is not None)
    if query.since is not None:
        tests.append(lambda rec: isinstance(rec.get("created"), (int, float))
                     and rec["created"] >= query.since)
    if query.until is not None:
        tests.append(lambda rec: isinstance(rec.get("created"), (int, float))
                     and rec["created"] <= query.until)
    if query.grep:
        pattern = re.compile(query.grep)
        tests.append(lambda rec: any(isinstance(rec.get(k), str) and pattern.search(rec[k])
                                     for k in ("formatted", "message", "msg")))
    return lambda rec: all(t(rec) for t in tests)


def _stream(path: str, keep: Callable[[dict[str, Any]], bool]) -> Iterator[tuple]:
    """(sort key, record) for the matching records of one file, in file order."""
    last = None
    with open(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                rec = None
            if not isinstance(rec, dict):
                rec = unparsed_record(
                    line.decode("utf-8", "replace").rstrip("\n"), source="pool", origin=path,
                    name="ev.pool", lineno=lineno,
                    reason=("torn last line (a writer mid-flush)" if not line.endswith(b"\n")
                            else load.UNPARSED_REASON),
                    fields={FILE_KEY: path})
                rec.pop("created", None)
                # Sorted where it was found, so the file's order stays a valid merge input.
                if keep(rec):
                    yield (last is not None, last or 0.0), rec
                continue
            coerce_record(rec)
            rec[FILE_KEY] = path
            created = rec.get("created")
            if isinstance(created, (int, float)):
                last = float(created)
            if keep(rec):
                yield (last is not None, last or 0.0), rec


def merged_records(query, files: list[str]) -> Iterator[dict[str, Any]]:
    """The query's records from time-ordered ``files``, merged in time order; ties keep
    file then line order. A record without ``created`` (an unparsed line) keeps its place in
    its file: it sorts with the record before it (first, if none has a time yet)."""
    keep = predicate(query)
    for _key, rec in heapq.merge(*(_stream(f, keep) for f in files), key=lambda kr: kr[0]):
        yield rec
