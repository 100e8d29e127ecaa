"""What one app does, wherever it runs: read a batch, write its records to a part file.

This function is what a Parsl worker (or a local process) executes, so it takes and returns
only plain values (pickled across), imports what it needs itself, and writes nothing the
pool's readers can see: the part is a hidden ``.tmp`` file next to the pool file it belongs
to, written under a second temporary name and renamed when complete, so a part that exists
is whole. The parent concatenates the parts in plan order when all are in.
"""

from __future__ import annotations

import os
import socket
from typing import Any


def import_batch(source: str, files: list[str], tz: str | None, out: str,
                 start: int | None = None, end: int | None = None,
                 lineno: int = 1) -> dict[str, Any]:
    """Import ``files`` (or bytes ``start``..``end`` of one file) with the ``auto`` reader of
    ``source`` into ``out``; return counts and the report's contents."""
    import orjson

    from ..core.parallel import Part
    from ..core.pool import _fallback
    from ..core.report import ImportReport
    from ..sources import auto, parsl_logs

    report = ImportReport()
    if start is not None:
        zones: set[str] = set()
        job = parsl_logs.plan_files(files, tz, report)[0]
        records = parsl_logs.records_of(job, report, Part(files[0], start, end, lineno), zones)
    else:
        zones = set()
        reader = next(s for s in auto.SOURCES if s.name == source).read
        from pathlib import Path
        records = reader([Path(f) for f in files], tz, report)
    count = unparsed = 0
    writing = f"{out}.w"
    dumps, opt = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    try:
        with open(writing, "wb", buffering=1 << 20) as fh:
            write = fh.write
            for rec in records:
                write(dumps(rec, default=_fallback, option=opt))
                count += 1
                if rec.get("ev.event") == "unparsed":
                    unparsed += 1
        os.replace(writing, out)
    except BaseException:
        try:
            os.unlink(writing)
        except OSError:
            pass
        raise
    if zones:
        report.assume("zone of ms-format logs", "; ".join(sorted(zones)))
    return {
        "count": count, "unparsed": unparsed, "problems": dict(report.problems),
        "details": report.details, "assumptions": report.assumptions,
        "host": socket.gethostname(), "pid": os.getpid(),
    }
