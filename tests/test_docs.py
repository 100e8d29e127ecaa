"""The docs cover every command, as sqlite-utils' test_docs does for its CLI.

Each subcommand has a help line, an ``Example:`` block in its description, and is shown in
the README or in a page under docs/ that the README links to.
"""

from __future__ import annotations

import argparse
import re

import pytest
from conftest import ROOT

from importers.cli import build_parser

README = (ROOT / "README.md").read_text(encoding="utf-8")
LINKED_DOCS = set(re.findall(r"\(docs/([\w.-]+\.md)\)", README)) - {"design.md"}
DOCS = README + "".join((ROOT / "docs" / name).read_text(encoding="utf-8")
                        for name in sorted(LINKED_DOCS))


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


COMMANDS = _subparsers()
HELP = {a.dest: a.help for p in [build_parser()] for a in p._actions
        if isinstance(a, argparse._SubParsersAction) for a in a._choices_actions}


def test_readme_links_resolve() -> None:
    for name in LINKED_DOCS:
        assert (ROOT / "docs" / name).is_file(), name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_an_example_and_docs(name: str) -> None:
    assert HELP.get(name), f"{name} has no help line"
    description = COMMANDS[name].description or ""
    assert "Example:" in description, f"{name}'s description has no Example: block"
    assert f"ev-import {name}" in DOCS, f"`ev-import {name}` is in neither README nor docs/"


def test_readme_test_command_is_the_one_ci_runs() -> None:
    [command] = [line.strip() for line in README.splitlines()
                 if re.match(r"\s+python -m pytest", line)]
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
