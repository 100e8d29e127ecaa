"""``squeue`` snapshots are streamed: an import holds one snapshot's jobs at a time, never all
of them, so memory does not grow with the number of snapshots (a loop saving ``squeue``
every minute makes 1440 files a day).

The inputs are the real snapshots of fixtures/slurm (scripts/make_slurm_fixture.sh), copied
with shifted names: copy k of ``squeue_04_20261125T085445Z.json`` is
``squeue_k_04_<the same time + k hours>Z.json``, so every copy is its own moment and the
fixture's state changes happen again in each copy.
"""

from __future__ import annotations

import re
import shutil
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES

from importers.cli import main
from importers.core.errors import UnusableInput
from importers.core.report import ImportReport
from importers.sources import squeue
from importers.sources.squeue import snapshots

SLURM = FIXTURES / "slurm"
REAL = sorted(SLURM.glob("squeue_*.*"))        # 12 text and 4 JSON snapshots
_NAME = re.compile(r"squeue_(\d+)_(\d{8}T\d{6})Z\.(txt|json)$")


def shifted_copies(directory: Path, copies: int) -> list[Path]:
    """``copies`` copies of every real snapshot, copy k taken k hours after the original."""
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for k in range(copies):
        for path in REAL:
            m = _NAME.search(path.name)
            when = datetime.strptime(m[2], "%Y%m%dT%H%M%S") + timedelta(hours=k)
            copy = directory / f"squeue_{k:04d}_{m[1]}_{when:%Y%m%dT%H%M%S}Z.{m[3]}"
            shutil.copyfile(path, copy)
            out.append(copy)
    return out


def peak_while_importing(paths: list[Path]) -> tuple[int, int]:
    """(events, peak bytes traced by tracemalloc) of one import, events thrown away as
    they come, as the pool writer does."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in squeue.read(paths, tz="UTC", report=ImportReport()))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_flat_in_the_number_of_snapshots(tmp_path: Path) -> None:
    """10x more snapshots (32 -> 320 files): the peak grows by less than 1 KiB per added
    snapshot, what the first pass keeps of each file (its time, how the time was found, its
    format and path). Holding every snapshot's jobs, as the importer once did, grew it by
    about 26 KiB per snapshot here (1.5 -> 9.1 MB)."""
    few = shifted_copies(tmp_path / "few", 2)
    many = shifted_copies(tmp_path / "many", 20)
    peak_while_importing(few)     # imports and caches warmed up outside the measure
    events_few, peak_few = peak_while_importing(few)
    events_many, peak_many = peak_while_importing(many)
    assert events_many > 9 * events_few        # the work did grow tenfold
    added = len(many) - len(few)
    assert peak_many - peak_few < 1024 * added, (peak_few, peak_many)


def test_streamed_json_equals_json_read_whole(tmp_path: Path, monkeypatch) -> None:
    """A JSON snapshot over ``JSON_WHOLE_MAX`` is streamed job by job (ijson) instead of
    parsed whole: the same events, byte for byte."""
    paths = shifted_copies(tmp_path, 2)
    whole = [orjson.dumps(r) for r in squeue.read(paths, tz="UTC")]
    monkeypatch.setattr(snapshots, "JSON_WHOLE_MAX", 0)
    streamed = [orjson.dumps(r) for r in squeue.read(paths, tz="UTC")]
    assert streamed == whole and len(whole) > 400


@pytest.mark.parametrize("whole_max", [snapshots.JSON_WHOLE_MAX, 0])
def test_a_bad_file_is_found_before_anything_is_yielded(tmp_path: Path, monkeypatch,
                                                        whole_max: int) -> None:
    """Every file is checked (a JSON document to its end) before the first event: a
    truncated snapshot listed last stops a library call without a report before any event,
    whether it would be parsed whole or streamed."""
    monkeypatch.setattr(snapshots, "JSON_WHOLE_MAX", whole_max)
    good = shifted_copies(tmp_path, 1)
    cut = tmp_path / "squeue_9999_04_20261126T085445Z.json"
    data = (SLURM / "squeue_04_20261125T085445Z.json").read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    events = squeue.read_files([*good, cut], tz="UTC")
    with pytest.raises(UnusableInput, match="not valid JSON"):
        next(events)


def test_several_files_one_rule(tmp_path: Path, capsys) -> None:
    """DESIGN §5: a snapshot that cannot be used among good ones is named (UnreadableFile),
    an empty one only said, and the others are imported, exit 1; before, one truncated
    JSON snapshot made the whole import exit 2 with nothing imported."""
    good = shifted_copies(tmp_path / "in", 1)
    cut = tmp_path / "in" / "squeue_9999_04_20261126T085445Z.json"
    data = (SLURM / "squeue_04_20261125T085445Z.json").read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    empty = tmp_path / "in" / "squeue_9999_05_20261126T085446Z.txt"
    empty.write_bytes(b"")
    pool = tmp_path / "pool"
    argv = ["squeue", "--pool", str(pool), "--tz", "UTC"]
    for path in [*good, cut, empty]:
        argv += ["--file", str(path)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"UnreadableFile x1 ({cut}: not valid JSON)" in err
    assert f"empty files, skipped {empty}" in err
    records = [orjson.loads(line) for f in pool.rglob("*.jsonlog")
               for line in f.read_bytes().splitlines()]
    alone = list(squeue.read(good, tz="UTC"))
    assert len(records) == len(alone)
    assert {r["ev.origin"] for r in records} == {str(p) for p in good}


def test_a_job_that_is_not_an_object_is_kept_unparsed(tmp_path: Path) -> None:
    """A real document with one job replaced by a number (hand-made damage, for this one
    edge): the job becomes an ``unparsed`` record with its JSON text, the others are read."""
    doc = orjson.loads((SLURM / "squeue_04_20261125T085445Z.json").read_bytes())
    jobs = len(doc["jobs"])
    doc["jobs"][1] = 12345
    path = tmp_path / "squeue_04_20261125T085445Z.json"
    path.write_bytes(orjson.dumps(doc))
    records = list(squeue.read([path]))
    assert [r["ev.raw"] for r in records if r["ev.event"] == "unparsed"] == ["12345"]
    assert sum(r["ev.event"] == "job_snapshot" for r in records) == jobs - 1


def test_mtimes_a_copy_set_are_one_unknown_time(tmp_path: Path) -> None:
    """``cp`` without -p (or a clone, a tar) sets the snapshots' mtimes milliseconds apart,
    in the order it copied them, not when squeue ran. Ordered by those mtimes the real
    snapshots, copied last-first, made jobs go back from COMPLETED to PENDING. Mtimes within
    a second of each other are one unknown time: the snapshots are ordered by name, no state
    change is made up between them, and BadTimestamp says to give --at."""
    real = sorted(SLURM.glob("squeue_*.txt"))
    copies = []
    for index, path in reversed(list(enumerate(real))):    # newest copied first
        copy = tmp_path / f"q{index:02d}.txt"                # no time in the name
        shutil.copy(path, copy)
        copies.append(copy)
    report = ImportReport()
    events = list(squeue.read(copies, report=report))
    assert report.problems["BadTimestamp"] == 1
    [said] = report.details["BadTimestamp"]
    assert said.startswith(f"{len(real)} snapshots have file mtimes within ")
    assert said.endswith("(q00.txt, ...), as a copy, a clone or a tar sets them: their times "
                         "are unknown, they are given the first and ordered by name; give "
                         "--at per file")
    assert len({r["created"] for r in events}) == 1
    assert not [r for r in events if r["ev.event"] == "job_state_change"]
    order = [r["ev.origin"] for r in events]
    assert order == sorted(order)


def test_auto_keeps_each_directory_of_snapshots_its_own_timeline(tmp_path: Path,
                                                                 capsys) -> None:
    """Two snapshot loops (two directories): ``auto`` imports each directory's snapshots
    together, one pool file each; once, every squeue file it found was one timeline, so a
    job COMPLETED in one directory went back to PENDING in the other."""
    first = tmp_path / "queue-a"
    second = tmp_path / "queue-b"
    shifted_copies(first, 1)
    later = shifted_copies(tmp_path / "tmp", 2)[len(REAL):]     # copy 1: an hour later
    second.mkdir()
    for path in later[:4]:      # the first snapshots again: jobs PENDING
        shutil.move(str(path), second / path.name)
    pool = tmp_path / "pool"
    main(["auto", str(first), str(second), "--pool", str(pool), "--tz", "UTC"])
    capsys.readouterr()
    files = sorted(pool.glob("squeue-*.jsonlog"))
    assert len(files) == 2
    alone_a = [r for r in squeue.read(sorted(first.iterdir()), tz="UTC")
               if r["ev.event"] == "job_state_change"]
    changes = [orjson.loads(line) for f in files for line in f.read_bytes().splitlines()]
    changes = [r for r in changes if r["ev.event"] == "job_state_change"]
    assert len([r for r in changes if r["ev.origin"].startswith(str(first))]) == len(alone_a)
    assert not [r for r in changes if r["ev.origin"].startswith(str(second))
                and r.get("slurm.prev_state") in ("COMPLETED", "FAILED", "CANCELLED")]
