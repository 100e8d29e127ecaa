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
from datetime import datetime, tzinfo
from types import MappingProxyType

from .errors import UnusableInput
from .report import INVALID_UTF8, ImportReport
from .timezones import NaiveTimeConverter

# ``Variant.time_format`` for ISO-like ``YYYY-MM-DD HH:MM:SS[.ffffff]`` text: parsed with
# ``datetime.fromisoformat`` and a per-second cache, much faster than strptime.
ISO_TIME = "iso"


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


class LineTable:
    """A source's variants, compiled, and matched most-recent-first."""

    def __init__(
        self, name: str, variants: Sequence[Variant], first_chars: str | None = None
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
        fh = open(path, "rb")  # noqa: SIM115 - closed below, generator lifetime
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
            if remaining < 0:
                chunk = fh.read(block_size)
            else:
                chunk = fh.read(min(block_size, remaining)) if remaining else b""
                remaining -= len(chunk)
            if chunk:
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


class LocalTimes:
    """Local, zone-less time text -> epoch seconds, parsed once per distinct text.

    Formats without a year (redis 2.x, bcc tools) take ``year`` from the caller, who knows
    the context (file mtime, neighbouring lines). ``%f`` takes 1-6 digits, so ``.mmm``
    milliseconds parse as they are.
    """

    MAX_CACHED = 4096

    def __init__(self, zone: tzinfo) -> None:
        self._naive = NaiveTimeConverter(zone)
        self._cache: dict[tuple[str, str, int | None], float] = {}

    def parse(self, text: str, fmt: str, year: int | None = None) -> float:
        if fmt == ISO_TIME:
            return self._naive.parse(text)
        if fmt.endswith(".%f"):
            # One strptime per distinct *second*: the fraction is added as a number.
            head, _, frac = text.rpartition(".")
            if frac.isdigit() and len(frac) <= 6:
                return self._whole(head, fmt[:-3], year) + int(frac) / 10 ** len(frac)
        return self._whole(text, fmt, year)

    def _whole(self, text: str, fmt: str, year: int | None) -> float:
        key = (text, fmt, year)
        value = self._cache.get(key)
        if value is None:
            naive = datetime.strptime(text if year is None else f"{year} {text}",
                                      fmt if year is None else f"%Y {fmt}")
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            value = self._cache[key] = self._naive.epoch(naive)
        return value
