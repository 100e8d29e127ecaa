"""What an import run tells the user besides its records.

An importer's ``read()`` yields records and nothing else; what it *assumed* (the zone of
naive times, an inferred year), what it *skipped or kept specially* (unknown tables) and the
named problems it met are written into an :class:`ImportReport` that the caller passes in.
The CLI turns it into the one-line summary. Problems are a small closed set of names, counted,
in the manner of Vector's internal events, so a summary never drowns in repeated prints.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# The closed set of problem names. Add one here before using it anywhere.
UNPARSED_LINE = "UnparsedLine"          # a line or row that matched no known format
BAD_TIMESTAMP = "BadTimestamp"          # a time value we could not interpret
UNREADABLE_TABLE = "UnreadableTable"    # a table that raised while being read (corrupt DB)
UNKNOWN_TABLE = "UnknownTable"          # a table we do not know, kept as generic rows
UNKNOWN_COLUMN = "UnknownColumn"        # a column we do not know, kept as parsl.<column>
COMMAND_FAILED = "CommandFailed"        # an external command exited non-zero
UNREADABLE_FILE = "UnreadableFile"      # a file that could not be opened or read
INVALID_UTF8 = "InvalidUtf8"            # bytes decoded with replacement characters
EVENTS_LOST = "EventsLost"              # a live source reported lost events
TRUNCATED_INPUT = "TruncatedInput"      # a file shorter than its own header says
FOLLOW_LOST = "FollowLost"              # a followed log rotated or truncated away unread
FOREIGN_FILE = "ForeignFile"            # a file among an input's own (in a Parsl run dir)
                                        # in another format: not read, named

PROBLEMS = frozenset(
    {
        UNPARSED_LINE,
        BAD_TIMESTAMP,
        UNREADABLE_TABLE,
        UNKNOWN_TABLE,
        UNKNOWN_COLUMN,
        COMMAND_FAILED,
        UNREADABLE_FILE,
        INVALID_UTF8,
        EVENTS_LOST,
        TRUNCATED_INPUT,
        FOLLOW_LOST,
        FOREIGN_FILE,
    }
)

# Problems that mean some of the input did not make it into the pool as intended: the CLI
# exits 1 (partial) when any of them was counted. Unknown tables/columns are *kept*, so they
# are not partial; they are only named.
PARTIAL_PROBLEMS = frozenset(
    {UNPARSED_LINE, BAD_TIMESTAMP, UNREADABLE_TABLE, COMMAND_FAILED, UNREADABLE_FILE,
     INVALID_UTF8, EVENTS_LOST, TRUNCATED_INPUT, FOLLOW_LOST, FOREIGN_FILE}
)


@dataclass
class ImportReport:
    """Side channel from an importer to whoever runs it (CLI, notebook, test)."""

    assumptions: dict[str, str] = field(default_factory=dict)
    problems: Counter = field(default_factory=Counter)
    details: dict[str, list[str]] = field(default_factory=dict)
    # The live display (importers.core.progress.Progress) when someone watches, else None;
    # ``expected``/``read`` count the input (bytes, or rows) for the summary's rate.
    progress: Any = field(default=None, repr=False, compare=False)
    expected: int = 0
    read: int = 0
    unit: str = "B"
    elapsed: float = 0.0      # seconds the import took (set by the runner)
    # each assumption's distinct values, when several imports' reports were merged
    values: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)
    # counted assumptions (what -> kind -> count, and a suffix): ambiguous local times
    # read as the first or second occurrence of a repeated hour, shown as an assumption
    tallies: dict[str, tuple[str, dict[str, int]]] = field(default_factory=dict, repr=False,
                                               compare=False)

    def expect(self, total: int, unit: str = "B") -> None:
        """How much input this import has (bytes of its files, rows of a DB), for the ETA."""
        self.expected += max(0, int(total))
        self.unit = unit
        if self.progress is not None:
            self.progress.expect(total, unit)

    def advance(self, n: int) -> None:
        """``n`` more bytes (rows) read: called per block or batch, never per line."""
        self.read += n
        if self.progress is not None:
            self.progress.advance(n)

    def assume(self, what: str, value: str) -> None:
        """Record an assumption the user should see (e.g. ``zone`` -> ``Europe/Berlin``)."""
        self.assumptions[what] = value

    def assume_also(self, what: str, value: str) -> None:
        """Add a value to an assumption (merging reports): ``zone UTC; Europe/Berlin``."""
        seen = self.values.setdefault(what, [self.assumptions[what]] if what in
                                      self.assumptions else [])
        if value not in seen:
            seen.append(value)
            more = len(seen) - 3
            self.assumptions[what] = "; ".join(seen[:3]) + (f" (+{more} more)" if more > 0
                                                            else "")

    def tally(self, what: str, kind: str, n: int = 1, how: str = "") -> None:
        """Count an assumption made ``n`` times, shown among the assumptions as ``what
        how: 3 times read <kind>, 2 times read <other kind>`` (merged reports add up)."""
        old_how, counts = self.tallies.setdefault(what, (how, {}))
        counts[kind] = counts.get(kind, 0) + n
        listed = ", ".join(f"{count:,} time{'' if count == 1 else 's'} read {kind}"
                           for kind, count in counts.items())
        self.assumptions[what] = f"{old_how}: {listed}" if old_how else listed

    def add_tallies(self, tallies: dict[str, tuple[str, dict[str, int]]]) -> None:
        """Add another report's counted assumptions to this one's."""
        for what, (how, counts) in tallies.items():
            for kind, count in counts.items():
                self.tally(what, kind, count, how)

    def problem(self, name: str, detail: str | None = None, count: int = 1) -> None:
        """Count a named problem; ``detail`` (a table, a file) is listed once in the summary."""
        if name not in PROBLEMS:
            raise ValueError(f"unknown problem name {name!r}; add it to importers.core.report")
        self.problems[name] += count
        if detail is not None:
            seen = self.details.setdefault(name, [])
            if detail not in seen:
                seen.append(detail)

    @property
    def partial(self) -> bool:
        return any(self.problems[name] for name in PARTIAL_PROBLEMS)

    def summary_parts(self) -> list[str]:
        """Human-readable fragments for the CLI's one-line summary."""
        parts = [f"{what} {value}" for what, value in self.assumptions.items()]
        for name, count in sorted(self.problems.items()):
            if name == UNPARSED_LINE:
                continue  # the CLI reports unparsed records itself, from what was written
            text = f"{name} x{count}"
            if self.details.get(name):
                text += " (" + ", ".join(self.details[name][:8]) + ")"
            parts.append(text)
        return parts
