"""Reading a view's parameters from the URL, with a 400 for anything malformed.

The URL is the query (so a view can be bookmarked or pasted into a report), which makes the
query string untrusted input: each reader here checks one kind of parameter and raises
:class:`BadParam` with a message the page shows, instead of letting a bad value reach DuckDB.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

#: Longest key name accepted (keys are column names; the pool's longest real ones are < 60).
MAX_KEY = 512
#: Longest parameter value accepted. Values longer than the page's links (2,000 characters)
#: are not linked; uvicorn refuses request lines much longer than this anyway.
MAX_VALUE = 50_000
MAX_KEYS = 8
MAX_FILTERS = 16
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class BadParam(ValueError):
    """A URL parameter the view cannot use; the page answers 400 with this message."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"parameter {name!r}: {problem}")
        self.name = name


Query = Mapping[str, Sequence[str]]


def multi(query: Any) -> dict[str, list[str]]:
    """Starlette's QueryParams (or a plain dict) as {name: [values...]} in URL order."""
    if hasattr(query, "multi_items"):
        out: dict[str, list[str]] = {}
        for name, value in query.multi_items():
            out.setdefault(name, []).append(value)
        return out
    return {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in dict(query).items()}


def text(query: Query, name: str, default: str | None = None,
         max_len: int = MAX_VALUE) -> str | None:
    """The last non-empty value of a parameter (forms send empty fields as ``name=``)."""
    values = [v for v in query.get(name, []) if v != ""]
    if not values:
        return default
    value = values[-1]
    if len(value) > max_len:
        raise BadParam(name, f"longer than {max_len:,} characters")
    return value


def key(name: str, value: str) -> str:
    """One key name (a column): any characters but control ones, bounded length."""
    value = value.strip()
    if not value:
        raise BadParam(name, "empty key name")
    if len(value) > MAX_KEY:
        raise BadParam(name, f"key name longer than {MAX_KEY} characters")
    if _CONTROL.search(value):
        raise BadParam(name, "key name holds control characters")
    return value


def keys(query: Query, name: str, default: Sequence[str] = ()) -> list[str]:
    """A comma-separated key set, e.g. ``thing=parsl.run_id,parsl.task_id``."""
    raw = text(query, name)
    if raw is None:
        return list(default)
    out = [key(name, part) for part in raw.split(",") if part.strip()]
    if not out:
        raise BadParam(name, "no key names")
    if len(out) > MAX_KEYS:
        raise BadParam(name, f"more than {MAX_KEYS} keys")
    return out


def optional_key(query: Query, name: str) -> str | None:
    raw = text(query, name)
    return None if raw is None else key(name, raw)


def pairs(query: Query, name: str = "where") -> list[tuple[str, str]]:
    """Repeated ``where=K=V`` parameters as (key, value) pairs (the value as text)."""
    out = []
    for raw in query.get(name, []):
        if raw == "":
            continue
        if len(raw) > MAX_VALUE:
            raise BadParam(name, f"longer than {MAX_VALUE:,} characters")
        k, sep, v = raw.partition("=")
        if not sep:
            raise BadParam(name, f"{raw[:80]!r} is not KEY=VALUE")
        out.append((key(name, k), v))
    if len(out) > MAX_FILTERS:
        raise BadParam(name, f"more than {MAX_FILTERS} filters")
    return out


def key_list(query: Query, name: str) -> list[str]:
    """Repeated key parameters (``has=K``), empty ones ignored."""
    out = [key(name, v) for v in query.get(name, []) if v.strip()]
    if len(out) > MAX_FILTERS:
        raise BadParam(name, f"more than {MAX_FILTERS} keys")
    return out


def epoch(query: Query, name: str) -> float | None:
    """A time as epoch seconds, or ISO 8601 text (UTC unless it names an offset)."""
    raw = text(query, name, max_len=64)
    if raw is None:
        return None
    raw = raw.strip()
    try:
        value = float(raw)
    except ValueError:
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" UTC", ""))
        except ValueError:
            raise BadParam(name, f"{raw!r} is neither epoch seconds nor an ISO 8601 time") \
                from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        value = moment.timestamp()
    if not math.isfinite(value):
        raise BadParam(name, "not a finite time")
    return value


def integer(query: Query, name: str, default: int, lo: int, hi: int) -> int:
    raw = text(query, name, max_len=20)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParam(name, f"{raw!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise BadParam(name, f"must be between {lo:,} and {hi:,}")
    return value


def regex(query: Query, name: str) -> str | None:
    """A regular expression (checked here, so a bad one is a 400, not a DuckDB error)."""
    raw = text(query, name, max_len=1000)
    if raw is None:
        return None
    try:
        re.compile(raw)
    except re.error as exc:
        raise BadParam(name, f"not a regular expression: {exc}") from None
    return raw


def choice(query: Query, name: str, options: Sequence[str], default: str) -> str:
    raw = text(query, name, max_len=100)
    if raw is None:
        return default
    if raw not in options:
        raise BadParam(name, f"must be one of {', '.join(options)}")
    return raw
