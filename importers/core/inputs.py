"""Opening what a user points an importer at, without hanging and without tracebacks.

Inputs are whatever a crashed job left behind: a FIFO a logger never opened (``open()``
would block forever waiting for a writer), a dangling symlink, a symlink loop
(``Path.resolve()`` raises ``RuntimeError``), a device, a file that vanished since it was
listed. Every importer checks a path here before reading it, and walks directories with
:func:`walk_files`, so each of those becomes one named problem instead of a hang or a
traceback.

The rule for several inputs (DESIGN §5, "Several inputs"): an unusable path among good ones
is named in the summary (``UnreadableFile``) and the others are imported, exit 1; when no
path is usable, the first one's error is the one ``error:`` line, exit 2.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import UnusableInput
from .report import UNREADABLE_FILE, ImportReport

_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words for an error line."""
    if stat.S_ISDIR(mode):
        return "a directory"
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def check_path(path: str | os.PathLike, *, allow_dir: bool = True) -> os.stat_result:
    """Stat ``path`` without opening it; raise :class:`UnusableInput` (one line) for a
    missing path, a dangling symlink, a symlink loop or a special file.

    Never blocks: ``stat`` does not open a FIFO.
    """
    where = os.fspath(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnusableInput("a symlink loop", where,
                                "the link points back at itself; fix or remove it") from None
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise UnusableInput("a dangling symlink", where,
                                f"it points to {os.readlink(path)!r}, which does not exist"
                                ) from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise UnusableInput("no such file or directory", where,
                                "check the path") from None
        raise UnusableInput("cannot read", where, exc.strerror or str(exc)) from None
    if stat.S_ISREG(st.st_mode) or (allow_dir and stat.S_ISDIR(st.st_mode)):
        return st
    raise UnusableInput(f"not a regular file but {kind_of(st.st_mode)}", where,
                        "give the file it stands for; a FIFO or device is never read, so "
                        "nothing can hang waiting on it")


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """Open a regular file for reading in binary; never block on a FIFO.

    Opened with ``O_NONBLOCK`` (which makes ``open`` of a FIFO return at once), checked with
    ``fstat`` on the descriptor itself (no race with a rename), then switched back to
    blocking reads.
    """
    where = os.fspath(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        check_path(path)     # the precise reason, as one line
        raise UnusableInput("cannot open", where, "check its permissions") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnusableInput(f"not a regular file but {kind_of(st.st_mode)}", where,
                                "give the file it stands for")
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_head(path: str | os.PathLike, size: int) -> bytes:
    """The first ``size`` bytes of a regular file (for recognising its format)."""
    with open_regular(path) as fh:
        return fh.read(size)


def walk_files(roots: Iterable[str | os.PathLike],
               problems: list[tuple[str, str]] | None = None) -> Iterator[Path]:
    """Every regular file under ``roots`` (files given directly included), in sorted order.

    Symlinks to files are followed; symlinked directories are not entered (no loops, no
    walking out of the tree). Special files, dangling links and loops are not yielded:
    each goes to ``problems`` as ``(path, why)`` so the caller can name it. A missing root
    raises :class:`UnusableInput`.
    """
    for root in roots:
        root_path = Path(root)
        st = check_path(root_path)
        if not stat.S_ISDIR(st.st_mode):
            yield root_path
            continue

        def onerror(exc: OSError) -> None:
            if problems is not None:
                problems.append((str(exc.filename), exc.strerror or str(exc)))

        for dirpath, dirs, files in os.walk(root_path, onerror=onerror):
            dirs.sort()
            for name in sorted(files):
                path = Path(dirpath) / name
                try:
                    check_path(path, allow_dir=False)
                except UnusableInput as exc:
                    if problems is not None:
                        problems.append((str(path), exc.what))
                    continue
                yield path


def lines_until_error(fh: BinaryIO, report: ImportReport, origin: str) -> Iterator[bytes]:
    """The lines of an open binary file, as iterating it gives them; a read error mid-file
    (EIO: a bad block, a lost NFS server) ends them as the end of the file would, named as
    ``UnreadableFile``, so what was read is kept and parsed (not a traceback that loses it)."""
    try:
        yield from fh
    except OSError as exc:
        try:
            where = f" after byte {fh.tell()}"
        except OSError:
            where = ""
        report.problem(UNREADABLE_FILE, f"{origin}: {exc.strerror or exc}{where}; the rest "
                       "of the file was not read")
