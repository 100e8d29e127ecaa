"""The pool: a directory of ``*.jsonlog`` files, one JSON object per line (DESIGN §1, §6).

Writing: one import writes one file per input unit, named by :mod:`importers.core.identity`
(``<source>-<host>-<hash of the input's real path>.jsonlog``), under a hidden temporary name
that no ``*.jsonlog`` glob sees, then renames it into place and makes the rename durable
(fsync of the file, then of the directory). A crash, a full disk or an unusable input leaves
the previous file untouched; importing the same input again replaces it instead of
duplicating events. Temporary files hold an ``flock`` while their writer lives and carry its
pid and start time, so the next writer removes those of killed runs (SIGKILL, power loss)
and never a live writer's.

Reading: every ``*.jsonlog`` file, including Academy's and Parsl's own, whose loggers write
every value as a string. Known numeric keys are coerced back to numbers, a truncated last
line (a live writer mid-flush) is tolerated, and each record is tagged with its file.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from .errors import PoolError
from .identity import host_name, input_id
from .record import EVENT, UNPARSED, unparsed
from .report import TRUNCATED_INPUT, UNREADABLE_FILE, ImportReport

POOL_ENV = "EV_POOL"
DEFAULT_POOL = "evpool"
SUFFIX = ".jsonlog"
FILE_KEY = "ev.file"           # added by the reader: which pool file a record came from

_BUFFER = 1 << 20              # 1 MiB, the same buffer the bench floor uses
_DUMPS_OPTIONS = orjson.OPT_APPEND_NEWLINE


def pool_dir(explicit: str | os.PathLike | None = None) -> Path:
    """``--pool DIR``, else ``$EV_POOL``, else ``./evpool``."""
    return Path(explicit or os.environ.get(POOL_ENV) or DEFAULT_POOL)


def source_id(source: str, inputs: Iterable[str | os.PathLike],
              options: dict[str, Any] | None = None, host: str | None = None) -> str:
    """The id of the pool file of ``inputs`` (one unit): ``<host>-<hash>``, from the host
    (default :func:`host_name`, i.e. ``$EV_HOST`` or the hostname) and the real paths only.

    ``source`` and ``options`` are accepted for old callers and ignored on purpose: the same
    input gives the same file whatever command or ``--tz`` imported it
    (:mod:`importers.core.identity`). The file is ``<pool>/<source>-<id>.jsonlog``.
    """
    return input_id(inputs, host)


# Errors that mean "the pool's filesystem cannot take more": one line, never a traceback.
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def full_error(exc: OSError, pool: Path) -> PoolError:
    """The one line for a pool that ran out of space (or quota, or file size limit)."""
    return PoolError(
        "the pool's filesystem is full" if exc.errno != errno.EDQUOT else
        "disk quota exceeded in the pool", str(pool),
        f"{exc.strerror}; nothing was written and the previous file, if any, is unchanged: "
        "free space, or choose another pool with --pool or $EV_POOL")


# ---------------------------------------------------------------------------------------
# Temporary files: named after the writer, locked while it lives, cleaned after it died

TEMP_SUFFIX = ".tmp"
_TEMP_OWNER = re.compile(r"\.(?P<pid>\d+)-(?P<start>\d+)\.tmp$")


def _start_ticks(pid: int) -> int | None:
    """A process's start time in clock ticks since boot (/proc/PID/stat field 22): with the
    pid it names one process, even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
        return int(data[data.rfind(b")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def owner_tag() -> str:
    """``<pid>-<start ticks>`` of this process: the owner part of its temporary names."""
    pid = os.getpid()
    return f"{pid}-{_start_ticks(pid) or 0}"


def temp_name(final_name: str, part: int | None = None) -> str:
    """The hidden name a file is written under before the rename (invisible to globs)."""
    middle = "" if part is None else f".part{part}"
    return f".{final_name}{middle}.{owner_tag()}{TEMP_SUFFIX}"


def _owner_alive(name: str) -> bool:
    m = _TEMP_OWNER.search(name)
    if m is None:
        return False
    pid, start = int(m["pid"]), int(m["start"])
    ticks = _start_ticks(pid)
    return ticks is not None and (start == 0 or ticks == start)


def lock_temp(fd: int) -> None:
    """Hold an exclusive lock on a temporary file for as long as its writer lives (the
    kernel drops it when the process dies, however it dies)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # a filesystem without locks: the pid and start time still protect it


def clean_stale_temps(pool: str | os.PathLike, host: str | None = None) -> list[str]:
    """Remove this host's temporary files whose writer is dead; return their names.

    A temporary file is stale when its name is this host's (``-<host>-`` after the source),
    no process holds its lock, and the pid-start pair in its name is no live process. A
    concurrent writer's file fails at least one of those, so it is never touched; other
    hosts' files are left to their own next run.
    """
    pool = Path(pool)
    marker = f"-{host or host_name()}-"
    removed: list[str] = []
    try:
        entries = list(os.scandir(pool))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(".") and name.endswith(TEMP_SUFFIX) and marker in name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # its writer holds it
            if _owner_alive(name):
                continue
            try:
                os.unlink(entry.path)
                removed.append(name)
            except OSError:
                pass
        finally:
            os.close(fd)
    return removed


def fsync_dir(path: str | os.PathLike) -> None:
    """Make a rename in ``path`` durable (a crash after it cannot bring the old name back)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems (and /proc-like ones) refuse: nothing more we can do
    finally:
        os.close(fd)


def _fallback(value: Any) -> Any:
    """orjson's ``default``: only called for types it cannot write (rare; never the hot path)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _open_in_pool(pool: Path, path: Path, mode: str, buffering: int):
    """Open a file in the pool, creating the pool; a failure is one clear PoolError."""
    try:
        pool.mkdir(parents=True, exist_ok=True)
        return open(path, mode, buffering=buffering)  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        if exc.errno in FULL_ERRNOS:
            raise full_error(exc, pool) from None
        raise PoolError(
            "cannot write to the pool", str(pool),
            f"{exc.strerror}; choose another with --pool or $EV_POOL",
        ) from None


class PoolWriter:
    """Writes one import's records into ``<pool>/<source>-<id>.jsonlog`` atomically.

    Use as a context manager. Leaving the block normally makes the finished file durable and
    renames it into place; leaving it with an exception removes the temporary file, so the
    pool never holds half a run. A full disk becomes one :class:`PoolError` line. ``discard()``
    does the same on purpose (e.g. a run that must not replace a better previous file).
    Entering also removes the temporary files that killed writers left in the pool.
    """

    def __init__(self, pool: str | os.PathLike, source: str, ident: str) -> None:
        self.pool = Path(pool)
        self.final = self.pool / f"{source}-{ident}{SUFFIX}"
        # A dot-name without the .jsonlog suffix: invisible to readers' globs.
        self.temp = self.pool / temp_name(self.final.name)
        self.count = 0
        self.unparsed = 0
        self.cleaned: list[str] = []
        self.kept_previous = False
        self._fh = None

    def __enter__(self) -> PoolWriter:
        if self.pool.is_dir():
            self.cleaned = clean_stale_temps(self.pool)
        self._fh = _open_in_pool(self.pool, self.temp, "xb", _BUFFER)
        lock_temp(self._fh.fileno())
        return self

    def part_path(self, index: int) -> Path:
        """Where worker ``index`` of a parallel import writes its part (hidden, cleanable)."""
        return self.pool / temp_name(self.final.name, part=index)

    def write(self, rec: dict[str, Any]) -> None:
        self._fh.write(orjson.dumps(rec, default=_fallback, option=_DUMPS_OPTIONS))
        self.count += 1
        if rec.get(EVENT) == UNPARSED:
            self.unparsed += 1

    def write_all(self, records: Iterable[dict[str, Any]]) -> None:
        """The hot loop, with attribute look-ups hoisted out of it."""
        write = self._fh.write
        dumps = orjson.dumps
        count = unparsed_count = 0
        for rec in records:
            write(dumps(rec, default=_fallback, option=_DUMPS_OPTIONS))
            count += 1
            if rec.get(EVENT) == UNPARSED:
                unparsed_count += 1
            if not count & 0x3FFF:  # keep the public counters fresh for progress displays
                self.count += count
                self.unparsed += unparsed_count
                count = unparsed_count = 0
        self.count += count
        self.unparsed += unparsed_count

    def append_file(self, path: str | os.PathLike, count: int, unparsed: int) -> None:
        """Append a finished part (JSON lines written elsewhere, e.g. by a worker process)."""
        self._fh.flush()
        with open(path, "rb") as part:
            size = os.fstat(part.fileno()).st_size
            offset = 0
            while offset < size:
                sent = os.sendfile(self._fh.fileno(), part.fileno(), offset, size - offset)
                if not sent:
                    break
                offset += sent
        self.count += count
        self.unparsed += unparsed

    def previous_size(self) -> int | None:
        """The size of the file this import would replace, or None when there is none."""
        try:
            return self.final.stat().st_size
        except OSError:
            return None

    def written_size(self) -> int:
        self._fh.flush()
        return os.fstat(self._fh.fileno()).st_size

    def commit(self) -> Path:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.temp, self.final)
        fsync_dir(self.pool)
        return self.final

    def keep_previous(self) -> None:
        """Leave the previous file in place and drop this run's (its input got worse)."""
        self.kept_previous = True
        self.discard()

    def discard(self) -> None:
        if self._fh is not None and not self._fh.closed:
            try:
                self._fh.close()   # flushes what is buffered: may fail on a full disk
            except OSError:
                pass
        try:
            os.unlink(self.temp)
        except FileNotFoundError:
            pass

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and not self._fh.closed:
            try:
                self.commit()
            except OSError as err:
                self.discard()
                if err.errno in FULL_ERRNOS:
                    raise full_error(err, self.pool) from None
                raise PoolError(
                    "cannot finish writing the pool file", str(self.final),
                    f"{err.strerror}; the previous file, if any, is unchanged",
                ) from None
            return
        self.discard()
        if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
            raise full_error(exc, self.pool) from None


class PoolAppender:
    """Appends a live source's records to its own ``<pool>/<source>-<id>.jsonlog`` (DESIGN §1).

    One file per watcher. Each :meth:`write_batch` writes whole lines and flushes them, so a
    reader sees events while the watcher runs; a crash mid-write leaves at most a truncated
    last line, which :func:`read` tolerates. Nothing is renamed: the file is the live record.
    """

    def __init__(self, pool: str | os.PathLike, source: str, ident: str) -> None:
        self.pool = Path(pool)
        self.final = self.pool / f"{source}-{ident}{SUFFIX}"
        self.count = 0
        self.unparsed = 0
        self._fh = None

    def __enter__(self) -> PoolAppender:
        self._fh = _open_in_pool(self.pool, self.final, "ab", 0)
        return self

    def write_batch(self, records: Iterable[dict[str, Any]]) -> int:
        """Write ``records`` as one ``write()`` of whole lines (then they are on disk for
        readers); return how many were written."""
        dumps = orjson.dumps
        lines = []
        for rec in records:
            lines.append(dumps(rec, default=_fallback, option=_DUMPS_OPTIONS))
            if rec.get(EVENT) == UNPARSED:
                self.unparsed += 1
        if lines:
            data = b"".join(lines)
            view = memoryview(data)
            while view:  # an unbuffered write may be short; finish the batch
                written = self._fh.write(view)
                view = view[written:]
            self.count += len(lines)
        return len(lines)

    def close(self) -> None:
        if self._fh is not None and not self._fh.closed:
            try:
                os.fsync(self._fh.fileno())
            except OSError:
                pass
            self._fh.close()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()


# ---------------------------------------------------------------------------------------
# Reading

# Keys that are numbers but that Academy/Parsl JSON loggers write as strings.
NUMERIC_KEYS = frozenset(
    {
        "created", "levelno", "lineno", "msecs", "relativeCreated", "process", "thread",
        "ev.lineno", "linux.pid", "linux.ppid", "linux.tid", "linux.uid", "linux.start_time",
        "linux.exit_code", "linux.exit_signal",
    }
)


def _coerce(value: Any) -> Any:
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in value else number
    return value


def coerce_record(rec: dict[str, Any]) -> dict[str, Any]:
    """Turn string-typed numbers of known numeric keys (and ``*_time``) into numbers."""
    for key, value in rec.items():
        if isinstance(value, str) and (key in NUMERIC_KEYS or key.endswith("_time")):
            rec[key] = _coerce(value)
    return rec


def pool_files(pool: str | os.PathLike) -> list[Path]:
    """Every ``*.jsonlog`` under the pool, Academy's nested ``<pool-uuid>/`` dirs included."""
    return sorted(p for p in Path(pool).rglob(f"*{SUFFIX}") if p.is_file())


def read(pool: str | os.PathLike,
         report: ImportReport | None = None) -> Iterator[dict[str, Any]]:
    """Yield every record of every pool file, coerced, tagged with ``ev.file``.

    A line that is not a JSON object is not dropped: it comes back as an ``unparsed`` record.
    A final line with no newline is a writer's unfinished (or killed) flush: it is skipped,
    and counted in ``report`` as ``TruncatedInput``. A pool file that cannot be read (gone
    since the listing, no permission, an I/O error) is counted as ``UnreadableFile`` and
    the other files are still read.
    """
    for path in pool_files(pool):
        origin = str(path)
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            if report is not None:
                report.problem(UNREADABLE_FILE, f"{origin}: {exc.strerror}")
            continue
        with fh:
            lineno = 0
            try:
                for line in fh:
                    lineno += 1
                    try:
                        rec = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        if not line.endswith(b"\n"):
                            if report is not None:
                                report.problem(TRUNCATED_INPUT,
                                               f"{origin}: torn last line {lineno} skipped")
                            break  # the unfinished last line of a writer
                        if not line.strip():
                            continue
                        rec = None
                    if not isinstance(rec, dict):
                        yield unparsed(
                            line.decode("utf-8", "replace").rstrip("\n"),
                            source="pool", origin=origin, name="ev.pool",
                            reason="not a JSON object", lineno=lineno,
                            fields={FILE_KEY: origin},
                        )
                        continue
                    coerce_record(rec)
                    rec[FILE_KEY] = origin
                    yield rec
            except OSError as exc:   # EIO and the like mid-file: what was read is kept
                if report is not None:
                    report.problem(UNREADABLE_FILE,
                                   f"{origin}: {exc.strerror} after line {lineno}")
