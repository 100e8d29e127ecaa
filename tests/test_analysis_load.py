"""Reading a pool back: every file, typed columns, Parsl's and Academy's own files, the
DuckDB pitfalls real pools run into, and ``ev-import show`` / ``ev-import sql``.

The mixed pool is the real one ``ev-import auto fixtures/`` builds (Academy's files copied
unchanged, with every value a string; Parsl, Slurm, Redis and process events imported), plus
a torn last line appended to one file, as a live writer mid-flush leaves it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("pandas")

from importers import analysis as ev  # noqa: E402
from importers.cli import main  # noqa: E402
from importers.core.pool import pool_files  # noqa: E402

ACADEMY_LOGS = FIXTURES / "academy" / "1.0.0" / "academy_home" / "logs"
PARSL_JSON_RUN = FIXTURES / "parsl" / "2026.10.26-json" / "runinfo" / "000"
TORN = b'{"created": 1795596400.5, "formatted": "half a rec'


@pytest.fixture(scope="session")
def mixed_pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ev-import auto fixtures/`` into a fresh pool, then a torn line on Academy's file."""
    root = tmp_path_factory.mktemp("mixed")
    pool = root / "pool"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EV_CACHE_DIR", str(root / "cache"))
        assert main(["auto", str(FIXTURES), "--pool", str(pool), "-q"]) in (0, 1)
    academy = sorted(pool.rglob("fecfb4bb-*.jsonlog"))
    assert academy, "auto copies Academy's pool files in unchanged"
    with open(academy[0], "ab") as fh:
        fh.write(TORN)
    return pool


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EV_CACHE_DIR", str(tmp_path / "cache"))


def _raw_records(pool: Path) -> list[dict]:
    """The pool read independently of the loader: every line that is a JSON object."""
    out = []
    for path in pool_files(pool):
        for line in path.read_bytes().splitlines():
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
    return out


# ---------------------------------------------------------------------------------------
# Loading a mixed pool


def test_every_line_of_every_file_is_in_the_view(mixed_pool: Path) -> None:
    pool = ev.open_pool(mixed_pool)
    lines = sum(len(p.read_bytes().splitlines()) for p in pool_files(mixed_pool))
    assert pool.schema.rows == lines
    assert pool.sql("SELECT count(*) FROM events").fetchall()[0][0] == lines
    files = {r[0] for r in pool.sql('SELECT DISTINCT "ev.file" FROM events').fetchall()}
    assert files == {str(p) for p in pool_files(mixed_pool)}
    assert any("/copied/" in f for f in files), "Academy's nested files are read too"


def test_keys_are_typed_by_the_documented_rules(mixed_pool: Path) -> None:
    schema = ev.open_pool(mixed_pool).schema
    # Academy writes "created": "1795596343.86" and "process": "28812"; ours are numbers.
    assert schema.type_of("created") == "DOUBLE"
    assert schema.type_of("levelno") == "INTEGER"
    assert schema.type_of("process") == "BIGINT"
    assert schema.type_of("linux.pid") == "BIGINT"
    assert schema.type_of("parsl.task_id") == "BIGINT"
    # Ids stay text even where every value looks like a number.
    assert schema.type_of("slurm.jobid") == "VARCHAR"
    assert schema.type_of("parsl.job_id") == "VARCHAR"
    assert schema.type_of("parsl.block_id") == "VARCHAR"
    # Academy's own `filename` key (the logger call's source file) is a plain column.
    assert schema.type_of("filename") == "VARCHAR"


def test_academy_strings_are_numbers_in_the_view(mixed_pool: Path) -> None:
    pool = ev.open_pool(mixed_pool)
    academy = [r for r in _raw_records(mixed_pool) if r.get("process") == "28812"]
    assert academy and all(isinstance(r["created"], str) for r in academy)
    got = pool.sql('SELECT created, process, "linux.pid", levelno FROM events '
                   "WHERE process = 28812 AND \"ev.source\" IS NULL").fetchall()
    assert len(got) == len(academy)
    assert sorted(c for c, *_ in got) == sorted(float(r["created"]) for r in academy)
    assert all(pid == 28812 and lp == 28812 and isinstance(lv, int) for _, pid, lp, lv in got)


def test_a_torn_last_line_is_one_unparsed_row_and_nothing_else_is_lost(mixed_pool: Path) -> None:
    pool = ev.open_pool(mixed_pool)
    [(name, count)] = pool.schema.unparsed.items()
    assert "fecfb4bb" in name and count == 1
    [rec] = list(pool.unparsed())
    assert rec["ev.raw"] == TORN.decode() and "torn" in rec["ev.reason"]
    imported = sum(1 for r in _raw_records(mixed_pool) if r.get("ev.event") == "unparsed")
    assert pool.events(where={"ev.event": "unparsed"}).count() == imported + 1


def test_where_matches_numbers_and_numeric_strings_alike(mixed_pool: Path) -> None:
    pool = ev.open_pool(mixed_pool)
    raw = _raw_records(mixed_pool)
    expected = sum(1 for r in raw
                   if str(r.get("linux.pid", r.get("process"))) == "28812")
    q = pool.events(where={"linux.pid": 28812})
    assert q.count() == expected
    assert pool.events(where={"linux.pid": "28812"}).count() == expected
    sources = {r.get("ev.source") for r in q.records()}
    # the worker's log, Academy's own records, and the monitoring DB's resource rows
    assert sources == {"parsl-logs", "parsl-db", None}


def test_records_are_time_ordered_across_files_with_created_a_number(mixed_pool: Path) -> None:
    pool = ev.open_pool(mixed_pool)
    recs = list(pool.events(has=["created"]).records())
    times = [r["created"] for r in recs]
    assert all(isinstance(t, float | int) for t in times)
    assert times == sorted(times)
    timed_files = {str(p) for p in pool_files(mixed_pool)
                   if any(b'"created"' in line for line in p.read_bytes().splitlines())}
    assert {r["ev.file"] for r in recs} == timed_files and len(timed_files) > 10


def test_filters_combine(mixed_pool: Path) -> None:
    pool = ev.open_pool(mixed_pool)
    raw = [r for r in _raw_records(mixed_pool) if r.get("ev.event") == "task_status"]
    t0 = sorted(float(r["created"]) for r in raw)[len(raw) // 2]
    want = [r for r in raw if float(r["created"]) >= t0 and "parsl.task_state" in r]
    q = pool.events(where=[("ev.event", "task_status")], has=["parsl.task_state"], since=t0)
    assert q.count() == len(want)
    frame = q.df()
    assert list(frame["created"]) == sorted(frame["created"])
    grep = pool.events(grep=r"^Worker \d+ started$")
    assert grep.count() == sum(1 for r in _raw_records(mixed_pool)
                               if r.get("formatted", "").startswith("Worker ")
                               and r.get("formatted", "").endswith(" started"))


def test_parsl_json_logging_keys_map_to_the_pool_names(tmp_path: Path) -> None:
    # Parsl's own parsl.jsonlog, unchanged in a pool: extras are strings named parsl.dfk,
    # parsl.task, parsl.try; they join as parsl.run_id / parsl.task_id / parsl.try_id.
    pool_dir = tmp_path / "pool"
    pool_dir.mkdir()
    shutil.copy(PARSL_JSON_RUN / "parsl.jsonlog", pool_dir / "parsl.jsonlog")
    raw = _raw_records(pool_dir)
    tasks = [r for r in raw if r.get("parsl.task") == "3"]
    assert tasks and "parsl.task_id" not in tasks[0]
    pool = ev.open_pool(pool_dir)
    assert pool.schema.type_of("parsl.task_id") == "BIGINT"
    q = pool.events(where={"parsl.task_id": 3})
    assert q.count() == len(tasks)
    runs = {r[0] for r in pool.sql('SELECT DISTINCT "parsl.run_id" FROM events '
                                   'WHERE "parsl.dfk" IS NOT NULL').fetchall()}
    assert runs == {r["parsl.dfk"] for r in raw if "parsl.dfk" in r}
    tries = pool.sql('SELECT DISTINCT "parsl.try_id" FROM events WHERE "parsl.try" IS NOT NULL')
    want = {int(r["parsl.try"]) for r in raw if "parsl.try" in r}
    assert {r[0] for r in tries.fetchall()} == want


# ---------------------------------------------------------------------------------------
# DuckDB's pitfalls on pools (hand-written two-line files: each shows one edge case)


def _write(path: Path, *records: dict | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(r if isinstance(r, bytes) else orjson.dumps(r) + b"\n"
                              for r in records))


def test_pitfall_string_in_one_file_number_in_another_compares_as_numbers(tmp_path: Path) -> None:
    _write(tmp_path / "a.jsonlog", {"created": 1.0, "k": 9}, {"created": 2.0, "k": 10})
    _write(tmp_path / "b.jsonlog", {"created": "3.0", "k": "11"})
    # DuckDB's own reader makes k a JSON column, which sorts and aggregates as text with no
    # error: max(k) is '9', and ORDER BY k gives "11", 10, 9.
    naive = duckdb.sql(f"SELECT max(k)::VARCHAR FROM read_json_auto('{tmp_path}/*.jsonlog', "
                       "union_by_name=true)").fetchall()[0][0]
    pool = ev.open_pool(tmp_path)
    assert pool.schema.type_of("k") == "BIGINT"
    assert pool.sql("SELECT max(k) FROM events").fetchall()[0][0] == 11
    assert [r[0] for r in pool.sql("SELECT k FROM events ORDER BY k").fetchall()] == [9, 10, 11]
    assert pool.events(where={"k": 11}).count() == 1
    assert naive != "11" or pytest.skip("this DuckDB no longer compares such keys as text")


def test_pitfall_keys_first_seen_after_the_sample_are_kept(tmp_path: Path) -> None:
    _write(tmp_path / "a.jsonlog", *[{"created": float(i), "n": i} for i in range(3000)],
           {"created": 3000.0, "late": "here"})
    naive = duckdb.sql(f"SELECT * FROM read_json_auto('{tmp_path}/a.jsonlog', "
                       "sample_size=1000) LIMIT 0").columns
    pool = ev.open_pool(tmp_path)
    assert pool.events(where={"late": "here"}).count() == 1
    assert "late" not in naive or pytest.skip("this DuckDB samples the whole file")


def test_pitfall_filename_column_does_not_collide_with_academys_key(tmp_path: Path) -> None:
    _write(tmp_path / "x.jsonlog", {"created": "1.5", "filename": "jsonpool.py"})
    pool = ev.open_pool(tmp_path)
    [(filename, file)] = pool.sql('SELECT filename, "ev.file" FROM events').fetchall()
    assert filename == "jsonpool.py"
    assert file == str(tmp_path / "x.jsonlog")


def test_pitfall_a_conflicting_value_is_kept_as_text_not_nulled(tmp_path: Path) -> None:
    _write(tmp_path / "a.jsonlog", {"created": 1.0, "k": 1}, {"created": 2.0, "k": "n/a"})
    naive = duckdb.sql(f"SELECT k FROM read_json('{tmp_path}/a.jsonlog', "
                       "columns={'k': 'BIGINT'}, ignore_errors=true)").fetchall()
    pool = ev.open_pool(tmp_path)
    assert pool.schema.type_of("k") == "VARCHAR"
    assert "mixed types" in pool.schema.notes["k"]
    assert [r[0] for r in pool.sql("SELECT k FROM events ORDER BY created").fetchall()] == [
        "1", "n/a"]
    assert (None,) in naive, "DuckDB's ignore_errors silently NULLs the conflicting value"


def test_a_garbage_line_is_unparsed_not_dropped(tmp_path: Path) -> None:
    _write(tmp_path / "a.jsonlog", {"created": 1.0}, b"\xff\xfe binary junk\n", b"[1, 2]\n",
           {"created": 2.0})
    pool = ev.open_pool(tmp_path)
    assert pool.schema.rows == 4
    assert pool.schema.unparsed == {str(tmp_path / "a.jsonlog"): 2}
    assert [r["ev.lineno"] for r in pool.unparsed()] == [2, 3]


def test_the_schema_cache_is_reused_and_refreshed_when_a_file_grows(tmp_path: Path) -> None:
    _write(tmp_path / "p" / "a.jsonlog", {"created": 1.0, "k": 1})
    assert ev.open_pool(tmp_path / "p").schema.type_of("k") == "BIGINT"
    assert list((tmp_path / "cache").rglob("*.json"))
    with open(tmp_path / "p" / "a.jsonlog", "ab") as fh:
        fh.write(orjson.dumps({"created": 2.0, "k": "text"}) + b"\n")
    assert ev.open_pool(tmp_path / "p").schema.type_of("k") == "VARCHAR"


# ---------------------------------------------------------------------------------------
# The commands


def test_show_prints_one_escaped_line_per_event_in_time_order(tmp_path: Path, capsys) -> None:
    _write(tmp_path / "b.jsonlog",
           {"created": 2.0, "formatted": "second \x1b[2J\x1b]0;pwned\x07", "levelname": "ERROR",
            "levelno": 40, "ev.source": "redis-log", "linux.pid": 7, "linux.hostname": "n1"})
    _write(tmp_path / "a.jsonlog", {"created": "1.0", "formatted": "first", "name": "academy.x",
                                    "levelname": "INFO", "process": "5"})
    assert main(["show", str(tmp_path), "--tz", "UTC"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert out.splitlines() == [
        "1970-01-01 00:00:01.000 INFO  academy       5             first",
        "1970-01-01 00:00:02.000 ERROR redis-log     n1:7          "
        "second \\x1b[2J\\x1b]0;pwned\\x07",
    ]


def test_show_json_gives_the_records_with_created_a_number(mixed_pool: Path, capsys) -> None:
    assert main(["show", str(mixed_pool), "--where", "process=28812", "--json"]) == 0
    recs = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert recs and all(isinstance(r["created"], float) for r in recs)
    assert all(r["process"] == 28812 for r in recs)


def test_show_nothing_matches_exits_0_and_says_why(mixed_pool: Path, capsys) -> None:
    assert main(["show", str(mixed_pool), "--where", "no.such_key=1"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no events match" in captured.err and "no.such_key" in captured.err


def test_show_a_missing_pool_is_one_error_line_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["show", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: no pool directory here: ")


def test_sql_prints_a_table_csv_and_json(mixed_pool: Path, capsys) -> None:
    query = ('SELECT "ev.source" AS source, count(*) AS n FROM events '
             "WHERE \"ev.source\" = 'sacct' GROUP BY ALL")
    n = sum(1 for r in _raw_records(mixed_pool) if r.get("ev.source") == "sacct")
    assert main(["sql", str(mixed_pool), query, "--csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["source,n", f"sacct,{n}"]
    assert main(["sql", str(mixed_pool), query, "--json"]) == 0
    assert orjson.loads(capsys.readouterr().out) == {"source": "sacct", "n": n}
    assert main(["sql", str(mixed_pool), query]) == 0
    assert capsys.readouterr().out.splitlines()[2].split() == ["sacct", str(n)]


def test_sql_a_bad_query_is_one_error_line(mixed_pool: Path, capsys) -> None:
    assert main(["sql", str(mixed_pool), "SELECT nope FROM events"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the query failed: ") and err.count("\n") == 1


# ---------------------------------------------------------------------------------------
# Wide queries and exports


def test_select_star_over_every_key_streams_in_bounded_memory(mixed_pool: Path) -> None:
    # ~300 keys: one JSON parse per line, not one per key (which ran out of memory).
    pool = ev.open_pool(mixed_pool)  # the default limit, 256 MB
    cur = pool.con.cursor()
    cur.execute("SELECT * FROM events")
    n = 0
    while rows := cur.fetchmany(2048):
        n += len(rows)
    assert n == pool.schema.rows and len(cur.description) > 250


def test_export_csv_keeps_the_filtered_events_and_their_keys(mixed_pool: Path, tmp_path: Path,
                                                             capsys) -> None:
    import csv

    target = tmp_path / "jobs.csv"
    assert main(["export", str(mixed_pool), "--to", str(target), "--where",
                 "ev.source=sacct"]) == 0
    want = [r for r in _raw_records(mixed_pool) if r.get("ev.source") == "sacct"]
    with open(target, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(want)
    assert set(rows[0]) == set().union(*want) | {"ev.file"}
    untimed = sum(1 for r in want if "created" not in r)
    assert all(not r["created"] for r in rows[:untimed]), "records without created come first"
    assert [float(r["created"]) for r in rows[untimed:]] == sorted(
        float(r["created"]) for r in want if "created" in r)
    assert {r["slurm.jobid"] for r in rows if r["slurm.jobid"]} == {
        str(r["slurm.jobid"]) for r in want if "slurm.jobid" in r}
    assert f"export: {len(want)} events -> {target} (csv)" in capsys.readouterr().err


def test_export_parquet_keeps_types(mixed_pool: Path, tmp_path: Path) -> None:
    import pandas as pd

    target = tmp_path / "pool.parquet"
    assert main(["export", str(mixed_pool), "--to", str(target), "-q"]) == 0
    frame = pd.read_parquet(target)
    assert len(frame) == ev.open_pool(mixed_pool).schema.rows
    described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{target}')").fetchall()
    types = {r[0]: r[1] for r in described}
    assert types["created"] == "DOUBLE" and types["linux.pid"] == "BIGINT"
    assert types["slurm.jobid"] == "VARCHAR"


def test_export_memory_does_not_grow_with_the_pool(mixed_pool: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Four copies of the fixtures' pool (~300 columns, ~150k events) export in time order
    within the default 256MB DuckDB limit: the sort sees only the raw lines (sorting the
    typed ~300-column rows ran out of memory at one copy, 40k events)."""
    import pyarrow.parquet as pq

    grown = tmp_path / "grown"
    for i in range(4):
        shutil.copytree(mixed_pool, grown / f"copy{i}")
    monkeypatch.setenv("EV_DUCKDB_MEMORY", "256MB")
    target = tmp_path / "grown.parquet"
    assert main(["export", str(grown), "--to", str(target), "-q"]) == 0
    table = pq.read_table(target, columns=["created", "linux.pid"])
    assert table.num_rows == 4 * ev.open_pool(mixed_pool).schema.rows
    created = table.column("created").to_pylist()
    timed = [c for c in created if c is not None]
    assert created[len(created) - len(timed):] == sorted(timed), "time ordered, untimed first"
    assert str(table.schema.field("linux.pid").type) == "int64"


def test_export_refuses_an_unknown_format_and_leaves_no_file(mixed_pool: Path, tmp_path: Path,
                                                              capsys) -> None:
    assert main(["export", str(mixed_pool), "--to", str(tmp_path / "x.txt")]) == 2
    assert capsys.readouterr().err.startswith("error: cannot tell the export format")
    assert main(["export", str(mixed_pool), "--to", str(tmp_path / "x.csv"), "--fields",
                 "no.such"]) == 2
    assert not list(tmp_path.glob("*x*")), "no file, not even a temporary one"


def test_export_formats_are_modules_found_by_the_registry() -> None:
    from importers.analysis import export

    found = export.formats()
    assert {"csv", "parquet"} <= set(found)
    assert export.format_for("a.PARQUET").name == "parquet"
    assert export.format_for("x", "csv").name == "csv"
