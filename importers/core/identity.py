"""Which pool file an import writes: the identity of its *input*, never of the command.

A pool is shared by commands (``parsl-logs runinfo/`` today, ``auto runinfo/`` tomorrow), by
re-imports with corrected options (``--tz``) and by nodes writing into one directory on a
shared filesystem. Each of them must find and replace *its* file, or events appear twice or
vanish. So a pool file is named after what it holds (DESIGN §1, "Pool file names"):

    <source>-<host>-<hash of host and the unit's real path>.jsonlog

* The **unit** is one input file, or one Parsl run dir when the inputs cover the whole run
  dir (a run's logs belong together), or the command line of a live source (``cmd:sacct
  ...``). Its key is the *real* path (symlinks and ``..`` resolved, never raising on a loop),
  so ``A`` and ``A/sub/../`` and a symlink to ``A`` are the same input.
* The **host** is this node's name (``$EV_HOST`` overrides it), so two nodes importing the
  same path into a shared pool keep two files instead of replacing each other's.
* Options (``--tz``, ``--year``, ``--start``) are *not* part of it: a re-import with a
  corrected option replaces the wrong file.

Nothing of the name comes from the input's *content*: the source name is ours, the host is
sanitised, and the rest is a hash.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

HOST_ENV = "EV_HOST"
COMMAND_PREFIX = "cmd:"          # a live source's unit: the command it runs
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def host_name() -> str:
    """This node's name as it appears in pool file names: ``$EV_HOST``, else the hostname,
    reduced to ``[A-Za-z0-9._-]`` so no host name can make a path."""
    name = os.environ.get(HOST_ENV) or socket.gethostname() or "localhost"
    return _UNSAFE.sub("_", name).strip("._") or "localhost"


def real_path(path: str | os.PathLike) -> str:
    """The absolute real path, like ``Path.resolve()`` but never raising: a symlink loop
    resolves as far as it can (``os.path.realpath`` non-strict), which is still one stable
    key per place."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if text.startswith(COMMAND_PREFIX):
        return text
    return os.path.realpath(text)


def unit_key(unit: str | os.PathLike) -> str:
    """The key of one unit: a command line as is, a path by its real path."""
    return real_path(unit)


def input_id(units: Iterable[str | os.PathLike], host: str | None = None) -> str:
    """``<host>-<12 hex digits>``: the id of a pool file, from its host and unit key(s).

    Normally one unit; a source whose records need several files together (squeue's
    snapshots, which give state changes between them) passes them all, order ignored.
    """
    host = host or host_name()
    keys = sorted({unit_key(u) for u in units})
    blob = "\0".join([host, *keys]).encode("utf-8", "surrogateescape")
    return f"{host}-{hashlib.sha256(blob).hexdigest()[:12]}"


def pool_file_name(source: str, units: Iterable[str | os.PathLike],
                   host: str | None = None, suffix: str = ".jsonlog") -> str:
    """The name (not the path) of the pool file of ``units`` imported by ``source``."""
    return f"{source}-{input_id(units, host)}{suffix}"


@dataclass
class Unit:
    """One pool file's worth of input: its key, and what to hand the importer for it."""

    key: str
    inputs: list[str] = field(default_factory=list)


def file_units(paths: Iterable[str | os.PathLike]) -> list[Unit]:
    """One unit per distinct input file (by real path), in the order first given.

    ``ev-import redis-log a.log ./a.log`` imports ``a.log`` once. A path that does not exist
    is still a unit (its import then fails alone: see :func:`importers.cli.run_units`).
    """
    units: dict[str, Unit] = {}
    for p in paths:
        key = unit_key(p)
        if key not in units:
            units[key] = Unit(key, [os.fspath(p)])
    return list(units.values())


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def container_units(files: Iterable[str | os.PathLike], roots: Iterable[str | os.PathLike],
                    container_of: Callable[[Path], Path | None]) -> list[Unit]:
    """Group ``files`` into units: a file whose container (a Parsl run dir) lies within one
    of ``roots`` (the directories the user named) belongs to the container's unit, whose
    input is the container itself; any other file is a unit of its own.

    So ``parsl-logs runinfo/``, ``auto runinfo/`` and ``auto runinfo/ runinfo/000`` all give
    one unit per run dir, and ``parsl-logs runinfo/000/parsl.log`` one for that file alone.
    """
    real_roots = [real_path(r) for r in roots]
    units: dict[str, Unit] = {}
    for f in files:
        key = unit_key(f)
        # where the file *is* (its directory resolved, not a link's target): a link inside
        # a run dir belongs to that run, dangling or not
        placed = Path(real_path(os.path.dirname(os.path.abspath(f)) or ".")) / Path(f).name
        container = container_of(placed)
        if container is not None:
            ckey = str(container)
            if any(_within(ckey, root) for root in real_roots):
                units.setdefault(ckey, Unit(ckey, [ckey]))
                continue
        units.setdefault(key, Unit(key, [os.fspath(f)]))
    return list(units.values())
