"""The contract every importer's records must meet (DESIGN §2), checked in one place.

Each importer's tests call :func:`assert_conforms` on everything it yields from a real
fixture, the way Vector's ``assert_source_compliance`` checks every source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import orjson

from importers.core.record import UNKNOWN_VALUES

ENVELOPE_TYPES = {
    "formatted": str,
    "name": str,
    "levelname": str,
    "levelno": int,
    "ev.source": str,
    "ev.origin": str,
    "ev.event": str,
}
NAMESPACED = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_.]+$")
SNAKE_EVENT = re.compile(r"^[a-z][a-z0-9_]*$")
STRING_IDS = ("parsl.block_id", "parsl.job_id", "parsl.manager_id", "parsl.run_id",
              "slurm.jobid", "slurm.step")
INT_IDS = ("parsl.task_id", "parsl.try_id", "linux.pid", "linux.ppid", "ev.lineno")


def assert_conforms(records: Iterable[dict], source: str) -> int:
    """Assert the DESIGN's envelope, key and type rules on every record; return the count."""
    count = 0
    for rec in records:
        count += 1
        for key, kind in ENVELOPE_TYPES.items():
            assert isinstance(rec.get(key), kind), (key, rec)
        assert rec["ev.source"] == source
        assert SNAKE_EVENT.match(rec["ev.event"]), rec["ev.event"]
        if "created" in rec:
            assert isinstance(rec["created"], float), rec
        if rec["ev.event"] == "unparsed":
            assert isinstance(rec.get("ev.raw"), str), rec
        for key, value in rec.items():
            if key in ENVELOPE_TYPES or key == "created":
                continue
            assert NAMESPACED.match(key), f"key {key!r} is not namespaced snake_case"
            assert value is not None, f"{key} is null: unknown values must be omitted"
            assert not (isinstance(value, str) and value in UNKNOWN_VALUES), (key, value)
            if key.endswith("_time"):
                assert isinstance(value, float), (key, value)
        for key in STRING_IDS:
            if key in rec:
                assert isinstance(rec[key], str), (key, rec[key])
        for key in INT_IDS:
            if key in rec:
                assert isinstance(rec[key], int) and not isinstance(rec[key], bool), (key, rec)
        orjson.dumps(rec)  # every record is writable as it is
    return count
