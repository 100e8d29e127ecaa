"""What a source declares about itself, once: the registry's only entry per source.

A source package under ``importers/sources/`` exposes one :class:`Source` named ``SOURCE``
(or several in ``SOURCES``). Everything that used to keep its own list of importers reads
this declaration instead: the CLI builds the subcommand from ``arguments`` and ``run``,
``auto`` asks ``sniff`` and imports with ``import_files``, the docs test reads ``help`` and
``run.__doc__``. Adding a source is adding a package; no shared file changes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pool import PoolWriter
from .report import ImportReport

Records = Iterator[dict[str, Any]]


@dataclass(frozen=True)
class Source:
    """One importer, as the CLI, ``auto`` and tests see it.

    ``name`` is both the subcommand and the ``ev.source`` of its records. ``read`` is the
    library generator a notebook calls (``read(inputs, **options)``); ``write_to`` is the
    optional multi-process variant (same output, byte for byte). ``run(args)`` is the thin
    CLI over them: its docstring is the subcommand's description (with an ``Example:``).
    ``sniff(path, head)`` says whether a file starting with ``head`` is this source's input
    (for ``auto``); ``import_files(writer, files, tz, report, jobs)`` imports the files
    ``auto`` recognised, in one pool file, or one per file when ``per_file``.
    ``sniff_rank`` orders the sniffs (lower first) where two formats could look alike.
    ``unit`` says how ``auto`` groups a source's files into pool files
    (:mod:`importers.core.identity`): ``file`` one per file, ``run`` one per container
    (``container_of``, e.g. a Parsl run dir) the walk covers whole, ``dir`` one for the
    files of each directory together (squeue snapshots, whose state changes lie between the
    files one loop saved into one directory), ``all`` one for all of them together.
    """

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    read: Callable[..., Records]
    write_to: Callable[..., None] | None = None
    sniff: Callable[[Path, bytes], bool] | None = None
    import_files: Callable[[PoolWriter, list[Path], str | None, ImportReport, int], None] \
        | None = None
    per_file: bool = False
    sniff_rank: int = 50
    unit: str = "file"
    container_of: Callable[[Path], Path | None] | None = None

    @property
    def description(self) -> str:
        import inspect

        return inspect.cleandoc(self.run.__doc__ or "")


def add_jobs_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``-j/--jobs N``, the same for every source that can use several cores."""
    import os

    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help=help_text)


def first_json_object(head: bytes) -> dict[str, Any]:
    """The first line of ``head`` as a JSON object, or ``{}`` (for sniffs)."""
    import orjson

    line = head.split(b"\n", 1)[0]
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return {}
    return obj if isinstance(obj, dict) else {}
