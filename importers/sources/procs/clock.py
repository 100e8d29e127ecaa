"""The time base of saved tracer output: relative times (to the tool's start, to the boot)
and dateless wall clocks made absolute from ``--start``, ``--boot-time`` or the file's mtime,
and said in the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from ...core.errors import UnusableInput
from ...core.report import (
    ImportReport,
)

# ---------------------------------------------------------------------------------------
# Time bases


def parse_when(text: str | None, zone: tzinfo, what: str) -> float | None:
    """``--start``/``--boot-time``: epoch seconds, or an ISO date-time (naive = ``--tz``)."""
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UnusableInput(
            f"cannot read {what}", text,
            "give epoch seconds or an ISO time such as 2026-11-25T08:50:00",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


@dataclass
class Extent:
    """What a pre-scan of one file learns about its clocks (for the mtime fallback)."""

    max_elapsed: float | None = None
    max_boot: float | None = None
    tod_rollovers: int = 0
    last_tod: float | None = None


class Clock:
    """Turns one file's printed times into epoch seconds, given the bases it was offered."""

    def __init__(self, *, start: float | None, boot_time: float | None, zone: tzinfo,
                 zone_label: str, mtime: float, extent: Extent | None,
                 report: ImportReport, origin: str) -> None:
        self.zone = zone
        self.report = report
        self.origin = origin
        self._assumed: set[str] = set()
        self.zone_label = zone_label
        self.start = start
        self.boot_time = boot_time
        self.mtime = mtime
        self.extent = extent or Extent()
        self.day: date | None = None
        self.day_utc: date | None = None
        self.last_tod: float | None = None

    def _assume(self, key: str, what: str, value: str) -> None:
        if key not in self._assumed:
            self._assumed.add(key)
            self.report.assume(what, value)

    def elapsed(self, seconds: float) -> float:
        if self.start is not None:
            self._assume("e", "time base", "--start (tool start)")
            return self.start + seconds
        self._assume("e", "time base",
                     "file mtime = last event (no --start; times approximate)")
        return self.mtime - (self.extent.max_elapsed or 0.0) + seconds

    def boot(self, seconds: float) -> float:
        if self.boot_time is not None:
            self._assume("b", "boot time", "--boot-time")
            return self.boot_time + seconds
        self._assume("b", "boot time",
                     "file mtime = last event (no --boot-time; times approximate)")
        return self.mtime - (self.extent.max_boot or 0.0) + seconds

    def time_of_day(self, text: str, utc: bool) -> float:
        zone = timezone.utc if utc else self.zone
        if self.day is None:
            if self.start is not None:
                self.day = datetime.fromtimestamp(self.start, zone).date()
                self._assume("d", "date", "from --start")
            else:
                last = datetime.fromtimestamp(self.mtime, zone).date()
                self.day = last - timedelta(days=self.extent.tod_rollovers)
                self._assume("d", "date", "file mtime's (no --start)")
            if not utc:
                self._assume("z", "zone", self.zone_label)
        clock = time.fromisoformat(text)
        seconds = clock.hour * 3600 + clock.minute * 60 + clock.second
        if self.last_tod is not None and seconds < self.last_tod - 43200:
            self.day += timedelta(days=1)   # past midnight
        self.last_tod = seconds
        return datetime.combine(self.day, clock, zone).timestamp()
