"""Printing analysis results on a terminal: safe text, local times, aligned tables, CSV, JSON.

Pool content is untrusted (DESIGN, "Bad input and safety"): a log line may hold terminal
escape sequences, bidi overrides or a carriage return that hides what came before it. Every
string printed for humans goes through :func:`escape`, which shows such characters as
``\\x1b``-style escapes instead of replaying them onto the terminal.
"""

from __future__ import annotations

import csv
import math
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, TextIO

import orjson

# C0 and C1 controls, DEL, zero-width and bidi controls, BOM: all invisible or active.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _escape_char(m: re.Match[str]) -> str:
    c = m.group()
    if c == "\t":
        return "\\t"
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: Any) -> str:
    """``text`` with control, bidi and zero-width characters shown as escapes."""
    s = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_escape_char, s)


def zone(tz: str | None):
    """The zone times are shown in: ``--tz`` if given, else this machine's."""
    if tz:
        from zoneinfo import ZoneInfo

        return ZoneInfo(tz)
    return datetime.now(timezone.utc).astimezone().tzinfo


def format_time(epoch: Any, tzinfo) -> str:
    """``2026-11-25 08:45:43.860`` in ``tzinfo``; blank when unknown."""
    if epoch is None or (isinstance(epoch, float) and not math.isfinite(epoch)):
        return " " * 23
    try:
        return datetime.fromtimestamp(float(epoch), tzinfo).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    except (OverflowError, OSError, ValueError):
        return f"{epoch!r:>23}"


def cell(value: Any) -> str:
    """One table cell: NULL/NaN blank, floats as is, everything escaped."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return escape(value)


def print_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO | None = None,
                sample: int = 1000, max_width: int = 60) -> int:
    """Aligned columns; widths from the first ``sample`` rows, so long results stream."""
    out = out or sys.stdout
    it = iter(rows)
    head = []
    for row in it:
        head.append([cell(v) for v in row])
        if len(head) >= sample:
            break
    widths = [min(max_width, max([len(c)] + [len(r[i]) for r in head]))
              for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        parts = []
        for w, c in zip(widths, cells, strict=False):
            c = c if len(c) <= max_width else c[: max_width - 1] + "…"
            parts.append(c.ljust(w))
        return "  ".join(parts).rstrip()

    out.write(line([escape(c) for c in columns]) + "\n")
    out.write(line(["-" * w for w in widths]) + "\n")
    n = 0
    for r in head:
        out.write(line(r) + "\n")
        n += 1
    for row in it:
        out.write(line([cell(v) for v in row]) + "\n")
        n += 1
    return n


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def json_line(obj: Any) -> bytes:
    return orjson.dumps(obj, default=_default,
                        option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY)


def write_json_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]], out=None) -> int:
    """JSON lines, one object per row; NULLs left out, as in the pool."""
    out = out or sys.stdout.buffer
    n = 0
    for row in rows:
        obj = {c: v for c, v in zip(columns, row, strict=False) if v is not None
               and not (isinstance(v, float) and math.isnan(v))}
        out.write(json_line(obj))
        n += 1
    return n


def write_csv_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]],
                   out: TextIO | None = None) -> int:
    writer = csv.writer(out or sys.stdout)
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        n += 1
    return n


def fetch_batches(cursor, size: int = 4096) -> Iterable[tuple]:
    """Rows of an executed DuckDB cursor, a batch at a time (memory stays flat)."""
    while True:
        rows = cursor.fetchmany(size)
        if not rows:
            return
        yield from rows
