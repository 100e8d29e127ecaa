"""``python scripts/bench.py faults``: the fault figures of the hardening work, not timings.

    python scripts/bench.py faults               # corpus, 2 x 10 SIGKILLs, concurrent writers
    EV_CRASH_KILLS=25 python scripts/bench.py faults

Prints:
- bad-input corpus: items tried and passed (every importer over every item of fixtures/bad/
  plus the FIFO, directory, symlinks, 10 MB line and run dir with strangers made at run
  time), and the input lines accounted for (records + continuation lines + unparsed = lines
  read; must be 100%);
- read errors: imports meeting EIO mid-file (a preloaded shim, tests/test_read_errors.py)
  that kept every line read before it, named the file and exited 1;
- SIGKILL runs survived: imports (-j 1 and -j 2) killed at random points, each leaving the
  previous pool file byte for byte or the new one complete, no partial file visible, no
  worker left, leftovers cleaned by the next run;
- concurrent writers: imports, a live watcher (as root) and a reader in one pool at once;
  events lost (must be 0), files that differ from a sequential import, reader errors.

The checks are the test suite's own (tests/test_bad_inputs.py, test_read_errors.py,
test_crash_safety.py, test_concurrent_writers.py), run at a larger scale.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TESTS = ROOT / "tests"


def _load(name: str):
    sys.path.insert(0, str(TESTS))
    spec = importlib.util.spec_from_file_location(name, TESTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def corpus_figures(work: Path) -> dict[str, int]:
    bad = _load("test_bad_inputs")
    from importers.cli import main

    specials = work / "specials"
    bad.corpus.make_specials(specials)
    figures = {"tried": 0, "passed": 0, "lines": 0, "accounted": 0}
    failures: list[str] = []
    for importer in sorted(bad.IMPORTERS):
        for item in bad.ITEMS:
            path = specials / item if item in bad.SPECIALS else bad.BAD / item
            out = Path(tempfile.mkdtemp(dir=work)) / "pool"
            argv = [a.format(path) for a in bad.IMPORTERS[importer]] + ["--pool", str(out)]
            figures["tried"] += 1
            err = io.StringIO()
            ok = True
            old = signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(
                TimeoutError("hung")))
            signal.alarm(bad.SECONDS)
            try:
                with contextlib.redirect_stderr(err):
                    code = main(argv)
            except BaseException as exc:   # noqa: BLE001 - counted as a failure, named
                code, ok = None, False
                failures.append(f"{importer} {item}: {type(exc).__name__}: {exc}")
            finally:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, old)
            text = err.getvalue()
            if ok and code == 2:
                ok = text.startswith("error: ") and text.count("\n") == 1 and not (
                    out.exists() and list(out.rglob("*.jsonlog")))
            if ok and out.exists() and list(out.rglob(".*.tmp")):
                ok = False
            if ok and code in (0, 1) and path.is_file() and not path.is_symlink() \
                    and item != "parsl-log.10mb-single-line":
                records = bad.pool_records(out)
                mine = [r for r in records if r.get("ev.origin") == str(path)]
                if any("ev.lineno" in r for r in mine):
                    lines = bad.line_count(path.read_bytes())
                    missing = len(bad.unaccounted(path, records))
                    figures["lines"] += lines
                    figures["accounted"] += lines - missing
                    ok = missing == 0
            if ok and code not in (0, 1, 2):
                ok = False
            figures["passed"] += ok
            if not ok and code is not None:
                failures.append(f"{importer} {item}: exit {code}: {text[:200]}")
    for line in failures[:10]:
        print(f"    FAILED {line}")
    return figures


def crash_figures(work: Path, kills: int) -> dict[str, object]:
    crash = _load("test_crash_safety")
    figures: dict[str, object] = {}
    for jobs in (1, 2):
        directory = work / f"crash-j{jobs}"
        directory.mkdir()
        try:
            outcome = crash.kill_at_random_points(directory, jobs, kills, seed=100 + jobs)
            figures[f"-j {jobs}"] = (f"{kills}/{kills} survived (previous file kept "
                                     f"{outcome['previous']}, new file complete "
                                     f"{outcome['new']})")
        except AssertionError as exc:
            figures[f"-j {jobs}"] = f"FAILED: {exc}"
    return figures


def concurrent_figures(work: Path) -> dict[str, int]:
    conc = _load("test_concurrent_writers")
    directory = work / "concurrent"
    directory.mkdir()
    try:
        return conc.run_concurrently(directory / "pool", watch=os.geteuid() == 0)
    except AssertionError as exc:
        return {"FAILED": str(exc)}


def eio_figures(work: Path) -> dict[str, int] | None:
    """Imports that meet EIO mid-file (tests/test_read_errors.py's preloaded shim): each
    must exit 1 without a traceback, name the file, keep every line read before the error
    and, in a run dir, every other file. None without a C compiler."""
    eio = _load("test_read_errors")
    directory = work / "eio"
    directory.mkdir()
    shim = eio.build_shim(directory)
    if shim is None:
        return None
    figures = {"tried": 0, "passed": 0}
    failures: list[str] = []
    for name, (source, times, header, argv) in sorted(eio.TEXT_CASES.items()):
        figures["tried"] += 1
        case = directory / name
        case.mkdir()
        path = eio.repeated(source, times, case / source.name, keep_header=header)
        at = path.stat().st_size * 3 // 4
        try:
            proc = eio.import_with_eio(shim, path, at, [*argv, str(path)], case / "pool")
            eio.said(proc, path)
            eio.assert_kept_before_the_error(path, at, list(_pool_read(case / "pool")),
                                             header_lines=1 if header else 0)
            figures["passed"] += 1
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    figures["tried"] += 1          # a run dir whose parsl.log fails half-way
    runinfo = directory / "runinfo"
    shutil.copytree(eio.FIXTURES / "parsl" / "2026.10.26" / "runinfo", runinfo)
    bad = runinfo / "000" / "parsl.log"
    at = bad.stat().st_size // 2
    try:
        proc = eio.import_with_eio(shim, bad, at, ["parsl-logs", str(runinfo), "--tz", "UTC"],
                                   directory / "run-pool")
        eio.said(proc, bad)
        records = list(_pool_read(directory / "run-pool"))
        eio.assert_kept_before_the_error(bad, at, records)
        others = {str(p) for p in runinfo.rglob("*.log") if p != bad and p.stat().st_size}
        assert others <= {r["ev.origin"] for r in records}, "other files of the run dir lost"
        figures["passed"] += 1
    except AssertionError as exc:
        failures.append(f"run dir: {exc}")
    for failure in failures[:5]:
        print(f"faults: EIO FAILED {failure}", file=sys.stderr)
    return figures


def _pool_read(pool_dir: Path):
    from importers.core import pool

    return pool.read(pool_dir)


def report(sizes=None, repeat=None, workdir=None):
    """The figures, one line each (bench.py prints them); sizes and repeats do not apply."""
    kills = int(os.environ.get("EV_CRASH_KILLS", "10"))
    with tempfile.TemporaryDirectory(prefix="ev-faults-", dir=workdir) as tmp:
        work = Path(tmp)
        c = corpus_figures(work)
        share = 100.0 * c["accounted"] / c["lines"] if c["lines"] else 100.0
        yield (f"faults: bad-input corpus: {c['passed']}/{c['tried']} importer x item runs "
               f"passed; input lines accounted {c['accounted']:,}/{c['lines']:,} "
               f"({share:.1f}%)")
        e = eio_figures(work)
        yield ("faults: read error (EIO) mid-file: no C compiler to build the shim"
               if e is None else f"faults: read error (EIO) mid-file: {e['passed']}/"
               f"{e['tried']} imports kept every line read before it, named the file, exit 1")
        for setting, text in crash_figures(work, kills).items():
            yield f"faults: SIGKILL at random points, {setting}: {text}"
        f = concurrent_figures(work)
        if "FAILED" in f:
            yield f"faults: concurrent writers: FAILED: {f['FAILED']}"
        else:
            yield (f"faults: concurrent writers ({len(conc_imports())} imports"
                   f"{' + a live watcher' if os.geteuid() == 0 else ''} + a reader that read "
                   f"the pool {f['reads']} times): events lost {f['events_lost']}, pool "
                   f"files {f['files']} (expected {f['expected_files']}, byte for byte), "
                   f"reader errors {f['reader_errors']}, half files seen "
                   f"{f['reader_unparsed']}")


def conc_imports() -> list:
    return _load("test_concurrent_writers").IMPORTS


BENCHES: dict = {}
REPORTS = {"faults": report}
