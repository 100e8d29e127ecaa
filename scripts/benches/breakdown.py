"""Breakdown bench: ``ev-import breakdown`` on a pool of N events.

input   a pool of N events: the demo run (``ev-import auto fixtures/demo``, ~800 events)
        copied over and over, each copy an hour later with its own ids (so each copy is its
        own client, agent, Parsl run and process), cut at N events
floor   the cheapest question over the same pool through the same loader: ``SELECT count(*)
        FROM events`` (one scan of every file)
runs    ``breakdown.runs(pool)``: every run the pool holds (three grouped scans)
ours    ``breakdown(pool)``: the latest run's phases (the run listing, then that run's
        intervals and the priority sweep in DuckDB)

    python scripts/bench.py breakdown --sizes 1e5,1e6 --repeat 3
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from benches._floors import count_lines  # noqa: E402
from benches._replicate import grow_pool, shifted  # noqa: E402

#: Keys whose values name things: each copy gets its own values of them.
ID_KEYS = {
    "parsl.run_id", "parsl.task_id", "parsl.block_id", "parsl.job_id", "parsl.manager_id",
    "parsl.executor_task_id", "linux.pid", "linux.ppid", "process", "linux.process_key",
    "linux.parent_process_key", "academy.message_tag", "academy.action_tag",
    "academy.agent_id", "academy.mailbox_id", "academy.src", "academy.dest",
    "academy.user_id", "parsl.dfk", "parsl.task", "parsl.try",
}
def build(events: int, workdir: Path) -> Path:
    pool = workdir / f"breakdown-pool-{events}"
    if pool.exists():
        return pool
    base = workdir / "breakdown-base-pool"
    if not base.exists():
        done = subprocess.run([sys.executable, "-m", "importers", "auto",
                               str(ROOT / "fixtures" / "demo"), "--pool", str(base),
                               "--tz", "Europe/Berlin", "-q"],
                              cwd=ROOT, capture_output=True, text=True)
        if done.returncode not in (0, 1):
            sys.exit(f"bench: ev-import auto fixtures/demo failed: {done.stderr}")

    def line_of(line: bytes, copy: int) -> bytes:
        rec = orjson.loads(line)
        if copy:
            rec = shifted(rec, copy, ID_KEYS, digits_stay_numbers=True)
        return orjson.dumps(rec) + b"\n"

    return grow_pool(base, pool, events, line_of, copy_dirs=True)


def events_of(pool: Path) -> int:
    return sum(count_lines(p) for p in pool.rglob("*.jsonlog"))


def floor(pool: Path, out: Path) -> None:
    from importers.analysis import open_pool

    n = open_pool(str(pool)).sql("SELECT count(*) FROM events").fetchall()[0][0]
    out.write_text(f"{n}\n")


def list_runs(pool: Path, out: Path) -> None:
    from importers.analysis.breakdown import runs

    out.write_bytes(orjson.dumps(runs(str(pool))))


def ours(pool: Path, out: Path) -> None:
    from importers.analysis.breakdown import breakdown

    out.write_bytes(orjson.dumps(breakdown(str(pool), expect=16).to_dict()))


BENCHES = {"breakdown": (build, events_of, {"floor": floor, "runs": list_runs, "ours": ours})}
SIZES = {"breakdown": (1e5, 1e6)}
