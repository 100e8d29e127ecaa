"""The year of Redis 2.x/3.x lines, which print none: from the file's mtime, carried
forward with Dec -> Jan rollovers, corrected by any absolute time in the same file."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

# ---------------------------------------------------------------------------------------
# Years for the formats that print none


class Years:
    """The year of yearless lines in one file: mtime first, then rollovers and anchors."""

    def __init__(self, path: Path, zone, override: int | None) -> None:
        self.path = path
        self.zone = zone
        self.override = override
        self.year: int | None = override
        self.month: int | None = None
        self.day = 1
        self.anchor: tuple[int, int] | None = None    # (year, month) of an absolute time
        self.source = "--year" if override else ""
        self.used: set[int] = set()                   # years given to yearless lines

    def see_absolute(self, year: int, month: int) -> bool:
        """An absolute time in the same file (4.x+ line, signal epoch, script header).

        Returns True when it changed the year of the yearless lines that follow."""
        self.anchor = (year, month)
        if self.override or self.year is None or self.month is None:
            return False
        expected = _year_near(year, month, self.month)
        if expected == self.year:
            if self.source == "file mtime":
                self.source = "file mtime, confirmed by an absolute time in the file"
            return False
        self.year = expected
        self.source = "neighbouring absolute times"
        return True

    def year_for(self, month: int, day: int) -> int:
        """The year of a yearless line in ``month``; carries Dec -> Jan rollovers forward.

        A log does not go backwards: the year is the one that puts this line at or after
        the previous one (a couple of days' slack for lines written out of order around New
        Year), so a quiet gap of months (Jan, then Jul; Nov, then Jun) keeps time moving
        forward instead of jumping a year back."""
        if self.year is None:
            if self.anchor is not None:
                self.year = _year_near(*self.anchor, month)
                self.source = "neighbouring absolute times"
            else:
                try:
                    mtime = datetime.fromtimestamp(self.path.stat().st_mtime, self.zone)
                except OSError:
                    mtime = datetime.now(self.zone)
                later = (month, day) > (mtime.month, mtime.day)
                self.year = mtime.year - 1 if later else mtime.year
                self.source = "file mtime"
        elif self.month is not None and not self.override:
            before = _ordinal(self.year, self.month, self.day) - OUT_OF_ORDER_DAYS
            self.year = next(y for y in (self.year - 1, self.year, self.year + 1)
                             if _ordinal(y, month, day) >= before)
        self.month, self.day = month, day
        self.used.add(self.year)
        return self.year

    def said(self) -> str | None:
        """What to tell the user, or None when no line needed a year."""
        if not self.used:
            return None
        years = sorted(self.used)
        text = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
        return f"{text} from {self.source}"


OUT_OF_ORDER_DAYS = 2


def _ordinal(year: int, month: int, day: int) -> int:
    """Day number of a date (Feb 29 of a common year counts as Feb 28)."""
    try:
        return date(year, month, day).toordinal()
    except ValueError:
        return date(year, month, 28).toordinal()


def _year_near(year: int, month: int, other_month: int) -> int:
    """The year of ``other_month`` seen close to an absolute (year, month)."""
    if other_month - month >= 6:
        return year - 1
    if month - other_month >= 6:
        return year + 1
    return year
