"""``ev-import procs``: saved output of execsnoop/exitsnoop (bcc, bpftrace) and bpftrace JSON.

Inputs are real: fixtures/procs/captured/ was captured on this kind of host while
scripts/procs_workload.sh ran (scripts/make_procs_fixture.sh), and fixtures/procs/examples/
are the example outputs Debian's bpfcc-tools and bpftrace packages ship in their docs (prose
and all: the prose lines must come back as ``unparsed``, never as events).
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from conformance import assert_conforms
from conftest import FIXTURES, without_rate

from importers.cli import main
from importers.core.errors import UnusableInput
from importers.core.record import LINUX_PID
from importers.core.report import ImportReport
from importers.sources import procs
from importers.sources.procs.formats import TOOLS
from importers.sources.procs.rows import bpftrace_json

CAPTURED = FIXTURES / "procs" / "captured"
EXAMPLES = FIXTURES / "procs" / "examples"
BT_EXECSNOOP = CAPTURED / "bpftrace_execsnoop_bt.txt"
BT_JSON = CAPTURED / "bpftrace_sched_json.txt"
BCC_EXECSNOOP = EXAMPLES / "bcc" / "execsnoop_example.txt"
BCC_EXITSNOOP = EXAMPLES / "bcc" / "exitsnoop_example.txt"
BT_EXAMPLE = EXAMPLES / "bpftrace" / "execsnoop_example.txt"
ALL = [BT_EXECSNOOP, BT_JSON, BCC_EXECSNOOP, BCC_EXITSNOOP, BT_EXAMPLE]

START = "2026-11-25T08:40:00+00:00"
START_EPOCH = datetime(2026, 11, 25, 8, 40, tzinfo=timezone.utc).timestamp()
BOOT = "2026-11-25T08:30:00+00:00"
BOOT_EPOCH = START_EPOCH - 600


def _read(path: Path, report: ImportReport | None = None, **options) -> list[dict]:
    options.setdefault("start", START)
    options.setdefault("boot_time", BOOT)
    options.setdefault("tz", "UTC")
    return list(procs.read([path], report=report, **options))


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


# ---------------------------------------------------------------------------------------
# The format table and its samples (STYLE 2: a variant without a sample is a defect)


@pytest.mark.parametrize("variant", procs.VARIANTS, ids=lambda v: v.name)
def test_every_variant_has_samples_that_parse_as_declared(variant) -> None:
    """The table is run by the shared engine (tests/test_formats.py checks every sample
    generically); here, what a procs row becomes: each sample's header selects its variant,
    and the row's declared fields come out typed."""
    assert variant.samples, f"{variant.name} has no sample line"
    for sample in variant.samples:
        hit = TOOLS.match_header(sample.header)
        assert hit is not None and hit[0] is variant, (variant.name, sample.header)
        row = TOOLS.compiled(variant, hit[1]).match(sample.line)
        assert row, (variant.name, sample.line)
        assert {k: v for k, v in row.groupdict().items() if v is not None} == sample.fields
        fields = TOOLS.field_reader(variant, hit[1])(row)
        assert fields[LINUX_PID] == int(sample.fields["pid"])


def test_bpftrace_json_samples() -> None:
    for line, expected in procs.BT_SAMPLES:
        path_rows = bpftrace_json(orjson.loads(line), 1, line)
        assert {"event": path_rows.event, **path_rows.fields} == expected


def test_sample_lines_are_real_fixture_lines() -> None:
    text = "\n".join(p.read_text() for p in ALL)
    for variant in procs.VARIANTS:
        for sample in variant.samples:
            assert sample.line in text and sample.header in text, sample.line
    for line, _ in procs.BT_SAMPLES:
        assert line in text


# ---------------------------------------------------------------------------------------
# bpftrace execsnoop.bt, captured


def test_execsnoop_bt_every_line_accounted_for() -> None:
    """18 rows, one of them spanning two lines (an argv with a newline), no unparsed."""
    records = _read(BT_EXECSNOOP)
    lines = _lines(BT_EXECSNOOP)
    assert lines[1] == "TIME(ms)   PID   ARGS"            # the header: no event of its own
    events = Counter(r["ev.event"] for r in records)
    assert events == {"exec": 18, "tool_message": 1}
    spanned = sum(r.get("ev.line_count", 1) for r in records)
    assert spanned + 1 == len(lines)                      # + the header line
    assert [r["ev.lineno"] for r in records] == [1, *range(3, 15), *range(16, 22)]


def test_execsnoop_bt_row_field_by_field() -> None:
    [rec] = [r for r in _read(BT_EXECSNOOP) if r["ev.lineno"] == 9]
    # 1068       22791 /bin/sh -c exit 3
    assert rec["created"] == START_EPOCH + 1.068
    assert rec["formatted"] == "exec pid 22791: /bin/sh -c exit 3"
    assert rec["name"] == "linux.proc"
    assert (rec["levelname"], rec["levelno"]) == ("INFO", 20)
    assert rec["ev.source"] == "procs"
    assert rec["ev.origin"] == str(BT_EXECSNOOP)
    assert rec["ev.event"] == "exec"
    assert rec["ev.format"] == "execsnoop.bt"
    assert rec["linux.pid"] == 22791
    assert rec["linux.cmdline"] == "/bin/sh -c exit 3"
    assert rec["procs.time"] == "1068"
    assert len(rec) == 13


def test_execsnoop_bt_argv_with_a_newline_continues_on_the_next_line() -> None:
    [rec] = [r for r in _read(BT_EXECSNOOP) if r.get("ev.line_count")]
    lines = _lines(BT_EXECSNOOP)
    assert lines[13:15] == ["1673       22801 /bin/echo first line", "second line"]
    assert rec["ev.lineno"] == 14 and rec["ev.line_count"] == 2
    assert rec["linux.cmdline"] == "/bin/echo first line\nsecond line"
    assert rec["ev.raw"] == "\n".join(lines[13:15])       # kept: the split was our guess
    assert rec["formatted"] == "exec pid 22801: /bin/echo first line\\nsecond line"


def test_execsnoop_bt_and_bpftrace_json_saw_the_same_workload() -> None:
    """Two tools, one run: every successful exec pid of one is in the other."""
    execs = [r for r in _read(BT_EXECSNOOP) if r["ev.event"] == "exec"]
    bt = {r["linux.pid"] for r in execs}
    js = {r["linux.pid"] for r in _read(BT_JSON) if r["ev.event"] == "exec"}
    assert js <= bt
    # execsnoop.bt traces execve *entry*: it also shows the exec that failed (ENOENT)
    # and it saw the workload script's own exec, made before it joined the traced cgroup
    assert sorted(r["linux.cmdline"] for r in execs if r["linux.pid"] in bt - js) == [
        "/nonexistent/evimport-missing-cmd",
        "/work/main/scripts/procs_workload.sh /sys/fs/cgroup/unified/evimport-procs"]


# ---------------------------------------------------------------------------------------
# bpftrace -f json, captured


def test_bpftrace_json_every_record_accounted_for() -> None:
    records = _read(BT_JSON)
    lines = [ln for ln in _lines(BT_JSON) if ln.strip()]
    assert len(records) == len(lines)
    printf = sum('"type": "printf"' in ln for ln in lines)
    events = Counter(r["ev.event"] for r in records)
    assert events["fork"] + events["exec"] + events["exit"] == printf
    assert events == {"fork": 17, "exec": 16, "exit": 18, "tool_message": 1, "bpftrace_map": 1}


def test_bpftrace_json_exit_by_sigkill_field_by_field() -> None:
    [rec] = [r for r in _read(BT_JSON) if r.get("linux.exit_signal") == 9]
    assert rec["created"] == pytest.approx(BOOT_EPOCH + 486.618314049, abs=1e-6)
    assert rec["formatted"] == "exit pid 22792 sleep: killed by signal 9 (SIGKILL)"
    assert rec["ev.event"] == "exit"
    assert rec["ev.format"] == "bpftrace-json"
    assert rec["linux.ktime_ns"] == 486618314049
    assert rec["linux.pid"] == 22792 and rec["linux.ppid"] == 22759
    assert rec["linux.comm"] == "sleep"
    assert rec["linux.signal_name"] == "SIGKILL"
    assert "linux.exit_code" not in rec           # code=0 printed, meaningless with a signal
    assert len(rec) == 16


def test_bpftrace_json_exit_codes_and_forks() -> None:
    records = _read(BT_JSON)
    codes = {r["linux.comm"]: r["linux.exit_code"] for r in records
             if r["ev.event"] == "exit" and r.get("linux.exit_code")}
    assert codes == {"sh": 3, "python3": 7, "procs_workload.": 127}
    forks = [r for r in records if r["ev.event"] == "fork"]
    assert all(r["linux.parent_comm"] == "procs_workload." for r in forks)
    assert all("linux.comm" not in r for r in forks)  # the child's comm is not known yet
    [m] = [r for r in records if r["ev.event"] == "bpftrace_map"]
    assert m["bpftrace.map"]["@exits"]["sleep"] == 6 and "created" not in m


# ---------------------------------------------------------------------------------------
# bcc execsnoop and exitsnoop, the examples Debian ships


def test_bcc_execsnoop_example_rows_and_prose() -> None:
    records = _read(BCC_EXECSNOOP)
    lines = _lines(BCC_EXECSNOOP)
    events = Counter(r["ev.event"] for r in records)
    # 9 (plain) + 14 (-x) + 1 (-Ttn) + 9 (-l) + 2 (-U) + 7 (-Uu) rows in the doc
    assert events["exec"] + events["exec_failed"] == 42
    assert events["exec_failed"] == 3
    headers = [ln for ln in lines if re.match(r"^(TIME.*|UID\s+)?PCOMM", ln)]
    blank = sum(1 for ln in lines if not ln.strip())
    assert len(records) + len(headers) + blank == len(lines)
    # prose is unparsed, and says what was tried
    prose = [r for r in records if r["ev.event"] == "unparsed"]
    assert prose[0]["ev.raw"] == lines[0]
    assert prose[0]["ev.reason"].startswith("no format matched: no header seen; tried ")


def test_bcc_execsnoop_time_columns_row_field_by_field() -> None:
    """``execsnoop -Ttn mount``: a wall clock (read on --start's date, in --tz) and the
    seconds since the tool started, both kept."""
    [rec] = [r for r in _read(BCC_EXECSNOOP) if r.get("linux.pid") == 18049]
    assert rec["created"] == datetime(2026, 11, 25, 14, 8, 23, tzinfo=timezone.utc).timestamp()
    assert rec["formatted"] == "exec pid 18049 (ppid 1045): /bin/mount -p"
    assert rec["ev.lineno"] == 61 and rec["ev.format"] == "bcc-execsnoop"
    assert rec["linux.ppid"] == 1045
    assert rec["procs.pcomm"] == "mount"
    assert rec["linux.exec_ret"] == 0
    assert rec["linux.filename"] == "/bin/mount"
    assert rec["linux.cmdline"] == "/bin/mount -p"
    assert rec["procs.time"] == "14:08:23 2.849"
    assert len(rec) == 17


def test_bcc_execsnoop_failed_exec_and_uid_column() -> None:
    records = _read(BCC_EXECSNOOP)
    failed = [r for r in records if r["ev.event"] == "exec_failed"]
    assert {r["linux.pid"] for r in failed} == {9660, 9663, 9661}
    assert all(r["linux.exec_ret"] == -2 and r["levelname"] == "WARNING" for r in failed)
    assert all("linux.ppid" not in r for r in failed)  # this old release printed no PPID
    uids = [r for r in records if "linux.uid" in r]
    assert len(uids) == 9 and {r["linux.uid"] for r in uids} == {1000}
    [less] = [r for r in uids if r["procs.pcomm"] == "less"]
    assert (less["linux.pid"], less["linux.ppid"]) == (171355, 171340)


def test_bcc_exitsnoop_example_rows_and_signals() -> None:
    records = _read(BCC_EXITSNOOP)
    exits = [r for r in records if r["ev.event"] == "exit"]
    assert len(exits) == 15
    signalled = [r for r in exits if "linux.exit_signal" in r]
    assert [(r["linux.comm"], r["linux.exit_signal"], r["linux.signal_name"])
            for r in signalled] == [("sleep", 2, "SIGINT"), ("bash", 2, "SIGINT")] * 2
    lines = _lines(BCC_EXITSNOOP)
    blank = sum(1 for ln in lines if not ln.strip())
    assert len(records) + 2 + blank == len(lines)     # two header lines


def test_bcc_exitsnoop_utc_label_row_field_by_field() -> None:
    """``exitsnoop -t --utc -x --label=``: a UTC wall clock, on --start's date."""
    [rec] = [r for r in _read(BCC_EXITSNOOP) if r.get("linux.pid") == 18300]
    assert rec["created"] == datetime(2026, 11, 25, 13, 20, 22, 997000,
                                      tzinfo=timezone.utc).timestamp()
    assert rec["formatted"] == "exit pid 18300 bash: exit code 65"
    assert rec["ev.lineno"] == 58 and rec["ev.format"] == "bcc-exitsnoop"
    assert rec["linux.ppid"] == 17656 and rec["linux.comm"] == "bash"
    assert rec["linux.exit_code"] == 65
    assert rec["linux.age_seconds"] == 1.65
    assert rec["procs.label"] == "exit"
    assert rec["procs.time"] == "13:20:22.997"
    assert len(rec) == 17


def test_bpftrace_execsnoop_example_repeated_rows_are_kept() -> None:
    """The doc's execs repeat while $PATH is walked: each attempt is its own event."""
    records = _read(BT_EXAMPLE)
    execs = [r for r in records if r["ev.event"] == "exec"]
    assert len(execs) == 25
    assert Counter(r["linux.pid"] for r in execs)[3473] == 5
    assert [r["linux.cmdline"] for r in execs if r["linux.pid"] == 3479][0] == \
        "pager  -rLL=193n"                           # the doubled space is the tool's


# ---------------------------------------------------------------------------------------
# Every record, every file


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_records_conform_to_the_design(path: Path) -> None:
    assert assert_conforms(_read(path), "procs") > 10


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}_{p.stem}")
def test_golden_output(path: Path, golden) -> None:
    golden(f"procs_{path.parent.name}_{path.stem}", _read(path, host="node17"))


def test_captured_goldens_have_no_unparsed_records() -> None:
    for path in (BT_EXECSNOOP, BT_JSON):
        assert not [r for r in _read(path) if r["ev.event"] == "unparsed"]


# ---------------------------------------------------------------------------------------
# Time bases: what is assumed, and said


def test_without_start_the_mtime_is_the_last_event(tmp_path: Path) -> None:
    path = tmp_path / BT_EXECSNOOP.name
    shutil.copy(BT_EXECSNOOP, path)
    os.utime(path, (2_000_000_000, 2_000_000_000))
    report = ImportReport()
    records = list(procs.read([path], tz="UTC", report=report))
    execs = [r for r in records if r["ev.event"] == "exec"]
    assert execs[-1]["created"] == 2_000_000_000.0        # 1692 ms, the last row
    assert execs[0]["created"] == pytest.approx(2_000_000_000 - (1.692 - 0.843))
    assert report.assumptions == {
        "time base": "file mtime = last event (no --start; times approximate)"}


def test_wall_clock_is_read_in_the_zone_given(tmp_path: Path) -> None:
    utc = _read(BCC_EXECSNOOP, tz="UTC", start="2026-07-01T00:00:00")
    chicago = _read(BCC_EXECSNOOP, tz="America/Chicago", start="2026-07-01T00:00:00")
    [a] = [r for r in utc if r.get("linux.pid") == 18049]
    [b] = [r for r in chicago if r.get("linux.pid") == 18049]
    offset = ZoneInfo("America/Chicago").utcoffset(datetime(2026, 7, 1)).total_seconds()
    assert b["created"] - a["created"] == -offset
    report = ImportReport()
    _read(BCC_EXECSNOOP, report, tz="America/Chicago")
    assert report.assumptions["zone"] == "America/Chicago (--tz)"
    assert report.assumptions["date"] == "from --start"


def test_exitsnoop_utc_column_ignores_tz() -> None:
    a = {r["linux.pid"]: r["created"] for r in _read(BCC_EXITSNOOP, tz="UTC")
         if r.get("procs.time")}
    b = {r["linux.pid"]: r["created"] for r in _read(BCC_EXITSNOOP, tz="Asia/Tokyo")
         if r.get("procs.time")}
    assert a == b and len(a) == 7


def test_wall_clock_crossing_midnight_moves_to_the_next_day(tmp_path: Path) -> None:
    """Edge case (hand-made from the doc's header and a row's layout): 23:59 then 00:00."""
    path = tmp_path / "exitsnoop-t.txt"
    path.write_text(
        "TIME-UTC     PCOMM            PID    PPID   TID    AGE(s)  EXIT_CODE\n"
        "23:59:59.900 sleep            100    99     100    1.00    0\n"
        "00:00:00.100 sleep            101    99     101    1.00    0\n")
    a, b = _read(path, start="2026-11-25T12:00:00")
    assert b["created"] - a["created"] == pytest.approx(0.2)


# ---------------------------------------------------------------------------------------
# Bad input: truncated, junk, wrong encoding, empty, missing


def test_truncated_file_keeps_what_is_there(tmp_path: Path) -> None:
    data = BT_EXECSNOOP.read_bytes()
    path = tmp_path / "cut.txt"
    path.write_bytes(data[: data.index(b"/bin/true") + 4])   # cut inside a row
    records = _read(path)
    assert records[-1]["linux.cmdline"] == "/bin"
    assert len(records) == 4 and not [r for r in records if r["ev.event"] == "unparsed"]


def test_binary_junk_and_wrong_encoding_become_unparsed_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    latin1 = "1700       22811 /bin/echo caf\u00e9\n".encode("latin-1")
    path.write_bytes(BT_EXECSNOOP.read_bytes() + b"\n\x00\x01\x02\xff\xfe garbage\n" + latin1)
    report = ImportReport()
    records = _read(path, report)
    [junk] = [r for r in records if r["ev.event"] == "unparsed"]
    assert junk["ev.raw"].startswith("\x00\x01\x02")
    assert junk["ev.reason"] == "no format matched: execsnoop.bt"
    assert records[-1]["linux.cmdline"] == "/bin/echo caf\ufffd"   # kept, with a mark
    assert report.problems["InvalidUtf8"] == 2 and report.partial
    assert report.problems["UnparsedLine"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "error: empty file: {p} (nothing to import)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00",
         "error: not process-event output: {p} (expected the output of execsnoop.bt, "
         "bcc-execsnoop, bcc-exitsnoop, bpftrace-json with its header line)"),
    ],
    ids=["empty", "png"],
)
def test_unusable_file_is_one_error_line(tmp_path: Path, capsys, content, message) -> None:
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    code = main(["procs", str(path), "--pool", str(tmp_path / "pool")])
    assert code == 2
    assert capsys.readouterr().err == message.format(p=path) + "\n"
    assert not list((tmp_path / "pool").glob("*.jsonlog"))


def test_missing_file_and_bad_start(tmp_path: Path, capsys) -> None:
    assert main(["procs", str(tmp_path / "nope.txt"), "--pool", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot read: {tmp_path / 'nope.txt'} (No such file or directory)\n")
    with pytest.raises(UnusableInput, match="cannot read --start: yesterday"):
        list(procs.read([BT_EXECSNOOP], start="yesterday"))


def test_one_bad_file_among_good_ones_is_partial(tmp_path: Path, capsys) -> None:
    """The several-inputs rule: an unreadable file among good ones is named, the rest is
    imported (exit 1); an empty one holds no evidence and is only said (exit 0)."""
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.txt"
    pool_dir = tmp_path / "pool"
    code = main(["procs", str(BT_EXECSNOOP), str(empty), "--pool", str(pool_dir),
                 "--start", START, "--tz", "UTC"])
    assert code == 0
    [written] = list(pool_dir.glob("*.jsonlog"))
    assert without_rate(capsys.readouterr().err) == (
        f"procs: 19 events (0 unparsed) from {BT_EXECSNOOP}, {empty} -> {written}; "
        f"time base --start (tool start); empty files, skipped {empty}\n")
    code = main(["procs", str(BT_EXECSNOOP), str(missing), "--pool", str(pool_dir),
                 "--start", START, "--tz", "UTC"])
    assert code == 1
    assert without_rate(capsys.readouterr().err) == (
        f"procs: 19 events (0 unparsed) from {BT_EXECSNOOP}, {missing} -> {written}; "
        f"time base --start (tool start); UnreadableFile x1 ({missing}: cannot read)\n")


def test_cli_summary_names_the_assumed_bases(tmp_path: Path, capsys) -> None:
    pool_dir = tmp_path / "pool"
    code = main(["procs", str(BCC_EXITSNOOP), "--pool", str(pool_dir), "--start", START,
                 "--tz", "UTC", "--host", "node17"])
    assert code == 1                                   # the doc's prose is unparsed
    [written] = list(pool_dir.glob("*.jsonlog"))
    assert written.name.startswith("procs-")
    assert without_rate(capsys.readouterr().err) == (
        f"procs: 126 events (111 unparsed) from {BCC_EXITSNOOP} -> {written}; "
        "date from --start\n")


def test_sniff_recognises_the_tools_output_and_nothing_else() -> None:
    """For ``ev-import auto``: our fixtures are recognised, the capture's notes are not."""
    for path in ALL:
        assert procs.sniff(path.read_bytes()[:8192]), path
    for path in (CAPTURED / "ENVIRONMENT.txt", CAPTURED / "netlink_probe_true.txt",
                 CAPTURED / "bpftrace_sched.bt"):
        assert not procs.sniff(path.read_bytes()[:8192]), path
