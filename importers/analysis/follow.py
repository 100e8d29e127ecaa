"""Follow a live pool: ``tail -f`` over every ``*.jsonlog`` in it, merged in time order.

A pool being written has several writers at once: ``ev-import watch-procs`` appending batches
to its file, Academy's and Parsl's JSON loggers appending to theirs. Following means:

* every file is read from where it was (new files from their first line), whatever their
  depth in the pool, and the pool is rescanned so files that appear later are picked up;
* only complete lines are taken: a writer's unfinished last line (no ``\\n`` yet) is kept
  back until the rest arrives, never parsed half-written and never skipped;
* records from different files are merged in ``created`` order within a small window:
  each record waits ``window`` seconds after it was read, so a record another writer
  flushes a little later still comes out in its place. Records with no ``created`` come
  first, as the pool reader sorts them;
* a file that is replaced (a re-import renames a new file into place) is read again from
  its start, and one that shrinks (truncated) from its new start; both are reported through
  ``notice``.

Lines that are not JSON objects become ``unparsed`` records, as :func:`importers.core.pool.read`
makes them. Memory is what the window holds, plus one unfinished line per file.

Example::

    from importers.analysis.follow import follow
    for rec in follow("evpool", where={"ev.source": "procs"}):
        print(rec["created"], rec["formatted"])
"""

from __future__ import annotations

import heapq
import itertools
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..core.pool import FILE_KEY, SUFFIX, coerce_record
from ..core.record import unparsed

Record = dict[str, Any]
Matcher = Callable[[Record], bool]

WINDOW = 0.3        # seconds a record waits for earlier ones from other files
POLL = 0.05         # seconds between looks at the files' sizes
RESCAN = 0.5        # seconds between looks for new files
READ_BYTES = 1 << 20


@dataclass
class _Tail:
    """Where one pool file is being read from."""

    path: Path
    dev: int
    ino: int
    offset: int          # bytes consumed: always just after a newline
    lineno: int          # lines consumed (for the provenance of unparsed lines)


def _pool_files(pool: Path) -> Iterator[Path]:
    """Every ``*.jsonlog`` under the pool, dot-files (temporaries) and dot-dirs excluded."""
    stack = [pool]
    while stack:
        top = stack.pop()
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.name.endswith(SUFFIX) and entry.is_file():
                yield Path(entry.path)


def _end_of_complete_lines(path: Path, size: int) -> int:
    """The offset just after the last newline of the file's first ``size`` bytes."""
    if size == 0:
        return 0
    with open(path, "rb") as fh:
        pos = size
        while pos > 0:
            start = max(0, pos - 65536)
            fh.seek(start)
            chunk = fh.read(pos - start)
            at = chunk.rfind(b"\n")
            if at >= 0:
                return start + at + 1
            pos = start
    return 0


def _count_lines(path: Path, end: int) -> int:
    count = 0
    with open(path, "rb") as fh:
        remaining = end
        while remaining:
            chunk = fh.read(min(remaining, READ_BYTES))
            if not chunk:
                break
            count += chunk.count(b"\n")
            remaining -= len(chunk)
    return count


def _parse(line: bytes, origin: str, lineno: int) -> Record | None:
    try:
        rec = orjson.loads(line)
    except orjson.JSONDecodeError:
        rec = None
    if isinstance(rec, dict):
        coerce_record(rec)
        rec[FILE_KEY] = origin
        return rec
    if not line.strip():
        return None
    return unparsed(line.decode("utf-8", "replace").rstrip("\r\n"), source="pool",
                    origin=origin, name="ev.pool", reason="not a JSON object",
                    lineno=lineno, fields={FILE_KEY: origin})


def _epoch(value: Any) -> float | None:
    """``--since``/``--until`` values: epoch seconds, or an ISO time (naive = local)."""
    if value is None or isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _same(have: Any, want: Any) -> bool:
    if have == want:
        return True
    return have is not None and str(have) == str(want)


def matcher(
    where: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    has: Iterable[str] = (),
    since: Any = None,
    until: Any = None,
    grep: str | None = None,
) -> Matcher:
    """A record predicate with ``show``'s filters: key=value (a value compared as text when
    the types differ, so ``parsl.task_id=3`` matches 3 and "3"), key present, time window
    (a record with no ``created`` is outside any window), regex on ``formatted``."""
    pairs = list(where.items() if isinstance(where, Mapping) else where or ())
    keys = list(has)
    low, high = _epoch(since), _epoch(until)
    pattern = re.compile(grep) if grep else None

    def match(rec: Record) -> bool:
        for key, value in pairs:
            if not _same(rec.get(key), value):
                return False
        for key in keys:
            if rec.get(key) is None:
                return False
        if low is not None or high is not None:
            created = rec.get("created")
            if not isinstance(created, (int, float)):
                return False
            if low is not None and created < low:
                return False
            if high is not None and created > high:
                return False
        if pattern is not None and not pattern.search(str(rec.get("formatted", ""))):
            return False
        return True

    return match


class PoolFollower:
    """The state of following one pool; :meth:`poll` reads, :meth:`ready` emits in order.

    ``from_start``: read the files already there from their first line (for ``--since``);
    otherwise only what is appended from now on (as ``tail -f -n 0``).
    """

    def __init__(
        self,
        pool: str | os.PathLike,
        *,
        match: Matcher | None = None,
        from_start: bool = False,
        window: float = WINDOW,
        rescan: float = RESCAN,
        notice: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool = Path(pool)
        self.match = match or (lambda rec: True)
        self.window = window
        self.rescan_every = rescan
        self.notice = notice or (lambda text: None)
        self.clock = clock
        self.tails: dict[Path, _Tail] = {}
        self._heap: list[tuple[float, int, float, Record]] = []
        self._seq = itertools.count()
        self._last_scan = -1e300
        self.read_records = 0
        self._scan(initial=True, from_start=from_start)

    # -- files --------------------------------------------------------------------------

    def _scan(self, initial: bool = False, from_start: bool = False) -> None:
        self._last_scan = self.clock()
        for path in _pool_files(self.pool):
            if path in self.tails:
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            if initial and not from_start:
                offset = _end_of_complete_lines(path, st.st_size)
                tail = _Tail(path, st.st_dev, st.st_ino, offset, _count_lines(path, offset))
            else:
                tail = _Tail(path, st.st_dev, st.st_ino, 0, 0)
                if not initial:
                    self.notice(f"following new file {path}")
            self.tails[path] = tail

    def _read(self, tail: _Tail, now: float) -> int:
        try:
            st = tail.path.stat()
        except FileNotFoundError:
            del self.tails[tail.path]
            self.notice(f"file removed: {tail.path}")
            return 0
        if (st.st_dev, st.st_ino) != (tail.dev, tail.ino):
            self.notice(f"file replaced, reading it from its start: {tail.path}")
            tail.dev, tail.ino, tail.offset, tail.lineno = st.st_dev, st.st_ino, 0, 0
        elif st.st_size < tail.offset:
            self.notice(f"file truncated, reading it from its start: {tail.path}")
            tail.offset = tail.lineno = 0
        if st.st_size <= tail.offset:
            return 0
        count = 0
        for rec in self._records(tail):
            self._push(rec, now)
            count += 1
        return count

    def _records(self, tail: _Tail) -> Iterator[Record]:
        """The matching records of ``tail``'s complete lines past its offset, advancing it.
        An unfinished last line is left for a later look, however long it is."""
        origin = str(tail.path)
        match = self.match
        with open(tail.path, "rb") as fh:
            fh.seek(tail.offset)
            rest = b""
            while True:
                data = fh.read(READ_BYTES)
                if not data:
                    return
                data = rest + data if rest else data
                end = data.rfind(b"\n") + 1
                rest = data[end:]
                for line in data[:end].splitlines(keepends=True):
                    tail.lineno += 1
                    tail.offset += len(line)
                    rec = _parse(line, origin, tail.lineno)
                    if rec is not None and match(rec):
                        yield rec

    def _push(self, rec: Record, now: float) -> None:
        created = rec.get("created")
        key = created if isinstance(created, (int, float)) else float("-inf")
        heapq.heappush(self._heap, (key, next(self._seq), now, rec))
        self.read_records += 1

    # -- the loop -----------------------------------------------------------------------

    def catch_up(self) -> Iterator[Record]:
        """What the files hold already (``from_start``), merged by ``created``, streaming:
        each file is read in order, as a pool reader merges time-ordered files."""
        def keyed(tail: _Tail) -> Iterator[tuple[float, int, Record]]:
            for rec in self._records(tail):
                created = rec.get("created")
                key = created if isinstance(created, (int, float)) else float("-inf")
                yield key, next(self._seq), rec
        streams = [keyed(tail) for tail in list(self.tails.values())]
        for _key, _seq, rec in heapq.merge(*streams):
            yield rec

    def poll(self) -> int:
        """Look for new files (when due) and read what was appended; return records read."""
        now = self.clock()
        if now - self._last_scan >= self.rescan_every:
            self._scan()
        return sum(self._read(tail, now) for tail in list(self.tails.values()))

    def ready(self, flush: bool = False) -> Iterator[Record]:
        """Records whose wait is over, earliest ``created`` first (all of them if ``flush``)."""
        limit = self.clock() - self.window
        heap = self._heap
        while heap and (flush or heap[0][2] <= limit):
            yield heapq.heappop(heap)[3]

    def pending(self) -> int:
        return len(self._heap)


def follow(
    pool: str | os.PathLike,
    *,
    where: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    has: Iterable[str] = (),
    since: Any = None,
    grep: str | None = None,
    window: float = WINDOW,
    poll: float = POLL,
    duration: float | None = None,
    stop: Callable[[], bool] | None = None,
    notice: Callable[[str], None] | None = None,
) -> Iterator[Record]:
    """Yield the pool's records as they are appended, in time order within ``window``.

    With ``since``, the files already there are read from their start and records from
    that time on come first; without it, only what is appended from now on. Runs until
    ``duration`` seconds have passed or ``stop()`` returns true, then yields what it holds.
    """
    follower = PoolFollower(pool, match=matcher(where, has, since, None, grep),
                            from_start=since is not None, window=window, notice=notice)
    if notice is not None:
        notice(f"following {len(follower.tails)} files under {pool}")
    if since is not None:
        yield from follower.catch_up()
    deadline = None if duration is None else time.monotonic() + duration
    while True:
        follower.poll()
        yield from follower.ready()
        if (stop is not None and stop()) or (deadline is not None
                                              and time.monotonic() >= deadline):
            break
        time.sleep(poll)
    follower.poll()
    yield from follower.ready(flush=True)
