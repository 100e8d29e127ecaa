"""sacct as a source: ``read`` (saved output or a live query), ``read_file``, the ``sniff``
for ``auto`` and its declaration (CLI arguments included)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ...core.errors import UnusableInput
from ...core.identity import file_units
from ...core.lineformat import read_lines
from ...core.pool import PoolWriter
from ...core.report import ImportReport
from ...core.runner import run_import, run_units
from ...core.source import Source
from .._slurm import first_line_cells, slurm_json_kind
from .events import Emitter
from .json_output import read_json
from .keys import DELIMITER, SOURCE_NAME
from .live import command, run, shown
from .text import read_text

# ---------------------------------------------------------------------------------------
# Entry points


def read_file(path: str | os.PathLike, *, tz: str | None = None,
              report: ImportReport | None = None) -> Iterator[dict[str, Any]]:
    """Saved ``sacct -P`` (with header) or ``sacct --json`` output -> events."""
    report = report if report is not None else ImportReport()
    path = str(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
            report.expect(os.fstat(fh.fileno()).st_size)
    except OSError as exc:
        raise UnusableInput("cannot read", path,
                            exc.strerror or "check that it exists and is readable") from None
    emitter = Emitter(path)
    if slurm_json_kind(head) == "squeue":   # checked before anything is written
        raise UnusableInput("this is squeue --json output, not sacct", path,
                            "import it with ev-import squeue --file")
    if head.lstrip()[:1] == b"{":
        with open(path, "rb") as fh:
            yield from read_json(path, fh, emitter.origin, report, emitter)
            report.advance(fh.tell())
        return
    if not head.strip():
        raise UnusableInput("empty file, not sacct output", path,
                            "save sacct -P output (with its header line) or sacct --json")
    delimiter = "\\x1f" if DELIMITER.encode() in head.split(b"\n", 1)[0] else "|"
    report.assume("format", f"sacct --parsable2 with header (delimiter {delimiter})")
    yield from read_text(path, read_lines(path, report), emitter.origin, tz, report, emitter)


def read(source: str | os.PathLike | None = None, *, jobs: Iterable[str] = (),
         starttime: str | None = None, endtime: str | None = None, user: str | None = None,
         allusers: bool = False, tz: str | None = None, report: ImportReport | None = None,
         sacct: str = "sacct") -> Iterator[dict[str, Any]]:
    """Saved output (``source`` a path) or a live query (``source`` None) -> events."""
    if source is not None:
        return read_file(source, tz=tz, report=report)
    return run(jobs=jobs, starttime=starttime, endtime=endtime, user=user, allusers=allusers,
               report=report, sacct=sacct)


def sniff_file(path: Path, head: bytes) -> bool:
    """Saved ``sacct -P`` (its header names JobID and State) or ``sacct --json``."""
    cells = first_line_cells(head)
    return ("JobID" in cells and ("State" in cells or "JobIDRaw" in cells)) or \
        slurm_json_kind(head) == "sacct"


def read_files(files: Iterable[str | os.PathLike], *, tz: str | None = None,
               report: ImportReport | None = None) -> Iterator[dict[str, Any]]:
    """Several saved outputs, one after the other, in one stream."""
    report = report if report is not None else ImportReport()
    for path in files:
        yield from read_file(path, tz=tz, report=report)


def import_files(writer: PoolWriter, files: list[Path], tz: str | None,
                 report: ImportReport, jobs: int = 1) -> None:
    writer.write_all(read_files(files, tz=tz, report=report))


def cli(args: argparse.Namespace) -> int:
    """Import Slurm accounting: run sacct itself, or read saved -P / --json output.

    Run live, sacct is asked for a wide field list in --parsable2 text form with
    SLURM_TIME_FORMAT=%s (epoch times, no zone guess). Saved -P text is in local time: --tz.

    Example:
        ev-import sacct --job 1234 --job 1240_3
        ev-import sacct -S 2026-11-25T08:00 -E 2026-11-25T20:00 --allusers
        ev-import sacct --file saved_sacct_P.txt --tz America/Chicago
        ev-import sacct --file sacct.json
    """
    if args.file:
        if args.job or args.starttime or args.endtime or args.user or args.allusers:
            args.parser.error("--file reads saved output; --job/-S/-E/--user/--allusers "
                              "only apply when ev-import runs sacct itself")
        files = list(args.file)
        return run_units(args, SOURCE_NAME, file_units(files),
                         lambda unit: lambda report: read_files(unit.inputs, tz=args.tz,
                                                                report=report))
    jobs = [j for spec in args.job or () for j in spec.split(",") if j.strip()]
    argv = command(jobs=jobs, starttime=args.starttime, endtime=args.endtime,
                   user=args.user, allusers=args.allusers)
    return run_import(
        args, SOURCE_NAME, [shown(argv)], {},
        lambda report: run(jobs=jobs, starttime=args.starttime, endtime=args.endtime,
                           user=args.user, allusers=args.allusers, report=report),
    )


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--job", "-j", action="append", metavar="ID",
                   help="job id as Slurm prints it (123, 123_4, 7+0); repeatable or comma-"
                   "separated (the only way to find a job that never became eligible)")
    p.add_argument("-S", "--starttime", metavar="T",
                   help="sacct --starttime (e.g. 2026-11-25T08:00)")
    p.add_argument("-E", "--endtime", metavar="T", help="sacct --endtime")
    p.add_argument("--user", "-u", metavar="USER", help="sacct --user")
    p.add_argument("--allusers", "-a", action="store_true", help="sacct --allusers")
    p.add_argument("--file", "-f", action="append", metavar="FILE",
                   help="saved sacct -P (with header) or sacct --json output; repeatable")


SOURCE = Source(
    name=SOURCE_NAME,
    help="Slurm accounting: runs sacct itself, or reads saved -P / --json output",
    arguments=arguments,
    run=cli,
    read=read,
    sniff=sniff_file,
    import_files=import_files,
    sniff_rank=30,
)
