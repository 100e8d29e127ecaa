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
    """A real line of the format and the text each named group captures from it.

    ``header``: for a variant whose layout a header line announces (``Variant.header``),
    the real header line printed above ``line``.
    """

    line: str
    fields: Mapping[str, str]
    header: str | None = None


# ``Variant.continuation``: what a line that matches no variant means after a record of
# this variant. ``none``: it is an ``unparsed`` record (Redis: every line has a prefix).
# ``text``: a text line continues the record (Parsl: tracebacks, config dumps), unless it
# starts like a record. ``until-blank``: a text line continues the record's last field
# unless a blank line came between (bpftrace execsnoop.bt prints an argv's newline raw).
CONTINUE_NONE = "none"
CONTINUE_TEXT = "text"
CONTINUE_UNTIL_BLANK = "until-blank"
CONTINUATIONS = (CONTINUE_NONE, CONTINUE_TEXT, CONTINUE_UNTIL_BLANK)


@dataclass(frozen=True)
class Variant:
    """One line shape of a source.

    ``pattern`` is matched with ``re.match`` (anchored at the line start). The ``time``
    group is parsed with ``time_format`` (strptime directives, or :data:`ISO_TIME`; ``%Y``
    may be absent, then the importer supplies the year); the ``level`` group is mapped
    through ``levels`` (printed token -> level name; the table's ``levelnos`` give the
    numbers), and a variant that prints no level has ``level``.

    Columned output (a tool that prints a header line, then rows): ``header`` is the
    pattern of the header line that announces this variant, ``columns`` the columns in
    print order (``"?name"``: optional, present when the header's group ``name`` took
    part), ``column_patterns`` the pattern of each column; the row pattern is the present
    columns joined by whitespace, then ``pattern`` (the free-text tail). Each sample then
    names its real ``header`` line.
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
    level: str = "INFO"
    continuation: str = CONTINUE_NONE
    header: str | None = None
    columns: tuple[str, ...] = ()
    column_patterns: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}))

    def row_pattern(self, present: frozenset[str] | set[str] = frozenset()) -> str:
        """The row pattern of a columned variant, given the optional columns present."""
        parts = [self.column_patterns[c.lstrip("?")] for c in self.columns
                 if not c.startswith("?") or c[1:] in present]
        return r"^\s*" + r"\s+".join(parts) + self.pattern + r"\s*$"


# Groups with a meaning of their own in the record envelope: ``epoch`` (seconds, exact) or
# ``time`` (text read with the variant's ``time_format`` by the caller's clock) -> created,
# ``level`` (through ``levels``) -> levelname/levelno, ``msg`` -> formatted, ``logger`` -> name.
ROLES = ("epoch", "time", "level", "msg", "logger")
KINDS: dict[str, Any] = {"str": str, "int": int, "float": float, "stripped": str.strip}


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
                         levelnos: Mapping[str, int], record_name: str | None = None,
                         seconds: dict[str, float] | None = None,
                         const: Mapping[str, Any] | None = None):
    """Make, once per variant, the function that turns a match into a record.

    ``build(m, parse_time, const, lineno) -> (record, message)``: the envelope (created,
    formatted, name, level), then the constant fragment ``const`` of the file (source,
    origin, format, path keys), then the line number and each declared field converted to
    its kind. ``const`` also fixes where the variable keys go: a key it holds as a
    placeholder (``ev.lineno``, ``ev.event``, a declared field) keeps that place and takes
    the line's value, so a source's records keep one key order at no cost per line. A role
    group that is also declared in ``fields`` (Redis' level character) is written raw too.

    The positions of the groups and the keys are worked out here, from the table; per line
    the work is one ``groups()``, one dict display and a few C-level zips. ``parse_time``
    (the caller's clock, which knows zone and year) reads a ``time``; one it refuses (month
    13: ``ValueError`` or ``None``) leaves ``created`` out and keeps the text under
    ``raw_time_key``; the caller gives the record its neighbour's time. ``seconds``: the
    per-second cache of that clock (``Clock.cache``), looked up here first, so a line in a
    second already seen costs no call (the timed shape: :func:`_timed_builder`). With
    ``const`` (a reader's file constants, :meth:`LineTable.file_builder`) that fragment is
    built in, and the builder is ``build(m, parse_time, lineno)``.
    """
    groups = sorted(regex.groupindex, key=regex.groupindex.get)
    optional = optional_groups(regex.pattern)
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
    default_level = variant.level
    default_levelno = levelnos.get(default_level, 20)
    default_name = record_name or variant.name
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
                   **const, "ev.lineno": lineno}
            rec.update(zip(str_keys, pick_strs(g)))  # noqa: B905 - lengths fixed
            rec.update(zip(int_keys, map(int, pick_ints(g))))  # noqa: B905 - as above
            return rec, msg

        return build_exact

    if (i_time is not None and i_epoch is None and i_level is not None and i_msg is not None
            and not maybe):
        # The common shape of a local-time log (Redis): a time read by the caller's clock
        # (its per-second cache looked up first), a printed level looked up once in the
        # table's (name, number) pairs, every field in one dict display.
        pairs = {token: (name, levelnos.get(name, 20)) for token, name in levels.items()}
        cut, scale = 0, 1
        shown = [s.fields["time"] for s in variant.samples if "time" in s.fields]
        if (seconds is not None and (variant.time_format or "").endswith(".%f") and shown
                and "." in shown[0]):
            digits = len(shown[0]) - shown[0].rindex(".") - 1  # as the samples print it
            cut, scale = -digits - 1, 10 ** digits
        # Strings first, then each other kind, as the general builder writes them (a
        # source that wants another order names the keys in its constant fragment).
        plan = [(key, index, kind) for kind in sorted(by_kind, key=lambda k: k != "str")
                for key, index in zip(*by_kind[kind])]  # noqa: B905 - built together
        return _timed_builder(
            i_time, i_level, i_msg, i_logger, plan, cut, scale, raw_time_key,
            {"cache_get": ({} if seconds is None else seconds).get, "pairs_get": pairs.get,
             "levelnos_get": levelnos.get, "default_name": default_name}, const)
    if const is not None:
        raise ValueError(f"variant {variant.name!r}: only a timed variant (time, level, "
                         "msg) has a file builder")

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
        if i_level is None:
            level, levelno = default_level, default_levelno
        else:
            level = g[i_level]
            if levels:
                level = levels.get(level, level)
            levelno = levelnos.get(level, 20)
        msg = "" if i_msg is None else g[i_msg]
        rec = {"created": created, "formatted": msg,
               "name": default_name if i_logger is None else g[i_logger],
               "levelname": level, "levelno": levelno, **const, "ev.lineno": lineno}
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


def _timed_builder(i_time: int, i_level: int, i_msg: int, i_logger: int | None,
                    plan: list[tuple[str, int, str]], cut: int, scale: int,
                    raw_time_key: str, names: dict[str, Any],
                    const: Mapping[str, Any] | None = None):
    """The builder of a timed variant, made from its declaration: the clock's per-second
    cache read inline, the level pair looked up once, the envelope and the constant
    fragment in one dict display, then the declared fields. Nothing is evaluated: the
    positions and keys come from the table (tests/test_untrusted_input.py forbids exec)."""
    cache_get, pairs_get = names["cache_get"], names["pairs_get"]
    levelnos_get, default_name = names["levelnos_get"], names["default_name"]
    str_plan = tuple((key, index) for key, index, kind in plan if kind == "str")
    conv_plan = tuple((key, index, KINDS[kind]) for key, index, kind in plan if kind != "str")

    def created_of(text: str, parse_time) -> float | None:
        if cut and text[cut] == ".":
            base = cache_get(text[:cut])
            if base is not None:
                return base + int(text[cut + 1:]) / scale
        try:
            return parse_time(text)
        except ValueError:
            return None

    def finish(rec: dict[str, Any], g: tuple, created: float | None, text: str) -> None:
        for key, index in str_plan:
            rec[key] = g[index]
        for key, index, conv in conv_plan:
            rec[key] = conv(g[index])
        if created is None:
            del rec["created"]
            rec[raw_time_key] = text

    if const is None:
        def build(m: re.Match[str], parse_time, const: Mapping[str, Any],
                  lineno: int) -> tuple[dict[str, Any], str]:
            g = m.groups()
            text = g[i_time]
            created = created_of(text, parse_time)
            token = g[i_level]
            pair = pairs_get(token)
            if pair is None:
                pair = (token, levelnos_get(token, 20))
            msg = g[i_msg]
            rec = {"created": created, "formatted": msg,
                   "name": default_name if i_logger is None else g[i_logger],
                   "levelname": pair[0], "levelno": pair[1], **const, "ev.lineno": lineno}
            finish(rec, g, created, text)
            return rec, msg
        return build

    baked = dict(const)

    def build_file(m: re.Match[str], parse_time, lineno: int) -> tuple[dict[str, Any], str]:
        g = m.groups()
        text = g[i_time]
        if cut and text[cut] == ".":
            base = cache_get(text[:cut])
            created = (base + int(text[cut + 1:]) / scale if base is not None
                       else created_of(text, parse_time))
        else:
            created = created_of(text, parse_time)
        token = g[i_level]
        pair = pairs_get(token)
        if pair is None:
            pair = (token, levelnos_get(token, 20))
        msg = g[i_msg]
        rec = {"created": created, "formatted": msg,
               "name": default_name if i_logger is None else g[i_logger],
               "levelname": pair[0], "levelno": pair[1], **baked, "ev.lineno": lineno}
        for key, index in str_plan:
            rec[key] = g[index]
        for key, index, conv in conv_plan:
            rec[key] = conv(g[index])
        if created is None:
            del rec["created"]
            rec[raw_time_key] = text
        return rec, msg
    return build_file


def build_field_reader(variant: Variant, regex: re.Pattern[str]):
    """``match -> {key: value}`` of a variant's declared fields, in declaration order.

    For sources whose envelope depends on more than one line (procs: the tool's clock, a
    record continued on the next line): the keys of the groups that took part, each value
    converted to its kind. Groups with no declared field must be ignored or be a role, as
    for records.
    """
    groups = regex.groupindex
    unknown = [g for g in groups if g not in ROLES and g not in variant.fields
               and g not in variant.ignore]
    if unknown:
        raise ValueError(f"variant {variant.name!r}: groups {unknown} have no role, no "
                         "declared field and are not ignored")
    plan = []
    for g, (key, kind) in variant.fields.items():
        if kind not in KINDS:
            raise ValueError(f"variant {variant.name!r}: unknown kind {kind!r} of {g!r}")
        plan.append((key, groups.get(g), KINDS[kind]))

    def read_fields(m: re.Match[str]) -> dict[str, Any]:
        g = m.groups()
        out: dict[str, Any] = {}
        for key, index, conv in plan:
            value = None if index is None else g[index - 1]
            if value is not None:
                out[key] = conv(value)
        return out

    return read_fields


def second_format(fmt: str) -> str:
    """The whole-second part of a time format that ends in a fraction (``.%f``)."""
    return fmt[:-3] if fmt.endswith(".%f") else fmt


class LineTable:
    """A source's variants, compiled, and matched most-recent-first.

    Variants with a ``header`` (columned tool output) are not tried by :meth:`match`: a
    header line selects one with :meth:`match_header`, and :meth:`compiled` gives the row
    pattern of the columns that header announced.
    """

    def __init__(
        self, name: str, variants: Sequence[Variant], first_chars: str | None = None,
        raw_time_key: str | None = None, levelnos: Mapping[str, int] | None = None,
        record_name: str | None = None,
    ) -> None:
        """``first_chars``, when given, are the only characters a line of any variant can
        start with; :meth:`may_match` lets a hot loop skip the regexes for other lines
        (continuation lines, mostly). ``record_name``: the ``name`` of records whose line
        prints no logger (default: the variant's name)."""
        if not variants:
            raise ValueError(f"line table {name!r} has no variants")
        self.name = name
        self.variants = tuple(variants)
        self._compiled: list[tuple[Variant, re.Pattern[str]]] = []
        self._headers: list[tuple[Variant, re.Pattern[str]]] = []
        self._rows: dict[tuple[str, frozenset[str]], re.Pattern[str]] = {}
        for variant in self.variants:
            if not variant.samples:
                raise ValueError(
                    f"{name}: variant {variant.name!r} has no samples; a format must come "
                    "with real lines it matches"
                )
            if variant.continuation not in CONTINUATIONS:
                raise ValueError(f"{name}: variant {variant.name!r}: continuation "
                                 f"{variant.continuation!r} is not one of {CONTINUATIONS}")
            if variant.header is not None:
                if any(s.header is None for s in variant.samples):
                    raise ValueError(f"{name}: variant {variant.name!r} has a header; each "
                                     "sample must name the header line above it")
                self._headers.append((variant, re.compile(variant.header, re.VERBOSE)))
            else:
                self._compiled.append((variant, re.compile(variant.pattern, re.VERBOSE)))
        self.tried = ", ".join(v.name for v in self.variants)
        self.first_chars = first_chars
        self._last = 0
        self.raw_time_key = raw_time_key or "ev.time_raw"
        self.levelnos = dict(levelnos or {"DEBUG": 10, "INFO": 20, "WARNING": 30,
                                          "ERROR": 40, "CRITICAL": 50})
        self.record_name = record_name
        self._builders: dict[str, Any] = {}

    def builder(self, variant: Variant, header: re.Match[str] | str | None = None):
        """The generated record builder of ``variant`` (:func:`build_record_builder`)."""
        key = variant.name if header is None else (variant.name, self._present(header))
        built = self._builders.get(key)
        if built is None:
            built = self._builders[key] = build_record_builder(
                variant, self.compiled(variant, header), self.raw_time_key, self.levelnos,
                self.record_name)
        return built

    def file_builder(self, variant: Variant, const: Mapping[str, Any],
                     seconds: dict[str, float] | None = None):
        """A timed variant's builder for one file: ``build(m, parse_time, lineno)`` with
        the file's constant fragment ``const`` built in (in its order, placeholders taking
        the line's values) and the reader's clock cache ``seconds`` looked up first."""
        return build_record_builder(variant, self.compiled(variant), self.raw_time_key,
                                    self.levelnos, self.record_name, seconds, const)

    def field_reader(self, variant: Variant, header: re.Match[str] | str | None = None):
        """The generated field reader of ``variant`` (:func:`build_field_reader`)."""
        key = ("fields", variant.name, None if header is None else self._present(header))
        built = self._builders.get(key)
        if built is None:
            built = self._builders[key] = build_field_reader(
                variant, self.compiled(variant, header))
        return built

    def may_match(self, line: str) -> bool:
        first_chars = self.first_chars
        return bool(line) and (first_chars is None or line[0] in first_chars)

    def compiled(self, variant: Variant,
                 header: re.Match[str] | str | None = None) -> re.Pattern[str]:
        """The regex of a line of ``variant``; for a columned variant, of a row under
        ``header`` (the header line, or its match)."""
        if variant.header is not None:
            if header is None:
                raise ValueError(f"variant {variant.name!r}: its rows need the header line")
            present = self._present(header)
            regex = self._rows.get((variant.name, present))
            if regex is None:
                regex = self._rows[(variant.name, present)] = re.compile(
                    variant.row_pattern(present), re.VERBOSE)
            return regex
        for candidate, regex in self._compiled:
            if candidate is variant:
                return regex
        raise KeyError(variant.name)

    def header_regex(self, variant: Variant) -> re.Pattern[str]:
        for candidate, regex in self._headers:
            if candidate is variant:
                return regex
        raise KeyError(variant.name)

    def _present(self, header: re.Match[str] | str) -> frozenset[str]:
        """The optional columns a header announced: its groups that took part."""
        if isinstance(header, str):
            hit = self.match_header(header)
            if hit is None:
                raise ValueError(f"{self.name}: not a header line: {header!r}")
            header = hit[1]
        return frozenset(k for k, v in header.groupdict().items() if v)

    def match_header(self, line: str) -> tuple[Variant, re.Match[str]] | None:
        """The columned variant whose header ``line`` is, and the header's match."""
        for variant, regex in self._headers:
            m = regex.match(line)
            if m is not None:
                return variant, m
        return None

    def match(self, line: str) -> tuple[Variant, re.Match[str]] | None:
        compiled = self._compiled
        if not compiled:
            return None
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
