"""Web page bench: ``ev-import serve`` on a pool of 10^6 events.

input   a pool of N events: each file of the pool of ``ev-import auto fixtures/`` (every
        source, Academy's files too) grown by appending copies of itself, each copy an hour
        later with its own ids (string ids get a ``.<copy>`` suffix, integer ids a multiple
        of 10^7 added), so things stay distinct and there are N/18,000 times more of them
floor   read every byte of the pool files once (what any reader must pay)
load    the server's start-up: the analysis pool opened and parsed once into its DuckDB
        snapshot (``importers.web.app.open_pool_for_serving``)

The page itself (each view's answer time, median of ``--repeat``, the filters, the server's
RSS, and with Debian's chromium the browser's page load) is timed by running this file:

    python scripts/benches/web.py --events 1e6 --repeat 5 [--browser] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benches._floors import count_lines  # noqa: E402
from benches._replicate import grow_pool, shifted  # noqa: E402

#: Keys whose values name things: each copy of the pool gets its own values of them.
ID_KEYS = {
    "parsl.run_id", "parsl.task_id", "parsl.block_id", "parsl.job_id", "parsl.manager_id",
    "parsl.executor_task_id", "slurm.jobid", "linux.pid", "linux.ppid", "process",
    "academy.message_tag", "academy.action_tag", "academy.agent_id", "academy.mailbox_id",
    "parsl.dfk", "parsl.task", "parsl.try",
}
def base_pool(workdir: Path) -> Path:
    pool = workdir / "web-base-pool"
    if not pool.exists():
        done = subprocess.run([sys.executable, "-m", "importers", "auto",
                               str(ROOT / "fixtures"), "--pool", str(pool), "-q"],
                              cwd=ROOT, capture_output=True, text=True)
        if done.returncode not in (0, 1):
            sys.exit(f"bench: ev-import auto fixtures/ failed: {done.stderr}")
    return pool


def build_pool(events: int, workdir: Path) -> Path:
    """A pool of about ``events`` events: each fixture pool file grown by appending whole
    shifted copies of itself (one big file per source, as a big import writes), cut at the
    end."""
    pool = workdir / f"web-pool-{events}"
    if pool.exists():
        return pool
    base = base_pool(workdir)

    def line_of(line: bytes, copy: int) -> bytes:
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            return line if line.endswith(b"\n") else line + b"\n"
        if isinstance(rec, dict) and copy:
            rec = shifted(rec, copy, ID_KEYS)
        return orjson.dumps(rec) + b"\n"

    return grow_pool(base, pool, events, line_of, copy_dirs=False)


def events_of(pool: Path) -> int:
    return sum(count_lines(p) for p in pool.rglob("*.jsonlog"))


def web_floor(pool: Path, out: Path) -> None:
    total = 0
    for path in sorted(pool.rglob("*.jsonlog")):
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
    out.write_text(str(total))


def web_load(pool: Path, out: Path) -> None:
    from importers.web.app import open_pool_for_serving

    temp = Path(tempfile.mkdtemp(prefix="ev-web-bench-"))
    try:
        opened = open_pool_for_serving(pool, temp)
        out.write_text(str(opened.events().count()))
        opened.close()
    finally:
        shutil.rmtree(temp, ignore_errors=True)


BENCHES = {"web": (build_pool, events_of, {"floor": web_floor, "load": web_load})}
SIZES = {"web": (1e5, 1e6)}


# ---------------------------------------------------------------------------------------
# The page, through a real server

def _urls(pool_events: int) -> list[tuple[str, str]]:
    return [
        ("overview", "/"),
        ("events", "/events"),
        ("events, page 5,000", "/events?page=5000"),
        ("events where key=value", "/events?where=ev.event%3Dtask_launched"),
        ("events has key + window", "/events?has=linux.pid&since=2026-11-25T08:00:00Z"
                                    "&until=2026-11-25T20:00:00Z"),
        ("events text regex", "/events?grep=launched%20on%20executor"),
        ("timeline Parsl tasks by state", "/timeline?thing=parsl.run_id%2Cparsl.task_id"
                                          "&color=parsl.task_status_name"),
        ("timeline processes", "/timeline?thing=linux.hostname%2Clinux.pid"),
        ("durations Academy messages", "/durations?thing=academy.message_tag"),
        ("thing: a task id", "/thing?parsl.task_id=1"),
        ("thing: a run's task", "/thing?parsl.run_id=55c0990e-fdae-43c6-8709-90b46d4a54c9"
                                "&parsl.task_id=1"),
        ("breakdown", "/breakdown"),
    ]


def _rss_mib(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process, from /proc."""
    fields = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    kib = lambda name: float(fields.get(name, "0 kB").split()[0])  # noqa: E731
    return kib("VmRSS") / 1024, kib("VmHWM") / 1024


def warm_schema_cache(pool: Path, cache: Path) -> None:
    """The analysis loader's key discovery, cached per file (as a user's second open is).

    It is timed and said apart: at 10^6 events it needs more than the server's DuckDB
    memory limit (``EV_BENCH_DISCOVERY_MEMORY``, default 4GB, is used here).
    """
    if cache.exists():
        return
    code = ("import sys; from importers import analysis as ev; "
            "ev.open_pool(sys.argv[1], memory_limit=sys.argv[2])")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(pool),
                           os.environ.get("EV_BENCH_DISCOVERY_MEMORY", "4GB")],
                          cwd=ROOT, env={**os.environ, "EV_CACHE_DIR": str(cache)},
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"bench: key discovery failed: {done.stderr[-2000:]}")
    print(f"key discovery (analysis loader, cold, cached per file afterwards): "
          f"{time.perf_counter() - start:.1f} s", flush=True)


def page_bench(pool: Path, repeat: int, browser: bool, cache: Path) -> None:
    import httpx

    warm_schema_cache(pool, cache)
    env = {**os.environ, "EV_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "importers", "serve", str(pool),
                             "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    try:
        url = proc.stdout.readline().decode().strip().rstrip("/")
        listening = time.perf_counter() - start
        first = httpx.get(url + "/", timeout=3600)
        ready = time.perf_counter() - start
        assert first.status_code == 200, first.text[:500]
        print(f"pool {pool}: {events_of(pool):,} events in "
              f"{sum(p.stat().st_size for p in pool.rglob('*.jsonlog')) / 2**20:,.0f} MiB")
        print(f"server: URL printed after {listening:.2f} s; first page (pool loaded) after "
              f"{ready:.1f} s")
        print(f"{'view':<34} {'median s':>9} {'min s':>7} {'max s':>7} {'KiB':>7}  status")
        for name, path in _urls(0):
            times, size, status = [], 0, 0
            for _ in range(repeat):
                t = time.perf_counter()
                answer = httpx.get(url + path, timeout=600)
                times.append(time.perf_counter() - t)
                size, status = len(answer.content), answer.status_code
            print(f"{name:<34} {statistics.median(times):>9.3f} {min(times):>7.3f} "
                  f"{max(times):>7.3f} {size / 1024:>7.0f}  {status}", flush=True)
        rss, peak = _rss_mib(proc.pid)
        print(f"server RSS now {rss:,.0f} MiB, peak {peak:,.0f} MiB")
        if browser:
            browser_bench(url, repeat)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def browser_bench(url: str, repeat: int) -> None:
    """Page load in Debian's headless Chromium: navigation start to load end, and to the
    charts drawn (Plotly parses its 4.6 MB script from the browser's cache after the first)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="ev-web-bench-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")
                                              or "/usr/bin/chromedriver"), options=options)
    try:
        print(f"{'browser page load':<34} {'load s':>9} {'drawn s':>8}")
        for name, path in _urls(0):
            loads, drawn = [], []
            for _ in range(repeat):
                t = time.perf_counter()
                driver.get(url + path)
                WebDriverWait(driver, 600).until(lambda d: all(
                    p.get_attribute("data-drawn") == "1"
                    for p in d.find_elements("css selector", "div.plot")))
                drawn.append(time.perf_counter() - t)
                loads.append(driver.execute_script(
                    "const n = performance.getEntriesByType('navigation')[0];"
                    "return (n.loadEventEnd - n.startTime) / 1000;"))
            print(f"{name:<34} {statistics.median(loads):>9.3f} "
                  f"{statistics.median(drawn):>8.3f}", flush=True)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="1e6", help="pool size in events (default 1e6)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", help="keep the built pool here (default: a temp dir)")
    parser.add_argument("--browser", action="store_true",
                        help="also time page loads in Debian's headless chromium")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ev-web-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        pool = build_pool(int(float(args.events)), workdir)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, medians of "
              f"{args.repeat} requests (a shared machine)", flush=True)
        page_bench(pool, args.repeat, args.browser, workdir / f"schema-cache-{pool.name}")
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
