"""Loading a pool into DuckDB: one view ``events`` with typed columns, robust to real pools.

Why not ``read_json_auto('pool/*.jsonlog', union_by_name=true)``? On real pools it goes wrong
quietly, in four ways (each has a test in ``tests/test_analysis_load.py``):

* a key that is a number in one file and a string in another (Academy writes every value as
  a string) becomes a ``JSON`` column, and ``WHERE k > 10`` then compares text with no error;
* keys first seen after the type sample are dropped unless the whole input is sampled;
* ``filename=true`` adds a column called ``filename``, which Academy's records already have;
* ``ignore_errors=true`` turns a conflicting value into NULL without a word.

So the loader reads every line as one JSON value (``read_json_objects``), discovers every key
and the JSON types of its values over *all* records (cached per file by path, size and mtime,
so a second look at an unchanged pool costs nothing), and builds each column itself with
``TRY_CAST`` by the rules of :func:`decide_type`. A line that is not a JSON object (a torn
last line of a live file, invalid UTF-8, garbage) stays in the view as an ``unparsed`` row and
is counted in :attr:`Schema.unparsed`; :meth:`importers.analysis.Pool.unparsed` gives its text.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from ..core.pool import FILE_KEY

# ---------------------------------------------------------------------------------------
# The type rules

#: Keys whose type is fixed whatever the files say (DESIGN §2, §3). Numeric ones are
#: coerced from Academy's strings; id keys stay text even when every value looks like a
#: number (``slurm.jobid`` ``"48"`` must join ``parsl.job_id`` ``"48"``, and ``123_4`` exists).
PINNED: dict[str, str] = {
    "created": "DOUBLE",
    "levelno": "INTEGER",
    "msecs": "DOUBLE",
    "relativeCreated": "DOUBLE",
    "process": "BIGINT",
    "thread": "BIGINT",
    "lineno": "BIGINT",
    "ev.lineno": "BIGINT",
    "ev.line_count": "BIGINT",
    "linux.pid": "BIGINT",
    "linux.ppid": "BIGINT",
    "linux.tid": "BIGINT",
    "linux.uid": "BIGINT",
    "linux.exit_code": "BIGINT",
    "linux.exit_signal": "BIGINT",
    "parsl.task_id": "BIGINT",
    "parsl.try_id": "BIGINT",
    "parsl.executor_task_id": "BIGINT",
    "parsl.worker_id": "BIGINT",
    "parsl.run_id": "VARCHAR",
    "parsl.block_id": "VARCHAR",
    "parsl.job_id": "VARCHAR",
    "parsl.manager_id": "VARCHAR",
    "parsl.executor": "VARCHAR",
    "slurm.jobid": "VARCHAR",
    "slurm.step": "VARCHAR",
    "linux.hostname": "VARCHAR",
    "name": "VARCHAR",
    "levelname": "VARCHAR",
    "formatted": "VARCHAR",
    "message": "VARCHAR",
    "msg": "VARCHAR",
    "ev.event": "VARCHAR",
    "ev.source": "VARCHAR",
    "ev.origin": "VARCHAR",
    FILE_KEY: "VARCHAR",
}

#: Columns every ``events`` view has, even when no record carries the key.
CORE_COLUMNS = ("created", "name", "levelname", "levelno", "formatted", "ev.event",
                "ev.source", "ev.lineno", "linux.hostname", "linux.pid")

def _aliases() -> dict[str, tuple[str, ...]]:
    """Parsl's own ``JSONLogging`` keys (``extra=`` of its log calls, all written as strings)
    mapped to the pool's names by the same table the parsl-logs importer uses, plus a
    LogRecord's ``process`` (Academy's files, Parsl's) as ``linux.pid``. Local-time texts
    (``time_began``) are left to the importer, which knows the zone."""
    from ..sources.parsl_logs.keys import LOCAL_TIME, PARSL_JSON_KEYS

    table: dict[str, list[str]] = {}
    for source, (target, kind) in PARSL_JSON_KEYS.items():
        if kind is not LOCAL_TIME:
            table.setdefault(target, []).append(source)
    for source, target in (("parsl.app_name", "parsl.task_func_name"),
                           ("parsl.dependency_task", "parsl.dependency_task_id"),
                           ("process", "linux.pid")):
        table.setdefault(target, []).append(source)
    return {target: tuple(sources) for target, sources in table.items()}


#: target key -> the keys that feed it when a record lacks the target (the pool's own key
#: wins where a record has both; the originals stay columns too), so joins work whichever
#: logger wrote a record.
ALIASES: dict[str, tuple[str, ...]] = _aliases()

#: String values that mean "unknown" (Academy writes ``str(None)``); they do not make a
#: numeric key text, and they load as NULL in a numeric column.
NULLISH = ("", "None", "null", "NULL", "nan", "NaN")

_NUMERIC = {"BIGINT", "UBIGINT", "DOUBLE"}
_NUMERIC_SQL = {"BIGINT", "INTEGER", "HUGEINT", "DOUBLE"}


@dataclass
class KeyStats:
    """How often a key held each JSON type, and how many of its strings are not numbers."""

    types: dict[str, int] = field(default_factory=dict)
    non_numeric: int = 0       # strings that do not parse as a number (NULLISH excluded)
    non_integer: int = 0       # strings that do not parse as an integer (NULLISH excluded)
    huge: int = 0              # integers beyond BIGINT (DuckDB calls every int >= 0 UBIGINT)

    def add(self, other: KeyStats) -> None:
        for t, n in other.types.items():
            self.types[t] = self.types.get(t, 0) + n
        self.non_numeric += other.non_numeric
        self.non_integer += other.non_integer
        self.huge += other.huge

    def to_json(self) -> list:
        return [self.types, self.non_numeric, self.non_integer, self.huge]

    @classmethod
    def from_json(cls, data: list) -> KeyStats:
        return cls(dict(data[0]), data[1], data[2], data[3])


def decide_type(key: str, stats: KeyStats) -> tuple[str, str]:
    """The SQL type of a key's column, and a note when the choice needs one.

    1. A pinned key (:data:`PINNED`, and every ``*_time``) keeps its type; a value that does
       not convert is counted in the note (the record's text is kept in the pool).
    2. Numbers only, or numbers and numeric strings (Academy): ``BIGINT`` if every value is
       an integer, else ``DOUBLE``. Strings that mean unknown (``"None"``, ``""``) are NULL.
    3. Strings only: ``VARCHAR`` (ids stay text even when they look like numbers).
    4. Booleans only: ``BOOLEAN``; arrays/objects only: ``JSON``.
    5. Anything else is a genuine mix: ``VARCHAR`` holding each value's text (a number's
       JSON text, a string as is), with a note naming the types seen.
    """
    seen = {t for t, n in stats.types.items() if n and t != "NULL"}
    pinned = PINNED.get(key) or ("DOUBLE" if key.endswith("_time") else None)
    if pinned:
        bad = 0
        if pinned in _NUMERIC_SQL:
            bad = stats.non_numeric + sum(stats.types.get(t, 0)
                                          for t in ("BOOLEAN", "ARRAY", "OBJECT"))
        note = f"{bad} value(s) are not numbers and load as NULL" if bad else ""
        return pinned, note
    if not seen:
        return "VARCHAR", ""
    if seen <= _NUMERIC | {"VARCHAR"} and seen & _NUMERIC:
        if "VARCHAR" in seen and stats.non_numeric:
            return "VARCHAR", _mix_note(stats)
        integral = "DOUBLE" not in seen and not ("VARCHAR" in seen and stats.non_integer)
        if not integral:
            return "DOUBLE", ""
        return ("HUGEINT" if stats.huge else "BIGINT"), ""
    if seen == {"VARCHAR"}:
        return "VARCHAR", ""
    if seen == {"BOOLEAN"}:
        return "BOOLEAN", ""
    if seen <= {"ARRAY", "OBJECT"}:
        return "JSON", ""
    return "VARCHAR", _mix_note(stats)


def _mix_note(stats: KeyStats) -> str:
    kinds = ", ".join(f"{t} x{n}" for t, n in sorted(stats.types.items()) if n)
    return f"mixed types ({kinds}); kept as text"


# ---------------------------------------------------------------------------------------
# SQL helpers


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def json_pointer(key: str) -> str:
    """A JSON pointer (RFC 6901) to a top-level key: dots and quotes need no escaping."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def typed_expr(text: str, sql_type: str) -> str:
    """``text`` (a SQL expression giving a value's text) as ``sql_type``; NULL if it does
    not convert (only pinned keys can have such values, and the schema notes count them)."""
    if sql_type == "VARCHAR":
        return text
    if sql_type == "JSON":
        return f"TRY_CAST({text} AS JSON)"
    if sql_type in ("BIGINT", "INTEGER", "HUGEINT"):
        # "5.0" (Academy) and 5.0 are integers too; a direct cast would refuse them.
        return (f"coalesce(TRY_CAST({text} AS {sql_type}), "
                f"TRY_CAST(TRY_CAST({text} AS DOUBLE) AS {sql_type}))")
    return f"TRY_CAST({text} AS {sql_type})"


def value_expr(key: str, sql_type: str, json_col: str | None = "json") -> str:
    """The SQL expression for ``key`` as ``sql_type``: extracted from the raw JSON column
    ``json_col``, or, with ``json_col=None``, from the text column of the same name that
    :func:`wide_source_sql` reads."""
    if json_col is None:
        return typed_expr(quote_ident(key), sql_type)
    ptr = quote_literal(json_pointer(key))
    if sql_type == "JSON":
        return f"({json_col} -> {ptr})"
    return typed_expr(f"({json_col} ->> {ptr})", sql_type)


def file_list_sql(files: Iterable[str]) -> str:
    return "[" + ", ".join(quote_literal(f) for f in files) + "]"


def source_keys(schema: Schema) -> list[str]:
    """The keys :func:`wide_source_sql` reads as columns: every key that feeds a column,
    less those that differ only in case from a more common one (DuckDB names ignore case)."""
    keys, seen = [], set()
    for col in schema.columns.values():
        for key in col.keys:
            if key.lower() not in seen:
                seen.add(key.lower())
                keys.append(key)
    return keys


def wide_source_sql(files: list[str], schema: Schema) -> str:
    """Every line of ``files`` with one text column per key, parsed once per line.

    Many ``->>`` extractions of the same line in one query each parse it again and hold their
    own buffers (a ``SELECT *`` over 300 keys runs out of memory); DuckDB's JSON reader with
    declared columns parses each line once and reads only the columns a query uses.
    """
    keys = source_keys(schema)
    if not files:
        nulls = "".join(f"NULL::VARCHAR AS {quote_ident(k)}, " for k in keys)
        return f"(SELECT {nulls}NULL::VARCHAR AS __file WHERE false)"
    cols = "{" + ", ".join(f"{quote_literal(k)}: 'VARCHAR'" for k in keys) + "}"
    return (f"read_json({file_list_sql(files)}, format='newline_delimited', columns={cols}, "
            "ignore_errors=true, filename='__file')")


def raw_source_sql(files: list[str]) -> str:
    """Every line of ``files`` as one JSON value (NULL if it is not JSON) and its file."""
    if not files:
        return "(SELECT NULL::JSON AS json, NULL::VARCHAR AS filename WHERE false)"
    return (f"read_json_objects({file_list_sql(files)}, format='newline_delimited', "
            "filename=true, ignore_errors=true)")


# ---------------------------------------------------------------------------------------
# Discovery, cached per file


@dataclass
class FileStats:
    rows: int = 0
    unparsed: int = 0
    keys: dict[str, KeyStats] = field(default_factory=dict)


def cache_dir() -> Path | None:
    """``$EV_CACHE_DIR``, else ``$XDG_CACHE_HOME/ev-import``, else ``~/.cache/ev-import``;
    ``EV_CACHE_DIR=off`` turns the schema cache off."""
    explicit = os.environ.get("EV_CACHE_DIR")
    if explicit == "off":
        return None
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ev-import"


def _cache_path(path: str) -> Path | None:
    base = cache_dir()
    if base is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    ident = f"{os.path.abspath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}"
    return base / "schema-v3" / (hashlib.sha256(ident.encode()).hexdigest()[:32] + ".json")


def _load_cached(path: str) -> FileStats | None:
    cp = _cache_path(path)
    if cp is None:
        return None
    try:
        data = orjson.loads(cp.read_bytes())
        return FileStats(data["rows"], data["unparsed"],
                         {k: KeyStats.from_json(v) for k, v in data["keys"].items()})
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _store_cached(path: str, stats: FileStats) -> None:
    cp = _cache_path(path)
    if cp is None:
        return
    try:
        cp.parent.mkdir(parents=True, exist_ok=True)
        tmp = cp.with_name(f".{cp.name}.{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps({"rows": stats.rows, "unparsed": stats.unparsed,
                                      "keys": {k: v.to_json() for k, v in stats.keys.items()}}))
        os.replace(tmp, cp)
    except OSError:
        pass  # a cache that cannot be written only costs time


def cached_fact(path: str, name: str):
    """A cached fact about one pool file (e.g. whether it is time ordered), or None."""
    cp = _cache_path(path)
    if cp is None:
        return None
    try:
        return orjson.loads(cp.with_name(f"{cp.stem}.{name}.json").read_bytes())
    except (OSError, ValueError):
        return None


def store_fact(path: str, name: str, value) -> None:
    cp = _cache_path(path)
    if cp is None:
        return
    try:
        cp.parent.mkdir(parents=True, exist_ok=True)
        cp.with_name(f"{cp.stem}.{name}.json").write_bytes(orjson.dumps(value))
    except OSError:
        pass


def _nullish_sql(col: str) -> str:
    return f"{col} IN ({', '.join(quote_literal(s) for s in NULLISH)})"


def discover(con, files: list[str]) -> dict[str, FileStats]:
    """Per file: rows, unparsed lines, and every key's JSON types over all its records."""
    result: dict[str, FileStats] = {}
    todo = []
    for f in files:
        cached = _load_cached(f)
        if cached is None:
            todo.append(f)
        else:
            result[f] = cached
    if not todo:
        return result
    src = raw_source_sql(todo)
    fresh = {f: FileStats() for f in todo}
    for fname, rows, bad in con.execute(
        f"SELECT filename, count(*), count(*) FILTER (WHERE {not_an_object()}) "
        f"FROM {src} GROUP BY filename"
    ).fetchall():
        fresh[fname].rows, fresh[fname].unparsed = rows, bad
    # One parse per line into a MAP of key -> JSON value, unnested in the select list: a
    # lateral json_each() join would make DuckDB hold every line of the pool in memory.
    text = "(value ->> '$')"
    query = f"""
        WITH kv AS (
            SELECT filename, unnest(map_entries(json_transform(json, '"MAP(VARCHAR, JSON)"')),
                                    recursive := true)
            FROM {src} WHERE json_type(json) = 'OBJECT'
        ), typed AS (SELECT filename, key, json_type(value) AS type, value FROM kv)
        SELECT filename, key, type, count(*),
               count(*) FILTER (WHERE type = 'VARCHAR' AND TRY_CAST({text} AS DOUBLE) IS NULL
                                AND NOT {_nullish_sql(text)}),
               count(*) FILTER (WHERE type = 'VARCHAR' AND TRY_CAST({text} AS BIGINT) IS NULL
                                AND NOT {_nullish_sql(text)}),
               count(*) FILTER (WHERE type = 'UBIGINT' AND TRY_CAST({text} AS BIGINT) IS NULL)
        FROM typed
        GROUP BY ALL
    """
    for fname, key, jtype, n, non_num, non_int, huge in con.execute(query).fetchall():
        ks = fresh[fname].keys.setdefault(key, KeyStats())
        ks.types[jtype] = ks.types.get(jtype, 0) + n
        ks.non_numeric += non_num
        ks.non_integer += non_int
        ks.huge += huge
    for f, stats in fresh.items():
        _store_cached(f, stats)
    result.update(fresh)
    return result


# ---------------------------------------------------------------------------------------
# The schema and the view


@dataclass
class Column:
    """One column of the ``events`` view: which keys feed it, its type, why."""

    name: str
    sql_type: str
    keys: tuple[str, ...]
    note: str = ""

    def expr(self, json_col: str | None = "json", available: set[str] | None = None) -> str:
        keys = [k for k in self.keys if available is None or k in available]
        if not keys:
            return f"NULL::{self.sql_type}"
        parts = [value_expr(k, self.sql_type, json_col) for k in keys]
        return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


@dataclass
class Schema:
    """What the loader found: the columns, rows and unparsed lines per file, notes."""

    columns: dict[str, Column]
    files: dict[str, FileStats]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files.values())

    @property
    def unparsed(self) -> dict[str, int]:
        return {name: f.unparsed for name, f in self.files.items() if f.unparsed}

    @property
    def notes(self) -> dict[str, str]:
        """Columns whose type needed a decision a user should know about."""
        return {c.name: c.note for c in self.columns.values() if c.note}

    def type_of(self, key: str) -> str | None:
        col = self.columns.get(key)
        return col.sql_type if col else None


def build_schema(stats: dict[str, FileStats]) -> Schema:
    merged: dict[str, KeyStats] = {}
    for fs in stats.values():
        for key, ks in fs.keys.items():
            merged.setdefault(key, KeyStats()).add(ks)
    names = set(merged) | set(CORE_COLUMNS)
    for target, sources in ALIASES.items():
        if any(s in merged for s in sources):
            names.add(target)
    names.discard(FILE_KEY)  # the reader's tag: a record's own ev.file is not trusted
    columns: dict[str, Column] = {}
    taken: dict[str, str] = {}  # DuckDB names are case-insensitive: funcName vs funcname
    for key in sorted(names, key=lambda k: (-sum(merged.get(k, KeyStats()).types.values()), k)):
        feeding = (key,) + tuple(s for s in ALIASES.get(key, ()) if s in merged)
        ks = KeyStats()
        for k in feeding:
            if k in merged:
                ks.add(merged[k])
        sql_type, note = decide_type(key, ks)
        name = key
        n = 2
        while name.lower() in taken:
            name = f"{key}#{n}"
            n += 1
        if name != key:
            note = (note + "; " if note else "") + (
                f"renamed: DuckDB names ignore case and {taken[key.lower()]!r} exists")
        taken[name.lower()] = key
        columns[name] = Column(name, sql_type, feeding, note)
    return Schema(dict(sorted(columns.items())), stats)


UNPARSED_REASON = "not a JSON object (a torn last line, invalid UTF-8 or not JSON)"


def not_an_object(json_col: str = "json") -> str:
    """SQL that is true for a pool line that is no JSON object (the view calls it unparsed)."""
    return f"({json_col} IS NULL OR json_type({json_col}) <> 'OBJECT')"


def mark_unparsed(name: str, expr: str, bad: str) -> str:
    """Column ``name``'s ``expr``, except that on a line where ``bad`` holds ``ev.event``
    says ``unparsed`` and ``ev.reason`` says why: every reader of the pool agrees on it."""
    if name == "ev.event":
        return f"CASE WHEN {bad} THEN 'unparsed' ELSE {expr} END"
    if name == "ev.reason":
        return f"CASE WHEN {bad} THEN {quote_literal(UNPARSED_REASON)} ELSE {expr} END"
    return expr


def reason_if_missing(schema: Schema, bad: str) -> list[str]:
    """The ``ev.reason`` column for unparsed lines, when no record of the pool has one."""
    if "ev.reason" in schema.columns:
        return []
    return [f"CASE WHEN {bad} THEN {quote_literal(UNPARSED_REASON)} END AS "
            f"{quote_ident('ev.reason')}"]


def select_list(schema: Schema, json_col: str | None = "json", file_col: str = "filename") -> str:
    """The typed columns of the view, plus ``ev.file``; unparsed lines say so in ``ev.event``.

    ``json_col`` is the raw JSON column (:func:`raw_source_sql`), or None for the text
    columns of :func:`wide_source_sql` (there an unparsed line is a row with no core key).
    """
    if json_col is not None:
        bad = not_an_object(json_col)
        available = None
    else:
        available = set(source_keys(schema))
        core = [quote_ident(k) for k in ("created", "formatted", "name", "msg", "message",
                                         "ev.event", "levelname") if k in available]
        bad = ("(" + " AND ".join(f"{c} IS NULL" for c in core) + ")"
               if core and schema.unparsed else "false")
    items = [f"{mark_unparsed(col.name, col.expr(json_col, available), bad)} AS "
             f"{quote_ident(col.name)}" for col in schema.columns.values()]
    items += reason_if_missing(schema, bad)
    items.append(f"{file_col} AS {quote_ident(FILE_KEY)}")
    return ",\n       ".join(items)


# ---------------------------------------------------------------------------------------
# Connections


def default_memory_limit() -> str:
    return os.environ.get("EV_DUCKDB_MEMORY", "256MB")


def connect(memory_limit: str | None = None, threads: int | None = None):
    """A DuckDB connection that spills to a private temp dir instead of growing."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = {quote_literal(memory_limit or default_memory_limit())}")
    spill = os.path.join(tempfile.gettempdir(), f"ev-import-duckdb-{os.getpid()}")
    con.execute(f"SET temp_directory = {quote_literal(spill)}")
    # Every query that needs an order says ORDER BY; without this DuckDB buffers results to
    # keep the files' order, which costs memory on wide scans.
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # never draw on the user's terminal
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con
