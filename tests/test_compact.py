"""``ev-import compact``: a Parquet copy of the pool, partitioned by source and host, that the
analyses read while it is fresh and never once a pool file changed.

The pool is tests/mixed_pool.py's: every kind of record the fixtures hold (Academy's strings,
Parsl's own JSON logs, the monitoring DB, text logs, Redis, sacct, process events).
"""

from __future__ import annotations

import os
import shutil

import orjson
import pytest
from mixed_pool import make_mixed_pool

from importers import analysis as ev
from importers.analysis import compact
from importers.analysis.things import lifetimes_sql
from importers.cli import main
from importers.core.identity import host_name

TASKS = ["parsl.run_id", "parsl.task_id"]


@pytest.fixture(scope="module")
def compacted(tmp_path_factory):
    pool = make_mixed_pool(tmp_path_factory.mktemp("compact") / "pool")
    result = compact.compact(pool)
    return pool, result


def _records(pool, parquet: bool) -> list[dict]:
    with ev.open_pool(pool, parquet=parquet) as p:
        assert p.parquet is parquet
        return sorted(orjson.dumps(r, option=orjson.OPT_SORT_KEYS).decode()
                       for r in p.events().records())


def test_shards_are_partitioned_by_source_and_host(compacted) -> None:
    pool, result = compacted
    data = pool / compact.DIR_NAME / compact.DATA
    sources = {p.name for p in data.iterdir()}
    assert {"source=parsl-db", "source=parsl-logs", "source=redis-log", "source=sacct",
            "source=procs", "source=pool"} <= sources      # pool: Academy's, Parsl's own
    # procs records name their host; others are the host that imported (or copied) them
    assert {p.name for p in data.glob("source=procs/*")} == {"host=vm"}
    this_host = f"host={host_name().replace('.', '_')}"
    assert {p.name for p in data.glob("source=parsl-logs/*")} == {this_host}
    # Academy's files were copied in by hand here, not by auto (copied/<host>/): no host;
    # Parsl's own workflow records name theirs (parsl.workflow_info.host -> linux.hostname)
    assert {p.name for p in data.glob("source=pool/*")} == {"host=unknown", "host=vm"}
    lines = sum(f.read_bytes().count(b"\n") for f in pool.rglob("*.jsonlog"))
    assert result.rows == lines and result.shards == len(list(data.rglob("*.parquet")))
    assert compact.status(pool).fresh


def test_every_question_has_the_same_answer_from_the_shards(compacted) -> None:
    pool, result = compacted
    with ev.open_pool(pool, parquet=False) as js, ev.open_pool(pool) as pq:
        assert pq.parquet and not js.parquet
        assert pq.events().count() == js.events().count() == result.rows
        for key in ("created", "linux.pid", "parsl.task_id", "levelno", "ev.file"):
            assert pq.schema.type_of(key) == js.schema.type_of(key) or key == "ev.file"
        where = {"ev.event": "task_status"}
        assert pq.events(where=where).df().equals(js.events(where=where).df())
        assert ev.lifetimes(pq, thing=TASKS).equals(ev.lifetimes(js, thing=TASKS))
        sql = 'SELECT "ev.source", count(*) FROM events GROUP BY ALL ORDER BY ALL'
        assert pq.sql(sql).fetchall() == js.sql(sql).fetchall()
    # the records as in the pool: absent keys stay absent, Academy's strings coerced alike
    assert _records(pool, True) == _records(pool, False)


def test_a_changed_pool_file_makes_the_copy_stale_and_readers_go_back_to_json(
        tmp_path) -> None:
    pool = make_mixed_pool(tmp_path / "pool")
    compact.compact(pool)
    with ev.open_pool(pool) as p:
        before = p.events().count()
        assert p.parquet
    victim = next(pool.glob("redis-log-*.jsonlog"))
    line = victim.read_bytes().splitlines(keepends=True)[0]
    with open(victim, "ab") as fh:             # a file that grew (a live writer's)
        fh.write(line)
    state = compact.status(pool)
    assert not state.fresh and state.reason == f"changed since compact: {victim.name}"
    with ev.open_pool(pool) as p:
        assert not p.parquet and p.events().count() == before + 1
    with pytest.raises(ev.PoolError if hasattr(ev, "PoolError") else Exception):
        ev.open_pool(pool, parquet=True)
    assert compact.compact(pool).rows == before + 1            # refreshed
    shutil.copy(victim, pool / "redis-log-copy.jsonlog")      # a file added
    assert compact.status(pool).reason.startswith("added since compact: ")
    compact.compact(pool)
    os.unlink(pool / "redis-log-copy.jsonlog")                 # and removed
    assert compact.status(pool).reason.startswith("removed since compact: ")


def test_pool_content_never_chooses_a_shard_path(tmp_path) -> None:
    """A hand-typed record (this edge case has no real input): an ev.source and a hostname
    made of path parts stay inside the copy, as cleaned partition names."""
    pool = tmp_path / "pool"
    pool.mkdir()
    (pool / "x.jsonlog").write_bytes(orjson.dumps(
        {"created": 1.0, "levelname": "INFO", "ev.source": "../../escape",
         "linux.hostname": "/etc/passwd", "ev.event": "x"}) + b"\n")
    compact.compact(pool)
    (shard,) = (pool / compact.DIR_NAME).rglob("*.parquet")
    assert shard.parent.parent.name == "source=______escape"
    assert shard.parent.name == "host=_etc_passwd"
    assert not (tmp_path / "escape").exists()
    with ev.open_pool(pool) as p:                 # the values themselves are kept
        assert p.sql('SELECT "ev.source", "linux.hostname" FROM events').fetchall() == \
            [("../../escape", "/etc/passwd")]


def test_cli(tmp_path, capsys) -> None:
    pool = make_mixed_pool(tmp_path / "pool")
    assert main(["compact", "--status", str(pool)]) == 1
    assert "no Parquet copy" in capsys.readouterr().err
    assert main(["compact", str(pool)]) == 0
    assert " Parquet shards " in capsys.readouterr().err
    assert main(["compact", str(pool)]) == 0
    assert "is fresh" in capsys.readouterr().err
    assert main(["compact", "--status", str(pool)]) == 0
    assert capsys.readouterr().err.endswith(".ev-parquet: fresh\n")
    assert main(["compact", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no such pool: ") and "Traceback" not in err


def test_the_dask_example_reads_the_shards(compacted) -> None:
    try:
        import dask.dataframe as dd
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("dask is not installed; CI installs '.[dask]'")
        pytest.skip("dask is not installed (pip install '.[dask]')")
    pool, result = compacted
    events = dd.read_parquet(pool / compact.DIR_NAME / compact.DATA,
                             dataset={"partitioning": "hive"})
    counts = events.groupby("source")["created"].count().compute()
    with ev.open_pool(pool) as p:
        expected = dict(p.sql("""SELECT coalesce("ev.source", 'pool'), count(created)
                                 FROM events GROUP BY ALL""").fetchall())
    assert {str(k): int(v) for k, v in counts.items()} == expected


def test_a_pool_is_copied_in_batches_of_files_into_shards_of_one_schema(
        tmp_path, monkeypatch) -> None:
    """Memory stays bounded because each COPY takes a batch of files (files of one source and
    host together); the batches' shards still hold one schema, which the manifest keeps so
    readers read no footer to learn it and need not reconcile shards by name."""
    import pyarrow.parquet as pq

    pool = make_mixed_pool(tmp_path / "pool")
    files = sorted(str(p) for p in pool.rglob("*.jsonlog"))
    batches = compact.plan_batches(files, pool, limit=200_000)
    assert sorted(f for b in batches for f in b) == files and len(batches) > 3
    named = compact._writer_names()
    for batch in batches:          # at most 200 kB of JSON per COPY, or one bigger file
        assert len(batch) == 1 or sum(os.stat(f).st_size for f in batch) <= 200_000
    groups = [compact._group_of(f, pool, named) for b in batches for f in b]
    assert groups == sorted(groups) and ("redis-log", host_name()) in groups
    for batch in compact.plan_batches(files, pool, limit=1 << 40, groups=2):
        assert len({compact._group_of(f, pool, named) for f in batch}) <= 2  # open partitions
    monkeypatch.setattr(compact, "BATCH_BYTES", 200_000)
    result = compact.compact(pool)
    shards = sorted((pool / compact.DIR_NAME).rglob("*.parquet"))
    assert len({s.name.split("_")[0] for s in shards}) == len(batches)   # b00000_0, b00001_0..
    schemas = {tuple((f.name, str(f.type)) for f in pq.read_schema(s)) for s in shards}
    assert len(schemas) == 1
    manifest = orjson.loads((pool / compact.DIR_NAME / compact.MANIFEST).read_bytes())
    assert [name for name, _ in manifest["columns"]] == [name for name, _ in next(iter(schemas))]
    with ev.open_pool(pool) as p, ev.open_pool(pool, parquet=False) as js:
        assert p.parquet and p.events().count() == result.rows == js.events().count()
        assert "(union_by_name = false)" in p.con.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = '_events_all'").fetchone()[0]
        assert ev.lifetimes(p, thing=TASKS).equals(ev.lifetimes(js, thing=TASKS))
        # many queries on one pool (breakdown) parse the shards' footers once
        assert p.con.execute("SELECT current_setting('parquet_metadata_cache')").fetchone()[0]
    assert _records(pool, True) == _records(pool, False)


def test_a_copy_without_its_schema_in_the_manifest_is_still_read(compacted, tmp_path) -> None:
    """Copies made before the manifest kept the columns: readers ask the footers and
    reconcile the shards by name."""
    pool, result = compacted
    old = tmp_path / "old"
    shutil.copytree(pool, old, copy_function=shutil.copy2)
    path = old / compact.DIR_NAME / compact.MANIFEST
    manifest = orjson.loads(path.read_bytes())
    del manifest["columns"]
    manifest["files"] = compact.snapshot(old)
    path.write_bytes(orjson.dumps(manifest))
    with ev.open_pool(old) as p, ev.open_pool(pool) as new:
        assert p.parquet and p.events().count() == result.rows
        assert "(union_by_name = true)" in p.con.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = '_events_all'").fetchone()[0]
        assert p.schema.columns.keys() == new.schema.columns.keys()


def test_analyses_read_only_the_columns_they_name_from_the_shards(compacted) -> None:
    """Projection pushdown: the lifetimes of tasks read three of the ~300 columns."""
    pool, _ = compacted
    with ev.open_pool(pool) as p:
        plan = p.con.execute("EXPLAIN " + lifetimes_sql(p, thing=TASKS)).fetchall()[0][1]
    scan = plan[plan.index("READ_PARQUET"):]
    projected = scan[scan.index("Projections:"):].split("Filters:")[0]
    assert {"created", "parsl.run_id", "parsl.task_id"} <= set(
        w.strip("│ ,\n") for w in projected.replace("Projections:", "").split())
    assert "parsl.task_status_name" not in projected and "formatted" not in projected
