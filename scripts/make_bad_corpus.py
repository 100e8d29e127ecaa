#!/usr/bin/env python3
"""Make the bad-input corpus under fixtures/bad/ from the real fixtures.

Every item is a real input damaged the way crashed jobs, copies and editors damage files:
truncated at random byte offsets and inside a UTF-8 sequence, NUL bytes, random bytes,
latin-1 and UTF-16 re-encodings, CRLF line ends, empty files, a SQLite file cut mid-page, a
Parsl DB table missing a column, sacct output with an unknown and a missing column,
truncated squeue JSON. Seeded, so the corpus is the same on every run:

    python scripts/make_bad_corpus.py            # rewrites fixtures/bad/

What git cannot hold, or should not, is made where the test runs, by :func:`make_specials`:
a FIFO with no writer, a directory, a dangling symlink, a symlink loop, a 10 MB single
line (from a real Parsl log line repeated, with no newline), and a copy of a real Parsl run
dir with other sources' real files and junk dropped in among its logs.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
OUT = FIXTURES / "bad"
SEED = 20261201

# The real inputs the damaged items come from: (short name, path under fixtures/).
SOURCES = {
    "parsl-log": "parsl/2026.10.26/runinfo/000/parsl.log",
    "parsl-worker": "parsl/2024.3.4/runinfo/000/htex_local/block-0/405b66f64a7a/worker_0.log",
    "parsl-jsonlog": "parsl/2026.10.26-json/runinfo/000/parsl.jsonlog",
    "redis-7": "redis/7.0.15/failover-master.log",
    "redis-2": "redis/2.8.17/persistence.log",
    "sacct-P": "slurm/sacct_P_local.txt",
    "squeue-txt": "slurm/squeue_01_20261125T085437Z.txt",
    "procs-bt": "procs/captured/bpftrace_execsnoop_bt.txt",
}
SACCT_JSON = "slurm/sacct_a.json"
SQUEUE_JSON = "slurm/squeue_04_20261125T085445Z.json"
DB = "parsl/2026.10.26/runinfo/monitoring.db"
MULTIBYTE = "é"          # put into a real line so a cut can land inside a UTF-8 sequence


def _write(name: str, data: bytes) -> None:
    (OUT / name).write_bytes(data)


def text_items(rng: random.Random) -> None:
    for short, rel in SOURCES.items():
        data = (FIXTURES / rel).read_bytes()
        cut = rng.randrange(len(data) // 4, len(data) - 1)
        _write(f"{short}.truncated-at-{cut}", data[:cut])
        # a real line with a non-ASCII name in it, cut inside the two-byte sequence
        lines = data.split(b"\n")
        k = min(3, len(lines) - 2)
        lines[k] = lines[k] + f" {MULTIBYTE}t{MULTIBYTE}".encode()
        joined = b"\n".join(lines)
        inside = joined.index(MULTIBYTE.encode()) + 1
        _write(f"{short}.cut-mid-utf8", joined[:inside])
        # NULs over a stretch of a line (a sparse file after a crash), then the rest
        at = rng.randrange(len(data) // 3, 2 * len(data) // 3)
        _write(f"{short}.nuls", data[:at] + b"\0" * 64 + data[at:])
        _write(f"{short}.crlf", data.replace(b"\n", b"\r\n"))
        text = joined.decode("utf-8")
        _write(f"{short}.latin1", text.encode("latin-1", "replace"))
        _write(f"{short}.utf16", text.encode("utf-16"))


def other_items(rng: random.Random) -> None:
    _write("random-bytes", rng.randbytes(4096))
    _write("random-bytes-with-newlines", b"\n".join(rng.randbytes(rng.randrange(1, 120))
                                                     for _ in range(60)))
    _write("empty", b"")
    _write("only-newlines", b"\n" * 50)
    for name, rel in (("sacct-json", SACCT_JSON), ("squeue-json", SQUEUE_JSON)):
        data = (FIXTURES / rel).read_bytes()
        _write(f"{name}.truncated", data[: rng.randrange(len(data) // 4, len(data) // 2)])
    # sacct -P with an unknown column added and a known one (State) gone
    rows = (FIXTURES / SOURCES["sacct-P"]).read_text().splitlines()
    cells = [r.split("|") for r in rows]
    drop = cells[0].index("State")
    changed = ["|".join([*c[:drop], *c[drop + 1:], "x" if i else "FutureField"])
               for i, c in enumerate(cells)]
    _write("sacct-P.unknown-and-missing-column", ("\n".join(changed) + "\n").encode())


def squeue_json_items() -> None:
    """A real ``squeue --json`` document whose ``jobs`` is not a list, and one with a job
    that is not an object (the first is refused, the second keeps that job unparsed)."""
    import orjson

    doc = orjson.loads((FIXTURES / SQUEUE_JSON).read_bytes())
    _write("squeue-json.jobs-not-a-list",
           orjson.dumps({**doc, "jobs": {"0": doc["jobs"][0]}}, option=orjson.OPT_INDENT_2))
    jobs = list(doc["jobs"])
    jobs[1] = 12345
    _write("squeue-json.job-not-an-object",
           orjson.dumps({**doc, "jobs": jobs}, option=orjson.OPT_INDENT_2))


# Real files of other sources dropped into a copy of a real Parsl run dir: (where, what).
RUN_DIR = "parsl/2026.10.26/runinfo/000"
STRANGERS = {
    "redis.log": "redis/7.0.15/failover-master.log",
    "sacct.log": "slurm/sacct_P_local.txt",
    "htex_local/block-0/cf4e7d97f4b8/junk.log": "bad/random-bytes",
    "submit_scripts/parsl.htex_local.block-7.1795596273.8.sh.ec": "bad/random-bytes",
}


def db_items() -> None:
    src = FIXTURES / DB
    data = src.read_bytes()
    page = int.from_bytes(data[16:18], "big") or 65536
    _write("monitoring-db.cut-mid-page", data[: page * 5 + page // 2])
    target = OUT / "monitoring-db.task-missing-column"
    shutil.copy(src, target)
    conn = sqlite3.connect(target)
    conn.execute("ALTER TABLE task DROP COLUMN task_time_invoked")
    conn.commit()
    conn.execute("VACUUM")
    conn.close()


def make_specials(directory: Path) -> list[Path]:
    """The items git does not hold, made in ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    fifo = directory / "fifo-no-writer"
    os.mkfifo(fifo)
    sub = directory / "a-directory"
    sub.mkdir()
    (sub / "note.txt").write_text("a directory given where a file is expected\n")
    dangling = directory / "dangling-symlink"
    dangling.symlink_to(directory / "gone")
    loop = directory / "symlink-loop"
    loop.symlink_to(directory / "symlink-loop-2")
    (directory / "symlink-loop-2").symlink_to(loop)
    run_dir = directory / "run-dir-with-strangers" / "000"
    shutil.copytree(FIXTURES / RUN_DIR, run_dir)
    for where, what in STRANGERS.items():
        shutil.copyfile(FIXTURES / what, run_dir / where)
    line = (FIXTURES / SOURCES["parsl-log"]).read_bytes().split(b"\n")[5]
    huge = directory / "parsl-log.10mb-single-line"
    with open(huge, "wb") as fh:
        fh.write(line + (b" " + line) * (10_000_000 // (len(line) + 1)))
    return [fifo, sub, dangling, loop, huge, run_dir]


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    rng = random.Random(SEED)
    text_items(rng)
    other_items(rng)
    db_items()
    squeue_json_items()
    (OUT / "README.txt").write_text(
        "Bad inputs made from the real fixtures by scripts/make_bad_corpus.py (seeded).\n"
        "The FIFO, directory, symlinks, 10 MB single line and run dir with strangers are made\n"
        "at test time by its make_specials(). Every importer runs over every item in\n"
        "tests/test_bad_inputs.py.\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(list(OUT.iterdir())) - 1} items, {total / 1e6:.2f} MB in {OUT}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
