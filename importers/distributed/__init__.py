"""Import many log files as apps on the engine the user already has (Parsl, or local processes).

A big Parsl run leaves 10^4-10^5 log files; parsing them from one process on a login node is
slow. :func:`import_paths` recognises the files as ``ev-import auto`` does, cuts each import
into batches (many small files per app, so app start-up does not dominate; a big text log into
byte ranges), runs the batches as apps, and commits each pool file atomically when all its
batches are in. The pool file is the one ``ev-import auto`` writes for the same inputs, byte
for byte. A batch that fails is reported (its files and the error), the rest is kept, and the
result says the import is partial; when every batch of an import fails, its previous pool file
is left as it was. Apps need the pool directory (a shared filesystem) and ev-import installed
where they run.

Example::

    from parsl.executors import HighThroughputExecutor
    from parsl.providers import LocalProvider
    from importers.distributed import import_paths

    htex = HighThroughputExecutor(label="ev", max_workers_per_node=2,
                                  provider=LocalProvider(init_blocks=1, max_blocks=1))
    result = import_paths(["runinfo/"], pool="evpool", executor=htex)
    print(result.summary())

``executor`` may also be a Parsl ``Config``, a running ``DataFlowKernel`` (or None with
``jobs`` for local processes), or any ``concurrent.futures`` executor.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import auto
from ..core.errors import EvImportError, UnusableInput
from ..core.identity import pool_file_name
from ..core.pool import PoolWriter, pool_dir, temp_name
from ..core.report import ImportReport
from ..core.runner import write_import
from .engines import Engine, engine_for
from .planning import DEFAULT_BATCH_BYTES, Batch, PlannedImport, plan
from .work import import_batch

__all__ = ["BatchFailure", "ImportOutcome", "DistributedResult", "import_paths", "plan",
           "engine_for", "DEFAULT_BATCH_BYTES"]


@dataclass(frozen=True)
class BatchFailure:
    """One app that did not deliver its part: what it was reading and why."""

    batch: str
    error: str


@dataclass
class ImportOutcome:
    """One pool file: what went in, and what did not."""

    source: str
    inputs: list[str]
    files: int = 0
    pool_file: Path | None = None
    events: int = 0
    unparsed: int = 0
    report: ImportReport = field(default_factory=ImportReport)
    failures: list[BatchFailure] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.failures or self.unparsed or self.report.partial)


@dataclass
class DistributedResult:
    outcomes: list[ImportOutcome]
    engine: str
    apps: int
    copied: int = 0
    unknown: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    files: int = 0

    @property
    def partial(self) -> bool:
        return any(o.partial for o in self.outcomes) or bool(self.skipped)

    @property
    def events(self) -> int:
        return sum(o.events for o in self.outcomes)

    def summary(self) -> list[str]:
        """One line per pool file (and per failed batch), as the CLI prints them."""
        lines = []
        for o in self.outcomes:
            where = o.pool_file or "nothing written (previous file kept)"
            parts = [f"{o.source}: {o.files} files, {o.events} events "
                     f"({o.unparsed} unparsed) -> {where}", *o.report.summary_parts()]
            lines.append("; ".join(parts))
            lines.extend(f"  failed app: {f.batch}: {f.error}" for f in o.failures)
        if self.copied:
            lines.append(f"pool files (Academy or other pools): {self.copied} copied unchanged")
        if self.unknown:
            lines.append(f"not recognised, not imported: {len(self.unknown)} files")
        for path, why in self.skipped:
            lines.append(f"skipped, cannot be read: {path}: {why}")
        lines.append(f"{self.files} files in {self.apps} apps on {self.engine}, "
                     f"{self.seconds:.1f} s")
        return lines


def _merge(outcome: ImportOutcome, result: dict[str, Any]) -> None:
    report = outcome.report
    for name, n in result["problems"].items():
        for detail in result["details"].get(name, [None]):
            report.problem(name, detail, count=0)
        report.problems[name] += n
    tallies = result.get("tallies") or {}
    for what, value in result["assumptions"].items():
        if what not in tallies:
            report.assume(what, value)
    report.add_tallies(tallies)    # counted assumptions add up over the apps


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}".rstrip(": ")


def _commit(pool: Path, planned: PlannedImport, parts: list[tuple[Batch, str, Future]],
            tz: str | None) -> ImportOutcome:
    """Wait for an import's apps and write its pool file from their parts, in plan order."""

    outcome = ImportOutcome(planned.source, planned.inputs, planned.files)

    def fill(writer: PoolWriter, report: ImportReport) -> None:
        for batch, out, future in parts:
            try:
                result = future.result()
            except BaseException as exc:  # noqa: B036 - an app's failure, whatever it is
                outcome.failures.append(BatchFailure(batch.describe(), _error_text(exc)))
                continue
            writer.append_file(out, result["count"], result["unparsed"])
            _merge(outcome, result)
        if len(outcome.failures) == len(parts):
            raise UnusableInput("every app of this import failed", planned.source,
                                "the previous pool file, if any, is unchanged")

    try:
        writer, _ = write_import(pool, planned.source, planned.inputs, None,
                                 unit=planned.unit or None, fill=fill)
    except EvImportError as exc:
        if not outcome.failures:
            outcome.failures.append(BatchFailure(planned.source, exc.line()))
        return outcome
    outcome.pool_file, outcome.events, outcome.unparsed = \
        writer.final, writer.count, writer.unparsed
    return outcome


def import_paths(
    paths: list[str | os.PathLike],
    *,
    pool: str | os.PathLike | None = None,
    executor: Any = None,
    jobs: int | None = None,
    tz: str | None = None,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    copy_pool_files: bool = True,
) -> DistributedResult:
    """Import every recognised file under ``paths`` into ``pool`` as apps (see the module
    docstring). Raises :class:`UnusableInput` for a missing path, before any app runs."""
    t0 = time.monotonic()
    pool = pool_dir(pool)
    planned = plan(paths, pool=pool, batch_bytes=batch_bytes)
    pool.mkdir(parents=True, exist_ok=True)
    outcomes: list[ImportOutcome] = []
    staged: list[str] = []
    engine: Engine = engine_for(executor, jobs)
    apps = 0
    try:
        with engine:
            submitted = []
            for imp in planned.imports:
                final = pool_file_name(imp.source, [imp.unit] if imp.unit else imp.inputs)
                parts = []
                for k, batch in enumerate(imp.batches):
                    # named like the pool writer's own parts: the next import on this host
                    # removes them if this process is killed before it cleans up
                    out = str(pool / temp_name(final, k))
                    writing = str(pool / temp_name(final, f"{k}w"))
                    staged += [out, writing]
                    future = engine.submit(import_batch, batch.source, list(batch.files), tz,
                                           out, batch.start, batch.end, batch.lineno, writing)
                    parts.append((batch, out, future))
                    apps += 1
                submitted.append((imp, parts))
            for imp, parts in submitted:
                outcomes.append(_commit(pool, imp, parts, tz))
    finally:
        for leftover in staged:
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
    copied = 0
    if copy_pool_files:
        for path in planned.pool_files:
            auto.copy_pool_file(path, pool)
            copied += 1
    return DistributedResult(outcomes, engine.label, apps, copied, planned.unknown,
                             planned.skipped, time.monotonic() - t0,
                             files=sum(o.files for o in outcomes))
