"""Overview: what is in the pool, with exact counts.

The total is every line of every ``*.jsonlog`` (Academy's and Parsl's own files included),
counted from the files themselves, so a line the loader could not read still shows up; the
per-source and per-level counts come from the loaded events, and a difference between the two
is shown rather than hidden. Runs are listed per layer: Parsl runs, Academy pool files, Slurm
jobs and hosts, each with its time span and a link to its events; the kinds of things the pool
holds (tasks, blocks, message tags...) link to their timelines.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from importers.core.pool import pool_files

from ._common import columns, fetch, ident, present, repr_call

NAME = "overview"
TITLE = "Overview"
PATH = "/"
TEMPLATE = "overview.html"

#: Kinds of things a pool may hold, by the keys that identify them (docs/design.md §3).
THING_KINDS: list[tuple[str, list[str]]] = [
    ("Parsl tasks", ["parsl.run_id", "parsl.task_id"]),
    ("Parsl blocks", ["parsl.run_id", "parsl.block_id"]),
    ("htex managers", ["parsl.manager_id"]),
    ("Academy agents", ["academy.agent_id"]),
    ("Academy actions", ["academy.action_tag"]),
    ("Academy messages", ["academy.message_tag"]),
    ("Slurm jobs", ["slurm.jobid"]),
    ("processes", ["linux.hostname", "linux.pid"]),
]
#: Rows shown per kind of run before "and N more".
RUNS_SHOWN = 50

_line_cache: dict[tuple[str, int, int], int] = {}


def count_lines(path: Path) -> int:
    """Lines in a file (a last line without its newline counts), cached by size and mtime."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key in _line_cache:
        return _line_cache[key]
    lines = 0
    last = b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    _line_cache[key] = lines
    return lines


@dataclass(frozen=True)
class Params:
    """The overview takes no parameters."""

    @classmethod
    def from_query(cls, query: dict[str, list[str]]) -> Params:
        return cls()


@dataclass
class Run:
    kind: str
    key: str
    value: Any
    first: float | None
    last: float | None
    events: int


@dataclass
class ThingKind:
    label: str
    keys: list[str]
    count: int


@dataclass
class Overview:
    pool: str
    total_records: int                       # every line of every *.jsonlog
    loaded_records: int                      # rows of the events view
    files: list[tuple[str, int]]             # (path relative to the pool, lines)
    by_source: list[tuple[str | None, int, int]]   # (ev.source, events, unparsed)
    by_level: list[tuple[str | None, int]]
    unparsed: int
    first: float | None
    last: float | None
    runs: dict[str, list[Run]] = field(default_factory=dict)
    runs_total: dict[str, int] = field(default_factory=dict)
    things: list[ThingKind] = field(default_factory=list)


def _runs(pool: Any, kind: str, key: str, extra_where: str = "") -> tuple[list[Run], int]:
    k = ident(key)
    where = f"{k} IS NOT NULL" + (f" AND {extra_where}" if extra_where else "")
    found = fetch(pool,
        f"SELECT {k} AS v, min(created) AS first, max(created) AS last, count(*) AS n, "
        f"count(*) OVER () AS total "
        f"FROM events WHERE {where} GROUP BY 1 ORDER BY first NULLS LAST, 1 "
        f"LIMIT {RUNS_SHOWN}")
    runs = [Run(kind, key, v, first, last, n) for v, first, last, n, _ in found]
    total = found[0][4] if found else 0
    return runs, total


def data(pool: Any, params: Params | None = None) -> Overview:
    """The overview numbers of a pool (see the module docstring for where each comes from)."""
    root = Path(getattr(pool, "path", None) or getattr(pool, "root", None) or ".")
    files = [(os.path.relpath(f, root), count_lines(f)) for f in pool_files(root)]
    cols = set(columns(pool))
    source = ident("ev.source") if "ev.source" in cols else "NULL"
    event = ident("ev.event") if "ev.event" in cols else "NULL"
    level = "levelname" if "levelname" in cols else "NULL"
    by_source = [tuple(r) for r in fetch(pool,
        f"SELECT {source} AS s, count(*), count(*) FILTER (WHERE {event} = 'unparsed') "
        f"FROM events GROUP BY 1 ORDER BY 2 DESC, 1")]
    by_level = [tuple(r) for r in fetch(pool,
        f"SELECT {level} AS l, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1")]
    loaded, first, last = fetch(pool,
        "SELECT count(*), min(created), max(created) FROM events")[0]
    out = Overview(
        pool=str(root), total_records=sum(n for _, n in files), loaded_records=loaded,
        files=files, by_source=by_source, by_level=by_level,
        unparsed=sum(u for _, _, u in by_source), first=first, last=last)
    for kind, key, extra in [
        ("Parsl runs", "parsl.run_id", ""),
        ("Academy pool files", "ev.file", "name LIKE 'academy%'"),
        ("Slurm jobs", "slurm.jobid", ""),
        ("hosts", "linux.hostname", ""),
    ]:
        if key in cols and (not extra or "name" in cols):
            out.runs[kind], out.runs_total[kind] = _runs(pool, kind, key, extra)
    for label, keys in THING_KINDS:
        if present(pool, keys):
            not_null = " AND ".join(f"{ident(k)} IS NOT NULL" for k in keys)
            n = fetch(pool, f"SELECT count(*) FROM (SELECT DISTINCT "
                            f"{', '.join(map(ident, keys))} FROM events WHERE {not_null})")[0][0]
            if n:
                out.things.append(ThingKind(label, keys, n))
    return out


def figure(data: Overview) -> None:
    """The overview is numbers only (no chart, so it loads without Plotly)."""
    return None


def notebook_call(params: Params) -> str:
    return repr_call("overview", "data")
