"""``submit_scripts/*.sh.ec``: the exit code of a block's batch job, timed by file mtime."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...core.lineformat import read_lines
from ...core.record import (
    CREATED,
    EVENT,
    FORMATTED,
    LEVELNAME,
    LEVELNO,
    LINENO,
    NAME,
    ORIGIN,
    SOURCE,
    unparsed,
)
from ...core.report import UNPARSED_LINE, ImportReport
from .keys import BLOCK_ID, EXECUTOR, LINE_COUNT, SOURCE_NAME
from .paths import EC_FILE, EC_FILE_1X

# The worker pool's command line in the block's script (every release): --block_id=1
_BLOCK_ARG = re.compile(rb"--block_id=(\d+)")


def _block_of_script(script: Path) -> str | None:
    """The block id a 1.x submit script starts its worker pool with (its name lacks it)."""
    try:
        with open(script, "rb") as fh:
            m = _BLOCK_ARG.search(fh.read(1 << 16))
    except OSError:
        return None
    return m[1].decode() if m else None


def exit_code_records(path: Path, origin: str, base: dict[str, Any],
                      report: ImportReport) -> Iterator[dict[str, Any]]:
    """``submit_scripts/parsl.<executor>.block-N.<submit time>.sh.ec``: the block job's exit
    code, written when the job script ends (so the file's mtime is when it ended).

    Parsl 1.x names the script ``parsl.<provider>.<submit time>.sh``: the block id is then
    read from the script's ``--block_id=N`` (the script is Parsl's, next to the ``.ec``).
    """
    m = EC_FILE.match(path.name)
    keys: dict[str, Any] = dict(base)
    if m:
        keys[EXECUTOR] = m["executor"]
        keys[BLOCK_ID] = m["block"]
        keys["parsl.submit_time"] = float(m["submit"])
    elif (m := EC_FILE_1X.match(path.name)) is not None:
        keys["parsl.submit_time"] = float(m["submit"])
        block = _block_of_script(path.with_name(path.name[: -len(".ec")]))
        if block is not None:
            keys[BLOCK_ID] = block
    mtime = path.stat().st_mtime
    for lineno, text, _invalid in read_lines(path, report):
        value = text.strip()
        if value.lstrip("-").isdigit():
            code = int(value)
            yield {
                CREATED: mtime, FORMATTED: f"block {keys.get(BLOCK_ID, '?')} job exited {code}",
                NAME: "parsl.submit_scripts", LEVELNAME: "INFO" if code == 0 else "WARNING",
                LEVELNO: 20 if code == 0 else 30, SOURCE: SOURCE_NAME, ORIGIN: origin,
                EVENT: "block_job_exit", LINENO: lineno, LINE_COUNT: 1,
                "ev.time_from": "file mtime", **keys, "parsl.exit_code": code,
            }
        elif value == "-":
            # The launcher writes "-" when the job starts and the exit code when the script
            # ends: a "-" left behind means the job was killed (e.g. scaled in) first, and the
            # mtime is when the job started.
            yield {
                CREATED: mtime,
                FORMATTED: f"block {keys.get(BLOCK_ID, '?')} job never wrote an exit code",
                NAME: "parsl.submit_scripts", LEVELNAME: "WARNING", LEVELNO: 30,
                SOURCE: SOURCE_NAME, ORIGIN: origin, EVENT: "block_job_no_exit_code",
                LINENO: lineno, LINE_COUNT: 1, "ev.time_from": "file mtime (job start)",
                **keys, "parsl.exit_code_raw": value,
            }
        else:
            report.problem(UNPARSED_LINE, origin)
            yield unparsed(text, source=SOURCE_NAME, origin=origin, name="parsl.submit_scripts",
                           reason="not an exit code", created=mtime, lineno=lineno,
                           fields=keys)
