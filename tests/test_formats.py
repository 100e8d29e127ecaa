"""Every line format in ev-import comes with real sample lines, and they all still match.

Generic over all importers: any module-level :class:`LineTable` in ``importers.sources`` is found
and checked, as lnav's format loader checks every format's samples. A variant that gains a
group without a sample saying what it captures fails here.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from importers import sources
from importers.core.clock import Clock
from importers.core.lineformat import ISO_TIME, LineTable, Sample, Variant
from importers.core.timezones import resolve_zone


def _tables() -> list[tuple[str, LineTable]]:
    """Every table once, named after the module that defines it (packages re-export)."""
    found: dict[int, tuple[str, LineTable]] = {}
    for info in pkgutil.walk_packages(sources.__path__, "importers.sources."):
        module = importlib.import_module(info.name)
        for attr, value in vars(module).items():
            if isinstance(value, LineTable):
                label = f"{info.name.removeprefix('importers.sources.')}.{attr}"
                if id(value) not in found or len(label) > len(found[id(value)][0]):
                    found[id(value)] = (label, value)
    return list(found.values())


TABLES = _tables()
VARIANTS = [(f"{name}:{v.name}", table, v) for name, table in TABLES for v in table.variants]


@pytest.mark.parametrize("label,table,variant", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_each_sample_matches_its_own_variant_and_captures_its_fields(label, table, variant):
    regex = table.compiled(variant)
    for sample in variant.samples:
        m = regex.match(sample.line)
        assert m is not None, f"{label}: sample does not match: {sample.line!r}"
        captured = {k: v for k, v in m.groupdict().items() if v is not None}
        assert captured == dict(sample.fields), f"{label}: {sample.line!r}"
        if variant.time_format and "time" in captured:
            fmt = variant.time_format
            year = None if "%Y" in fmt or fmt == ISO_TIME else 2024
            assert Clock(resolve_zone("UTC")[0]).parse_format(captured["time"], fmt, year) > 0
        if variant.levels and "level" in captured:
            assert captured["level"] in variant.levels, f"{label}: unknown level token"


def test_a_variant_without_samples_is_refused() -> None:
    with pytest.raises(ValueError, match="has no samples"):
        LineTable("demo", [Variant("bare", r"(?P<msg>.*)", samples=())])


def test_matching_prefers_the_variant_that_matched_last() -> None:
    """Two variants that both match a line: the one that matched the previous line wins.

    Hand-typed lines: a unit test of the engine's one rule, not of any real format.
    """
    a = Variant("a", r"(?P<x>\d+)$", samples=(Sample("1", {"x": "1"}),))
    b = Variant("b", r"(?P<y>\d+)(\ b)?$", samples=(Sample("2 b", {"y": "2"}),))
    table = LineTable("demo", [a, b])
    assert table.match("7")[0] is a
    assert table.match("8 b")[0] is b
    assert table.match("9")[0] is b, "both match; b matched last"
    assert table.match("x") is None
    assert table.tried == "a, b"


@pytest.mark.parametrize("label,table,variant", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_no_other_variant_matches_a_sample(label, table, variant):
    """Variants are mutually exclusive: the engine tries the last matching one first, so an
    overlap would make the result depend on the previous line."""
    for sample in variant.samples:
        others = [v.name for v in table.variants
                  if v is not variant and table.compiled(v).match(sample.line)]
        assert others == [], f"{label}: {sample.line!r} also matches {others}"


BUILT = [(label, table, v) for label, table, v in VARIANTS if v.fields]


@pytest.mark.parametrize("label,table,variant", BUILT, ids=[v[0] for v in BUILT])
def test_the_engine_builds_each_sample_as_the_table_declares(label, table, variant):
    """Formats run as data: the record of a sample line has every declared field of the
    variant's groups, converted to its kind, and the envelope roles in place; a group with
    neither a role nor a declared field is refused when the builder is generated."""
    build = table.builder(variant)
    times = Clock(resolve_zone("UTC")[0])
    fmt = variant.time_format or ISO_TIME
    for sample in variant.samples:
        rec, msg = build(table.compiled(variant).match(sample.line),
                         lambda text: times.parse_format(text, fmt), {"ev.source": "t"}, 1)
        assert msg == sample.fields.get("msg", "")
        assert rec["ev.source"] == "t" and rec["ev.lineno"] == 1
        assert isinstance(rec["created"], float)
        for group, text in sample.fields.items():
            if group in variant.fields:
                key, kind = variant.fields[group]
                assert rec[key] == {"str": str, "int": int, "float": float}[kind](text)


def test_a_group_without_a_role_or_field_is_refused() -> None:
    """Hand-typed: a unit test of the engine's one rule about declarations."""
    v = Variant("v", r"(?P<epoch>\d+\.\d+)\ (?P<host>\S+)\ (?P<msg>.*)",
                samples=(Sample("1.5 n1 hi", {"epoch": "1.5", "host": "n1", "msg": "hi"}),),
                fields={"pid": ("linux.pid", "int")})
    with pytest.raises(ValueError, match="host"):
        LineTable("demo", [v]).builder(v)


@pytest.mark.parametrize("label,table", TABLES, ids=[t[0] for t in TABLES])
def test_a_table_built_by_the_engine_declares_every_variant(label, table) -> None:
    """A table whose records the engine builds (parsl-logs' LINES) declares every variant's
    fields, so a new variant added without them fails here, not on a user's log."""
    if any(v.fields for v in table.variants):
        for variant in table.variants:
            assert variant.fields, f"{label}:{variant.name} declares no fields"
            table.builder(variant)
