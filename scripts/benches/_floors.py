"""Floors shared by the text-log benches (DEVELOPERS.md, "Performance").

The line floor is what the cheapest possible importer of a line-oriented file costs: iterate
the file in binary and write ``orjson.dumps(<constant dict of the same width as our
records>, option=OPT_APPEND_NEWLINE)`` per line through a 1 MiB buffer.

``line_regex`` is not a floor but a bound: what matching every line against its format
costs alone (the engine's block reader, the variant that matched last tried first, then the
whole table, ``groups()`` taken), with no record built and nothing written. An importer that
must do that *and* write as much as the floor writes cannot be faster than
``1 / (1 + floor/regex)`` of the floor, whatever the rest costs.
"""

from __future__ import annotations

from pathlib import Path

import orjson


def line_floor(path: Path, out: Path, record: dict) -> None:
    """Iterate ``path`` in binary; write the constant ``record`` once per line."""
    with open(path, "rb") as src, open(out, "wb", buffering=1 << 20) as fh:
        write, dumps, opt = fh.write, orjson.dumps, orjson.OPT_APPEND_NEWLINE
        for _line in src:
            write(dumps(record, option=opt))


def line_regex(path: Path, table) -> None:
    """Match every line of ``path`` against the LineTable ``table``; keep nothing."""
    from importers.core.lineformat import read_line_blocks
    from importers.core.report import ImportReport

    match = table.match
    last = table.compiled(table.variants[0]).match
    for _start, lines, _bad in read_line_blocks(path, ImportReport()):
        for text in lines:
            m = last(text)
            if m is None:
                hit = match(text)
                if hit is None:
                    continue
                last = table.compiled(hit[0]).match
                m = hit[1]
            m.groups()


def count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 20), b""))


def run_lnav(format_file: Path, query: str, path: Path, out: Path) -> None:
    """The lnav peer: ``lnav -n -c QUERY -c ':write-jsonlines-to OUT' PATH`` with only
    ``format_file`` installed, in a throwaway HOME so no user's lnav config is touched or used.
    """
    import os
    import shutil
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="lnav-home-") as home:
        for base in (Path(home) / ".lnav", Path(home) / ".config" / "lnav"):
            formats = base / "formats" / "installed"
            formats.mkdir(parents=True)
            shutil.copy(format_file, formats / format_file.name)
        env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": str(Path(home) / ".config")}
        subprocess.run(
            ["lnav", "-n", "-c", query, "-c", f":write-jsonlines-to {out}", str(path)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
        )
