"""Widening: give records the keys that other records (or a function) imply for them.

Three rules, after the Parsl observability branch's ``widen_lambda``,
``widen_by_implication`` and ``widen_dict_without_overwrite``:

* :class:`Lambda` ``(fn)``: ``fn(record)`` returns new keys for the record (or None);
* :class:`Join` ``(other, on)``: a record takes the keys of the ``other`` records that have
  the same values of the ``on`` keys (``on={"linux.pid": "linux.pid"}`` or ``["k", ...]``);
* :class:`Implied` ``(thing, keys)``: if any record of a thing (a value tuple of ``thing``)
  carries key K, every record of that thing gets K.

:func:`widen` applies its rules over and over until none adds anything, so keys travel
along chains (Academy ``process`` -> worker -> manager -> host). A value is never
overwritten: a record that already has K keeps its value, and when the sources disagree
(two workers, two different values) nothing is added and a :class:`Conflict` says where.
Each added value is recorded in the record's ``ev.widened`` dict: key -> where it came
from, so a reader can always tell a widened value from an observed one.

Widening works on records in memory (a selection: one run, one agent), not on a whole
10^7-event pool; for that, use the SQL of :func:`importers.analysis.join_chain`.

Example (the shipped Academy fixture, imported with ``ev-import auto fixtures/academy``)::

    from importers import analysis as ev
    pool = ev.open_pool("evpool")
    academy = list(pool.events(where={"name": "academy.runtime"}).records())
    workers = list(pool.events(has=["parsl.worker_id"]).records())
    nodes = list(pool.events(where={"ev.event": "node"}).records())
    out = ev.widen(academy,
                   ev.Lambda(lambda r: {"linux.pid": int(r["process"])}, "pid of the LogRecord"),
                   ev.Join(workers, on=["linux.pid"], keys=["parsl.manager_id", "parsl.block_id"]),
                   ev.Join(nodes, on=["parsl.manager_id"], keys=["linux.hostname"]))
    out.records[0]["linux.hostname"], out.records[0]["ev.widened"]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PROVENANCE = "ev.widened"

#: Keys that describe one record, never a thing: they are never widened.
NEVER = frozenset({
    "created", "formatted", "message", "msg", "name", "levelname", "levelno", "args",
    "pathname", "filename", "module", "funcName", "funcname", "lineno", "msecs",
    "relativeCreated", "thread", "threadName", "processName", "exc_info", "exc_text",
    "stack_info", "taskName",
})


def _widenable(key: str) -> bool:
    return key not in NEVER and not key.startswith("ev.")


@dataclass
class Conflict:
    """Sources disagree on a key for a record: nothing was added."""

    key: str
    values: list[Any]
    rule: str
    record: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.rule}: {self.key} has {len(self.values)} values {self.values!r}"


@dataclass
class Widened:
    records: list[dict[str, Any]]
    added: int = 0
    rounds: int = 0
    conflicts: list[Conflict] = field(default_factory=list)

    def df(self):
        import pandas as pd

        return pd.DataFrame.from_records(self.records)


@dataclass
class Lambda:
    """New keys from a function of the record (``fn(rec) -> dict | None``)."""

    fn: Callable[[Mapping[str, Any]], Mapping[str, Any] | None]
    label: str = ""

    def name(self) -> str:
        return self.label or f"lambda {getattr(self.fn, '__name__', 'fn')}"

    def proposals(self, records: list[dict]) -> Iterable[tuple[int, str, list, str]]:
        for i, rec in enumerate(records):
            new = self.fn(rec) or {}
            for key, value in new.items():
                if value is not None:
                    yield i, key, [value], self.name()


def _where(rec: Mapping[str, Any]) -> str:
    origin = rec.get("ev.origin") or rec.get("ev.file") or "?"
    line = rec.get("ev.lineno")
    return f"{origin}:{line}" if line is not None else str(origin)


def _tuple(rec: Mapping[str, Any], keys: Sequence[str]) -> tuple | None:
    values = []
    for k in keys:
        v = rec.get(k)
        if v is None:
            return None
        values.append(v)
    return tuple(values)


@dataclass
class Join:
    """Keys from the ``other`` records whose ``on`` values equal this record's.

    ``on``: a list of keys both sides share, or ``{this_key: other_key}``; ``keys``: the
    keys to take (default: every widenable key of the matching records)."""

    other: Iterable[Mapping[str, Any]]
    on: Sequence[str] | Mapping[str, str]
    keys: Sequence[str] | None = None

    def __post_init__(self) -> None:
        self.other = list(self.other)
        pairs = self.on.items() if isinstance(self.on, Mapping) else [(k, k) for k in self.on]
        self._mine = [a for a, _ in pairs]
        self._theirs = [b for _, b in pairs]
        self._index: dict[tuple, list[Mapping[str, Any]]] = {}
        for rec in self.other:
            key = _tuple(rec, self._theirs)
            if key is not None:
                self._index.setdefault(key, []).append(rec)

    def name(self) -> str:
        return "join on " + ", ".join(
            a if a == b else f"{a}={b}" for a, b in zip(self._mine, self._theirs, strict=True))

    def proposals(self, records: list[dict]) -> Iterable[tuple[int, str, list, str]]:
        for i, rec in enumerate(records):
            key = _tuple(rec, self._mine)
            if key is None:
                continue
            matches = self._index.get(key, ())
            values: dict[str, list] = {}
            whence: dict[str, str] = {}
            for other in matches:
                for k, v in other.items():
                    if (self.keys is None and not _widenable(k)) or (
                            self.keys is not None and k not in self.keys):
                        continue
                    if k in self._theirs or v is None:
                        continue
                    seen = values.setdefault(k, [])
                    if v not in seen:
                        seen.append(v)
                    whence.setdefault(k, _where(other))
            for k, vs in values.items():
                yield i, k, vs, f"{self.name()} ({whence[k]})"


@dataclass
class Implied:
    """If any record of a thing (a value tuple of ``thing``) carries a key, all of them get
    it (``keys``: only these; default every widenable key)."""

    thing: Sequence[str]
    keys: Sequence[str] | None = None

    def name(self) -> str:
        return "implied by " + ", ".join(self.thing)

    def proposals(self, records: list[dict]) -> Iterable[tuple[int, str, list, str]]:
        groups: dict[tuple, list[int]] = {}
        for i, rec in enumerate(records):
            key = _tuple(rec, self.thing)
            if key is not None:
                groups.setdefault(key, []).append(i)
        for key, members in groups.items():
            values: dict[str, list] = {}
            whence: dict[str, str] = {}
            for i in members:
                for k, v in records[i].items():
                    if k in self.thing or v is None:
                        continue
                    if (self.keys is None and not _widenable(k)) or (
                            self.keys is not None and k not in self.keys):
                        continue
                    seen = values.setdefault(k, [])
                    if v not in seen:
                        seen.append(v)
                    whence.setdefault(k, _where(records[i]))
            label = ", ".join(f"{t}={v}" for t, v in zip(self.thing, key, strict=True))
            for k, vs in values.items():
                for i in members:
                    if k not in records[i]:
                        yield i, k, vs, f"{self.name()} ({label}; {whence[k]})"


Rule = Lambda | Join | Implied


def widen(events: Any, *rules: Rule | Callable, max_rounds: int = 20) -> Widened:
    """Apply ``rules`` to copies of ``events`` until no rule adds a key.

    ``events``: records (dicts), a :class:`~importers.analysis.Query` or a DataFrame.
    A plain function counts as :class:`Lambda`. Returns the widened records, how many
    values were added, in how many rounds, and the conflicts (reported once each)."""
    records = _records(events)
    rules = tuple(r if not callable(r) or isinstance(r, (Lambda, Join, Implied)) else Lambda(r)
                  for r in rules)
    out = Widened(records)
    reported: set[tuple] = set()
    for round_ in range(1, max_rounds + 1):
        changed = 0
        for rule in rules:
            for i, key, values, where in list(rule.proposals(records)):
                rec = records[i]
                if key in rec:
                    if rec[key] not in values:
                        _conflict(out, reported, rec, key, [rec[key], *values], where, i)
                    continue
                if len(values) > 1:
                    _conflict(out, reported, rec, key, values, where, i)
                    continue
                rec[key] = values[0]
                rec.setdefault(PROVENANCE, {})[key] = where
                changed += 1
        out.added += changed
        out.rounds = round_
        if not changed:
            break
    return out


def _conflict(out: Widened, reported: set, rec: dict, key: str, values: list, where: str,
              i: int) -> None:
    mark = (i, key)
    if mark not in reported:
        reported.add(mark)
        out.conflicts.append(Conflict(key, values, where, rec))


def _records(events: Any) -> list[dict[str, Any]]:
    if hasattr(events, "records") and callable(events.records):
        return [dict(r) for r in events.records()]
    if hasattr(events, "to_dict"):
        return [{k: v for k, v in r.items() if v is not None and v == v}
                for r in events.to_dict("records")]
    return [dict(r) for r in events]
