"""Both cores on one big text log: split it at record boundaries, parse the parts at once.

A Python line parser is CPU-bound, and HPC log files reach gigabytes. Each part is a byte
range that starts at the first line of a record (so no record is cut in two), parsed by a
worker process into its own temporary file in the pool directory; the parent appends the
parts to the pool writer in order, so the output is the same as a sequential run's. Each
worker's named problems and assumptions are merged back into the caller's report.

Workers die with their parent: each asks the kernel for SIGKILL when its parent dies
(``prctl(PR_SET_PDEATHSIG)``), so a killed import leaves no process behind, and its part
files are locked and named like the writer's temporary file, so the next import into the
pool removes them (:func:`importers.core.pool.clean_stale_temps`).
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson

from .pool import FULL_ERRNOS, PoolWriter, _fallback, lock_temp
from .report import ImportReport

# Smaller files are not worth a process. $EV_SPLIT_MIN_BYTES lowers it, for tests and
# benches that need the parallel path on small real inputs (read once, at import).
SPLIT_MIN_BYTES = int(os.environ.get("EV_SPLIT_MIN_BYTES") or 32 << 20)


@dataclass(frozen=True)
class Part:
    """A range of one input: bytes ``start``..``end`` of the file ``path`` (whose first
    line is line number ``lineno``), or rowids ``start``..``end`` of the table ``path``."""

    path: str
    start: int
    end: int
    lineno: int


# ``Part.lineno`` of a part whose first line's number is not counted yet (see numbered()).
UNCOUNTED = 0


def split_points(path: Path, parts: int, is_record_start: Callable[[bytes], bool],
                 *, count_lines: bool = True) -> list[Part]:
    """Cut ``path`` into about ``parts`` ranges, each starting at a record's first line.

    ``count_lines=False`` leaves the first line numbers of all parts but the first
    :data:`UNCOUNTED` (for ``write_parts(..., count_lines=True)``, which counts them while
    the workers run)."""
    size = path.stat().st_size
    cuts = [0]
    with open(path, "rb") as fh:
        for k in range(1, parts):
            fh.seek(max(size * k // parts, cuts[-1] + 1))
            fh.readline()  # to the next line start
            while True:
                at = fh.tell()
                line = fh.readline()
                if not line:
                    at = size
                    break
                if is_record_start(line):
                    break
            if cuts[-1] < at < size:
                cuts.append(at)
    cuts.append(size)
    result = [Part(str(path), start, end, 1 if start == 0 else UNCOUNTED)
              for start, end in zip(cuts, cuts[1:], strict=False)]
    return list(numbered(result)) if count_lines else result


def numbered(parts: list[Part]) -> Iterator[Part]:
    """The parts of one file, in order, each with the number of its first line, counted
    only when it is asked for: :func:`write_parts` hands part ``k`` to a worker before it
    counts the lines of part ``k`` (for part ``k + 1``), so counting overlaps parsing
    instead of reading the whole file before any worker starts."""
    if not parts:
        return
    lineno = parts[0].lineno if parts[0].lineno != UNCOUNTED else 1
    with open(parts[0].path, "rb") as fh:
        previous: Part | None = None
        for part in parts:
            if previous is not None:
                fh.seek(previous.start)
                remaining = part.start - previous.start
                while remaining:
                    chunk = fh.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    lineno += chunk.count(b"\n")
                    remaining -= len(chunk)
            yield Part(part.path, part.start, part.end, lineno)
            previous = part


PR_SET_PDEATHSIG = 1

# Set in the parent before the workers fork, when someone watches the import's progress:
# the workers add the bytes (rows) they read to it and the parent draws the total.
_SHARED: Any = None


class _SharedProgress:
    """A worker's ``report.progress``: adds what it read to the parent's shared counter."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def expect(self, total: int, unit: str = "B") -> None:
        pass  # the parent knows the whole input's size

    def advance(self, n: int) -> None:
        with self.value.get_lock():
            self.value.value += n


def die_with_parent(parent: int | None = None) -> None:
    """In a worker: be SIGKILLed when the parent process dies (Linux ``prctl``).

    Called as the pool's initializer. If the parent already died between the fork and this
    call (so the kernel would never send the signal), exit at once.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: workers end when the pool's queue closes
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def _run_part(
    records_of: Callable[[Part, ImportReport], Iterator[dict[str, Any]]], part: Part,
    out: str,
) -> tuple[int, int, dict[str, int], dict[str, list[str]], dict[str, str]]:
    """In a worker: parse one part into ``out``; return counts and the report's contents."""
    report = ImportReport()
    if _SHARED is not None:
        report.progress = _SharedProgress(_SHARED)
    count = unparsed = 0
    with open(out, "wb", buffering=1 << 20) as fh:
        lock_temp(fh.fileno())
        write, dumps = fh.write, orjson.dumps
        opt = orjson.OPT_APPEND_NEWLINE
        for rec in records_of(part, report):
            write(dumps(rec, default=_fallback, option=opt))
            count += 1
            if rec.get("ev.event") == "unparsed":
                unparsed += 1
    return (count, unparsed, dict(report.problems), report.details, report.assumptions,
            report.read, report.tallies)


def _merge(result: tuple, out: str, writer: PoolWriter, report: ImportReport) -> None:
    count, unparsed, problems, details, assumptions, read, tallies = result
    writer.append_file(out, count, unparsed)
    report.read += read
    for name, n in problems.items():
        for detail in details.get(name, [None]):
            report.problem(name, detail, count=0)
        report.problems[name] += n
    for what, value in assumptions.items():
        if what not in tallies:
            report.assume(what, value)
    report.add_tallies(tallies)   # counted assumptions (a repeated hour's times) add up


def write_parts(
    parts: list[Part],
    records_of: Callable[[Part, ImportReport], Iterator[dict[str, Any]]],
    writer: PoolWriter,
    report: ImportReport,
    jobs: int,
    *,
    count_lines: bool = False,
) -> None:
    """Parse ``parts`` with ``jobs`` processes and append their output to ``writer``.

    ``count_lines``: the parts are consecutive byte ranges of one file from
    ``split_points(..., count_lines=False)``; each part's first line number is counted just
    before the part is handed out (:func:`numbered`), while earlier parts are parsed.
    """
    global _SHARED
    outs = [str(writer.part_path(i)) for i in range(len(parts))]
    pending = numbered(parts) if count_lines else iter(parts)
    handed: list[Part] = []
    done = 0
    display = report.progress
    if display is not None:
        _SHARED = display.shared = get_context("fork").Value("q", 0)
    try:
        try:
            # fork: the workers inherit the loaded modules (no re-import of __main__, which
            # may be a notebook or stdin); the CLI has no other threads at this point.
            with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork"),
                                     initializer=die_with_parent,
                                     initargs=(os.getpid(),)) as ex:
                futures = []
                for part, out in zip(pending, outs, strict=False):
                    handed.append(part)
                    futures.append(ex.submit(_run_part, records_of, part, out))
                for future, out in zip(futures, outs, strict=True):
                    while display is not None and not future.done():
                        wait([future], timeout=0.25, return_when=FIRST_COMPLETED)
                        display.refresh()
                    _merge(future.result(), out, writer, report)
                    done += 1
        except (BrokenProcessPool, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
                raise  # a full pool is not a worker problem: the writer says it in one line
            # No worker processes here (a sandbox, a memory limit): finish in this process.
            report.assume("parallel", "worker processes failed; finished in one process")
        handed.extend(pending)
        for part, out in list(zip(handed, outs, strict=True))[done:]:
            _merge(_run_part(records_of, part, out), out, writer, report)
    finally:
        if display is not None:
            display.done += display.shared.value  # what the workers read, now counted
            display.shared = _SHARED = None
        for out in outs:
            try:
                os.unlink(out)
            except FileNotFoundError:
                pass
