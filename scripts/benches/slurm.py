"""sacct bench.

input   a ``sacct -P`` file of N rows (jobs and their steps) made from the real rows of
        fixtures/slurm/sacct_P_local.txt, copied over and over with new job ids (array
        tasks, the job with a '|' in its name, steps and the never-started job included)
floor   iterate the file in binary and write a constant real record of ours (a job_end
        event, the widest kind) per line: what reading lines and writing our width costs
ours    ``importers.sources.sacct.read`` + ``PoolWriter`` (the whole ``ev-import sacct --file``),
        which writes one event per known time: about 3.7 events per row here
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from benches._floors import count_lines, line_floor  # noqa: E402

SOURCE = ROOT / "fixtures" / "slurm" / "sacct_P_local.txt"
_ID = re.compile(r"^(\d+)")


def _shift(job_id: str, offset: int) -> str:
    """``37_3.batch`` + 100 -> ``137_3.batch``: the leading job number moves."""
    m = _ID.match(job_id)
    return str(int(m.group(1)) + offset) + job_id[m.end():]


def build_sacct(rows: int, workdir: Path) -> Path:
    """Real rows with fresh ids: every copy shifts JobID and JobIDRaw by a fixed offset."""
    path = workdir / f"sacct-{rows}.txt"
    if path.exists():
        return path
    header, *body = SOURCE.read_text(encoding="utf-8").splitlines()
    split = [line.split("|", 2) for line in body]
    top = max(int(_ID.match(cells[1]).group(1)) for cells in split) + 1
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header + "\n")
        written = 0
        copy = 0
        while written < rows:
            offset = copy * top
            for jobid, raw, rest in split:
                if written >= rows:
                    break
                new_id = _shift(jobid, offset)
                new_raw = _shift(raw, offset)
                fh.write(f"{new_id}|{new_raw}|{rest}\n")
                written += 1
            copy += 1
    return path


def rows_of(path: Path) -> int:
    return count_lines(path) - 1


def _widest_record() -> dict:
    from importers.sources import sacct

    return next(r for r in sacct.read(SOURCE, tz="UTC")
                if r["ev.event"] == "job_end" and r["slurm.jobid"] == "34")


def sacct_floor(path: Path, out: Path) -> None:
    line_floor(path, out, _widest_record())


def sacct_ours(path: Path, out: Path) -> None:
    from importers.core.pool import PoolWriter
    from importers.sources import sacct

    with PoolWriter(out.parent, "bench", out.name) as writer:
        writer.write_all(sacct.read(path, tz="UTC"))


BENCHES = {"sacct": (build_sacct, rows_of, {"floor": sacct_floor, "ours": sacct_ours})}
