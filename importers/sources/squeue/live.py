"""Taking snapshots with squeue itself (``--json``, or a wide ``-o`` where JSON is missing)."""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import orjson

from ...core.clock import Clock
from ...core.errors import CommandFailed
from ...core.report import ImportReport
from ...core.timezones import resolve_zone
from .. import _slurm as sf
from .events import snapshot_events
from .json_output import json_jobs, snapshot_time_from_json
from .keys import DELIMITER, SQUEUE_FORMAT
from .text import text_jobs


def command_json(squeue: str = "squeue") -> list[str]:
    return [squeue, "--all", "--json"]


def command_text(squeue: str = "squeue") -> list[str]:
    return [squeue, "--all", "--states=all", f"--format={SQUEUE_FORMAT}"]


def _shown(argv: list[str]) -> str:
    return "cmd:" + " ".join(
        a.replace(DELIMITER, "|") if DELIMITER in a else shlex.quote(a) for a in argv)


def _run_once(squeue: str, report: ImportReport, times: sf.Times,
              nodes: sf.NodeLists) -> tuple[float, str, list]:
    when = time.time()
    argv = command_json(squeue)
    try:
        proc = subprocess.run(argv, capture_output=True, check=False, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise CommandFailed(
            "squeue not found", squeue,
            "run where the Slurm client is installed (Debian: slurm-client), or save "
            "squeue --json there and import it with --file",
        ) from None
    if proc.returncode == 0 and proc.stdout.lstrip()[:1] == b"{":
        doc = orjson.loads(proc.stdout)
        report.assume("format", "squeue --json (ran it)")
        own = snapshot_time_from_json(doc)
        return own or when, _shown(argv), [(None, j, "") for j in json_jobs(doc, nodes)]
    # no JSON support (plugin missing, old Slurm): the wide -o format
    argv = command_text(squeue)
    when = time.time()
    proc2 = subprocess.run(argv, capture_output=True, check=False, stdin=subprocess.DEVNULL)
    if proc2.returncode != 0:
        said = (proc2.stderr or proc.stderr).decode("utf-8", "replace").strip().splitlines()
        raise CommandFailed("squeue failed", " ".join(argv[:3]),
                            said[-1] if said else f"exit status {proc2.returncode}")
    report.assume("format", "squeue -o (ran it; no --json here)")
    return when, _shown(argv), list(text_jobs(
        "squeue", proc2.stdout.decode("utf-8", "replace").split("\n"), times, nodes, report))


def run(*, count: int = 1, interval: float = 5.0, report: ImportReport | None = None,
        squeue: str = "squeue") -> Iterator[dict[str, Any]]:
    """Take ``count`` snapshots ``interval`` seconds apart with squeue itself -> events."""
    report = report if report is not None else ImportReport()
    times = sf.Times(Clock(*resolve_zone(None), report))
    nodes = sf.NodeLists()
    report.assume("snapshot time", "when squeue ran")
    last: dict = {}
    for index in range(max(1, count)):
        if index:
            time.sleep(interval)
        when, origin, jobs = _run_once(squeue, report, times, nodes)
        yield from snapshot_events([(when, origin, jobs)], report, last)
