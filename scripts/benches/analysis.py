"""Analysis benches: ``ev-import show --where`` and ``ev-import lifetimes`` on a big pool.

input   the pool ``ev-import auto fixtures/`` makes (Parsl monitoring DBs and logs of several
        releases, Academy's own pool files, sacct/squeue, Redis, process events), each pool
        file replicated copy after copy until the pool holds N events; in copy k every
        ``parsl.run_id`` (and Parsl's own ``parsl.dfk``) gets the prefix ``k-``, so runs and
        tasks are distinct things per copy. The files stay as many as the fixture pool has,
        each N / 18k times longer, and (like real imported files) not time ordered.
floor   read every pool file in 1 MiB blocks and count its lines (the cost of the bytes)
show    ``ev-import show POOL --where ev.event=task_status`` (all files, time ordered, one
        line per event) into a file; the schema cache is warm after the first repeat
show-cold  the same with ``EV_CACHE_DIR=off``: keys discovered over the whole pool every run
lifetimes  ``ev-import lifetimes POOL --thing parsl.run_id,parsl.task_id --json``
jq      the talk's way: ``jq -c -s 'sort_by(.created) | .[] | select(."ev.event" ==
        "task_status")' FILES`` and, for lifetimes, ``jq -c -s 'map(select(."parsl.run_id"
        and ."parsl.task_id")) | group_by([."parsl.run_id", ."parsl.task_id"]) | .[] |
        {thing: ..., start: (map(.created) | min), end: (... | max), events: length}'``
pandas  ``pandas.read_json(FILE, lines=True)`` per file, concatenated, then the same filter
        and sort (show) or groupby min/max/size (lifetimes)

jq -s and pandas hold the whole pool in memory (about 5 GB of RSS per 10^6 events here), so
the ``-big`` benches, meant for 10^7 events (~7 GB of JSON), run only floor and ours.

    python scripts/bench.py analysis-show analysis-lifetimes --sizes 1e6 --repeat 3
    python scripts/bench.py analysis-show-big analysis-lifetimes-big --sizes 1e7 --repeat 3
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "fixtures"
WHERE = ("ev.event", "task_status")
THING = ("parsl.run_id", "parsl.task_id")


def _base(workdir: Path) -> Path:
    """The fixture pool, imported once per workdir."""
    base = workdir / "fixture-pool"
    if not base.exists():
        from importers.cli import main

        tmp = workdir / "fixture-pool.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.redirect_stderr(open(os.devnull, "w")):  # noqa: SIM115
            main(["auto", str(FIXTURES), "--pool", str(tmp), "-q"])
        os.rename(tmp, base)
    return base


def build(events: int, workdir: Path) -> Path:
    """A pool of ``events`` lines made of whole copies of the fixture pool (the last cut)."""
    pool = workdir / f"pool-{events}"
    if (pool / ".complete").exists():
        return pool
    base = _base(workdir)
    files = sorted(p for p in base.rglob("*.jsonlog"))
    datas = [p.read_bytes() for p in files]
    datas = [d if d.endswith(b"\n") else d + b"\n" for d in datas]
    per_copy = sum(d.count(b"\n") for d in datas)
    shutil.rmtree(pool, ignore_errors=True)
    outs = []
    for p in files:
        target = pool / p.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        outs.append(open(target, "wb", buffering=1 << 20))  # noqa: SIM115
    left, copy = events, 0
    try:
        while left > 0:
            prefix = b"%d-" % copy
            for fh, data in zip(outs, datas, strict=True):
                if left <= 0:
                    break
                chunk = (data.replace(b'"parsl.run_id":"', b'"parsl.run_id":"' + prefix)
                         .replace(b'"parsl.run_id": "', b'"parsl.run_id": "' + prefix)
                         .replace(b'"parsl.dfk": "', b'"parsl.dfk": "' + prefix))
                n = chunk.count(b"\n")
                if n > left:
                    chunk = b"".join(chunk.splitlines(keepends=True)[:left])
                    n = left
                fh.write(chunk)
                left -= n
            copy += 1
    finally:
        for fh in outs:
            fh.close()
    assert per_copy
    (pool / ".complete").write_text(str(events))
    return pool


def _files(pool: Path) -> list[str]:
    return sorted(str(p) for p in pool.rglob("*.jsonlog"))


def count(pool: Path) -> int:
    return int((pool / ".complete").read_text())


def floor(pool: Path, out: Path) -> None:
    n = 0
    for name in _files(pool):
        with open(name, "rb") as fh:
            for buf in iter(lambda fh=fh: fh.read(1 << 20), b""):
                n += buf.count(b"\n")
    out.write_text(str(n))


def _cli(args: list[str], out: Path, env: dict | None = None) -> None:
    # A subprocess, as a user runs it (the harness measures this process's children too).
    with open(out, "wb") as fh:
        subprocess.run([sys.executable, "-m", "importers", *args], stdout=fh, check=True,
                       env={**os.environ, **(env or {})}, cwd=ROOT)


def show(pool: Path, out: Path) -> None:
    _cli(["show", str(pool), "--where", "=".join(WHERE)], out)


def show_cold(pool: Path, out: Path) -> None:
    _cli(["show", str(pool), "--where", "=".join(WHERE)], out, {"EV_CACHE_DIR": "off"})


def lifetimes(pool: Path, out: Path) -> None:
    _cli(["lifetimes", str(pool), "--thing", ",".join(THING), "--json"], out)


JQ_SHOW = f'sort_by(.created) | .[] | select(."{WHERE[0]}" == "{WHERE[1]}")'
JQ_LIFETIMES = (f'map(select(."{THING[0]}" and ."{THING[1]}" and .created)) '
                f'| group_by([."{THING[0]}", ."{THING[1]}"]) | .[] '
                f'| {{thing: {{"{THING[0]}": .[0]."{THING[0]}", "{THING[1]}": .[0]."{THING[1]}"}},'
                ' start: (map(.created | tonumber) | min), end: (map(.created | tonumber) | max),'
                ' events: length}')


def _jq(program: str, pool: Path, out: Path) -> None:
    with open(out, "wb") as fh:
        subprocess.run(["jq", "-c", "-s", program, *_files(pool)], stdout=fh, check=True)


def jq_show(pool: Path, out: Path) -> None:
    _jq(JQ_SHOW, pool, out)


def jq_lifetimes(pool: Path, out: Path) -> None:
    _jq(JQ_LIFETIMES, pool, out)


def _pandas(pool: Path):
    import pandas as pd

    frames = [pd.read_json(name, lines=True, dtype=False) for name in _files(pool)]
    frame = pd.concat(frames, ignore_index=True, sort=False)
    frame["created"] = pd.to_numeric(frame["created"], errors="coerce")
    return frame


def pandas_show(pool: Path, out: Path) -> None:
    frame = _pandas(pool)
    frame[frame[WHERE[0]] == WHERE[1]].sort_values("created").to_json(out, orient="records",
                                                                      lines=True)


def pandas_lifetimes(pool: Path, out: Path) -> None:
    frame = _pandas(pool).dropna(subset=list(THING))
    frame.groupby(list(THING))["created"].agg(["min", "max", "size"]).to_csv(out)


SHOW = {"floor": floor, "show": show, "show-cold": show_cold, "jq": jq_show,
        "pandas": pandas_show}
LIFETIMES = {"floor": floor, "lifetimes": lifetimes, "jq": jq_lifetimes,
             "pandas": pandas_lifetimes}
if shutil.which("jq") is None:
    del SHOW["jq"], LIFETIMES["jq"]

BENCHES = {
    "analysis-show": (build, count, SHOW),
    "analysis-lifetimes": (build, count, LIFETIMES),
    "analysis-show-big": (build, count, {k: SHOW[k] for k in ("floor", "show", "show-cold")}),
    "analysis-lifetimes-big": (build, count, {k: LIFETIMES[k] for k in ("floor", "lifetimes")}),
}
PEERS = {"analysis-show": "jq", "analysis-lifetimes": "jq"} if shutil.which("jq") else {}
SIZES = {"analysis-show": (1e6,), "analysis-lifetimes": (1e6,),
         "analysis-show-big": (1e7,), "analysis-lifetimes-big": (1e7,)}
