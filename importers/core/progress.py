"""What a long import shows on a terminal while it runs, and the rate it reports after.

An importer says how much input it has (:meth:`ImportReport.expect`: bytes of its files,
rows of a DB) and how much it has read (:meth:`ImportReport.advance`, per ~1 MiB block or
batch of rows, so the hot loop pays nothing per line). The runner attaches a
:class:`Progress` to the report when stderr is a terminal: after a second it draws a bar with
the percentage, the events written, the elapsed time and an ETA (a spinner and a count when
the size is unknown). Worker processes of a parallel import add to one shared counter that
the parent draws from (:mod:`importers.core.parallel`). Nothing is drawn on a pipe, in CI or
in tests unless asked.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, TextIO

DELAY_S = float(os.environ.get("EV_PROGRESS_DELAY", 1.0))  # shorter imports show nothing
REFRESH_S = 0.2


class Progress:
    """The live display of one import (rich), started lazily after :data:`DELAY_S`."""

    def __init__(self, label: str, counter: Any = None, *, stream: TextIO | None = None,
                 delay: float | None = None, force: bool = False) -> None:
        """``counter`` is anything with a ``count`` (the pool writer: events written)."""
        self.label = label
        self.counter = counter
        self.stream = stream or sys.stderr
        self.delay = DELAY_S if delay is None else delay
        self.force = force
        self.total: int | None = None
        self.unit = "B"
        self.done = 0
        self.shared: Any = None          # a multiprocessing Value added to by workers
        self.start = time.monotonic()
        self._next = self.start + self.delay
        self._rich: Any = None
        self._task: Any = None
        self.drawn = 0                   # how many times it was drawn (tests)

    def expect(self, total: int, unit: str = "B") -> None:
        self.total = (self.total or 0) + max(0, int(total))
        self.unit = unit

    def advance(self, n: int) -> None:
        self.done += n
        if time.monotonic() >= self._next:
            self.refresh()

    def completed(self) -> int:
        shared = self.shared
        return self.done + (shared.value if shared is not None else 0)

    def refresh(self) -> None:
        now = time.monotonic()
        self._next = now + REFRESH_S
        if self._rich is None:
            try:
                self._open()
            except ImportError:  # rich is an extra: no display without it, same import
                self._next = float("inf")
                return
        done = self.completed()
        total = self.total if self.total else None
        events = getattr(self.counter, "count", 0)
        self._rich.update(self._task, completed=min(done, total) if total else done,
                          total=total, events=f"{events:,} events",
                          size=_size(done, total, self.unit))
        self.drawn += 1

    def _open(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        console = Console(file=self.stream, force_terminal=self.force or None)
        self._rich = RichProgress(
            TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[size]}"), TextColumn("{task.fields[events]}"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=console, transient=True)
        self._rich.start()
        self._task = self._rich.add_task(self.label, total=self.total or None, events="",
                                         size="")

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()
            self._rich = None


def _size(done: int, total: int | None, unit: str) -> str:
    if unit == "B":
        text = f"{done / 1e6:,.1f}"
        return f"{text}/{total / 1e6:,.1f} MB" if total else f"{text} MB"
    return f"{done:,}/{total:,} {unit}" if total else f"{done:,} {unit}"


def rate_text(events: int, seconds: float, size: int = 0, unit: str = "B") -> str:
    """``2.4 s, 52,100 events/s, 31.0 MB/s``: for the summary line."""
    seconds = max(seconds, 1e-6)
    text = f"{seconds:.1f} s, {events / seconds:,.0f} events/s"
    if size and unit == "B":
        text += f", {size / seconds / 1e6:,.1f} MB/s"
    elif size:
        text += f", {size / seconds:,.0f} {unit}/s"
    return text
