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


def _ev_import(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "importers", *args], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pool(out: Path, events: int, as_json: bool) -> dict[str, float]:
    """Replicate the fixtures' pool to ``events`` events (see the module docstring)."""
    from importers.analysis import compact

    with tempfile.TemporaryDirectory(prefix="ev-scale-base-") as tmp:
        base = Path(tmp) / "pool"
        # every importer's real fixture output, Academy's pool files included
        _ev_import("auto", str(ROOT / "fixtures"), "--pool", str(base), "-q", "--tz", "UTC")
        t0 = time.monotonic()
        made = compact.replicate(base, out, events, as_json=as_json)
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
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    if args.what == "logs":
        made = make_logs(args.out, args.nodes)
    else:
        made = make_pool(args.out, int(args.events), args.json)
    print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in made.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
