"""Opening a monitoring DB read-only, and telling a damaged, locked or foreign file apart."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.request import pathname2url

import sqlalchemy as sa

from ...core.errors import InputLocked, UnusableInput
from ...core.inputs import check_path, open_regular
from .tables import FORMATS_BY_TABLE

SQLITE_MAGIC = b"SQLite format 3\x00"


def resolve_db_path(path: str | os.PathLike) -> Path:
    """A DB file, or a ``runinfo/`` directory holding ``monitoring.db``; checked for sense."""
    p = Path(path)
    if p.is_dir():
        candidate = p / "monitoring.db"
        if not candidate.is_file():
            raise UnusableInput(
                "no monitoring.db in directory", str(p),
                "give the DB file itself, or a runinfo/ directory that holds monitoring.db",
            )
        p = candidate
    if os.path.lexists(p):
        check_path(p, allow_dir=False)   # a FIFO, a dangling link, a loop: one line
    if not p.exists():
        raise UnusableInput("no such file", str(p), "check the path to monitoring.db")
    try:
        with open_regular(p) as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise UnusableInput(
            "cannot read", str(p), exc.strerror or "check its permissions"
        ) from None
    if not head:
        raise UnusableInput(
            "empty file, not a Parsl monitoring DB", str(p),
            "Parsl writes runinfo/monitoring.db when MonitoringHub is configured",
        )
    if head != SQLITE_MAGIC:
        raise UnusableInput(
            "not an SQLite database", str(p),
            "give the monitoring.db that Parsl's MonitoringHub wrote",
        )
    return p


def has_parsl_tables(path: Path) -> bool:
    """Is this SQLite file a Parsl monitoring DB? (a cheap look for ``auto``)"""
    try:
        conn = sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro", uri=True,
                               timeout=1)
        try:
            conn.execute("PRAGMA writable_schema = ON")
            names = {r[0] for r in conn.execute(
                "select name from sqlite_master where type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False
    return bool(names & set(FORMATS_BY_TABLE))


def missing_bytes(path: Path) -> int:
    """How many bytes shorter the file is than its SQLite header says (0 when whole).

    The header's page count is only trusted when its change counter matches the
    version-valid-for number (sqlite.org/fileformat.html, offsets 24, 28, 92).
    """
    with open(path, "rb") as fh:
        header = fh.read(100)
    if len(header) < 100:
        return 0
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if header[24:28] != header[92:96] or not pages:
        return 0
    return max(0, pages * page_size - path.stat().st_size)


def open_engine(path: Path, lock_timeout: float) -> sa.Engine:
    uri = f"file:{pathname2url(str(path.resolve()))}?mode=ro"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=lock_timeout, check_same_thread=False)
        # SQLite refuses a file shorter than its header's page count as "malformed" unless
        # writable_schema is on; with it, a truncated copy reads up to where it ends. The
        # connection is mode=ro, so nothing can be written either way.
        conn.execute("PRAGMA writable_schema = ON")
        return conn

    return sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.NullPool)


def database_error(exc: BaseException, path: Path) -> Exception:
    message = str(getattr(exc, "orig", exc))
    if "locked" in message:
        return InputLocked(
            "database is locked by another process", str(path),
            "Parsl may still be writing it: wait for the workflow to finish, or copy the file "
            "and import the copy",
        )
    if "not a database" in message or "malformed" in message:
        return UnusableInput(
            "damaged SQLite database", str(path),
            f"{message}; nothing could be read. Try `sqlite3 {path.name} .recover`",
        )
    return UnusableInput("cannot read database", str(path), message)
