"""procs benches: saved tool output (through scripts/bench.py) and a live burst (run directly).

Saved output (``python scripts/bench.py procs --sizes 1e5,1e6``):

input   fixtures/procs/captured/bpftrace_execsnoop_bt.txt's rows repeated with rising times
        (and fresh pids) up to N lines, one argv-with-a-newline record among every 18 rows
floor   iterate the file in binary and write a constant record of ours per line
        (scripts/benches/_floors.py)
ours    ``importers.sources.procs.read`` + ``PoolWriter`` (the whole ``ev-import procs``)

Live burst (root; ``python scripts/benches/procs.py --burst 20000 --repeat 3``): a bash loop
starts N short processes (``/bin/true``) as fast as this machine forks them, 64 at a time;
once alone and once under ``ev-import watch-procs --backend netlink -- bash burst.sh N``.
Reported as medians: processes/s alone and watched (their ratio is the watcher's cost to
the workload), events/s the watcher handled, events lost (goal 0), the watcher's CPU share
(its own CPU seconds / the burst's wall seconds, 1.0 = one core), and how many of the N
processes were found (fork + exit, and exec with the exe read from /proc).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benches._floors import count_lines, line_floor  # noqa: E402

CAPTURE = ROOT / "fixtures" / "procs" / "captured" / "bpftrace_execsnoop_bt.txt"
ROW = re.compile(rb"^(\d+)(\s+)(\d+)( .*)$", re.DOTALL)


def build_execsnoop(lines: int, workdir: Path) -> Path:
    """The captured execsnoop.bt output, its rows repeated with rising times and pids."""
    path = workdir / f"execsnoop-{lines}.txt"
    if path.exists():
        return path
    src = CAPTURE.read_bytes().splitlines(keepends=True)
    head, body = src[:2], src[2:]
    with open(path, "wb") as out:
        out.writelines(head)
        written, copy = len(head), 0
        while written < lines:
            for line in body:
                m = ROW.match(line)
                if m:
                    ms = int(m.group(1)) + copy * 2000
                    pid = int(m.group(3)) + copy * 100
                    line = b"%-10d %-5d%s" % (ms, pid, m.group(4))
                out.write(line)
                written += 1
                if written >= lines:
                    break
            copy += 1
    return path


def _sample_record() -> dict:
    from importers.sources import procs

    return next(r for r in procs.read([CAPTURE], start="0", tz="UTC")
                if r["ev.event"] == "exec")


def procs_floor(path: Path, out: Path) -> None:
    line_floor(path, out, _sample_record())


def procs_ours(path: Path, out: Path) -> None:
    from importers.core.pool import PoolWriter
    from importers.sources import procs

    with PoolWriter(out.parent, "bench", out.name) as writer:
        writer.write_all(procs.read([path], start="0", tz="UTC"))


BENCHES = {
    "procs": (build_execsnoop, count_lines, {"floor": procs_floor, "ours": procs_ours}),
}

# ---------------------------------------------------------------------------------------
# live burst

BURST = r"""#!/bin/bash
n=$1
t0=$(date +%s.%N)
for ((i = 0; i < n; i++)); do
    /bin/true &
    if (( (i & 63) == 63 )); then wait; fi
done
wait
t1=$(date +%s.%N)
echo "$t0 $t1" > "$2"
"""


def _burst_alone(script: Path, n: int, tmp: Path) -> float:
    times = tmp / "alone.times"
    subprocess.run(["bash", str(script), str(n), str(times)], check=True)
    t0, t1 = map(float, times.read_text().split())
    return n / (t1 - t0)


def _own_cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` itself (not its children), read while it is a zombie."""
    data = Path(f"/proc/{pid}/stat").read_bytes()
    rest = data[data.rfind(b")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def _burst_watched(script: Path, n: int, tmp: Path) -> dict:
    pool = tmp / f"pool-{time.monotonic_ns()}"
    times = tmp / "watched.times"
    cmd = [sys.executable, "-m", "importers", "watch-procs", "--backend", "netlink",
           "--pool", str(pool), "--", "bash", str(script), str(n), str(times)]
    watcher = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    os.waitid(os.P_PID, watcher.pid, os.WEXITED | os.WNOWAIT)   # exited, not yet reaped
    cpu = _own_cpu_seconds(watcher.pid)
    err = watcher.stderr.read()
    watcher.wait()
    if watcher.returncode not in (0, 1):
        sys.exit(f"bench: watcher failed:\n{err}")
    t0, t1 = map(float, times.read_text().split())
    wall = t1 - t0
    events = forks = exits = execs = execs_with_exe = lost = 0
    reasons = set()
    root = None
    for path in pool.glob("*.jsonlog"):
        with open(path, "rb") as fh:
            for line in fh:
                rec = json.loads(line)
                events += 1
                kind = rec["ev.event"]
                if kind == "events_lost":
                    lost += rec.get("ev.events_lost") or 1
                    reasons.add(rec.get("ev.reason"))
                elif root is None and kind == "fork":
                    root = rec["linux.pid"]
                elif rec.get("linux.ppid") != root:
                    continue
                elif kind == "fork":
                    forks += 1
                elif kind == "exit":
                    exits += 1
                elif kind == "exec":
                    execs += 1
                    execs_with_exe += rec.get("linux.exe", "").endswith("/true")
    for path in pool.glob("*.jsonlog"):
        path.unlink()
    pool.rmdir()
    return {"procs_per_s": n / wall, "events_per_s": events / wall, "events": events,
            "lost": lost, "cpu_share": cpu / wall, "forks": forks, "exits": exits,
            "execs": execs, "execs_with_exe": execs_with_exe, "reasons": sorted(reasons),
            "summary": err.strip().splitlines()[-1]}


def burst(n: int, repeat: int) -> None:
    if os.geteuid() != 0:
        sys.exit("bench: the live burst needs root (the proc connector)")
    with tempfile.TemporaryDirectory(prefix="ev-burst-") as tmpdir:
        tmp = Path(tmpdir)
        script = tmp / "burst.sh"
        script.write_text(BURST)
        alone = [_burst_alone(script, n, tmp) for _ in range(repeat)]
        watched = [_burst_watched(script, n, tmp) for _ in range(repeat)]
    med = {k: statistics.median(w[k] for w in watched)
           for k in watched[0] if k not in ("summary", "reasons")}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, burst of {n:,} "
          f"processes (/bin/true, 64 at a time), medians of {repeat} runs")
    print(f"  alone:   {statistics.median(alone):,.0f} processes/s")
    print(f"  watched: {med['procs_per_s']:,.0f} processes/s "
          f"({med['procs_per_s'] / statistics.median(alone):.2f}x alone)")
    print(f"  watcher: {med['events_per_s']:,.0f} events/s handled ({med['events']:,.0f} "
          f"events), {med['lost']:.0f} lost, CPU share {med['cpu_share']:.2f} of one core")
    print(f"  found:   forks {med['forks']:,.0f}/{n:,}, execs {med['execs']:,.0f}/{n:,}, "
          f"exits {med['exits']:,.0f}/{n:,}; exe still readable in /proc at the exec event: "
          f"{med['execs_with_exe']:,.0f}/{n:,}")
    for i, w in enumerate(watched, 1):
        print(f"  run {i}: {w['events']:,} events, {w['lost']} lost {w['reasons'] or ''}, "
              f"forks {w['forks']:,}, execs {w['execs']:,}, exits {w['exits']:,}, "
              f"CPU share {w['cpu_share']:.2f}")
    print(f"  last summary: {watched[-1]['summary']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="live burst bench of ev-import watch-procs")
    parser.add_argument("--burst", type=int, default=20000, metavar="N")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    burst(args.burst, args.repeat)
