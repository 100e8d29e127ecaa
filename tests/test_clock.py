"""The one clock every source reads zone-less local times with (importers.core.clock).

When clocks go back (Europe/Berlin, 2026-10-25 03:00 CEST -> 02:00 CET, at 01:00 UTC) the
local hour 02:00-03:00 happens twice. A log does not go backwards, so the clock reads such a
time as the first occurrence unless the stream's previous time is already later than that,
and says in the summary how many it read each way. The times in these tests are typed by
hand: they are unit tests of that one edge case (the real fixtures made across DST changes
are tested in tests/test_dst_fixtures.py). Expected epochs are worked out by hand from the
two offsets (CEST = UTC+2, CET = UTC+1) and checked against zoneinfo.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from importers.core.clock import Clock, local_epoch, time_before
from importers.core.report import ImportReport

BERLIN = ZoneInfo("Europe/Berlin")
LABEL = "Europe/Berlin (--tz)"
# 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET
FALL_BACK = datetime(2026, 10, 25, 1, tzinfo=timezone.utc).timestamp()
HOUR_SAID = "ambiguous hour 2026-10-25 02:00-03:00 Europe/Berlin"


def _utc(*args: int) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


# A log across the change: the first 02:xx is CEST (UTC+2), the second CET (UTC+1).
ACROSS = [
    ("2026-10-25 01:59:58.100", _utc(2026, 10, 24, 23, 59, 58) + 0.1),
    ("2026-10-25 02:00:01.000", _utc(2026, 10, 25, 0, 0, 1)),
    ("2026-10-25 02:30:00.500", _utc(2026, 10, 25, 0, 30, 0) + 0.5),
    ("2026-10-25 02:59:59.900", _utc(2026, 10, 25, 0, 59, 59) + 0.9),
    ("2026-10-25 02:00:00.200", _utc(2026, 10, 25, 1, 0, 0) + 0.2),   # clocks went back
    ("2026-10-25 02:00:00.300", _utc(2026, 10, 25, 1, 0, 0) + 0.3),   # the same second
    ("2026-10-25 02:29:59.000", _utc(2026, 10, 25, 1, 29, 59)),
    ("2026-10-25 02:59:59.000", _utc(2026, 10, 25, 1, 59, 59)),
    ("2026-10-25 03:00:00.000", _utc(2026, 10, 25, 2, 0, 0)),
    ("2026-10-25 03:00:00.500", _utc(2026, 10, 25, 2, 0, 0) + 0.5),   # cached second
]


def test_the_expected_epochs_agree_with_zoneinfo() -> None:
    """The hand-worked epochs above are zoneinfo's fold=0 then fold=1 readings."""
    for index, (text, epoch) in enumerate(ACROSS):
        naive = datetime.fromisoformat(text)
        fold = 1 if 4 <= index <= 7 else 0
        assert naive.replace(tzinfo=BERLIN, fold=fold).timestamp() == pytest.approx(epoch)


def test_a_log_across_the_fall_back_hour_keeps_going_forward() -> None:
    report = ImportReport()
    clock = Clock(BERLIN, LABEL, report)
    got = [clock.parse(text) for text, _ in ACROSS]
    assert got == pytest.approx([epoch for _, epoch in ACROSS])
    assert got == sorted(got), "time never runs backwards"
    assert report.assumptions[HOUR_SAID] == (
        "(file order): 3 times read as the first occurrence, "
        "4 times read as the second occurrence")


def test_only_unambiguous_seconds_are_cached() -> None:
    clock = Clock(BERLIN, LABEL)
    for text, _ in ACROSS:
        clock.parse(text)
    assert all(not key.startswith("2026-10-25 02:") for key in clock.seconds)
    assert "2026-10-25 03:00:00" in clock.seconds and "2026-10-25 01:59:58" in clock.seconds


def test_lines_a_little_out_of_order_stay_in_the_first_occurrence() -> None:
    """Threads write a line a few seconds late: that is no jump back of an hour."""
    clock = Clock(BERLIN, LABEL)
    assert clock.parse("2026-10-25 02:59:58") == _utc(2026, 10, 25, 0, 59, 58)
    assert clock.parse("2026-10-25 02:59:52") == _utc(2026, 10, 25, 0, 59, 52)
    assert clock.parse("2026-10-25 02:00:03") == _utc(2026, 10, 25, 1, 0, 3)


def test_a_stream_that_starts_in_the_repeated_hour_takes_the_first_occurrence() -> None:
    report = ImportReport()
    clock = Clock(BERLIN, LABEL, report)
    assert clock.parse("2026-10-25 02:10:00") == _utc(2026, 10, 25, 0, 10)
    assert "1 time read as the first occurrence" in report.assumptions[HOUR_SAID]


def test_a_stream_without_order_reads_the_first_occurrence_and_says_so() -> None:
    """A DB's rows: no file order to tell the two occurrences apart."""
    report = ImportReport()
    clock = Clock(BERLIN, LABEL, report, ordered=False)
    clock.parse("2026-10-25 02:50:00")
    assert clock.parse("2026-10-25 02:10:00") == _utc(2026, 10, 25, 0, 10)
    assert report.assumptions[HOUR_SAID] == (
        "(no order to tell which): 2 times read as the first occurrence")


def test_the_spring_forward_gap_keeps_the_offset_from_before_the_change() -> None:
    """02:30 on 2026-03-29 never happened in Berlin: read with CET, as zoneinfo's fold=0
    (the same instant as 03:30 CEST), and no assumption is said."""
    report = ImportReport()
    clock = Clock(BERLIN, LABEL, report)
    assert clock.parse("2026-03-29 01:59:59") == _utc(2026, 3, 29, 0, 59, 59)
    assert clock.parse("2026-03-29 02:30:00") == _utc(2026, 3, 29, 1, 30)
    assert clock.parse("2026-03-29 03:30:00") == _utc(2026, 3, 29, 1, 30)
    assert report.assumptions == {}


def test_strptime_formats_share_the_rule_and_the_caches() -> None:
    """Redis' ``25 Oct 2026 02:10:00.123``: one strptime per distinct second; the fraction
    is added as a number; the repeated hour as for ISO text."""
    clock = Clock(BERLIN, LABEL)
    fmt = "%d %b %Y %H:%M:%S.%f"
    assert clock.parse_format("25 Oct 2026 02:50:00.250", fmt) == \
        pytest.approx(_utc(2026, 10, 25, 0, 50) + 0.25)
    assert clock.parse_format("25 Oct 2026 02:10:00.5", fmt) == \
        pytest.approx(_utc(2026, 10, 25, 1, 10) + 0.5)
    assert clock.parse_format("25 Oct 2026 04:00:00.000", fmt) == _utc(2026, 10, 25, 3)
    assert list(clock.cache("%d %b %Y %H:%M:%S")) == ["25 Oct 2026 04:00:00"]


def test_each_second_is_parsed_once_and_the_fraction_added() -> None:
    clock = Clock(timezone.utc, "UTC")
    fmt = "%d %b %Y %H:%M:%S.%f"
    assert clock.parse_format("25 Nov 2026 08:41:51.660", fmt) == pytest.approx(1795596111.66)
    assert clock.parse_format("25 Nov 08:41:51.5", "%d %b %H:%M:%S.%f", year=2026) == \
        pytest.approx(1795596111.5)
    assert clock.parse_format("25 Nov 2026 08:41:51.990", fmt) == pytest.approx(1795596111.99)
    assert list(clock.cache("%d %b %Y %H:%M:%S")) == ["25 Nov 2026 08:41:51"]


def test_yearless_times_take_the_inferred_year_and_the_repeated_hour() -> None:
    """Redis 2.x: ``25 Oct 02:10:00.000`` with the year from the file's mtime."""
    mtime = _utc(2026, 11, 1)
    report = ImportReport()
    clock = Clock(BERLIN, LABEL, report, mtime=mtime)
    fmt = "%d %b %H:%M:%S.%f"
    first = clock.parse_format("25 Oct 02:50:00.000", fmt)
    second = clock.parse_format("25 Oct 02:10:00.000", fmt)
    assert (first, second) == (_utc(2026, 10, 25, 0, 50), _utc(2026, 10, 25, 1, 10))
    assert clock.years_said() == "2026 from file mtime"


def test_time_of_day_without_a_date_goes_through_the_repeated_hour_in_order() -> None:
    """bcc tools print ``HH:MM:SS`` only: the date from --start, midnights counted."""
    report = ImportReport()
    clock = Clock(BERLIN, LABEL, report, start=_utc(2026, 10, 24, 23, 0))
    times = [clock.time_of_day(t) for t in ("01:30:00", "02:40:00", "02:20:00", "03:10:00")]
    assert times == [_utc(2026, 10, 24, 23, 30), _utc(2026, 10, 25, 0, 40),
                     _utc(2026, 10, 25, 1, 20), _utc(2026, 10, 25, 2, 10)]
    assert report.assumptions["date"] == "from --start"


def test_one_off_times_with_no_stream_take_the_first_occurrence() -> None:
    assert local_epoch(datetime(2026, 10, 25, 2, 30), BERLIN) == _utc(2026, 10, 25, 0, 30)


def test_a_part_cut_inside_the_repeated_hour_learns_the_time_before_its_cut(
        tmp_path: Path) -> None:
    """A part of a big file parsed on its own (``-j``) starts with no previous time: the
    clock asks for the time before the cut, which looks back to the last unambiguous line
    and replays the repeated hour's lines after it."""
    log = tmp_path / "times.log"
    lines = [text for text, _ in ACROSS]
    log.write_text("\n".join(lines) + "\n")
    cut = sum(len(line) + 1 for line in lines[:6])     # the 7th line: 02:29:59, second

    def naive_of(text: str) -> datetime | None:
        return datetime.fromisoformat(text) if text else None

    report = ImportReport()
    clock = Clock(BERLIN, LABEL, report)
    clock.history = lambda: time_before(log, cut, clock, naive_of)
    assert clock.parse(lines[6]) == _utc(2026, 10, 25, 1, 29, 59)
    assert "1 time read as the second occurrence" in report.assumptions[HOUR_SAID]
    # and a cut just after the last unambiguous line before the hour: the first occurrence
    cut = sum(len(line) + 1 for line in lines[:1])
    fresh = Clock(BERLIN, LABEL)
    fresh.history = lambda: time_before(log, cut, fresh, naive_of)
    assert fresh.parse(lines[1]) == _utc(2026, 10, 25, 0, 0, 1)


def test_counts_of_merged_reports_add_up() -> None:
    """Parts of a file (``-j``) and units of an import each count their own ambiguous
    times: merged, the summary shows the sums, not the last part's."""
    from importers.core.runner import merge_report

    parts = []
    for texts in (["2026-10-25 02:50:00", "2026-10-25 02:10:00"], ["2026-10-25 02:20:00"]):
        report = ImportReport()
        clock = Clock(BERLIN, LABEL, report)
        for text in texts:
            clock.parse(text)
        parts.append(report)
    total = ImportReport()
    for part in parts:
        merge_report(total, part)
    assert total.assumptions[HOUR_SAID] == (
        "(file order): 2 times read as the first occurrence, "
        "1 time read as the second occurrence")
