"""The errors a user must act on.

The library raises these; the CLI turns each into exactly one ``error: ...`` line on stderr
and the exit code of DESIGN §5, never a traceback. Every error says *what* went wrong,
*where* (a path, a command, a table) and *what to do*, because the person reading it is
usually in the middle of a post-mortem and should not have to read our source.

``ImportError`` is a builtin, hence the ``EvImport`` prefix.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_UNUSABLE = 2


class EvImportError(Exception):
    """An input or environment problem that stops an import (exit code 2)."""

    exit_code = EXIT_UNUSABLE

    def __init__(self, what: str, where: str = "", todo: str = "") -> None:
        self.what = what
        self.where = where
        self.todo = todo
        super().__init__(self.line())

    def line(self) -> str:
        """The one line the CLI prints after ``error: ``."""
        text = self.what
        if self.where:
            text += f": {self.where}"
        if self.todo:
            text += f" ({self.todo})"
        return text


class UnusableInput(EvImportError):
    """The input cannot be read at all: missing, empty, wrong kind of file, unknown schema."""


class InputLocked(EvImportError):
    """Another process holds a lock that keeps us from reading (e.g. Parsl still writing)."""


class CommandFailed(EvImportError):
    """An external command we run ourselves (sacct, squeue) is missing or failed."""


class NotPermitted(EvImportError):
    """We lack a privilege (root, a capability) the operation needs."""


class PoolError(EvImportError):
    """The pool directory cannot be created or written."""
