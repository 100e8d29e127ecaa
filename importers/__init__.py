"""ev-import: turn each observability source of a scientific workflow into wide events.

The package shows its parts: ``core/`` (the record, the pool, the text-log engine, the
registry's :class:`~importers.core.source.Source`), ``sources/`` (one package per source,
each declaring itself once; :func:`importers.sources.all_sources` lists them), ``auto``
(recognise and import everything under a path), ``analysis/`` (reading a pool back) and the
CLI (``cli.py`` and ``commands/``) over them.
"""

__version__ = "0.1.0"
