"""The sources: one package per input kind, each declaring itself once as a ``Source``.

The registry is this package's listing: :func:`all_sources` imports every package here
(names starting with ``_`` hold helpers shared by several sources and are skipped) and
collects its ``SOURCE`` (or ``SOURCES``). Nothing else lists the importers.

Example::

    from importers import sources
    [s.name for s in sources.all_sources()]   # ['parsl-db', 'parsl-logs', ...]
    sources.get("redis-log").read(["redis.log"], tz="UTC")
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from ..core.source import Source


@cache
def all_sources() -> tuple[Source, ...]:
    """Every declared source, in name order."""
    found: list[Source] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        declared = getattr(module, "SOURCES", None) or (getattr(module, "SOURCE", None),)
        found.extend(s for s in declared if isinstance(s, Source))
    return tuple(sorted(found, key=lambda s: s.name))


def get(name: str) -> Source:
    """The source named ``name`` (as in ``ev.source`` and the CLI); KeyError if none."""
    for source in all_sources():
        if source.name == name:
            return source
    raise KeyError(name)
