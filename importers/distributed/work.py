"""What one app does, wherever it runs: read a batch, write its records to a part file.

This function is what a Parsl worker (or a local process) executes, so it takes and returns
only plain values (pickled across), and writes nothing the pool's readers can see: the part
is a hidden ``.tmp`` file in the pool directory, written under a second temporary name and
renamed when complete, so a part that exists is whole. The parent concatenates the parts in
plan order when all are in. A batch of whole files is imported exactly as ``auto`` imports
them (the source's ``import_files``, one process); a byte range of a big Parsl log with the
same per-part reader that ``-j`` uses.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import orjson


class PartWriter:
    """The part of :class:`~importers.core.pool.PoolWriter` that sources' ``import_files``
    use (``write``, ``write_all``, ``append_file``, ``pool``, ``final``), into one plain file."""

    def __init__(self, path: str) -> None:
        from ..core.pool import _fallback

        self.final = Path(path)
        self.pool = self.final.parent
        self.count = 0
        self.unparsed = 0
        self._fh = open(path, "wb", buffering=1 << 20)  # noqa: SIM115 - closed by close()
        self._default = _fallback

    def write(self, rec: dict[str, Any]) -> None:
        self.write_all((rec,))

    def write_all(self, records) -> None:
        write, dumps = self._fh.write, orjson.dumps
        opt, default = orjson.OPT_APPEND_NEWLINE, self._default
        for rec in records:
            write(dumps(rec, default=default, option=opt))
            self.count += 1
            if rec.get("ev.event") == "unparsed":
                self.unparsed += 1

    def append_file(self, path: str | os.PathLike, count: int, unparsed: int) -> None:
        self._fh.flush()
        with open(path, "rb") as part:
            while chunk := part.read(1 << 20):
                self._fh.write(chunk)
        self.count += count
        self.unparsed += unparsed

    def close(self) -> None:
        self._fh.close()


def import_batch(source: str, files: list[str], tz: str | None, out: str,
                 start: int | None = None, end: int | None = None,
                 lineno: int = 1, writing: str | None = None) -> dict[str, Any]:
    """Import ``files`` (or bytes ``start``..``end`` of one file) as the ``auto`` source
    ``source`` into ``out`` (written as ``writing``, then renamed); return counts and the
    report's contents."""
    from .. import auto
    from ..core.parallel import Part
    from ..core.report import ImportReport
    from ..sources.parsl_logs.paths import plan_files
    from ..sources.parsl_logs.source import records_of

    report = ImportReport()
    writing = writing or f"{out}.w"
    writer = PartWriter(writing)
    try:
        try:
            if start is not None:
                zones: set[str] = set()
                job = plan_files(files, tz, report)[0]
                writer.write_all(records_of(job, report, Part(files[0], start, end, lineno),
                                            zones))
                if zones:
                    report.assume("zone of ms-format logs", "; ".join(sorted(zones)))
            else:
                found = next(s for s in auto.recognisers() if s.name == source)
                paths = [Path(f) for f in files]
                if found.import_files is not None:
                    found.import_files(writer, paths, tz, report, 1)
                else:
                    writer.write_all(found.read(paths, tz=tz, report=report))
        finally:
            writer.close()
        os.replace(writing, out)
    except BaseException:
        try:
            os.unlink(writing)
        except OSError:
            pass
        raise
    return {
        "count": writer.count, "unparsed": writer.unparsed, "problems": dict(report.problems),
        "details": report.details, "assumptions": report.assumptions,
        "tallies": report.tallies,
        "host": socket.gethostname(), "pid": os.getpid(),
    }
