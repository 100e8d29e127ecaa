"""The examples in docs/design.md run as written (the formats-as-data example declares a
variant and builds a record from a real Redis line with the engine)."""

from __future__ import annotations

import re

from conftest import ROOT

DOC = ROOT / "docs" / "design.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def test_the_design_note_has_a_formats_example() -> None:
    blocks = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert any("LineTable" in body and "Variant(" in body for body in blocks)


def test_every_python_example_runs() -> None:
    namespace: dict = {}
    for body in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        exec(compile(body, str(DOC), "exec"), namespace)   # noqa: S102 - our own docs
    # the example's table passes the checks every source table passes
    from test_formats import _regex
    table, variant = namespace["TABLE"], namespace["V3_AGAIN"]
    for sample in variant.samples:
        m = _regex(table, variant, sample).match(sample.line)
        assert {k: v for k, v in m.groupdict().items() if v is not None} == sample.fields
