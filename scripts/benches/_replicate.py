"""Growing a pool for a bench: copy ``copy`` of a record, an hour later per copy, with its
id keys made distinct so every copy's tasks, processes and runs stay things of their own."""

from __future__ import annotations

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
