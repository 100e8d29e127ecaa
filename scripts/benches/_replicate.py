"""Growing a pool for a bench: copy ``copy`` of a record, an hour later per copy, with its
id keys made distinct so every copy's tasks, processes and runs stay things of their own."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

HOUR = 3600.0
ID_STRIDE = 10_000_000


def shifted(rec: dict, copy: int, id_keys: set[str], *, digits_stay_numbers: bool = False) -> dict:
    """``rec`` moved ``copy`` hours on (``created`` and ``*_time``), its ``id_keys`` made
    distinct: numbers by ``copy * ID_STRIDE``, text by a ``.copy`` suffix, or, with
    ``digits_stay_numbers``, digit strings as numbers (Academy writes pids as strings)."""
    shift = copy * HOUR
    for key, value in rec.items():
        if key == "created" or key.endswith("_time"):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                rec[key] = value + shift
            elif isinstance(value, str):
                try:
                    rec[key] = str(float(value) + shift)
                except ValueError:
                    pass
        elif key in id_keys:
            if isinstance(value, int) and not isinstance(value, bool):
                rec[key] = value + copy * ID_STRIDE
            elif isinstance(value, str):
                rec[key] = (str(int(value) + copy * ID_STRIDE)
                            if digits_stay_numbers and value.isdigit() else f"{value}.{copy}")
    return rec


def grow_pool(base: Path, pool: Path, events: int, line_of: Callable[[bytes, int], bytes],
              *, copy_dirs: bool) -> Path:
    """``pool``: the ``*.jsonlog`` files of ``base`` written again and again, ``line_of(line,
    copy)`` for each line of copy ``copy`` (0 = as it is), until ``events`` lines; each copy
    in a directory of its own (``copy_dirs``) or appended to the same files (one big file per
    source, as a big import writes). Built beside ``pool`` and renamed into place."""
    files = sorted(base.rglob("*.jsonlog"))
    tmp = pool.with_name(f".{pool.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    written = copy = 0
    while written < events:
        for path in files:
            if written >= events:
                break
            part = Path(f"copy-{copy:05d}") if copy_dirs else Path()
            out = tmp / part / path.relative_to(base)
            out.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "rb") as src, open(out, "ab") as dst:
                for line in src:
                    if written >= events:
                        break
                    dst.write(line_of(line, copy))
                    written += 1
        copy += 1
    tmp.rename(pool)
    return pool
