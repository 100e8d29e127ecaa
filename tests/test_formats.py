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
from importers.core.lineformat import ISO_TIME, ROLES, LineTable, Sample, Variant
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


def _regex(table: LineTable, variant: Variant, sample: Sample):
    """The pattern a sample line is read with: a columned variant's rows depend on the
    header line above them (procs: ``-T`` adds a TIME column)."""
    return table.compiled(variant, sample.header if variant.header else None)


@pytest.mark.parametrize("label,table,variant", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_each_sample_matches_its_own_variant_and_captures_its_fields(label, table, variant):
    for sample in variant.samples:
        if variant.header:
            assert table.header_regex(variant).match(sample.header), \
                f"{label}: header does not match: {sample.header!r}"
        m = _regex(table, variant, sample).match(sample.line)
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
    overlap would make the result depend on the previous line. Header lines count too: a
    row must never be taken for a header, a header never for a line of another variant."""
    plain = [v for v in table.variants if not v.header]
    headed = [v for v in table.variants if v.header]
    for sample in variant.samples:
        lines = [sample.line] + ([sample.header] if variant.header else [])
        for line in lines:
            others = [v.name for v in plain
                      if v is not variant and table.compiled(v).match(line)]
            others += [f"{v.name} (header)" for v in headed
                       if table.header_regex(v).match(line)
                       and not (v is variant and line is sample.header)]
            assert others == [], f"{label}: {line!r} also matches {others}"


BUILT = [(label, table, v) for label, table, v in VARIANTS if v.fields]


@pytest.mark.parametrize("label,table,variant", BUILT, ids=[v[0] for v in BUILT])
def test_the_engine_builds_each_sample_as_the_table_declares(label, table, variant):
    """Formats run as data: the record of a sample line has every declared field of the
    variant's groups, converted to its kind, and the envelope roles in place; a group with
    neither a role nor a declared field is refused when the builder is generated. Columned
    variants (procs), whose envelope needs more than the line, get their fields alone."""
    kinds = {"str": str, "int": int, "float": float, "stripped": str.strip}
    times = Clock(resolve_zone("UTC")[0])
    fmt = variant.time_format or ISO_TIME
    year = None if "%Y" in fmt or fmt == ISO_TIME else 2024
    for sample in variant.samples:
        m = _regex(table, variant, sample).match(sample.line)
        if variant.header:
            rec = table.field_reader(variant, sample.header)(m)
            assert list(rec) == [key for group, (key, _) in variant.fields.items()
                                 if group in sample.fields], "declaration order"
        else:
            rec, msg = table.builder(variant)(
                m, lambda text: times.parse_format(text, fmt, year), {"ev.source": "t"}, 1)
            assert msg == sample.fields.get("msg", "")
            assert rec["ev.source"] == "t" and rec["ev.lineno"] == 1
            if "time" in sample.fields or "epoch" in sample.fields:
                assert isinstance(rec["created"], float)
        for group, text in sample.fields.items():
            if group in variant.fields:
                key, kind = variant.fields[group]
                assert rec[key] == kinds[kind](text)


def test_a_group_without_a_role_or_field_is_refused() -> None:
    """Hand-typed: a unit test of the engine's one rule about declarations."""
    v = Variant("v", r"(?P<epoch>\d+\.\d+)\ (?P<host>\S+)\ (?P<msg>.*)",
                samples=(Sample("1.5 n1 hi", {"epoch": "1.5", "host": "n1", "msg": "hi"}),),
                fields={"pid": ("linux.pid", "int")})
    with pytest.raises(ValueError, match="host"):
        LineTable("demo", [v]).builder(v)


@pytest.mark.parametrize("label,table", TABLES, ids=[t[0] for t in TABLES])
def test_a_table_built_by_the_engine_declares_every_variant(label, table) -> None:
    """A table whose records the engine builds (parsl-logs' LINES, redis-log's, procs')
    declares every variant's fields, so a new variant added without them fails here, not on
    a user's log. A variant whose groups are all envelope roles or ignored needs none."""
    if any(v.fields for v in table.variants):
        for variant in table.variants:
            sample = variant.samples[0]
            groups = set(_regex(table, variant, sample).groupindex)
            assert variant.fields or not groups - set(ROLES) - set(variant.ignore), \
                f"{label}:{variant.name} declares no fields"
            if variant.header:
                table.field_reader(variant, sample.header)
            else:
                table.builder(variant)


def test_a_columned_variant_needs_the_header_of_each_sample() -> None:
    """Hand-typed: a unit test of the engine's rule for header-selected layouts."""
    v = Variant("cols", "", header=r"PID\s+CMD$", columns=("pid",),
                column_patterns={"pid": r"(?P<pid>\d+)"},
                samples=(Sample("12", {"pid": "12"}),))
    with pytest.raises(ValueError, match="header line"):
        LineTable("demo", [v])


def test_the_row_pattern_has_the_columns_its_header_announced() -> None:
    """Hand-typed: ``-T`` style optional columns. The header's group ``tod`` took part, so
    rows under it have the TIME column; under the plain header they do not."""
    cols = {"tod": r"(?P<tod>\d\d:\d\d:\d\d)", "pid": r"(?P<pid>\d+)"}
    v = Variant("cols", r"\ (?P<cmd>.*)", header=r"(?P<tod>TIME\s+)?PID\s+CMD$",
                columns=("?tod", "pid"), column_patterns=cols,
                fields={"pid": ("linux.pid", "int"), "cmd": ("linux.cmdline", "str")},
                ignore=("tod",),
                samples=(Sample("08:00:01 12 ls", {"tod": "08:00:01", "pid": "12",
                                                   "cmd": "ls"}, header="TIME  PID CMD"),))
    table = LineTable("demo", [v])
    timed = table.compiled(v, "TIME  PID CMD")
    plain = table.compiled(v, "PID CMD")
    assert timed.match("08:00:01 12 ls") and not plain.match("08:00:01 12 ls")
    assert table.field_reader(v, "PID CMD")(plain.match("12 ls")) == {
        "linux.pid": 12, "linux.cmdline": "ls"}
    assert table.match("PID CMD") is None, "columned variants are selected by headers"


def test_an_unknown_continuation_policy_is_refused() -> None:
    """Hand-typed: continuation is declared data, checked when the table is built."""
    v = Variant("v", r"(?P<msg>.*)", samples=(Sample("x", {"msg": "x"}),),
                continuation="sometimes")
    with pytest.raises(ValueError, match="continuation"):
        LineTable("demo", [v])


def test_the_constant_fragment_fixes_where_variable_keys_go() -> None:
    """Hand-typed: a source keeps one key order by naming its keys in the file's constant
    fragment; the builder writes the line's values into those places."""
    v = Variant("v", r"(?P<pid>\d+)\ (?P<level>[.*])\ (?P<msg>.*)",
                samples=(Sample("7 * up", {"pid": "7", "level": "*", "msg": "up"}),),
                fields={"pid": ("linux.pid", "int"), "level": ("x.level_char", "str")},
                levels={"*": "INFO", ".": "DEBUG"})
    table = LineTable("demo", [v], record_name="demo", levelnos={"INFO": 20, "DEBUG": 10})
    const = {"ev.source": "demo", "ev.event": "log", "ev.lineno": 0, "linux.pid": 0,
             "x.level_char": ""}
    rec, msg = table.builder(v)(table.compiled(v).match("7 . up"), None, const, 3)
    assert rec == {"formatted": "up", "name": "demo", "levelname": "DEBUG", "levelno": 10,
                   "ev.source": "demo", "ev.event": "log", "ev.lineno": 3, "linux.pid": 7,
                   "x.level_char": "."}
    assert list(rec) == ["formatted", "name", "levelname", "levelno", *const]


def test_each_source_declares_what_a_line_matching_nothing_means() -> None:
    """Continuation is declared in the tables the readers follow: Parsl's tracebacks and
    config dumps continue a record; every Redis line has a prefix, so an unknown line is
    unparsed; execsnoop.bt prints an argv's newline raw, up to a blank line."""
    from importers.sources.parsl_logs.formats import LINES as PARSL
    from importers.sources.procs.formats import EXECSNOOP_BT, TOOLS
    from importers.sources.redis_log.formats import LINES as REDIS

    assert {v.continuation for v in PARSL.variants} == {"text"}
    assert {v.continuation for v in REDIS.variants} == {"none"}
    assert {v.name: v.continuation for v in TOOLS.variants if v.continuation != "none"} == {
        EXECSNOOP_BT.name: "until-blank"}
