#!/usr/bin/env python3
"""Generate a REAL Parsl monitoring fixture (monitoring.db + run logs).

Runs a small Parsl workflow TWICE into one run_dir (``<out>/runinfo``), so the
single ``runinfo/monitoring.db`` holds two workflows (run dirs ``000`` and
``001``).  Each workflow uses:

* a HighThroughputExecutor labelled ``htex_local`` with ``worker_debug=True``
  on a LocalProvider with two blocks (``block-0`` and ``block-1``), two
  workers per block;
* MonitoringHub with resource monitoring every 1 s, loopback only;
* a python app, a bash app, a python app that always raises, a python app
  that fails on its first try and succeeds on the retry (``Config(retries=1)``,
  marker file in a temp dir), a dependency between two tasks, and a few
  tasks that sleep ~3 s so the resource table gets rows.

Each workflow runs in its own child process (this script re-invokes itself
with ``--run-once``) so Python logging handlers do not leak from run 000 into
run 001.  Afterwards the script checks that no Parsl process (interchange,
process_worker_pool, workers) is left running, kills stragglers it started,
and writes ``<out>/metadata.json`` + ``<out>/README.txt``.

How to rerun (one venv per Parsl release; paths are only examples)::

    python3 -m venv /tmp/fx-parsl/vnew
    /tmp/fx-parsl/vnew/bin/pip install 'parsl[monitoring]==2026.10.26'
    /tmp/fx-parsl/vnew/bin/python scripts/make_parsl_fixture.py \\
        --out fixtures/parsl/2026.10.26

    # same release, JSON logging (Parsl >= 2026.05 has parsl.logconfigs.json)
    /tmp/fx-parsl/vnew/bin/python scripts/make_parsl_fixture.py \\
        --json-logs --out fixtures/parsl/2026.10.26-json

    python3 -m venv /tmp/fx-parsl/vold
    /tmp/fx-parsl/vold/bin/pip install 'parsl[monitoring]==2024.3.4'
    /tmp/fx-parsl/vold/bin/python scripts/make_parsl_fixture.py \\
        --out fixtures/parsl/2024.3.4

Parsl 1.x needs Python 3.9 and the versions of its time (SQLAlchemy 1.3, typeguard 2;
Flask and Werkzeug only to install the monitoring extra). 1.x writes its monitoring DB to
the cwd unless told otherwise; the script puts it in ``runinfo/`` like later releases.
``--tz`` runs Parsl under a zone other than the machine's, so a fixture covers the naive
local times of the millisecond formats and of the DB::

    ~/.pyenv/versions/3.9.18/bin/python -m venv /tmp/fx-parsl/v12
    /tmp/fx-parsl/v12/bin/pip install 'parsl[monitoring]==1.2.0' 'sqlalchemy==1.3.24' \\
        'typeguard<3' 'flask-sqlalchemy<3' 'Flask<2.3' 'werkzeug<2.3' 'sqlalchemy-utils<0.42'
    /tmp/fx-parsl/v12/bin/python scripts/make_parsl_fixture.py --tz Europe/Berlin \\
        --out fixtures/parsl/1.2.0

    # the last format era before 2026.01 (1-space interchange, router in v2022)
    python3 -m venv /tmp/fx-parsl/v2024
    /tmp/fx-parsl/v2024/bin/pip install 'parsl[monitoring]==2024.12.30'
    /tmp/fx-parsl/v2024/bin/python scripts/make_parsl_fixture.py --tz America/Chicago \\
        --out fixtures/parsl/2024.12.30

``--fake-start`` runs the workflow under Debian's libfaketime (``apt-get install faketime
libfaketime``) with the clock set to that UTC time when the run starts; ``--span`` keeps the
workflow submitting small tasks for that many seconds. Together with ``--tz`` they make a run
whose logs and monitoring DB cross a daylight-saving change (fixtures/dst/parsl/)::

    /tmp/fx-parsl/vnew/bin/python scripts/make_parsl_fixture.py --tz Europe/Berlin \\
        --fake-start 2026-10-25T00:59:10Z --span 80 --runs 1 \\
        --out fixtures/dst/parsl/fall-back-2026.10.26

    # Parsl 1.x prints local time only, in every log: run 000 crosses the change,
    # run 001 lies wholly in the repeated hour's second occurrence
    /tmp/fx-parsl/v12/bin/python scripts/make_parsl_fixture.py --tz Europe/Berlin \\
        --fake-start 2026-10-25T00:59:30Z --span 35 --runs 2 --poll-period 1000 \\
        --out fixtures/dst/parsl/fall-back-1.2.0

The fake clock is the real one plus a fixed offset (``FAKETIME=-<seconds>``, real speed), and
LD_PRELOAD/FAKETIME are in the environment of the run, so the interchange, the worker pools,
their workers and the monitoring processes all see the same fake time.
``FAKETIME_DONT_FAKE_MONOTONIC=1`` keeps the monotonic clock real: Python's timed lock waits
(``threading.Event.wait``, Parsl's timers) use ``sem_clockwait`` on the monotonic clock, which
libfaketime 0.9.10 does not wrap, so a faked monotonic deadline would never come. But that
libfaketime also shifts the absolute monotonic deadline of ``clock_nanosleep`` (Python's
``time.sleep``) by the offset, and every ``time.sleep`` fails with EINVAL; so the run gets a
``sitecustomize`` (in a temporary dir on PYTHONPATH, inherited by every Python process it
starts) whose only act is ``time.sleep = lambda s: select.select([], [], [], s)``: a relative
timeout, the same wait.

``--out`` is wiped (only its ``runinfo/``, metadata.json and README.txt) before
the run.  The script must be run with the venv's python directly: it puts
that interpreter's bin dir on PATH so ``process_worker_pool.py`` and
``interchange.py`` are found by the LocalProvider.
"""
from __future__ import annotations

import argparse
import datetime
import inspect
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = ["workflow", "task", "try", "status", "block", "node", "resource"]


# --------------------------------------------------------------------------
# workflow (runs inside the child process)
# --------------------------------------------------------------------------

def build_config(run_dir: str, json_logs: bool, poll_period: int = 100):
    from parsl.config import Config
    from parsl.executors import HighThroughputExecutor
    from parsl.providers import LocalProvider

    try:
        from parsl.monitoring.monitoring import MonitoringHub
    except ImportError:  # pragma: no cover
        from parsl.monitoring import MonitoringHub

    provider = LocalProvider(init_blocks=2, min_blocks=0, max_blocks=2,
                             nodes_per_block=1, parallelism=1)

    htex_params = inspect.signature(HighThroughputExecutor.__init__).parameters
    htex_kw = dict(label="htex_local", provider=provider, worker_debug=True,
                   cores_per_worker=1, heartbeat_period=2,
                   heartbeat_threshold=10, poll_period=poll_period)
    # worker count arg: max_workers_per_node (newer), max_workers (older)
    if "max_workers_per_node" in htex_params:
        htex_kw["max_workers_per_node"] = 2
    else:
        htex_kw["max_workers"] = 2
    # loopback only
    if "address" in htex_params:
        htex_kw["address"] = "127.0.0.1"
    if "loopback_address" in htex_params:
        htex_kw["loopback_address"] = "127.0.0.1"
    htex_kw = {k: v for k, v in htex_kw.items() if k in htex_params}
    htex = HighThroughputExecutor(**htex_kw)

    mon_params = inspect.signature(MonitoringHub.__init__).parameters
    mon_kw = dict(hub_address="127.0.0.1",
                  monitoring_debug=True,
                  resource_monitoring_enabled=True,
                  resource_monitoring_interval=1,
                  workflow_name="ev_import_fixture")
    if "hub_address" in mon_params and \
            mon_params["hub_address"].default is inspect.Parameter.empty:
        pass  # older releases: hub_address is required (we pass it)
    elif "hub_address" in mon_params:
        # newer releases: hub_address is unused and warns; drop it
        mon_kw.pop("hub_address")
    endpoint = mon_params.get("logging_endpoint")
    if endpoint is not None and endpoint.default is not None:
        # 1.x writes sqlite:///monitoring.db relative to the cwd; put it where later
        # releases put it by default, <run_dir>/monitoring.db
        mon_kw["logging_endpoint"] = "sqlite:///" + os.path.join(run_dir, "monitoring.db")
    mon_kw = {k: v for k, v in mon_kw.items() if k in mon_params}
    hub = MonitoringHub(**mon_kw)

    cfg_params = inspect.signature(Config.__init__).parameters
    cfg_kw = dict(executors=[htex], monitoring=hub, retries=1,
                  run_dir=run_dir, strategy="simple", strategy_period=1,
                  max_idletime=120.0)
    if json_logs:
        try:
            from parsl.logconfigs.json import JSONLogging
        except ImportError:
            sys.exit("--json-logs: this Parsl release has no "
                     "parsl.logconfigs.json.JSONLogging")
        cfg_kw["initialize_logging"] = JSONLogging()
    cfg_kw = {k: v for k, v in cfg_kw.items() if k in cfg_params}
    return Config(**cfg_kw)


def run_once(run_dir: str, json_logs: bool, span: float = 0.0, poll_period: int = 100) -> None:
    import parsl
    from parsl import bash_app, python_app

    @python_app
    def add(a, b):
        return a + b

    @python_app
    def busy(seconds):
        """Burn CPU + memory for ~seconds so resource monitoring sees it."""
        import time as _t
        buf = bytearray(8 * 1024 * 1024)
        end = _t.time() + seconds
        n = 0
        while _t.time() < end:
            n += 1
        return len(buf) + (n % 7)

    @python_app
    def always_fails(x):
        raise ValueError(f"fixture: deliberate failure for x={x}")

    @python_app
    def flaky(marker_path):
        import os as _os
        if not _os.path.exists(marker_path):
            with open(marker_path, "w") as f:
                f.write("first try failed\n")
            raise RuntimeError("fixture: flaky task fails on first try")
        return "flaky succeeded on retry"

    @python_app
    def double(x):
        return 2 * x

    # AUTO_LOGNAME (all releases so far); AUTO_LOGPATH in some docs
    auto = getattr(parsl, "AUTO_LOGNAME", None) or parsl.AUTO_LOGPATH

    @bash_app
    def hello_bash(msg, stdout=auto, stderr=auto):
        return f"echo 'bash says {msg}'; sleep 1; echo 'to stderr' 1>&2"

    config = build_config(run_dir, json_logs, poll_period)
    marker_dir = tempfile.mkdtemp(prefix="parsl-fixture-marker-")
    marker = os.path.join(marker_dir, "flaky.marker")

    dfk = parsl.load(config)
    loaded_at = time.monotonic()
    try:
        futs = {}
        futs["add"] = add(1, 2)
        futs["double_dep"] = double(futs["add"])          # dependency
        futs["bash"] = hello_bash("hi")
        futs["busy_a"] = busy(3)
        futs["busy_b"] = busy(3)
        futs["busy_c"] = busy(2)
        futs["fail"] = always_fails(7)
        futs["flaky"] = flaky(marker)
        for name, f in futs.items():
            try:
                print(f"{name}: {f.result()!r}", flush=True)
            except Exception as e:  # noqa: BLE001
                print(f"{name}: EXC {type(e).__name__}: {e}", flush=True)
        # keep the run going (a DST fixture must span the clock change): small tasks
        # every few seconds until span seconds have passed since the DFK started
        i = 0
        while time.monotonic() - loaded_at < span:
            i += 1
            small = [add(i, i), busy(0.5)]
            small.append(double(small[0]))
            for f in small:
                f.result()
            time.sleep(5)
        if span:
            print(f"span: {i} rounds of small tasks", flush=True)
        # let a resource-monitoring/heartbeat cycle flush
        time.sleep(2)
    finally:
        dfk.cleanup()
        if hasattr(parsl, "clear"):
            parsl.clear()
        shutil.rmtree(marker_dir, ignore_errors=True)


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------

def leftover_processes(out: str, exclude: set[int]):
    """Parsl processes from this fixture run that are still alive.

    Matches command lines that mention the output dir (pool, forked
    interchange/monitoring children of --run-once) or Parsl's
    interchange.py / process_worker_pool.py from this venv's bin dir.
    """
    import psutil
    bindir = os.path.dirname(sys.executable)
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        if p.info["pid"] in exclude:
            continue
        cmd = " ".join(p.info["cmdline"] or [])
        ours = out in cmd or bindir in cmd
        parslish = any(k in cmd for k in ("process_worker_pool",
                                           "interchange", "--run-once",
                                           "parsl"))
        if ours and parslish:
            found.append(p)
    return found


def ensure_exited(out: str) -> list[str]:
    import psutil
    me = {os.getpid()} | {p.pid for p in psutil.Process().parents()}
    notes = []
    deadline = time.time() + 30
    procs = leftover_processes(out, me)
    while procs and time.time() < deadline:
        time.sleep(1)
        procs = leftover_processes(out, me)
    for p in procs:
        try:
            notes.append(f"killed leftover pid {p.pid}: {' '.join(p.cmdline())}")
            p.kill()
        except psutil.NoSuchProcess:
            pass
    return notes


def debian_version(package: str) -> str:
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def fake_clock(start_utc: str) -> dict[str, str]:
    """The environment that puts a run and every process it starts on a fake clock that
    reads ``start_utc`` now and runs at real speed (a fixed offset, so processes started
    later agree with the first)."""
    lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
    try:
        listed = subprocess.run(["dpkg", "-L", "libfaketime"], capture_output=True,
                                text=True, check=True).stdout.split()
        lib = next(p for p in listed if p.endswith("/libfaketime.so.1"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        pass
    if not os.path.exists(lib):
        sys.exit("--fake-start needs Debian's libfaketime: apt-get install -y faketime "
                 "libfaketime")
    target = datetime.datetime.fromisoformat(start_utc.replace("Z", "+00:00"))
    if target.tzinfo is None:
        sys.exit("--fake-start: give a UTC time such as 2026-10-25T00:58:30Z")
    offset = round(target.timestamp() - time.time())
    preload = " ".join(filter(None, [lib, os.environ.get("LD_PRELOAD")]))
    shim = tempfile.mkdtemp(prefix="parsl-fixture-sleep-")
    with open(os.path.join(shim, "sitecustomize.py"), "w") as f:
        f.write("# make_parsl_fixture.py --fake-start: libfaketime 0.9.10 breaks\n"
                "# clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), i.e. time.sleep\n"
                "import select\nimport time\n\n\n"
                "def _sleep(seconds):\n    select.select([], [], [], seconds)\n\n\n"
                "time.sleep = _sleep\n")
    path = os.pathsep.join(filter(None, [shim, os.environ.get("PYTHONPATH")]))
    return {"LD_PRELOAD": preload, "FAKETIME": f"{offset:+d}",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "PYTHONPATH": path}


def table_counts(db_path: str) -> dict[str, int]:
    con = sqlite3.connect(db_path)
    try:
        out = {}
        names = [r[0] for r in con.execute(
            "select name from sqlite_master where type='table' order by name")]
        for t in names:
            out[t] = con.execute(f'select count(*) from "{t}"').fetchone()[0]
        return out
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True,
                    help="output dir, e.g. fixtures/parsl/<version>")
    ap.add_argument("--json-logs", action="store_true",
                    help="use parsl.logconfigs.json.JSONLogging (Parsl>=2026.05)")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--tz", help="run under this zone (sets TZ for Parsl and every process "
                    "it starts), e.g. Europe/Berlin: the millisecond log formats and the "
                    "monitoring DB of older releases hold naive local times")
    ap.add_argument("--fake-start", metavar="UTC",
                    help="run under libfaketime with the clock at this UTC time when the run "
                    "starts, e.g. 2026-10-25T00:58:30Z (with --tz Europe/Berlin: just before "
                    "the clocks go back)")
    ap.add_argument("--span", type=float, default=0.0, metavar="SECONDS",
                    help="keep submitting small tasks until SECONDS after the DFK started")
    ap.add_argument("--poll-period", type=int, default=100, metavar="MS",
                    help="HTEX poll_period (Parsl 1.x's interchange logs every poll: 1000 "
                    "keeps a long run's logs small)")
    ap.add_argument("--run-once", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    out = os.path.abspath(args.out)
    if args.tz:
        os.environ["TZ"] = args.tz
        time.tzset()
    run_dir = os.path.join(out, "runinfo")

    # so LocalProvider/HTEX find process_worker_pool.py / interchange.py
    bindir = os.path.dirname(sys.executable)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")

    if args.run_once:
        os.chdir(out)
        run_once(run_dir, args.json_logs, args.span, args.poll_period)
        return

    import parsl
    os.makedirs(out, exist_ok=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    for f in ("metadata.json", "README.txt"):
        if os.path.exists(os.path.join(out, f)):
            os.remove(os.path.join(out, f))

    fake = fake_clock(args.fake_start) if args.fake_start else {}
    os.environ.update(fake)
    cmd_used = " ".join([sys.executable] + sys.argv)
    notes = []
    started = datetime.datetime.now(datetime.timezone.utc)
    for i in range(args.runs):
        child = [sys.executable, os.path.abspath(__file__), "--out", out,
                 "--run-once", "--span", str(args.span),
                 "--poll-period", str(args.poll_period)] + \
            (["--json-logs"] if args.json_logs else [])
        print(f"== workflow run {i}: {' '.join(child)}", flush=True)
        t0 = time.time()
        rc = subprocess.call(child, cwd=out, timeout=600)
        print(f"== run {i} exited rc={rc} after {time.time() - t0:.1f}s",
              flush=True)
        notes += ensure_exited(out)
        if rc != 0:
            notes.append(f"run {i} exit code {rc}")

    # Newer HTEX (encrypted=True by default) writes throwaway CurveZMQ
    # keys to <run>/<label>/certificates/.  They are useless as fixtures and
    # look like secrets to scanners, so drop them; everything else is kept
    # exactly as Parsl wrote it.
    for dirpath, dirnames, _files in os.walk(run_dir):
        if "certificates" in dirnames:
            shutil.rmtree(os.path.join(dirpath, "certificates"))
            dirnames.remove("certificates")
            notes.append("removed " + os.path.relpath(
                os.path.join(dirpath, "certificates"), out))

    db = os.path.join(run_dir, "monitoring.db")
    counts = table_counts(db) if os.path.exists(db) else {}
    meta = {
        "parsl_version": parsl.__version__,
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "date_utc": started.isoformat(timespec="seconds"),
        "command": cmd_used,
        "json_logs": args.json_logs,
        "tz": os.environ.get("TZ"),
        "utc_offset_seconds": datetime.datetime.now().astimezone().utcoffset()
        .total_seconds(),
        "workflow_runs": args.runs,
        "fake_clock": {**fake, "start_utc": args.fake_start, "span_seconds": args.span,
                       "libfaketime": debian_version("libfaketime")} if fake else None,
        "run_dir": "runinfo",
        "monitoring_db_row_counts": counts,
        "notes": notes,
    }
    with open(os.path.join(out, "metadata.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(out, "README.txt"), "w") as f:
        f.write(
            f"Real Parsl {parsl.__version__} monitoring fixture "
            f"(Python {platform.python_version()}, host {socket.gethostname()},"
            f" {started.isoformat(timespec='seconds')}).\n"
            f"Generated by scripts/make_parsl_fixture.py:\n  {cmd_used}\n"
            f"runinfo/monitoring.db holds {args.runs} workflows "
            f"(runinfo/000 .. runinfo/{args.runs - 1:03d}).\n"
            f"Zone (TZ): {os.environ.get('TZ') or 'unset (the machine zone)'}.\n"
            + (f"Fake clock: Debian libfaketime {debian_version('libfaketime')}, "
               f"{args.fake_start} at the start of the run, real speed "
               f"(FAKETIME={fake['FAKETIME']}, FAKETIME_DONT_FAKE_MONOTONIC=1, "
               "time.sleep through select(): see scripts/make_parsl_fixture.py); "
               f"small tasks for {args.span:g} s.\n" if fake else "")
            +
            f"JSON logging: {args.json_logs}. Row counts: "
            f"{json.dumps(counts, sort_keys=True)}\n"
            "Absolute paths inside logs/db point at the generating machine.\n")
    print(json.dumps(meta, indent=2, sort_keys=True))
    if any(n.startswith("run ") and "exit code" in n for n in notes):
        sys.exit(1)


if __name__ == "__main__":
    main()
