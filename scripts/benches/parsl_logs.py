"""parsl-logs benches: a parsl.log-shaped and a worker-log-shaped file of >= 200 MB.

input   the real fixture logs replicated line for line to N lines, inside a runinfo/000/
        tree so path keys and the run's parsl.log are there as in real use:
        parsl-logs-v2022  fixtures/parsl/2026.10.26/runinfo/000/parsl.log (epoch format)
        parsl-logs-ms     a 2024.3.4 worker_0.log + manager.log (local-time ms format)
floor   iterate the file in binary and write orjson.dumps(<a constant real record of ours>)
        per line through a 1 MiB buffer (DEVELOPERS.md)
regex   the line regex alone: every line matched against the format table (the variant that
        matched last first) with groups() taken, nothing built or written (not a floor: a
        bound; scripts/benches/_floors.py line_regex)
lnav    Debian's lnav 0.11 with the format in lnav_parsl_format.json (lnav has none for
        Parsl; a user would write this one), exporting every message as JSON lines:
        lnav -n -c ';SELECT *, log_body FROM parsl_log' -c ':write-jsonlines-to OUT' FILE
        run with HOME/XDG_CONFIG_HOME in a temp dir holding only that format
ours    importers.sources.parsl_logs.write_to(..., jobs=1): one core
ours-2j the same with jobs=2: the file cut at record boundaries, both cores
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

FIXTURES = ROOT / "fixtures" / "parsl"
LNAV_FORMAT = Path(__file__).resolve().parent / "lnav_parsl_format.json"


def _replicate(sources: list[Path], lines: int, out: Path) -> Path:
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(p.read_bytes() for p in sources)
    per_copy = data.count(b"\n")
    with open(out, "wb") as fh:
        for _ in range(lines // per_copy):
            fh.write(data)
        rest = lines % per_copy
        if rest:
            fh.write(b"".join(data.splitlines(keepends=True)[:rest]))
    return out


def _with_sample(path: Path) -> Path:
    """Keep a real record of ours beside the input, for the floor (not timed)."""
    sample = path.parent / "sample-record.json"
    if not sample.exists():
        sample.write_text(json.dumps(_sample_record(_original(path))))
    return path


def build_v2022(lines: int, workdir: Path) -> Path:
    src = FIXTURES / "2026.10.26" / "runinfo" / "000" / "parsl.log"
    out = workdir / f"v2022-{lines}" / "runinfo" / "000" / "parsl.log"
    return _with_sample(_replicate([src], lines, out))


def build_ms(lines: int, workdir: Path) -> Path:
    block = next((FIXTURES / "2024.3.4" / "runinfo" / "000" / "htex_local" / "block-0").glob(
        "*/worker_0.log")).parent
    out = (workdir / f"ms-{lines}" / "runinfo" / "000" / "htex_local" / "block-0" / block.name
           / "worker_0.log")
    # the run's parsl.log gives the zone offset, as it would in a real tree
    parsl_log = out.parents[3] / "parsl.log"
    if not parsl_log.exists():
        parsl_log.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / "2024.3.4" / "runinfo" / "000" / "parsl.log", parsl_log)
    return _with_sample(_replicate([block / "manager.log", block / "worker_0.log"], lines, out))


def _sample_record(path: Path) -> dict:
    from importers.sources import parsl_logs

    for rec in parsl_logs.read([path.parent if path.name == "parsl.log" else path]):
        if rec.get("ev.event") not in ("unparsed",) and rec.get("ev.line_count", 1) == 1:
            return rec
    raise RuntimeError("no record")


def floor(path: Path, out: Path) -> None:
    line_floor(path, out, json.loads((path.parent / "sample-record.json").read_text()))


def _original(path: Path) -> Path:
    """The small real log a big input was built from (for a record of the right width)."""
    if path.name == "parsl.log":
        return FIXTURES / "2026.10.26" / "runinfo" / "000" / "parsl.log"
    return next((FIXTURES / "2024.3.4" / "runinfo" / "000" / "htex_local" / "block-0").glob(
        "*/worker_0.log"))


def regex(path: Path, out: Path) -> None:
    from importers.sources.parsl_logs.formats import LINES

    line_regex(path, LINES)


def lnav(path: Path, out: Path) -> None:
    run_lnav(LNAV_FORMAT, ";SELECT *, log_body FROM parsl_log", path, out)


def _ours(path: Path, out: Path, jobs: int) -> None:
    from importers.core.pool import PoolWriter
    from importers.core.report import ImportReport
    from importers.sources import parsl_logs

    with PoolWriter(out.parent, "bench", out.name) as writer:
        parsl_logs.write_to(writer, [path], report=ImportReport(), jobs=jobs)


def ours(path: Path, out: Path) -> None:
    _ours(path, out, 1)


def ours_2j(path: Path, out: Path) -> None:
    _ours(path, out, 2)


MEASUREMENTS = {"floor": floor, "regex": regex, "lnav": lnav, "ours": ours,
                "ours-2j": ours_2j}
if shutil.which("lnav") is None:
    del MEASUREMENTS["lnav"]

BENCHES = {
    "parsl-logs-v2022": (build_v2022, count_lines, MEASUREMENTS),
    "parsl-logs-ms": (build_ms, count_lines, MEASUREMENTS),
}
PEERS = {name: "lnav" for name in BENCHES if "lnav" in MEASUREMENTS}
# ~20 MB and ~220 MB each
SIZES = {"parsl-logs-v2022": (1.2e5, 1.3e6), "parsl-logs-ms": (2.6e5, 2.8e6)}
