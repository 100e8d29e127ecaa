"""squeue as a source: ``read`` (saved or live snapshots), the ``sniff`` for ``auto`` and its
declaration (CLI arguments included)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ...core.pool import PoolWriter
from ...core.report import ImportReport
from ...core.runner import run_import
from ...core.source import Source
from .._slurm import first_line_cells, slurm_json_kind
from .keys import SOURCE_NAME
from .live import command_json, run
from .snapshots import read_files


def read(sources: Iterable[str | os.PathLike] = (), *, at: Sequence[str] | str | None = None,
         tz: str | None = None, report: ImportReport | None = None, count: int = 1,
         interval: float = 5.0, squeue: str = "squeue") -> Iterator[dict[str, Any]]:
    """Saved snapshots (``sources``), or live ones when ``sources`` is empty -> events."""
    sources = list(sources)
    if sources:
        return read_files(sources, at=at, tz=tz, report=report)
    return run(count=count, interval=interval, report=report, squeue=squeue)


def sniff_file(path: Path, head: bytes) -> bool:
    """A saved snapshot: squeue text (its header starts with JOBID and names STATE) or
    ``squeue --json``."""
    cells = first_line_cells(head)
    return (cells[:1] == ["JOBID"] and "STATE" in cells) or slurm_json_kind(head) == "squeue"


def import_files(writer: PoolWriter, files: list[Path], tz: str | None,
                 report: ImportReport, jobs: int = 1) -> None:
    # one directory's snapshots in one import: state changes are seen between them
    writer.write_all(read_files(files, tz=tz, report=report))


def cli(args: argparse.Namespace) -> int:
    """Import squeue snapshots: run squeue --json itself, or read saved snapshots.

    Each snapshot gives one job_snapshot event per job; across several snapshots, a job
    whose state or pending reason changed gets a job_state_change event with both times.

    Example:
        ev-import squeue                              # one live snapshot
        ev-import squeue --count 10 --interval 30     # ten, 30 s apart
        ev-import squeue --file q1.json --file q2.json
        ev-import squeue --file q.txt --at 2026-11-25T08:54:37 --tz UTC
    """
    if args.file:
        files = list(args.file)
        return run_import(
            args, SOURCE_NAME, files, {"tz": args.tz, "at": args.at},
            lambda report: read_files(files, at=args.at, tz=args.tz, report=report),
        )
    if args.at:
        args.parser.error("--at gives the time of saved snapshots (--file)")
    return run_import(
        args, SOURCE_NAME, ["cmd:" + " ".join(command_json())],
        {"count": args.count, "interval": args.interval},
        lambda report: run(count=args.count, interval=args.interval, report=report),
    )


def arguments(q: argparse.ArgumentParser) -> None:
    q.add_argument("--file", "-f", action="append", metavar="FILE",
                   help="saved squeue --json or squeue -o/default text with header; "
                   "repeatable (snapshots are ordered by their time)")
    q.add_argument("--at", action="append", metavar="TIME",
                   help="time of a saved snapshot that has none of its own (epoch or ISO); "
                   "once for all files or once per file")
    q.add_argument("--count", type=int, default=1, metavar="N",
                   help="live: take N snapshots (default 1)")
    q.add_argument("--interval", type=float, default=5.0, metavar="S",
                   help="live: seconds between snapshots (default 5)")


SOURCE = Source(
    name=SOURCE_NAME,
    help="Slurm queue snapshots: runs squeue --json itself, or reads saved snapshots",
    arguments=arguments,
    run=cli,
    read=read,
    sniff=sniff_file,
    import_files=import_files,
    sniff_rank=40,
    unit="dir",
)
