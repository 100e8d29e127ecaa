"""The wide-event record every importer yields (DESIGN §2).

A record is a plain ``dict``: the stdlib ``logging.LogRecord`` keys that Academy's and Parsl's
JSON loggers write (``created``, ``formatted``, ``name``, ``levelname``, ``levelno``), the
``ev.*`` provenance keys, and namespaced source keys (``parsl.task_id``, ``linux.pid``...).
Plain dicts, not classes, because every consumer (jq, DuckDB, pandas, orjson) wants exactly
that and because a dict literal is the cheapest thing Python can build per line.

Unknown values (``None``, ``""``, ``"Unknown"``, ``"None"``) are omitted rather than written
as null, so ``has(key)`` in jq or ``IS NOT NULL`` in SQL means "the source knew it".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Envelope keys (DESIGN §2). Importers use these names, never string literals of their own.
CREATED = "created"
FORMATTED = "formatted"
NAME = "name"
LEVELNAME = "levelname"
LEVELNO = "levelno"
SOURCE = "ev.source"
ORIGIN = "ev.origin"
EVENT = "ev.event"
LINENO = "ev.lineno"
RAW = "ev.raw"
REASON = "ev.reason"          # why a line is ``unparsed`` (which formats were tried)

UNPARSED = "unparsed"

# Shared identity keys (DESIGN §3), used by more than one importer.
LINUX_PID = "linux.pid"
LINUX_HOSTNAME = "linux.hostname"

ENVELOPE_KEYS = (CREATED, FORMATTED, NAME, LEVELNAME, LEVELNO, SOURCE, ORIGIN, EVENT)

# Values that mean "the source does not know". Compared by equality, so ints 0 and False stay.
UNKNOWN_VALUES = frozenset({"", "Unknown", "None", "unknown", "none", "NULL", "null"})

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def known(value: Any) -> bool:
    """True when ``value`` carries information (DESIGN §2: unknown values are omitted)."""
    if value is None:
        return False
    if isinstance(value, str):
        return value not in UNKNOWN_VALUES
    return True


def envelope(created: float | None, event: str, formatted: str, *, name: str, source: str,
             origin: str, levelname: str = "INFO", levelno: int | None = None,
             lineno: int | None = None) -> dict[str, Any]:
    """The record envelope (DESIGN §2), built in one place: callers add their namespaced
    keys to the dict it returns. Text formats get theirs from the builders the line engine
    generates per variant (:mod:`importers.core.lineformat`), which write the same keys."""
    rec: dict[str, Any] = {} if created is None else {CREATED: created}
    rec[FORMATTED] = formatted
    rec[NAME] = name
    rec[LEVELNAME] = levelname
    rec[LEVELNO] = LEVELS.get(levelname, 20) if levelno is None else levelno
    rec[SOURCE] = source
    rec[ORIGIN] = origin
    rec[EVENT] = event
    if lineno is not None:
        rec[LINENO] = lineno
    return rec


def record(
    created: float | None,
    event: str,
    *,
    source: str,
    origin: str,
    name: str,
    formatted: str,
    fields: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
    levelname: str = "INFO",
    levelno: int | None = None,
    lineno: int | None = None,
    raw: str | None = None,
) -> dict[str, Any]:
    """Build one record: the envelope, then ``fields`` with unknown values dropped.

    ``created`` may be ``None`` only when the source truly has no time for the event; it is
    then omitted and readers sort such records first.
    """
    rec = envelope(created, event, formatted=formatted, name=name, source=source,
                   origin=origin, levelname=levelname, levelno=levelno, lineno=lineno)
    if raw is not None:
        rec[RAW] = raw
    items = fields.items() if isinstance(fields, Mapping) else fields
    for key, value in items:
        if known(value):
            rec[key] = value
    return rec


def unparsed(
    raw: str,
    *,
    source: str,
    origin: str,
    name: str,
    reason: str,
    created: float | None = None,
    lineno: int | None = None,
    fields: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
) -> dict[str, Any]:
    """A record for input we could not parse: kept whole, with provenance, never dropped.

    ``reason`` names what was tried ("no format matched: v2, v3"), so a user can tell a new
    release's format from garbage. ``created`` is the best nearby time when there is one.
    """
    shown = raw if len(raw) <= 200 else raw[:200] + "..."
    return record(
        created,
        UNPARSED,
        source=source,
        origin=origin,
        name=name,
        formatted=f"unparsed: {shown}",
        fields=[(REASON, reason), *(fields.items() if isinstance(fields, Mapping) else fields)],
        levelname="WARNING",
        lineno=lineno,
        raw=raw,
    )
