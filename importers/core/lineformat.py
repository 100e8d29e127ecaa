"""The shared engine for line-oriented text logs: formats as data, with samples.

A source declares a :class:`LineTable` of named :class:`Variant` s (``"v3"``, ``"v2"``,
``"sig"``), each one anchored ``re.VERBOSE`` pattern with named groups, the time format of its
``time`` group, its raw level tokens, and at least one real :class:`Sample` line with the text
each group must capture. tests/test_formats.py runs every table found in ``importers.*``
against its samples, as lnav refuses a format without samples.

The engine itself is small on purpose: matching tries the variant that matched the previous
line first (logs rarely change format mid-file), times are parsed once per distinct text, and
lines are read in binary so that invalid UTF-8, NUL bytes and CRLF endings never stop a read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from types import MappingProxyType
from typing import Any

from .clock import ISO_TIME  # noqa: F401 - the tables' time format, named here for them
from .errors import UnusableInput
from .report import INVALID_UTF8, UNREADABLE_FILE, ImportReport

# ``Variant.time_format`` ISO_TIME (``YYYY-MM-DD HH:MM:SS[.ffffff]``) and strptime formats are
# read by the stream's clock (importers.core.clock.Clock.parse_format).


@dataclass(frozen=True)
class Sample:
    """A real line of the format and the text each named group captures from it."""

    line: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class Variant:
    """One line shape of a source.

    ``pattern`` is matched with ``re.match`` (anchored at the line start). The ``time``
    group is parsed with ``time_format`` (strptime directives, or :data:`ISO_TIME`; ``%Y``
    may be absent, then the importer supplies the year); the ``level`` group is mapped
    through ``levels``.
    """

    name: str
    pattern: str
    samples: tuple[Sample, ...]
    time_format: str | None = None
    levels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # group -> (record key, kind in KINDS): what the engine writes for each group that is
    # not an envelope role (ROLES). A mapping shared by a table's variants is fine: only
    # the variant's own groups are used. ``ignore``: groups captured only to anchor.
    fields: Mapping[str, tuple[str, str]] = field(
        default_factory=lambda: MappingProxyType({}))
    ignore: tuple[str, ...] = ()


# Groups with a meaning of their own in the record envelope: ``epoch`` (seconds, exact) or
# ``time`` (text read with the variant's ``time_format`` by the caller's clock) -> created,
# ``level`` (through ``levels``) -> levelname/levelno, ``msg`` -> formatted, ``logger`` -> name.
ROLES = ("epoch", "time", "level", "msg", "logger")
KINDS: dict[str, Any] = {"str": str, "int": int, "float": float}


def optional_groups(pattern: str) -> frozenset[str]:
    """Named groups of ``pattern`` that may not take part in a match (inside ``?``, ``*``,
    ``{0,n}``, an alternation or a look-around): their value can be ``None``."""
    try:
        from re import _constants as c
        from re import _parser as sre_parse
    except ImportError:  # Python 3.10
        import sre_constants as c  # type: ignore[no-redef]
        import sre_parse  # type: ignore[no-redef]
    parsed = sre_parse.parse(pattern, re.VERBOSE)
    names = {index: name for name, index in parsed.state.groupdict.items()}
    optional: set[str] = set()
    repeats = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)}

    def walk(items, maybe: bool) -> None:
        for op, av in items:
            if op is c.SUBPATTERN:
                group, _, _, sub = av
                if group in names and maybe:
                    optional.add(names[group])
                walk(sub, maybe)
            elif op in repeats:
                low, _high, sub = av
                walk(sub, maybe or low == 0)
            elif op is c.BRANCH:
                for branch in av[1]:
                    walk(branch, True)
            elif op in (c.ASSERT, c.ASSERT_NOT):
                walk(av[1], True)
    walk(parsed, False)
    return frozenset(optional)


def _picker(indexes: list[int]):
    """``groups -> tuple of the values at indexes`` in C (itemgetter), a tuple even of one."""
    if not indexes:
        return lambda groups: ()
    if len(indexes) == 1:
        only = indexes[0]
        return lambda groups: (groups[only],)
    return itemgetter(*indexes)


def build_record_builder(variant: Variant, regex: re.Pattern[str], raw_time_key: str,
                         levelnos: Mapping[str, int]):
    """Make, once per variant, the function that turns a match into a record.

    ``build(m, parse_time, const, lineno) -> (record, message)``: the envelope (created,
    formatted, name, level, line number), the constant fragment ``const`` of the file
    (source, origin, format, path keys) and each declared field converted to its kind. The
    positions of the groups and the keys are worked out here, from the table; per line the
    work is one ``groups()``, one dict display and a few C-level zips. A ``time`` the clock
    refuses (month 13) leaves ``created`` out and keeps the text under ``raw_time_key``;
    the caller gives the record its neighbour's time. Nothing is generated or evaluated:
    the formats are data, never code.
    """
    groups = sorted(regex.groupindex, key=regex.groupindex.get)
    optional = optional_groups(variant.pattern)
    unknown = [g for g in groups if g not in ROLES and g not in variant.fields
               and g not in variant.ignore]
    if unknown:
        raise ValueError(f"variant {variant.name!r}: groups {unknown} have no role, no "
                         "declared field and are not ignored")
    at = {g: i for i, g in enumerate(groups)}
    by_kind: dict[str, tuple[list[str], list[int]]] = {}
    maybe: list[tuple[str, int, Any]] = []
    for g in groups:
        if g in variant.fields:
            key, kind = variant.fields[g]
            if kind not in KINDS:
                raise ValueError(f"variant {variant.name!r}: unknown kind {kind!r} of {g!r}")
            if g in optional:
                maybe.append((key, at[g], KINDS[kind]))
            else:
                keys, indexes = by_kind.setdefault(kind, ([], []))
                keys.append(key)
                indexes.append(at[g])
    strs = by_kind.get("str", ([], []))
    str_keys, pick_strs = tuple(strs[0]), _picker(strs[1])
    converted = [(tuple(keys), _picker(indexes), KINDS[kind])
                 for kind, (keys, indexes) in by_kind.items() if kind != "str"]
    i_epoch, i_time = at.get("epoch"), at.get("time")
    i_level, i_msg, i_logger = at.get("level"), at.get("msg"), at.get("logger")
    levels = dict(variant.levels)
    levelnos = dict(levelnos)
    default_name = variant.name
    if (i_epoch is not None and i_level is not None and i_msg is not None
            and i_logger is not None and not maybe and not levels
            and set(by_kind) <= {"str", "int"}):
        # The common shape (Parsl's v2022: an exact epoch, every field always there): the
        # same record with no branch per line.
        int_keys, pick_ints = (tuple(by_kind["int"][0]), _picker(by_kind["int"][1])) \
            if "int" in by_kind else ((), _picker([]))

        def build_exact(m: re.Match[str], parse_time, const: Mapping[str, Any],
                        lineno: int) -> tuple[dict[str, Any], str]:
            g = m.groups()
            level = g[i_level]
            msg = g[i_msg]
            rec = {"created": float(g[i_epoch]), "formatted": msg, "name": g[i_logger],
                   "levelname": level, "levelno": levelnos.get(level, 20),
                   "ev.lineno": lineno, **const}
            rec.update(zip(str_keys, pick_strs(g)))  # noqa: B905 - lengths fixed
            rec.update(zip(int_keys, map(int, pick_ints(g))))  # noqa: B905 - as above
            return rec, msg

        return build_exact

    def build(m: re.Match[str], parse_time, const: Mapping[str, Any],
              lineno: int) -> tuple[dict[str, Any], str]:
        g = m.groups()
        created: float | None
        if i_epoch is not None:
            created = float(g[i_epoch])
        elif i_time is not None:
            try:
                created = parse_time(g[i_time])
            except ValueError:
                created = None
        else:
            created = None
        level = "INFO" if i_level is None else g[i_level]
        if levels:
            level = levels.get(level, level)
        msg = "" if i_msg is None else g[i_msg]
        rec = {"created": created, "formatted": msg,
               "name": default_name if i_logger is None else g[i_logger],
               "levelname": level, "levelno": levelnos.get(level, 20), "ev.lineno": lineno,
               **const}
        rec.update(zip(str_keys, pick_strs(g)))  # noqa: B905 - lengths fixed by the table
        for keys, pick, conv in converted:
            rec.update(zip(keys, map(conv, pick(g))))  # noqa: B905 - as above
        for key, index, conv in maybe:
            value = g[index]
            if value:
                rec[key] = conv(value)
        if created is None:
            del rec["created"]
            if i_time is not None:
                rec[raw_time_key] = g[i_time]
        return rec, msg

    return build


class LineTable:
    """A source's variants, compiled, and matched most-recent-first."""

    def __init__(
        self, name: str, variants: Sequence[Variant], first_chars: str | None = None,
        raw_time_key: str | None = None, levelnos: Mapping[str, int] | None = None,
    ) -> None:
        """``first_chars``, when given, are the only characters a line of any variant can
        start with; :meth:`may_match` lets a hot loop skip the regexes for other lines
        (continuation lines, mostly)."""
        if not variants:
            raise ValueError(f"line table {name!r} has no variants")
        self.name = name
        self.variants = tuple(variants)
        self._compiled: list[tuple[Variant, re.Pattern[str]]] = []
        for variant in self.variants:
            if not variant.samples:
                raise ValueError(
                    f"{name}: variant {variant.name!r} has no samples; a format must come "
                    "with real lines it matches"
                )
            self._compiled.append((variant, re.compile(variant.pattern, re.VERBOSE)))
        self.tried = ", ".join(v.name for v in self.variants)
        self.first_chars = first_chars
        self._last = 0
        self.raw_time_key = raw_time_key or "ev.time_raw"
        self.levelnos = dict(levelnos or {"DEBUG": 10, "INFO": 20, "WARNING": 30,
                                          "ERROR": 40, "CRITICAL": 50})
        self._builders: dict[str, Any] = {}

    def builder(self, variant: Variant):
        """The generated record builder of ``variant`` (:func:`build_record_builder`)."""
        built = self._builders.get(variant.name)
        if built is None:
            built = self._builders[variant.name] = build_record_builder(
                variant, self.compiled(variant), self.raw_time_key, self.levelnos)
        return built

    def may_match(self, line: str) -> bool:
        first_chars = self.first_chars
        return bool(line) and (first_chars is None or line[0] in first_chars)

    def compiled(self, variant: Variant) -> re.Pattern[str]:
        for candidate, regex in self._compiled:
            if candidate is variant:
                return regex
        raise KeyError(variant.name)

    def match(self, line: str) -> tuple[Variant, re.Match[str]] | None:
        compiled = self._compiled
        variant, regex = compiled[self._last]
        m = regex.match(line)
        if m is not None:
            return variant, m
        for index, (variant, regex) in enumerate(compiled):
            m = regex.match(line)
            if m is not None:
                self._last = index
                return variant, m
        return None


BLOCK_SIZE = 1 << 20


def read_line_blocks(
    path: str | os.PathLike,
    report: ImportReport,
    block_size: int = BLOCK_SIZE,
    *,
    start: int = 0,
    end: int | None = None,
    first_lineno: int = 1,
) -> Iterator[tuple[int, list[str], frozenset[int]]]:
    """Yield ``(first lineno, lines, indexes of lines that were not UTF-8)`` per ~1 MiB.

    The fast way to read a log: one ``decode`` and one ``split`` per block instead of per
    line, so the per-line cost is the caller's loop alone. Endings ``\n`` and ``\r\n`` are
    removed; a last line without an ending is kept; bytes that are not UTF-8 are decoded
    with U+FFFD and reported (``InvalidUtf8``). A file that cannot be opened raises
    :class:`UnusableInput`. ``start``/``end``/``first_lineno`` read one byte range (a part
    cut at a line start by :mod:`importers.core.parallel`).
    """
    try:
        # unbuffered: each read is one read(2), so a read error keeps the bytes before it
        fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed below, generator lifetime
    except OSError as exc:
        raise UnusableInput(
            "cannot read", str(path), exc.strerror or "check that it exists and is readable"
        ) from None
    with fh:
        if start:
            fh.seek(start)
        remaining = -1 if end is None else end - start
        lineno = first_lineno
        tail = b""
        while True:
            try:
                if remaining < 0:
                    chunk = fh.read(block_size)
                else:
                    chunk = fh.read(min(block_size, remaining)) if remaining else b""
                    remaining -= len(chunk)
            except OSError as exc:
                # EIO mid-file (a bad block, a lost NFS server): what was read is kept and
                # parsed as if the file ended here, the rest is named, never a traceback
                report.problem(UNREADABLE_FILE, f"{path}: {exc.strerror or exc} after byte "
                               f"{fh.tell()}; the rest of the file was not read")
                chunk, remaining = b"", 0
            if chunk:
                report.advance(len(chunk))
                data = tail + chunk if tail else chunk
                cut = data.rfind(b"\n")
                if cut < 0:
                    tail = data
                    continue
                tail = data[cut + 1:]
                body = data[:cut]
            elif tail:
                body, tail = tail, b""
            else:
                return
            lines, bad = _decode_block(body, path, report)
            yield lineno, lines, bad
            lineno += len(lines)


def _decode_block(
    body: bytes, path: str | os.PathLike, report: ImportReport
) -> tuple[list[str], frozenset[int]]:
    bad: frozenset[int] = frozenset()
    try:
        lines = body.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines = []
        invalid = []
        for index, raw in enumerate(body.split(b"\n")):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(raw.decode("utf-8", "replace"))
                invalid.append(index)
        report.problem(INVALID_UTF8, str(path), count=len(invalid))
        bad = frozenset(invalid)
    if b"\r" in body:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    return lines, bad


def read_lines(
    path: str | os.PathLike, report: ImportReport
) -> Iterator[tuple[int, str, bool]]:
    """Yield ``(lineno, text, invalid_utf8)`` for every line of a file, streamed.

    The one-line-at-a-time view of :func:`read_line_blocks` (same decoding rules).
    """
    for start, lines, bad in read_line_blocks(path, report):
        if bad:
            for offset, text in enumerate(lines):
                yield start + offset, text, offset in bad
        else:
            for offset, text in enumerate(lines):
                yield start + offset, text, False
