"""Follow text logs that are still being written, into the pool, exactly once.

``ev-import auto --follow`` keeps importing a Parsl or Redis log while the program writes it.
Each followed log has its own pool file (appended, as a watcher's is) and a checkpoint under
``<pool>/.follow/`` (a dot-dir: no ``*.jsonlog`` glob sees it). The rules, and the failure
each one prevents:

* **Only whole records.** Bytes are taken up to the last newline, and the last record is
  held back until the next record starts (or the file has been quiet for ``settle``
  seconds), because a Python traceback's continuation lines arrive after the record they
  belong to. So the checkpoint offset is always at a record's first line, and a re-parse
  from it gives the same records.
* **Exactly once across restarts.** A batch is appended to the pool file and fsynced, *then*
  the checkpoint (source offset + the pool file's size) is written and renamed into place.
  On restart the pool file is cut back to the checkpoint's size: a batch whose checkpoint
  was never written is removed and parsed again, never doubled.
* **Identity by inode, checked by fingerprint.** A file is its (device, inode); the first
  bytes' hash (up to 1 KiB) guards against an inode reused by a new file after a delete.
  Unlike fingerprint-only trackers (OpenTelemetry's filelog receiver identifies files by
  their first bytes), two logs that start with the same banner are not taken for one file.
* **Rotation by rename** (Python's ``RotatingFileHandler``, logrotate's default): the old file
  is kept open and read to its end, and read again for ``grace`` seconds in case the writer
  has not reopened yet, before the new file is read from its start. After a restart, the
  checkpointed inode is looked for among the log's siblings (``parsl.log.1``...) and read
  from the checkpoint on: lines written to it after the last checkpoint are not lost, the
  loss OpenTelemetry's filelog receiver has when a file rotates between polls.
* **Truncation** (logrotate's ``copytruncate``): the size drops below the offset, or the first
  bytes change. The copy is looked for among the siblings (same fingerprint, at least the
  offset long) and its rest read first; then the file is read from its start. What was
  written between logrotate's copy and its truncate is lost by copytruncate itself: that
  is said, not hidden.
* A rotated file that is gone when we look for it (deleted, or compressed to ``.gz``) is
  reported as a named problem with the byte offset from which lines may be missing.

Example::

    tail = FollowedLog("runinfo/000/parsl.log", parse, is_record_start,
                       pool="evpool", source="parsl-logs")
    tail.run(stop=lambda: False)
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .identity import input_id
from .pool import SUFFIX, _fallback, _open_in_pool
from .record import ORIGIN
from .report import FOLLOW_LOST, ImportReport

FP_BYTES = 1024
CHUNK = 4 << 20          # bytes parsed per piece: memory stays flat on a big backlog
STATE_DIR = ".follow"

# (readable path, start byte, end byte, line number of the first line) -> records. A parser
# that learns something from early lines it needs later (Parsl's run id) keeps it in a
# ``context`` dict attribute, which is saved with the checkpoint and given back on restart.
Parse = Callable[[Path, int, int, int], Iterator[dict[str, Any]]]


@dataclass
class FileState:
    """One physical file being read: where, and how to know it again."""

    dev: int
    ino: int
    offset: int = 0          # bytes consumed, always at a record's first line
    lineno: int = 0          # lines consumed
    fp: str = ""             # sha256 of the first fp_len bytes
    fp_len: int = 0
    size_seen: int = 0       # size at the last look (to tell growth from quiet)
    changed_at: float = 0.0  # monotonic time of the last growth (not checkpointed)
    until: float | None = None   # for a rotated file: read until then (monotonic)


@dataclass
class Checkpoint:
    path: str
    pool_file: str
    pool_size: int = 0
    current: FileState | None = None
    draining: list[FileState] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)   # the parser's, if it keeps one

    def dump(self) -> bytes:
        def state(s: FileState) -> dict[str, Any]:
            d = asdict(s)
            d.pop("changed_at")
            d.pop("until")
            return d
        return orjson.dumps({
            "path": self.path, "pool_file": self.pool_file, "pool_size": self.pool_size,
            "current": state(self.current) if self.current else None,
            "draining": [state(s) for s in self.draining],
            "context": self.context,
        })

    @classmethod
    def load(cls, data: bytes) -> Checkpoint:
        obj = orjson.loads(data)
        cur = obj.get("current")
        return cls(obj["path"], obj["pool_file"], obj.get("pool_size", 0),
                   FileState(**cur) if cur else None,
                   [FileState(**s) for s in obj.get("draining", ())],
                   obj.get("context") or {})


def _fingerprint(fd: int, length: int) -> str:
    return hashlib.sha256(os.pread(fd, length, 0)).hexdigest() if length else ""


def _siblings(path: Path) -> list[Path]:
    """Files next to ``path`` whose name starts with its name (``parsl.log.1``,
    ``redis.log-20261125``): where rotation puts the old file."""
    try:
        return sorted(p for p in path.parent.iterdir()
                      if p.name.startswith(path.name) and p != path and p.is_file())
    except OSError:
        return []


class FollowedLog:
    """One text log followed into one pool file, with its checkpoint."""

    def __init__(
        self,
        path: str | os.PathLike,
        parse: Parse | None,
        is_record_start: Callable[[bytes], bool] | None,
        *,
        pool: str | os.PathLike,
        source: str,
        settle: float = 1.0,
        grace: float = 5.0,
        report: ImportReport | None = None,
        notice: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        pool_name: Path | None = None,
    ) -> None:
        """``parse=None`` copies the lines verbatim (a pool-format file, e.g. Academy's
        JSON log); ``is_record_start=None`` makes every line a record. ``pool_name``
        overrides where in the pool the output goes (relative to the pool)."""
        self.path = Path(path)
        self.source = source
        self.parse = parse
        self.is_record_start = is_record_start
        self.pool = Path(pool)
        self.settle = settle
        self.grace = grace
        self.report = report if report is not None else ImportReport()
        self.notice = notice or (lambda text: None)
        self.clock = clock
        # Its own pool file, named like every pool file after its input (host + real path),
        # with "-follow" so a one-shot import of the same input never writes the same file.
        ident = input_id([self.path])
        self.out_path = (self.pool / pool_name if pool_name is not None
                         else self.pool / f"{source}-follow-{ident}{SUFFIX}")
        self.state_path = self.pool / STATE_DIR / f"{source}-{ident}.json"
        self.fds: dict[tuple[int, int], int] = {}
        self.records = 0
        self._out = None
        self._saved = b""
        self.ckpt = Checkpoint(str(self.path.resolve()), str(self.out_path))

    # -- files --------------------------------------------------------------------------

    def _open(self, path: Path) -> tuple[int, os.stat_result] | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        st = os.fstat(fd)
        key = (st.st_dev, st.st_ino)
        if key in self.fds:
            os.close(fd)
            return self.fds[key], st
        self.fds[key] = fd
        return fd, st

    def _close(self, state: FileState) -> None:
        fd = self.fds.pop((state.dev, state.ino), None)
        if fd is not None:
            os.close(fd)

    def _fd(self, state: FileState) -> int | None:
        return self.fds.get((state.dev, state.ino))

    def _matches(self, fd: int, state: FileState) -> bool:
        return _fingerprint(fd, state.fp_len) == state.fp

    def _find(self, state: FileState, where: list[Path]) -> int | None:
        """Open the file ``state`` describes, looking in ``where`` (same inode and
        fingerprint); None if it is gone."""
        for candidate in where:
            try:
                st = candidate.stat()
            except OSError:
                continue
            if (st.st_dev, st.st_ino) != (state.dev, state.ino):
                continue
            opened = self._open(candidate)
            if opened and self._matches(opened[0], state):
                return opened[0]
            if opened:
                self._close(state)
        return None

    def _find_copy(self, state: FileState) -> FileState | None:
        """A copy of the file as ``state`` knew it (copytruncate's), among the siblings."""
        for candidate in _siblings(self.path):
            opened = self._open(candidate)
            if opened is None:
                continue
            fd, st = opened
            if ((st.st_dev, st.st_ino) != (state.dev, state.ino)
                    and st.st_size >= state.offset and self._matches(fd, state)):
                return FileState(st.st_dev, st.st_ino, state.offset, state.lineno, state.fp,
                                 state.fp_len, st.st_size, self.clock(), self.clock())
            self._close(FileState(st.st_dev, st.st_ino))
        return None

    def _lost(self, state: FileState, why: str) -> None:
        self.report.problem(FOLLOW_LOST, f"{self.path}: {why}; lines after byte "
                                         f"{state.offset} of that file may be missing")
        self.notice(f"{self.path}: {why} (lines after byte {state.offset} may be missing)")

    # -- start and restart ---------------------------------------------------------------

    def start(self) -> None:
        """Open the pool file; resume from the checkpoint if there is one."""
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        self._out = _open_in_pool(self.out_path.parent, self.out_path, "ab", 0)
        if not self.state_path.exists():
            if os.fstat(self._out.fileno()).st_size:
                # A pool file with no checkpoint: written by a run that died before its first
                # checkpoint. Start again from the log's beginning, without its records.
                os.ftruncate(self._out.fileno(), 0)
            return
        saved = Checkpoint.load(self.state_path.read_bytes())
        size = os.fstat(self._out.fileno()).st_size
        if size > saved.pool_size:
            os.ftruncate(self._out.fileno(), saved.pool_size)   # an unconfirmed batch
            self.notice(f"{self.out_path.name}: removed {size - saved.pool_size} bytes of a "
                        "batch written after the last checkpoint (they are read again)")
        elif size < saved.pool_size:
            self.notice(f"{self.out_path.name}: shorter than its checkpoint says; "
                        "continuing from the checkpoint")
        self.ckpt.pool_size = saved.pool_size
        context = getattr(self.parse, "context", None)
        if isinstance(context, dict):
            context.update(saved.context)
        now = self.clock()
        candidates = [self.path, *_siblings(self.path)]
        for state in saved.draining:
            if self._find(state, candidates) is None:
                self._lost(state, "a rotated file is gone")
            else:
                state.until = now + self.grace
                state.changed_at = now
                self.ckpt.draining.append(state)
        cur = saved.current
        if cur is not None:
            fd = self._find(cur, candidates)
            if fd is None:
                self._lost(cur, "the file read before the restart is gone")
            else:
                cur.changed_at = now
                try:
                    st = self.path.stat()
                    here = (st.st_dev, st.st_ino) == (cur.dev, cur.ino)
                except OSError:
                    here = False
                if here:
                    self.ckpt.current = cur
                else:                       # rotated while we were stopped
                    self.notice(f"{self.path}: rotated while stopped; reading the rest of "
                                "the old file first")
                    cur.until = now + self.grace
                    self.ckpt.draining.append(cur)

    # -- one look ------------------------------------------------------------------------

    def _check_current(self, now: float) -> None:
        cur = self.ckpt.current
        try:
            st = self.path.stat()
        except OSError:
            return                               # not there (yet, or mid-rotation)
        if cur is None or (st.st_dev, st.st_ino) != (cur.dev, cur.ino):
            if cur is not None:
                self.notice(f"{self.path}: rotated; reading the old file to its end")
                cur.until = now + self.grace
                self.ckpt.draining.append(cur)
            opened = self._open(self.path)
            if opened is None:
                return
            self.ckpt.current = FileState(opened[1].st_dev, opened[1].st_ino, changed_at=now)
            return
        fd = self._fd(cur)
        if fd is None:
            opened = self._open(self.path)
            if opened is None:
                return
            fd = opened[0]
        if st.st_size < cur.offset or not self._matches(fd, cur):
            copy = self._find_copy(cur)
            if copy is not None:
                self.notice(f"{self.path}: truncated; reading the rest of its copy first")
                self.ckpt.draining.append(copy)
            elif cur.offset:
                self._lost(cur, "truncated and no copy found")
            self.ckpt.current = FileState(cur.dev, cur.ino, changed_at=now)

    def _cut(self, fd: int, state: FileState, size: int, final: bool) -> tuple[int, int]:
        """(end of what to parse now, lines in it): whole lines, the last record held back
        unless ``final``."""
        data = os.pread(fd, size - state.offset, state.offset)
        end = data.rfind(b"\n") + 1
        if end == 0:
            return state.offset, 0
        if not final and self.is_record_start is not None:
            cut = end
            pos = end
            while pos > 0:
                start = data.rfind(b"\n", 0, pos - 1) + 1
                if self.is_record_start(data[start:pos]):
                    cut = start
                    break
                pos = start
            else:
                cut = 0
            end = cut
        return state.offset + end, data.count(b"\n", 0, end)

    def _take(self, state: FileState, now: float) -> Iterator[tuple[bytes, int]]:
        """(pool lines, records) for each ready piece of ``state``'s file, advancing it.

        Pieces are at most ``CHUNK`` bytes (more only for one record longer than that), so
        a big backlog is read with flat memory."""
        fd = self._fd(state)
        if fd is None:
            return
        size = os.fstat(fd).st_size
        if size != state.size_seen:
            state.size_seen = size
            state.changed_at = now
        if state.fp_len < FP_BYTES and size > state.fp_len:
            state.fp_len = min(FP_BYTES, size)
            state.fp = _fingerprint(fd, state.fp_len)
        quiet = now - state.changed_at >= self.settle
        chunk = CHUNK
        while state.offset < size:
            limit = min(size, state.offset + chunk)
            end, lines = self._cut(fd, state, limit, final=quiet and limit == size)
            if end <= state.offset:
                if limit < size:
                    chunk *= 2          # one record longer than the piece: take more
                    continue
                return
            chunk = CHUNK
            yield self._render(fd, state, end), lines
            state.offset = end
            state.lineno += lines

    def _render(self, fd: int, state: FileState, end: int) -> bytes:
        if self.parse is None:
            data = os.pread(fd, end - state.offset, state.offset)
            self.records += data.count(b"\n")
            return data
        readable = Path(f"/proc/self/fd/{fd}")
        if not readable.exists():
            readable = self.path
        origin = str(self.path)
        dumps, opt = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        out = []
        for rec in self.parse(readable, state.offset, end, state.lineno + 1):
            rec[ORIGIN] = origin
            out.append(dumps(rec, default=_fallback, option=opt))
        self.records += len(out)
        return b"".join(out)

    def _append(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self._out.write(view):]
        os.fsync(self._out.fileno())

    def step(self) -> int:
        """Read what is ready, append it to the pool file, checkpoint after each piece;
        return the records written."""
        now = self.clock()
        before = self.records
        self._check_current(now)
        states = [*self.ckpt.draining, *([self.ckpt.current] if self.ckpt.current else [])]
        for state in states:
            for data, _lines in self._take(state, now):
                if data:
                    self._append(data)
                self._save()
            if state.until is not None and now >= state.until and \
                    now - state.changed_at >= self.settle and state.offset >= state.size_seen:
                self.ckpt.draining.remove(state)
                self._close(state)
        self._save()
        return self.records - before

    def _save(self) -> None:
        self.ckpt.pool_size = os.fstat(self._out.fileno()).st_size
        context = getattr(self.parse, "context", None)
        if isinstance(context, dict):
            self.ckpt.context = context
        data = self.ckpt.dump()
        if data == self._saved:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.state_path.with_name(f".{self.state_path.name}.{os.getpid()}.tmp")
        with open(temp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, self.state_path)
        self._saved = data

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()
        if self._out is not None:
            self._out.close()


def follow_logs(logs: list[FollowedLog], *, poll: float = 0.2,
                stop: Callable[[], bool] | None = None,
                duration: float | None = None) -> int:
    """Step every followed log until ``stop()`` or ``duration``; return records written.

    The last step reads everything still held back (as if the files had gone quiet).
    """
    for log in logs:
        log.start()
    deadline = None if duration is None else time.monotonic() + duration
    try:
        while True:
            for log in logs:
                log.step()
            if (stop is not None and stop()) or (deadline is not None
                                                  and time.monotonic() >= deadline):
                break
            time.sleep(poll)
        for log in logs:
            log.settle = 0.0
            log.step()
    finally:
        for log in logs:
            log.close()
    return sum(log.records for log in logs)
