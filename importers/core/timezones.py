"""Turning the naive local times that sources print into absolute epoch seconds.

Parsl's monitoring DB, sacct/squeue text, redis and Parsl's ``asctime`` all print local wall
time without a zone. DESIGN §2: interpret them in ``--tz`` (default: the machine's zone) and
*say* which zone was assumed, because a post-mortem is often done on another machine than the
one that ran the workflow.
The conversion itself, with its caches and the repeated hour of a daylight-saving change, is
the stream's :class:`importers.core.clock.Clock`.
"""

from __future__ import annotations

import os
from datetime import timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import UnusableInput


def machine_zone() -> tuple[tzinfo, str]:
    """The machine's own zone as a DST-aware tzinfo, and its name for the summary.

    ``datetime.now().astimezone()`` would give a fixed offset, wrong across a DST change in
    the middle of a long workflow, so we look for the IANA name the way glibc does.
    """
    tz_env = os.environ.get("TZ", "").lstrip(":")
    if tz_env:
        try:
            return ZoneInfo(tz_env), tz_env
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            key = target.split("zoneinfo/", 1)[1]
            return ZoneInfo(key), key
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    try:
        with open("/etc/timezone", encoding="utf-8") as fh:
            key = fh.read().strip()
        if key:
            return ZoneInfo(key), key
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    try:
        with open("/etc/localtime", "rb") as fh:
            return ZoneInfo.from_file(fh, key="localtime"), "localtime"
    except (OSError, ValueError):
        return timezone.utc, "UTC"


def resolve_zone(name: str | None) -> tuple[tzinfo, str]:
    """``--tz`` value -> (tzinfo, label for the summary). ``None`` means the machine's zone."""
    if not name:
        zone, key = machine_zone()
        return zone, f"{key} (machine local; --tz to change)"
    if name.upper() in ("UTC", "Z", "GMT"):
        return timezone.utc, "UTC (--tz)"
    try:
        return ZoneInfo(name), f"{name} (--tz)"
    except (ZoneInfoNotFoundError, ValueError):
        raise UnusableInput(
            "unknown time zone", name, "give an IANA name such as UTC or America/Chicago"
        ) from None
