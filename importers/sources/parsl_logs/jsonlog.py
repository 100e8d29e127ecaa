"""The reader of Parsl's ``JSONLogging`` output (``*.jsonlog``, 2026.05+): one object a line.

Parsl's own keys are mapped to the pool's (``parsl.dfk`` -> ``parsl.run_id``, ``process`` ->
``linux.pid``...: :data:`~.keys.PARSL_JSON_KEYS`); its other keys are kept as Parsl wrote
them, and the other LogRecord attributes as ``parsl.log_<name>``. See the key table in
docs/design.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ...core.clock import Clock
from ...core.lineformat import read_lines
from ...core.record import (
    CREATED,
    EVENT,
    FORMATTED,
    LEVELNAME,
    LEVELNO,
    LEVELS,
    LINENO,
    LINUX_PID,
    NAME,
    ORIGIN,
    SOURCE,
    unparsed,
)
from ...core.report import BAD_TIMESTAMP, UNPARSED_LINE, ImportReport
from .families import message_keys
from .keys import (
    EXC_TEXT,
    FORMAT,
    INVALID_UTF8_KEY,
    LINE_COUNT,
    LOCAL_TIME,
    MESSAGE,
    PARSL_JSON_KEYS,
    SOURCE_NAME,
)

# The stdlib LogRecord attributes Parsl's JSONLogging writes, and Parsl's own keys -> ours.
_JSON_RENAMES = {
    **PARSL_JSON_KEYS,
    "process": (LINUX_PID, int),
    "processName": ("parsl.process_name", str),
    "threadName": ("parsl.thread_name", str),
    "thread": ("parsl.thread_id", int),
    "lineno": ("parsl.logger_lineno", int),
    "funcname": ("parsl.func_name", str),
    "funcName": ("parsl.func_name", str),
}


_JSON_ENVELOPE = frozenset({"created", "formatted", "name", "levelname", "levelno"})


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def json_records(
    path: Path, origin: str, base: dict[str, Any], report: ImportReport,
    times: Clock,
) -> Iterator[dict[str, Any]]:
    """One Parsl ``*.jsonlog``: each object mapped to our keys, its own keys kept."""
    last_created: float | None = None
    for lineno, text, invalid in read_lines(path, report):
        try:
            obj = orjson.loads(text) if text.strip() else None
        except orjson.JSONDecodeError:
            obj = None
        if not isinstance(obj, dict):
            report.problem(UNPARSED_LINE, origin)
            yield unparsed(text, source=SOURCE_NAME, origin=origin, name="parsl.jsonlog",
                           reason="not a JSON object", created=last_created, lineno=lineno,
                           fields=base)
            continue
        message = str(obj.get("formatted") or obj.get("msg") or "")
        first = message.split("\n", 1)[0]
        event, keys = message_keys(first)
        try:
            created = float(obj["created"])
        except (KeyError, TypeError, ValueError):
            created = last_created
        last_created = created
        levelname = str(obj.get("levelname", "INFO"))
        fields: dict[str, Any] = dict(base)
        if message != first:
            fields[MESSAGE] = message
        for key, value in obj.items():
            if key in _JSON_RENAMES:
                new, conv = _JSON_RENAMES[key]
                try:
                    fields[new] = times.parse(value) if conv is LOCAL_TIME else conv(value)
                except (TypeError, ValueError):
                    if conv is LOCAL_TIME:
                        report.problem(BAD_TIMESTAMP, f"{origin}:{lineno}")
                        fields[new.removesuffix("_time") + "_raw"] = value
                    else:
                        fields[new] = value
            elif "." in key:  # Parsl's other namespaced keys stay as Parsl wrote them
                fields.setdefault(key, value)
            elif key not in _JSON_ENVELOPE:
                fields.setdefault(f"parsl.log_{_snake(key)}", value)
        fields.update(keys)
        if "\nTraceback (most recent call last)" in message:
            head, _, tb = message.partition("\nTraceback (most recent call last)")
            if head != first:
                fields[MESSAGE] = head
            else:
                fields.pop(MESSAGE, None)
            fields[EXC_TEXT] = "Traceback (most recent call last)" + tb
        rec = {
            CREATED: created,
            FORMATTED: first,
            NAME: str(obj.get("name", "parsl")),
            LEVELNAME: levelname,
            LEVELNO: LEVELS.get(levelname, 20),
            SOURCE: SOURCE_NAME,
            ORIGIN: origin,
            EVENT: event,
            LINENO: lineno,
            LINE_COUNT: 1,
            FORMAT: "jsonlog",
            **{k: v for k, v in fields.items() if v is not None and v != ""},
        }
        if invalid:
            rec[INVALID_UTF8_KEY] = True
        if created is None:
            del rec[CREATED]
        yield rec
