"""redis-log bench: every real Redis fixture log, replicated to N lines (3e6 lines ~ 206 MB).

input   all of fixtures/redis/<release>/*.log and *.out (2.8.17 to 7.0.15: client traffic,
        persistence, replication, a sentinel failover, crash reports, logos, config errors)
        concatenated, and replicated copy after copy with the day of month shifted per copy
        ("25 Nov" -> "01 Nov".."28 Nov"), so times are not one second over and over
floor   iterate the file in binary and write orjson.dumps(<a constant real record of ours>,
        the client_accepted record of 7.0.15/loglevel-verbose.log line 9) per line through
        a 1 MiB buffer (DEVELOPERS.md; scripts/benches/_floors.py line_floor)
regex   the line regex alone: every line matched against the format table (the variant that
        matched last first) with groups() taken, nothing built or written (not a floor: a
        bound; scripts/benches/_floors.py line_regex)
lnav    Debian's lnav 0.11 with the format in lnav_redis_format.json (lnav 0.11 has no Redis
        format; a user would write this one), exporting every message as JSON lines:
        lnav -n -c ';SELECT log_line, log_time, log_level, pid, role, log_body FROM redis_log'
             -c ':write-jsonlines-to OUT' FILE
        run with HOME and XDG_CONFIG_HOME in a temp dir holding only that format (installed as
        .lnav/formats/installed/redis_log.json and .config/lnav/formats/installed/...)
ours    importers.sources.redis_log.write_to(PoolWriter, [FILE], tz="UTC", jobs=1): the whole
        ``ev-import redis-log -j 1``, one core
ours-2j the same with jobs=2: a file of 32 MiB or more cut at prefixed notice/verbose/debug
        lines, both cores (the 20 MB size is below the cut-off: one core there)

    python scripts/bench.py redis-log --sizes 3e5,3e6 --repeat 3
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benches._floors import count_lines, line_floor, line_regex, run_lnav  # noqa: E402

FIXTURES = ROOT / "fixtures" / "redis"
LNAV_FORMAT = Path(__file__).resolve().parent / "lnav_redis_format.json"
LNAV_QUERY = ";SELECT log_line, log_time, log_level, pid, role, log_body FROM redis_log"


def _sources() -> list[Path]:
    """Every fixture log, a 7.0.15 logfile first: lnav 0.11 crashes (GURU MEDITATION) on
    :write-jsonlines-to when a file *starts* with lines no regex matches (a config error
    block, a logo), though it copes with them anywhere else."""
    files = sorted(p for p in FIXTURES.glob("*/*") if p.suffix in (".log", ".out"))
    if not files:
        sys.exit("bench: no fixtures/redis/*/*.log; run scripts/make_redis_fixture.sh first")
    first = FIXTURES / "7.0.15" / "loglevel-verbose.log"
    return [first, *(p for p in files if p != first)]


def build(lines: int, workdir: Path) -> Path:
    """``lines`` lines of real Redis output (whole fixture copies, the last one cut)."""
    out = workdir / f"redis-{lines}" / "redis.log"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(p.read_bytes() if p.read_bytes().endswith(b"\n") else p.read_bytes() + b"\n"
                    for p in _sources())
    per_copy = data.count(b"\n")
    with open(out, "wb", buffering=1 << 20) as fh:
        copy = 0
        while lines > 0:
            shifted = data.replace(b"25 Nov", b"%02d Nov" % (1 + copy % 28))
            if lines >= per_copy:
                fh.write(shifted)
            else:
                fh.write(b"".join(shifted.splitlines(keepends=True)[:lines]))
            lines -= per_copy
            copy += 1
    (out.parent / "sample-record.json").write_text(json.dumps(_sample_record()))
    return out


def _sample_record() -> dict:
    from importers.sources import redis_log

    for rec in redis_log.read(FIXTURES / "7.0.15" / "loglevel-verbose.log", tz="UTC"):
        if rec["ev.lineno"] == 9:
            return rec
    raise RuntimeError("no record")


def floor(path: Path, out: Path) -> None:
    line_floor(path, out, json.loads((path.parent / "sample-record.json").read_text()))


def regex(path: Path, out: Path) -> None:
    from importers.sources.redis_log.formats import LINES

    line_regex(path, LINES)


def lnav(path: Path, out: Path) -> None:
    run_lnav(LNAV_FORMAT, LNAV_QUERY, path, out)


def _ours(path: Path, out: Path, jobs: int) -> None:
    from importers.core.pool import PoolWriter
    from importers.core.report import ImportReport
    from importers.sources import redis_log

    with PoolWriter(out.parent, "bench", out.name) as writer:
        redis_log.write_to(writer, [path], tz="UTC", year=2026, report=ImportReport(),
                           jobs=jobs)


def ours(path: Path, out: Path) -> None:
    _ours(path, out, 1)


def ours_2j(path: Path, out: Path) -> None:
    _ours(path, out, 2)


MEASUREMENTS = {"floor": floor, "regex": regex, "lnav": lnav, "ours": ours,
                "ours-2j": ours_2j}
if shutil.which("lnav") is None:
    del MEASUREMENTS["lnav"]

BENCHES = {"redis-log": (build, count_lines, MEASUREMENTS)}
PEERS = {"redis-log": "lnav"} if "lnav" in MEASUREMENTS else {}
# ~20 MB and ~206 MB
SIZES = {"redis-log": (3e5, 3e6)}
