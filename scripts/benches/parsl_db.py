"""parsl-db bench.

input   a copy of fixtures/parsl/<newest>/runinfo/monitoring.db whose status and resource
        tables are replicated with fresh task ids up to N rows in all
floor   stdlib sqlite3 cursor over the same tables + ``orjson.dumps`` of each row tuple,
        written through a 1 MiB buffer (what reading the DB costs at the least)
width   the same cursor, but dumping a constant real record of ours per row: what the
        wider output alone costs (our records carry the envelope and provenance)
pandas  ``pandas.read_sql`` of the same tables + ``orjson.dumps`` of each row dict (what
        Parsl users do today; the peer)
ours    ``importers.sources.parsl_db.read`` + ``PoolWriter``: one core
ours-2j ``importers.sources.parsl_db.write_to(jobs=2)``: tables of 200,000 rows or more cut into
        rowid ranges for two processes (what ``ev-import parsl-db`` does on two cores)
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

PARSL_BENCH_TABLES = ("status", "resource")


# ---------------------------------------------------------------------------------------
# parsl-db


def newest_parsl_db() -> Path:
    dbs = sorted(ROOT.glob("fixtures/parsl/*/runinfo/monitoring.db"),
                 key=lambda p: [int(x) if x.isdigit() else 0
                                for x in p.parent.parent.name.split("-")[0].split(".")])
    if not dbs:
        sys.exit("bench: no fixtures/parsl/*/runinfo/monitoring.db; run scripts/"
                 "make_parsl_fixture.py first")
    return dbs[-1]


def build_parsl_db(rows: int, workdir: Path) -> Path:
    """Replicate the real status/resource rows with fresh task ids until ``rows`` in all."""
    db = workdir / f"monitoring-{rows}.db"
    if db.exists():
        return db
    shutil.copy(newest_parsl_db(), db)
    with sqlite3.connect(db) as conn:
        base = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                for t in PARSL_BENCH_TABLES}
        max_task = conn.execute("select max(task_id) from task").fetchone()[0] + 1
        per_copy = sum(base.values())
        copies = max(0, (rows - per_copy) // per_copy)
        for table in PARSL_BENCH_TABLES:
            cols = [r[1] for r in conn.execute(f"pragma table_info({table})")]
            conn.execute(f"create temp table seed_{table} as select * from {table}")
            select = ", ".join("task_id + :offset" if c == "task_id" else c for c in cols)
            for k in range(1, copies + 1):
                conn.execute(f"insert into {table} ({', '.join(cols)}) "
                             f"select {select} from seed_{table}", {"offset": k * max_task})
        have = sum(conn.execute(f"select count(*) from {t}").fetchone()[0]
                   for t in PARSL_BENCH_TABLES)
        extra = rows - have
        if extra > 0:  # top up from the first table so the count is exact
            table = PARSL_BENCH_TABLES[0]
            cols = [r[1] for r in conn.execute(f"pragma table_info({table})")]
            select = ", ".join("task_id + :offset" if c == "task_id" else c for c in cols)
            conn.execute(f"insert into {table} ({', '.join(cols)}) select {select} "
                         f"from seed_{table} limit :n",
                         {"offset": (copies + 1) * max_task, "n": extra})
    return db


def db_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        return sum(conn.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables)


def parsl_floor(db: Path, out: Path) -> None:
    import orjson

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
    with open(out, "wb", buffering=1 << 20) as fh:
        write, dumps, opt = fh.write, orjson.dumps, orjson.OPT_APPEND_NEWLINE
        for table in tables:
            for row in conn.execute(f'select * from "{table}"'):
                write(dumps(row, option=opt))


def parsl_pandas(db: Path, out: Path) -> None:
    import orjson
    import pandas as pd

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
    with open(out, "wb", buffering=1 << 20) as fh:
        write, dumps = fh.write, orjson.dumps
        opt = orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY
        for table in tables:
            frame = pd.read_sql(f'select * from "{table}"', conn)
            for row in frame.to_dict("records"):
                write(dumps(row, option=opt, default=str))


def parsl_width(db: Path, out: Path) -> None:
    import orjson

    from importers.sources import parsl_db

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    sample = {}
    for rec in parsl_db.read(newest_parsl_db(), tz="UTC"):  # the small original
        sample.setdefault(rec["name"].rsplit(".", 1)[1], rec)
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
    with open(out, "wb", buffering=1 << 20) as fh:
        write, dumps, opt = fh.write, orjson.dumps, orjson.OPT_APPEND_NEWLINE
        for table in tables:
            const = sample.get(table, {})
            for _row in conn.execute(f'select * from "{table}"'):
                write(dumps(const, option=opt))


def parsl_ours(db: Path, out: Path) -> None:
    from importers.core.pool import PoolWriter
    from importers.sources import parsl_db

    with PoolWriter(out.parent, "bench", out.name) as writer:
        writer.write_all(parsl_db.read(db, tz="UTC"))


def parsl_ours_2j(db: Path, out: Path) -> None:
    from importers.core.pool import PoolWriter
    from importers.core.report import ImportReport
    from importers.sources import parsl_db

    with PoolWriter(out.parent, "bench", out.name) as writer:
        parsl_db.write_to(writer, db, tz="UTC", report=ImportReport(), jobs=2)


BENCHES = {
    "parsl-db": (build_parsl_db, db_rows,
                 {"floor": parsl_floor, "width": parsl_width, "pandas": parsl_pandas,
                  "ours": parsl_ours, "ours-2j": parsl_ours_2j}),
}
PEERS = {"parsl-db": "pandas"}


