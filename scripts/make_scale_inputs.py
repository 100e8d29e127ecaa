"""Scale inputs for issue 12's bench, made from the real fixtures (never committed: big).

``logs OUT [--nodes 1000]``: a simulated 1,000-node Parsl HTEX run in ``OUT/runinfo/000/``:
the real run dir ``fixtures/parsl/2026.10.26/runinfo/000`` (parsl.log, interchange, DB manager
and monitoring router logs) plus, for every node, ``htex_local/block-N/<manager>/manager.log``
and nine ``worker_K.log``, copied from the fixture's real manager and worker logs with the
times shifted (node N starts N x 10 ms later), a manager id, block id, hostname and pids of
its own. 1,000 nodes make 10^4 log files (about 420,000 lines, 90 MB).

``pool OUT --events 1e8``: a pool of N events as Parquet shards, in the layout
``ev-import compact`` writes, built by replicating the events of the fixtures' pool with
shifted times and ids (each replica is another run on another host), without ever writing
the JSON lines (10^8 events are about 50 GB of JSON). ``--json`` writes JSON lines instead,
for measuring ``compact`` itself on a size that fits the disk (10^7 events, about 5 GB).

Example::

    python scripts/make_scale_inputs.py logs /tmp/scale-logs --nodes 1000
    python scripts/make_scale_inputs.py pool /tmp/pool-1e8 --events 1e8
    python scripts/make_scale_inputs.py pool /tmp/pool-1e7-json --events 1e7 --json
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "fixtures/parsl/2026.10.26/runinfo/000"
EXECUTOR = "htex_local"
TEMPLATE_BLOCK = RUN / EXECUTOR / "block-1/a153b77f627e"
TEMPLATE_MANAGER = "a153b77f627e"
TEMPLATE_HOST = "'hostname': 'vm'"
WORKERS_PER_NODE = 9
NODE_STAGGER_S = 0.010

# the v2022 head: epoch, local asctime, process name and pid
_HEAD = re.compile(rb"^(\d{9,11}\.\d{6}) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\S+?)-(\d+) ")


def _template_lines(path: Path) -> list[tuple[float, datetime, bytes, int, bytes] | bytes]:
    """Each line pre-split once: (epoch, asctime, process name, pid, rest) or raw bytes
    (a continuation line, copied as it is)."""
    out: list = []
    with open(path, "rb") as fh:
        for line in fh:
            m = _HEAD.match(line)
            if m:
                out.append((float(m.group(1)), datetime.fromisoformat(m.group(2).decode()),
                            m.group(3), int(m.group(4)), line[m.end():]))
            else:
                out.append(line)
    return out


def _render(lines: list, shift: float, pid_offset: int,
            replace: list[tuple[bytes, bytes]]) -> bytes:
    chunks = []
    for item in lines:
        if isinstance(item, bytes):
            text = item
        else:
            epoch, asctime, pname, pid, rest = item
            local = (asctime + timedelta(seconds=round(epoch + shift) - round(epoch)))
            text = b"%.6f %s %s-%d %s" % (epoch + shift, local.isoformat(" ").encode(),
                                          pname, pid + pid_offset, rest)
        for old, new in replace:
            if old in text:
                text = text.replace(old, new)
        chunks.append(text)
    return b"".join(chunks)


def make_logs(out: Path, nodes: int) -> dict[str, int]:
    """Write the simulated run; return its file and line counts."""
    run = out / "runinfo" / "000"
    if run.exists():
        shutil.rmtree(run)
    (run / EXECUTOR).mkdir(parents=True)
    files = lines = 0
    for name in ("parsl.log", "database_manager.log"):
        shutil.copyfile(RUN / name, run / name)
    for name in ("interchange.log", "monitoring_zmq_router.log"):
        shutil.copyfile(RUN / EXECUTOR / name, run / EXECUTOR / name)
    for path in run.rglob("*.log"):
        files += 1
        lines += path.read_bytes().count(b"\n")
    manager = _template_lines(TEMPLATE_BLOCK / "manager.log")
    worker_templates = [_template_lines(p) for p in sorted(
        (RUN / EXECUTOR).glob("block-*/*/worker_*.log"))]
    for node in range(nodes):
        manager_id = f"{node:06x}{TEMPLATE_MANAGER[6:]}"
        host = f"node{node:04d}"
        replace = [
            (TEMPLATE_MANAGER.encode(), manager_id.encode()),
            (TEMPLATE_HOST.encode(), f"'hostname': '{host}'".encode()),
            (b"'block_id': '1'", f"'block_id': '{node}'".encode()),
            (b"Block ID: 1\n", f"Block ID: {node}\n".encode()),
        ]
        shift = node * NODE_STAGGER_S
        pid_offset = (node + 1) * 1000
        block = run / EXECUTOR / f"block-{node}" / manager_id
        block.mkdir(parents=True)
        texts = {"manager.log": _render(manager, shift, pid_offset, replace)}
        for k in range(WORKERS_PER_NODE):
            template = worker_templates[(node + k) % len(worker_templates)]
            texts[f"worker_{k}.log"] = _render(template, shift, pid_offset, replace)
        for name, data in texts.items():
            (block / name).write_bytes(data)
            files += 1
            lines += data.count(b"\n")
    return {"files": files, "lines": lines}


FIXTURE_DIRS = ("parsl", "academy", "parsl-slurm", "slurm", "redis", "procs", "demo")
#: replicas run side by side on this many hosts (a pool's shards: ~8 sources x hosts)
HOSTS = 100
# Keys that name a thing: each replica gets its own (a new run on another host), so the
# lifetimes of 10^8 events stay distinct things. Text ids get "-r<k>", numbers + k x stride.
_STRING_IDS = ("parsl.run_id", "parsl.workflow_info.run_id", "parsl.manager_id", "parsl.job_id",
               "parsl.block_id", "parsl.dependency_task_id", "slurm.jobid",
               "slurm.array_job_id", "academy.agent_id", "academy.mailbox_id",
               "academy.user_id", "academy.src", "academy.dest", "academy.action_tag",
               "linux.process_key", "linux.parent_process_key", "redis.run_id")
_NUMBER_IDS = ("linux.pid", "linux.ppid", "linux.old_pid", "linux.parent_tid",
               "redis.child_pid", "redis.parent_pid", "redis.client_id", "parsl.task_id",
               "parsl.executor_task_id", "parsl.node_row_id", "process")
_HOST_KEYS = ("linux.hostname", "slurm.batch_host")
_PID_STRIDE = 1 << 22      # above Linux's pid_max: replica pids never collide


def _ev_import(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "importers", *args], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def base_pool(tmp: Path) -> Path:
    """Every importer's real fixture output (Academy's pool files copied in)."""
    base = tmp / "base"
    dirs = [str(ROOT / "fixtures" / d) for d in FIXTURE_DIRS if (ROOT / "fixtures" / d).is_dir()]
    _ev_import("auto", *dirs, "--pool", str(base), "-q", "--tz", "UTC")
    return base


def _replica_of(rec: dict, k: int, shift: float, host: str) -> dict:
    rec = dict(rec)
    for key, value in rec.items():
        if key == "created" or key.endswith("_time"):
            if isinstance(value, (int, float)):
                rec[key] = value + shift
            elif isinstance(value, str):
                try:
                    rec[key] = repr(float(value) + shift)   # Academy's strings stay strings
                except ValueError:
                    pass
        elif key in _STRING_IDS and value is not None:
            rec[key] = f"{value}-r{k}"
        elif key in _NUMBER_IDS and isinstance(value, int) and not isinstance(value, bool):
            rec[key] = value + k * _PID_STRIDE
        elif key in _NUMBER_IDS and isinstance(value, str) and value.isdigit():
            rec[key] = str(int(value) + k * _PID_STRIDE)    # Academy's strings stay strings
    for key in _HOST_KEYS:
        if key in rec:
            rec[key] = host
    return rec


def replicate_json(base: Path, out: Path, events: int, hosts: int = HOSTS) -> dict:
    """``events`` events as JSON lines: the base pool's records again and again, replica k
    on host ``node<k % hosts>`` and shifted in time (``hosts`` replicas run side by side,
    10 ms apart, then the next wave), one pool file per source and host."""
    import orjson

    from importers.core.identity import pool_file_name
    from importers.core.pool import read

    records = [r for r in read(base) if r.get("ev.event") != "unparsed"]
    for r in records:
        r.pop("ev.file", None)
    times = [r["created"] for r in records if isinstance(r.get("created"), (int, float))]
    span = max(times) - min(times) + 60.0
    out.mkdir(parents=True, exist_ok=True)
    handles: dict[tuple[str, str], Any] = {}
    written = k = 0
    try:
        while written < events:
            host = f"node{k % hosts:04d}"
            shift = (k // hosts) * span + (k % hosts) * 0.01
            for rec in records:
                if written >= events:
                    break
                source = rec.get("ev.source") or "academy"
                fh = handles.get((source, host))
                if fh is None:
                    name = pool_file_name(source, [f"/scale/{source}"], host=host)
                    fh = handles[(source, host)] = open(out / name, "wb", buffering=1 << 20)
                fh.write(orjson.dumps(_replica_of(rec, k, shift, host),
                                      option=orjson.OPT_APPEND_NEWLINE))
                written += 1
            k += 1
    finally:
        for fh in handles.values():
            fh.close()
    return {"events": written, "replicas": k, "files": len(handles)}


_WRITE_HOST = None


def _write_host(h: int) -> int:
    return _WRITE_HOST(h)   # the forked workers' copy of replicate_parquet's write_host


def replicate_parquet(base: Path, out: Path, events: int, hosts: int = HOSTS, jobs: int = 1,
                      resume: bool = False) -> dict:
    """About ``events`` events (whole replicas) straight into Parquet shards in
    ``compact``'s layout: the base pool compacted, its rows read once (pyarrow), then for
    every host and source its replicas' rows, shifted as :func:`replicate_json` does (times,
    every id key, the host, and ``ev.file``: replica k's rows come from ``<out>/r<k>/...``,
    as if each replica had its own pool files), written as one shard
    ``source=<s>/host=<h>/r_0.parquet``. Only the ~40 shifted columns are computed per
    replica; the other ~280 are the base's arrays, shared: a DuckDB ``COPY`` of a cross join
    copies all of them for every row and took twice the CPU. The JSON lines (60 GB at 10^8)
    never exist: the pool holds only the shards, and its manifest lists no JSON file, so
    readers find the copy fresh (a pool of shards only); it keeps the shards' one schema, as
    ``compact`` does."""
    import duckdb
    import orjson
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from importers.analysis import compact

    compact.compact(base, force=True)
    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")
    # the rows without their pool lines: a replica's line would not match its shifted values
    table = con.sql(f"SELECT * EXCLUDE ({compact.RAW}), coalesce(\"ev.source\", 'pool') "
                    f"AS __source FROM {compact.parquet_source_sql(base, uniform=True)}"
                    ).to_arrow_table()
    base_rows = table.num_rows
    times = pc.min_max(table["created"])
    span = times["max"].as_py() - times["min"].as_py() + 60.0
    copies = max(1, round(events / base_rows))
    by_source = {}
    for src in sorted(set(table["__source"].to_pylist())):
        part = table.filter(pc.equal(table["__source"], src)).drop_columns(["__source"])
        by_source[re.sub(r"[^A-Za-z0-9_-]", "_", src)] = part
    schema = next(iter(by_source.values())).schema
    prefix = str(base) + "/"

    def replica(t: pa.Table, k: int) -> pa.Table:
        shift = (k // hosts) * span + (k % hosts) * 0.01
        host = f"node{k % hosts:04d}"
        cols = []
        for name, col in zip(t.column_names, t.columns, strict=True):
            kind = col.type
            if (name == "created" or name.endswith("_time")) and pa.types.is_floating(kind):
                col = pc.add(col, shift)
            elif name in _STRING_IDS and pa.types.is_string(kind):
                col = pc.binary_join_element_wise(col, pa.scalar(f"-r{k}"), "")
            elif name in _NUMBER_IDS and pa.types.is_integer(kind):
                col = pc.add(col, pa.scalar(k * _PID_STRIDE, kind))
            elif name in _HOST_KEYS and pa.types.is_string(kind):
                col = pc.if_else(pc.is_null(col), col, pa.scalar(host, kind))
            elif name == "ev.file" and pa.types.is_string(kind):
                col = pc.binary_join_element_wise(
                    pa.scalar(f"{out}/r{k}/"),
                    pc.replace_substring(col, prefix, "", max_replacements=1), "")
            cols.append(col)
        return pa.table(cols, schema=schema)

    target = out / compact.DIR_NAME
    data = target / compact.DATA
    (target / compact.MANIFEST).unlink(missing_ok=True)   # not a fresh copy until the end

    def write_host(h: int) -> int:
        """Host h's shards (one per source), each written beside and renamed into place:
        a rerun (``--resume``) skips the shards already there."""
        ks = range(h, copies, hosts)
        for src, part in by_source.items():
            shard = data / f"source={src}" / f"host=node{h:04d}" / "r_0.parquet"
            if shard.exists() and resume:
                continue
            shard.parent.mkdir(parents=True, exist_ok=True)
            tmp = shard.with_name(f".{shard.name}.{os.getpid()}.tmp")
            rows_of_host = pa.concat_tables([replica(part, k) for k in ks])
            pq.write_table(rows_of_host, tmp, compression="zstd", row_group_size=122_880)
            os.rename(tmp, shard)
        return len(by_source)

    if target.exists() and not resume:
        shutil.rmtree(target)
    hosts_used = range(min(hosts, copies))
    if jobs > 1:   # one process per host at a time (fork: the base rows are shared)
        import multiprocessing

        global _WRITE_HOST
        _WRITE_HOST = write_host
        with multiprocessing.get_context("fork").Pool(jobs) as workers:
            shards = sum(workers.imap_unordered(_write_host, hosts_used))
    else:
        shards = sum(write_host(h) for h in hosts_used)
    described = con.execute(
        f"DESCRIBE SELECT * FROM read_parquet('{next(data.rglob('*.parquet'))}', "
        "hive_partitioning=false)").fetchall()
    columns = [[name, sql_type] for name, sql_type, *_ in described]
    rows = con.execute(f"SELECT count(*) FROM {compact.parquet_source_sql(out, uniform=True)}"
                       ).fetchone()[0]
    manifest = {"version": compact.FORMAT_VERSION, "created": time.time(), "rows": rows,
                "files": compact.snapshot(out), "partitions": list(compact.PARTITIONS),
                "columns": columns, "replicated_from": "the fixtures' pool",
                "base_rows": base_rows, "replicas": copies, "hosts": hosts}
    (target / compact.MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return {"events": rows, "replicas": copies, "hosts": min(hosts, copies), "shards": shards}


def make_pool(out: Path, events: int, as_json: bool, hosts: int = HOSTS, jobs: int = 1,
              resume: bool = False) -> dict[str, Any]:
    """Replicate the fixtures' pool to ``events`` events (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="ev-scale-base-") as tmp:
        base = base_pool(Path(tmp))
        t0 = time.monotonic()
        if as_json:
            made = replicate_json(base, out, events, hosts)
        else:
            out.mkdir(parents=True, exist_ok=True)
            made = replicate_parquet(base, out, events, hosts, jobs, resume)
        made["seconds"] = time.monotonic() - t0
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("logs", help="10^4 log files of a simulated 1,000-node run")
    p.add_argument("out", type=Path)
    p.add_argument("--nodes", type=int, default=1000)
    p = sub.add_parser("pool", help="a pool of N events (Parquet shards, or --json)")
    p.add_argument("out", type=Path)
    p.add_argument("--events", type=float, default=1e8)
    p.add_argument("--json", action="store_true", help="JSON lines instead of Parquet")
    p.add_argument("--hosts", type=int, default=HOSTS, help="replicas side by side, one per host")
    p.add_argument("-j", "--jobs", type=int, default=1, help="processes writing shards")
    p.add_argument("--resume", action="store_true",
                   help="keep the shards an interrupted run wrote (same --events, --hosts)")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    if args.what == "logs":
        made = make_logs(args.out, args.nodes)
    else:
        made = make_pool(args.out, int(args.events), args.json, args.hosts, args.jobs,
                         args.resume)
    print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in made.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
