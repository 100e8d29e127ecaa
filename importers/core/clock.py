"""One clock per input stream: printed local times -> epoch seconds, and what was assumed.

Every source that prints wall-clock time without a zone (Parsl's ``asctime`` and monitoring
DB, redis, sacct/squeue text, bcc tools) reads it through a :class:`Clock`, one per input
stream (a file, a part of a file, a DB table's column). The clock holds:

* the zone (``--tz``, the machine's, or one inferred from the input) and two caches that keep
  the hot path short at 10^6 lines: the UTC offset per local quarter-hour (zones change on
  quarter-hour boundaries at the finest) and the epoch of each distinct whole second;
* the **stream's previous time**, because a log does not go backwards. When clocks go back
  (Europe/Berlin 2026-10-25 02:00-03:00 happens twice) a local time in the repeated hour is
  ambiguous: it is read as the first occurrence unless the stream's previous time is already
  later than that reading (by more than :data:`SLACK_SECONDS`, for lines written slightly
  out of order), then as the second. Only ambiguous quarter-hours take this slow way, and an
  ambiguous second is never cached. Times in the spring-forward gap (which never happened on
  the wall) keep the offset from before the change, as ``zoneinfo`` does with ``fold=0``;
* the missing **year** of redis 2.x/3.x lines (the file's mtime, Dec -> Jan rollovers, any
  absolute time in the same file, never backwards by more than a couple of days);
* the missing **date** and the relative time bases of saved tracer output (``--start``,
  ``--boot-time``, the file's mtime);
* what it assumed: each assumption is told to the :class:`ImportReport` once, and the
  ambiguous hours are counted (``ambiguous hour 2026-10-25 02:00-03:00 Europe/Berlin: 12
  times read as the first occurrence, 9 as the second (file order)``).

A stream cut for parallel parsing (``-j``) cannot see the part before its cut: the reader
gives the clock a ``history`` function that returns the stream's time just before the cut,
called only when the part's first ambiguous time needs it (:func:`time_before`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path

from .errors import UnusableInput
from .report import ImportReport

_EPOCH_NAIVE = datetime(1970, 1, 1)

# How far a line may be written before the previous one (threads, child processes writing
# to one log) and still be read as "not going backwards".
SLACK_SECONDS = 10.0
# The same for the days of yearless lines around New Year.
OUT_OF_ORDER_DAYS = 2
AMBIGUOUS = "ambiguous hour"
# How far outside a known span (a Parsl run's) a stream's times may still lie.
SPAN_MARGIN = 600.0
# ``Variant.time_format`` for ISO-like ``YYYY-MM-DD HH:MM:SS[.ffffff]`` text: parsed with
# ``datetime.fromisoformat`` and a per-second cache, much faster than strptime.
ISO_TIME = "iso"


def local_epoch(naive: datetime, zone: tzinfo) -> float:
    """One naive local time -> epoch seconds, with no stream around it (``--at``, a file
    name): a repeated hour is read as its first occurrence."""
    if naive.tzinfo is not None:
        return naive.timestamp()
    return naive.replace(tzinfo=zone).timestamp()


class _Fold:
    """A local quarter-hour that happens twice: its two UTC offsets and its summary label."""

    __slots__ = ("first", "second", "label")

    def __init__(self, first: float, second: float, label: str) -> None:
        self.first = first      # the offset of the first occurrence (summer time)
        self.second = second    # that of the second (after the clocks went back)
        self.label = label


@dataclass
class Extent:
    """What a pre-scan of a tracer's output learns for the mtime fallback: its largest
    relative times and how many times its time of day went past midnight."""

    max_elapsed: float | None = None
    max_boot: float | None = None
    tod_rollovers: int = 0
    last_tod: float | None = None


class Clock:
    """The clock of one input stream (see the module docstring)."""

    MAX_CACHED_SECONDS = 4096

    def __init__(self, zone: tzinfo, zone_label: str = "",
                 report: ImportReport | None = None, *, slack: float = SLACK_SECONDS,
                 path: Path | None = None, year: int | None = None,
                 mtime: float | None = None, start: float | None = None,
                 boot_time: float | None = None, extent: Extent | None = None,
                 ordered: bool = True, order: str = "file order",
                 spans: list[tuple[float, float]] | None = None) -> None:
        """``ordered=False``: the stream has no order to tell a repeated hour's two
        occurrences apart: the first occurrence is taken, and counted. ``order`` names the
        order the summary cites. ``spans``: absolute intervals the stream's times are known
        to lie in (a Parsl run's, from the epochs of its parsl.log): a repeated hour's time
        with only one reading inside them takes that one, whatever the order."""
        self.zone = zone
        self.ordered = ordered
        self.order = order
        self.spans = [(a - SPAN_MARGIN, b + SPAN_MARGIN) for a, b in spans or ()]
        self.zone_label = zone_label
        self.report = report
        self.slack = slack
        self._offsets: dict[tuple[int, int, int, int, int], float | _Fold] = {}
        # ISO "YYYY-MM-DD HH:MM:SS" -> epoch: read by hot loops directly; never holds an
        # ambiguous second, and is cleared in place (so a loop's reference stays good).
        self.seconds: dict[str, float] = {}
        self._formats: dict[str, dict[str, float]] = {}
        self.last: float | None = None       # the stream's previous time (file order)
        self.history: Callable[[], float | None] | None = None
        self.ambiguous = False                # was the last conversion an ambiguous one?
        self._assumed: set[str] = set()
        # year of yearless lines
        self.path = path
        self.year_override = year
        self.year: int | None = year
        self._month: int | None = None
        self._day = 1
        self._anchor: tuple[int, int] | None = None
        self.year_source = "--year" if year else ""
        self.years_used: set[int] = set()
        # dateless and relative times
        self.start = start
        self.boot_time = boot_time
        self.mtime = mtime
        self.extent = extent or Extent()
        self._date: date | None = None
        self._last_tod: float | None = None

    # -- assumptions

    def assume(self, key: str, what: str, value: str) -> None:
        """Tell the report ``what: value`` once per ``key`` for this stream."""
        if key not in self._assumed and self.report is not None:
            self._assumed.add(key)
            self.report.assume(what, value)

    # -- naive local date-times

    def _offset(self, naive: datetime) -> float | _Fold:
        """The UTC offset of ``naive``'s quarter-hour, or a :class:`_Fold` when it is one
        that happens twice. (In a spring-forward gap both readings differ the other way:
        the offset from before the change is kept, as ``fold=0`` gives.)"""
        first = naive.replace(tzinfo=self.zone, fold=0).utcoffset() or timedelta(0)
        second = naive.replace(tzinfo=self.zone, fold=1).utcoffset() or timedelta(0)
        if first <= second:
            return first.total_seconds()
        return _Fold(first.total_seconds(), second.total_seconds(), self._fold_label(naive))

    def _fold_label(self, naive: datetime) -> str:
        """``2026-10-25 02:00-03:00 Europe/Berlin``: the repeated local hour around naive."""
        step = timedelta(minutes=15)
        begin = naive.replace(minute=naive.minute // 15 * 15, second=0, microsecond=0)
        for _ in range(200):      # at most a few hours of quarters
            earlier = begin - step
            if earlier.replace(tzinfo=self.zone, fold=0).utcoffset() == \
                    earlier.replace(tzinfo=self.zone, fold=1).utcoffset():
                break
            begin = earlier
        end = begin
        for _ in range(200):
            end = end + step
            if end.replace(tzinfo=self.zone, fold=0).utcoffset() == \
                    end.replace(tzinfo=self.zone, fold=1).utcoffset():
                break
        zone = (self.zone_label.split(" (")[0] or str(self.zone)).strip()
        return f"{begin:%Y-%m-%d %H:%M}-{end:%H:%M} {zone}"

    def epoch(self, naive: datetime) -> float:
        """A naive local date-time -> epoch seconds; a repeated hour by file order.

        Sets :attr:`ambiguous` (the caller must not cache such a second) and the stream's
        previous time."""
        if naive.tzinfo is not None:  # the source did say its zone after all
            self.ambiguous = False
            value = naive.timestamp()
            self.last = value
            return value
        key = (naive.year, naive.month, naive.day, naive.hour, naive.minute // 15)
        offset = self._offsets.get(key)
        if offset is None:
            offset = self._offsets[key] = self._offset(naive)
        local = (naive - _EPOCH_NAIVE).total_seconds()
        if offset.__class__ is float:
            self.ambiguous = False
            value = local - offset  # type: ignore[operator]
        else:
            self.ambiguous = True
            value = self._resolve(local, offset)  # type: ignore[arg-type]
        self.last = value
        return value

    def fork(self) -> Clock:
        """Another stream in the same zone, with the same report, rule and spans (a DB
        table's column: its own order, its own caches)."""
        other = Clock(self.zone, self.zone_label, self.report, slack=self.slack,
                      ordered=self.ordered, order=self.order)
        other.spans = self.spans
        other._offsets = self._offsets     # the zone's quarter-hours: the same for all
        return other

    def _resolve(self, local: float, fold: _Fold) -> float:
        first = local - fold.first
        what = f"{AMBIGUOUS} {fold.label}"
        if self.spans:
            later = local - fold.second
            inside = [any(a <= t <= b for a, b in self.spans) for t in (first, later)]
            if inside[0] != inside[1]:
                if self.report is not None:
                    self.report.tally(what, "as the second occurrence by the run's span"
                                      if inside[1] else
                                      "as the first occurrence by the run's span",
                                      how=f"({self.order})")
                return later if inside[1] else first
        if not self.ordered:
            if self.report is not None:
                self.report.tally(what, "as the first occurrence",
                                  how="(no order to tell which)")
            return first
        last = self.last
        if last is None and self.history is not None:
            history, self.history = self.history, None
            last = history()
        second = last is not None and last > first + self.slack
        if self.report is not None:
            self.report.tally(what, "as the second occurrence" if second
                              else "as the first occurrence", how=f"({self.order})")
        return local - fold.second if second else first

    def is_ambiguous(self, naive: datetime) -> bool:
        """Is ``naive`` in a repeated hour (for a reader that looks before a cut)?"""
        if naive.tzinfo is not None:
            return False
        key = (naive.year, naive.month, naive.day, naive.hour, naive.minute // 15)
        offset = self._offsets.get(key)
        if offset is None:
            offset = self._offsets[key] = self._offset(naive)
        return offset.__class__ is _Fold

    def parse(self, text: str) -> float:
        """An ISO-ish local time string (``2024-03-04 12:34:56.789012``) -> epoch seconds.

        The hot path: one look-up per line in the per-second cache, one ``float()`` of the
        fraction. Raises ``ValueError`` for text that is not such a time.
        """
        whole = text[:19]
        base = self.seconds.get(whole)
        if base is None:
            base = self.epoch(datetime.fromisoformat(whole))
            if not self.ambiguous:
                if len(self.seconds) >= self.MAX_CACHED_SECONDS:
                    self.seconds.clear()
                self.seconds[whole] = base
        if len(text) == 19:
            return base
        if text[19] == "." and text[20:].isdigit():
            return base + float(text[19:])
        return self.epoch(datetime.fromisoformat(text))  # a zone suffix, or odd precision

    def cache(self, fmt: str) -> dict[str, float]:
        """The per-second cache of :meth:`parse_format` for ``fmt`` (whole-second text ->
        epoch), for a hot loop to read directly. It never holds an ambiguous second; a
        yearless format's is emptied whenever the inferred year changes."""
        found = self._formats.get(fmt)
        if found is None:
            found = self._formats[fmt] = {}
        return found

    def parse_format(self, text: str, fmt: str, year: int | None = None) -> float:
        """Local time text in strptime ``fmt`` (``.%f`` takes 1-6 digits) -> epoch seconds,
        one ``strptime`` per distinct second. A format without ``%Y`` takes ``year``, or
        else the inferred year (:meth:`year_for`); :data:`ISO_TIME` is :meth:`parse`."""
        if fmt == ISO_TIME:
            return self.parse(text)
        if fmt.endswith(".%f"):
            head, _, frac = text.rpartition(".")
            if frac.isdigit() and len(frac) <= 6:
                return self._whole(head, fmt[:-3], year) + int(frac) / 10 ** len(frac)
        return self._whole(text, fmt, year)

    def _whole(self, text: str, fmt: str, year: int | None) -> float:
        cache = self.cache(fmt) if year is None else self.cache(f"{year} {fmt}")
        value = cache.get(text)
        if value is not None:
            return value
        if "%Y" in fmt or "%y" in fmt:
            naive = datetime.strptime(text, fmt)
        else:
            if year is None:  # month and day first (2000: Feb 29 exists), then the year
                probe = datetime.strptime(f"2000 {text}", f"%Y {fmt}")
                year = self.year_for(probe.month, probe.day)
                cache = self.cache(fmt)
            naive = datetime.strptime(f"{year} {text}", f"%Y {fmt}")
        value = self.epoch(naive)
        if not self.ambiguous:
            if len(cache) >= self.MAX_CACHED_SECONDS:
                cache.clear()
            cache[text] = value
        return value

    # -- the year of yearless lines (redis 2.x/3.x)

    def _year_changed(self) -> None:
        for fmt, cache in self._formats.items():
            if "%Y" not in fmt and "%y" not in fmt:
                cache.clear()

    def see_absolute(self, year: int, month: int) -> bool:
        """An absolute time in the same stream (a 4.x+ line, a signal's epoch, a script
        header). Returns True when it changed the year of the yearless lines that follow."""
        self._anchor = (year, month)
        if self.year_override or self.year is None or self._month is None:
            return False
        expected = _year_near(year, month, self._month)
        if expected == self.year:
            if self.year_source == "file mtime":
                self.year_source = "file mtime, confirmed by an absolute time in the file"
            return False
        self.year = expected
        self.year_source = "neighbouring absolute times"
        self._year_changed()
        return True

    def see_epoch(self, epoch: float) -> bool:
        """:meth:`see_absolute` for an exact time (epoch seconds)."""
        when = datetime.fromtimestamp(epoch, self.zone)
        return self.see_absolute(when.year, when.month)

    def year_for(self, month: int, day: int) -> int:
        """The year of a yearless line in ``month``; carries Dec -> Jan rollovers forward.

        The first comes from an absolute time seen in the stream, else from the file's mtime
        (the latest year that puts the line at or before it). Then a log does not go
        backwards: the year is the one that puts this line at or after the previous one (a
        couple of days' slack for lines written out of order around New Year), so a quiet
        gap of months (Jan, then Jul; Nov, then Jun) keeps time moving forward."""
        before = self.year
        if self.year is None:
            if self._anchor is not None:
                self.year = _year_near(*self._anchor, month)
                self.year_source = "neighbouring absolute times"
            else:
                mtime = self._mtime()
                later = (month, day) > (mtime.month, mtime.day)
                self.year = mtime.year - 1 if later else mtime.year
                self.year_source = "file mtime"
        elif self._month is not None and not self.year_override:
            floor = _ordinal(self.year, self._month, self._day) - OUT_OF_ORDER_DAYS
            self.year = next(y for y in (self.year - 1, self.year, self.year + 1)
                             if _ordinal(y, month, day) >= floor)
        self._month, self._day = month, day
        self.years_used.add(self.year)
        if before is not None and self.year != before:
            self._year_changed()
        return self.year

    def _mtime(self) -> datetime:
        if self.mtime is None and self.path is not None:
            try:
                self.mtime = self.path.stat().st_mtime
            except OSError:
                pass
        if self.mtime is None:
            return datetime.now(self.zone)
        return datetime.fromtimestamp(self.mtime, self.zone)

    def years_said(self) -> str | None:
        """What to tell the user about years, or None when no line needed one."""
        if not self.years_used:
            return None
        years = sorted(self.years_used)
        text = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
        return f"{text} from {self.year_source}"

    # -- relative and dateless times (saved tracer output)

    def elapsed(self, seconds: float) -> float:
        """Seconds since the tool started: from ``--start``, else the file's mtime taken
        as the last event."""
        if self.start is not None:
            self.assume("e", "time base", "--start (tool start)")
            return self.start + seconds
        self.assume("e", "time base", "file mtime = last event (no --start; times approximate)")
        return (self.mtime or 0.0) - (self.extent.max_elapsed or 0.0) + seconds

    def boot(self, seconds: float) -> float:
        """Seconds since boot: from ``--boot-time``, else the file's mtime as the last event."""
        if self.boot_time is not None:
            self.assume("b", "boot time", "--boot-time")
            return self.boot_time + seconds
        self.assume("b", "boot time",
                    "file mtime = last event (no --boot-time; times approximate)")
        return (self.mtime or 0.0) - (self.extent.max_boot or 0.0) + seconds

    def time_of_day(self, text: str, utc: bool = False) -> float:
        """``HH:MM:SS[.ffffff]`` with no date: the date of ``--start`` (else of the file's
        mtime, less the midnights the file crosses), moving on at each midnight; local
        times go through :meth:`epoch` (a repeated hour by file order)."""
        zone = timezone.utc if utc else self.zone
        if self._date is None:
            if self.start is not None:
                self._date = datetime.fromtimestamp(self.start, zone).date()
                self.assume("d", "date", "from --start")
            else:
                last = datetime.fromtimestamp(self.mtime or 0.0, zone).date()
                self._date = last - timedelta(days=self.extent.tod_rollovers)
                self.assume("d", "date", "file mtime's (no --start)")
            if not utc:
                self.assume("z", "zone", self.zone_label)
        clock = time.fromisoformat(text)
        seconds = clock.hour * 3600 + clock.minute * 60 + clock.second
        if self._last_tod is not None and seconds < self._last_tod - 43200:
            self._date += timedelta(days=1)   # past midnight
        self._last_tod = seconds
        if utc:
            return datetime.combine(self._date, clock, timezone.utc).timestamp()
        return self.epoch(datetime.combine(self._date, clock))


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


def parse_when(text: str | None, zone: tzinfo, what: str) -> float | None:
    """``--start``/``--boot-time``/``--at``: epoch seconds, or an ISO date-time (naive = in
    ``zone``, a repeated hour read as its first occurrence)."""
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
    return local_epoch(moment, zone)


# ---------------------------------------------------------------------------------------
# A part of a stream cut for parallel parsing: the time just before its cut


LOOK_BACK_BYTES = 64 << 20


def naive_of_match(variant, m, year: int | None = None) -> datetime | None:
    """The time of a line matched by a line table's ``variant`` (importers.core.lineformat):
    aware for an ``epoch`` group, naive for a ``time`` group in the variant's
    ``time_format`` (a yearless one takes ``year``), None when it has neither or the text is
    no real time."""
    groups = m.groupdict()
    try:
        if groups.get("epoch"):
            return datetime.fromtimestamp(float(groups["epoch"]), timezone.utc)
        text, fmt = groups.get("time"), variant.time_format
        if not text or not fmt:
            return None
        if fmt == ISO_TIME:
            return datetime.fromisoformat(text)
        if "%Y" not in fmt:
            if year is None:
                return None
            text, fmt = f"{year} {text}", f"%Y {fmt}"
        return datetime.strptime(text, fmt)
    except (ValueError, OverflowError, OSError):
        return None


def time_before(path: str | os.PathLike, cut: int, clock: Clock,
                naive_of: Callable[[str], datetime | None],
                limit: int = LOOK_BACK_BYTES) -> float | None:
    """The stream's time at the last line before byte ``cut``, as a sequential read would
    have resolved it: read backwards to the last line whose time is not ambiguous (usually
    the line just before the cut), then forwards through the repeated hour's lines after it
    with a scratch clock in the same zone. ``naive_of(line)`` is a line's naive time, or
    None for a line without one. Reads at most ``limit`` bytes back; beyond, the first
    occurrence is assumed (and said)."""
    scratch = Clock(clock.zone, clock.zone_label, slack=clock.slack, year=clock.year)
    pending: list[datetime] = []     # ambiguous times, nearest the cut first
    anchor: float | None = None
    try:
        with open(path, "rb") as fh:
            end = cut
            tail = b""
            found = False
            while end > 0 and cut - end < limit and not found:
                start = max(0, end - (1 << 20))
                fh.seek(start)
                data = fh.read(end - start) + tail
                lines = data.split(b"\n")
                tail = lines[0] if start > 0 else b""
                body = lines[1:] if start > 0 else lines
                for raw in reversed(body):
                    naive = naive_of(raw.decode("utf-8", "replace").rstrip("\r"))
                    if naive is None:
                        continue
                    if scratch.is_ambiguous(naive):
                        pending.append(naive)
                        continue
                    anchor = scratch.epoch(naive)
                    found = True
                    break
                end = start
    except OSError:
        return None
    if not found and cut - end >= limit and clock.report is not None:
        clock.assume("lookback", "repeated hour at a parallel cut",
                     f"more than {limit >> 20} MiB of its lines before a cut: the first "
                     "occurrence assumed there (use -j 1 to read it in file order)")
    scratch.last = anchor
    for naive in reversed(pending):
        scratch.epoch(naive)
    return scratch.last
