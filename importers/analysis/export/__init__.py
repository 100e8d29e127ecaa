"""Exports of a pool to other systems' formats, one module per format.

A format is a module in this package that defines ``FORMAT``, an :class:`ExportFormat`
(or ``FORMATS``, a tuple of them):
its name (``--to NAME``), the file suffixes that select it (``--to FILE.csv``), a help line,
and ``write(query, target, fields) -> int`` (how many events it wrote). The registry is
discovered, not listed: adding ``perfetto.py`` with a ``FORMAT`` makes
``ev-import export --to trace.perfetto-trace`` work without touching any other file.

Example::

    from importers import analysis as ev
    from importers.analysis import export
    pool = ev.open_pool("evpool")
    export.export(pool.events(where={"ev.source": "sacct"}), "jobs.csv")
    export.formats()["parquet"].write(pool.events(), "pool.parquet", None)
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import tempfile
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core.errors import EvImportError


class ExportError(EvImportError):
    """An export that cannot be written (unknown format, unwritable target)."""


@dataclass(frozen=True)
class ExportFormat:
    """One export format. ``write(query, target, fields)``: ``query`` an
    :class:`importers.analysis.Query`, ``target`` a path (or a URL/name, as the format
    documents), ``fields`` the keys to keep or None for all that the events carry."""

    name: str
    suffixes: tuple[str, ...]
    help: str
    write: Callable[[Any, str, Sequence[str] | None], int]


def formats() -> dict[str, ExportFormat]:
    """Every format module of this package that defines ``FORMAT``, by name."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{__name__}.{info.name}")
        except ImportError:
            continue  # a format whose optional dependency is missing is not offered
        declared = getattr(module, "FORMATS", ()) + (getattr(module, "FORMAT", None),)
        for fmt in declared:
            if isinstance(fmt, ExportFormat):
                found[fmt.name] = fmt
    return found


def format_for(target: str, name: str | None = None) -> ExportFormat:
    """The format named ``name``, else the one whose suffix ``target`` ends with, else the
    one named ``target`` itself (``--to otlp``)."""
    known = formats()
    if name:
        if name not in known:
            raise ExportError(f"unknown export format {name!r}", "",
                              f"known: {', '.join(sorted(known))}")
        return known[name]
    lower = str(target).lower()
    for fmt in known.values():
        if any(lower.endswith(s) for s in fmt.suffixes):
            return fmt
    if lower in known:
        return known[lower]
    suffixes = ", ".join(s for f in known.values() for s in f.suffixes)
    raise ExportError("cannot tell the export format from the target", str(target),
                      f"end it in one of {suffixes}, or give --format NAME")


def export(query, target: str, fields: Sequence[str] | None = None,
           format: str | None = None) -> int:
    """Write ``query``'s events to ``target`` in the format its suffix (or ``format``) names."""
    return format_for(target, format).write(query, str(target), fields)


@contextmanager
def atomic_path(target: str):
    """A temporary path beside ``target``, renamed onto it only if the block succeeds, so
    a failed export never leaves half a file where a good one was."""
    final = Path(target)
    if final.is_dir():
        raise ExportError("the export target is a directory", str(final), "name a file")
    parent = final.parent if str(final.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise ExportError("cannot write the export", str(final),
                          exc.strerror or str(exc)) from None
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def filled_columns(query, fields: Sequence[str] | None) -> list[str]:
    """``fields`` if given (unknown keys are an error), else every column some selected
    event fills, in the view's order (``created`` first)."""
    from ..load import quote_ident

    columns = query.pool.columns()
    if fields:
        unknown = [f for f in fields if f not in columns]
        if unknown:
            raise ExportError(f"no record has the key(s) {', '.join(unknown)}", "",
                              "ev-import sql POOL --schema lists the keys")
        return list(fields)
    counts = query.pool.con.execute(query.sql(
        ", ".join(f"count({quote_ident(c)})" for c in columns), ordered=False)).fetchall()[0]
    keep = [c for c, n in zip(columns, counts, strict=True) if n]
    first = [c for c in ("created",) if c in keep]
    return first + [c for c in keep if c not in first]
