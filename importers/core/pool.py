"""The pool: a directory of ``*.jsonlog`` files, one JSON object per line (DESIGN §1, §6).

Writing: one import run writes one file named after the importer and a stable hash of what
was imported, under a temporary name that no ``*.jsonlog`` glob sees, then renames it into
place. A crash or an unusable input leaves the previous file untouched; importing the same
source again replaces it instead of duplicating events.

Reading: every ``*.jsonlog`` file, including Academy's and Parsl's own, whose loggers write
every value as a string. Known numeric keys are coerced back to numbers, a truncated last
line (a live writer mid-flush) is tolerated, and each record is tagged with its file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from .errors import PoolError
from .record import EVENT, UNPARSED, unparsed

POOL_ENV = "EV_POOL"
DEFAULT_POOL = "evpool"
SUFFIX = ".jsonlog"
FILE_KEY = "ev.file"           # added by the reader: which pool file a record came from

_BUFFER = 1 << 20              # 1 MiB, the same buffer the bench floor uses
_DUMPS_OPTIONS = orjson.OPT_APPEND_NEWLINE


def pool_dir(explicit: str | os.PathLike | None = None) -> Path:
    """``--pool DIR``, else ``$EV_POOL``, else ``./evpool``."""
    return Path(explicit or os.environ.get(POOL_ENV) or DEFAULT_POOL)


def source_id(source: str, inputs: Iterable[str | os.PathLike], options: dict[str, Any]) -> str:
    """A stable id of one import: the importer, the resolved inputs, and output-changing options."""
    resolved = [str(Path(p).resolve()) if not str(p).startswith("cmd:") else str(p)
                for p in inputs]
    blob = orjson.dumps([source, resolved, options], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()[:12]


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
        raise PoolError(
            "cannot write to the pool", str(pool),
            f"{exc.strerror}; choose another with --pool or $EV_POOL",
        ) from None


class PoolWriter:
    """Writes one import run's records into ``<pool>/<source>-<id>.jsonlog`` atomically.

    Use as a context manager. Leaving the block normally renames the finished file into
    place; leaving it with an exception removes the temporary file, so the pool never holds
    half a run. ``discard()`` does the same on purpose (e.g. a run that produced nothing).
    """

    def __init__(self, pool: str | os.PathLike, source: str, ident: str) -> None:
        self.pool = Path(pool)
        self.final = self.pool / f"{source}-{ident}{SUFFIX}"
        # A dot-name without the .jsonlog suffix: invisible to readers' globs.
        self.temp = self.pool / f".{self.final.name}.{os.getpid()}.tmp"
        self.count = 0
        self.unparsed = 0
        self._fh = None

    def __enter__(self) -> PoolWriter:
        self._fh = _open_in_pool(self.pool, self.temp, "wb", _BUFFER)
        return self

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

    def commit(self) -> Path:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.temp, self.final)
        return self.final

    def discard(self) -> None:
        if self._fh is not None and not self._fh.closed:
            self._fh.close()
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
                raise PoolError(
                    "cannot finish writing the pool file", str(self.final),
                    f"{err.strerror}; the previous file, if any, is unchanged",
                ) from None
        else:
            self.discard()


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


def read(pool: str | os.PathLike) -> Iterator[dict[str, Any]]:
    """Yield every record of every pool file, coerced, tagged with ``ev.file``.

    A line that is not a JSON object is not dropped: it comes back as an ``unparsed`` record,
    except a final line with no newline, which is a live writer's unfinished flush.
    """
    for path in pool_files(pool):
        origin = str(path)
        with open(path, "rb") as fh:
            for lineno, line in enumerate(fh, 1):
                try:
                    rec = orjson.loads(line)
                except orjson.JSONDecodeError:
                    if not line.endswith(b"\n"):
                        break  # truncated last line of a file still being written
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
