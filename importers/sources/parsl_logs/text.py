"""The reader of Parsl's text logs: records with their continuation lines.

Continuation lines (tracebacks, config dumps) belong to the record above them; a line before
any record, or one that is not text, is an ``unparsed`` record, never dropped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...core.clock import Clock
from ...core.lineformat import CONTINUE_TEXT, read_line_blocks
from ...core.parallel import Part
from ...core.record import (
    CREATED,
    EVENT,
    FORMATTED,
    LEVELNAME,
    LEVELNO,
    LINENO,
    LINUX_PID,
    NAME,
    ORIGIN,
    SOURCE,
    unparsed,
)
from ...core.report import BAD_TIMESTAMP, UNPARSED_LINE, ImportReport
from .families import message_keys
from .formats import LINES, V2022
from .keys import EXC_TEXT, FORMAT, INVALID_UTF8_KEY, LINE_COUNT, MESSAGE, SOURCE_NAME

TIME_FROM = "ev.time_from"

# ---------------------------------------------------------------------------------------
# Reading


# A line that begins like a record (an epoch, or a date) but matched no variant is not a
# continuation: it is a truncated record or a format we do not know, and is kept unparsed.
_RECORD_START = re.compile(r"\d{9,11}\.\d+ |\d{4}-\d\d-\d\d[ T]\d\d:")
# In a v2022 log every record starts with an epoch: a line starting with an ISO date there is
# a message's own text (a subprocess's output, a timestamp in a traceback), a continuation.
_EPOCH_START = re.compile(r"\d{9,11}\.\d+ ")


def _is_text(line: str) -> bool:
    """A line that can be a continuation: no NUL, no U+FFFD, no C0 control but tab."""
    if line.isprintable():
        return True
    return "\ufffd" not in line and all(ch >= " " or ch == "\t" for ch in line)


# Memory must not grow with input: a record keeps at most this many bytes of continuation
# lines (a 138 MB "record" of a runaway print once took 433 MiB); the rest are counted in
# ev.line_count and named by a marker line, never silently dropped.
MAX_CONTINUATION_BYTES = int(os.environ.get("EV_MAX_RECORD_BYTES") or 1 << 20)
CAPPED_LINES = "ev.capped_lines"
CAPPED_BYTES = "ev.capped_bytes"

# Colour codes (CSI sequences) that loggers with colour handlers leave in continuation lines.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def _is_continuation(text: str) -> bool:
    """Text, possibly coloured: a traceback printed by a colouring handler stays one record."""
    return _is_text(text) or ("\x1b" in text and _is_text(_ANSI.sub("", text)))


def _finish(rec: dict[str, Any], more: list[str], capped: int = 0,
            capped_bytes: int = 0) -> dict[str, Any]:
    """Fold a record's continuation lines into it: message, traceback, line count."""
    rec[LINE_COUNT] = 1 + len(more) + capped
    if capped:
        more = [*more, f"[ev-import: {capped:,} more lines ({capped_bytes:,} bytes) of this "
                       f"record not kept: records are capped at {MAX_CONTINUATION_BYTES:,} "
                       "bytes of continuation lines]"]
        rec[CAPPED_LINES] = capped
        rec[CAPPED_BYTES] = capped_bytes
    start = next((i for i, text in enumerate(more)
                  if text.startswith("Traceback (most recent call last)")
                  or ("\x1b" in text and _ANSI.sub("", text).startswith("Traceback ("))),
                 None)
    body = more if start is None else more[:start]
    if body:
        rec[MESSAGE] = "\n".join([rec[FORMATTED], *body])
    if start is not None:
        rec[EXC_TEXT] = "\n".join(more[start:])
    if not rec[FORMATTED].strip():  # the message starts on the next line
        rec[FORMATTED] = next((t.strip() for t in more if t.strip()), "")
    return rec


def text_records(
    path: Path, origin: str, base: dict[str, Any], times: Clock,
    report: ImportReport, part: Part | None = None, variants_seen: set[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """One text log: records with their continuation lines, or ``unparsed`` records.

    A record is yielded when the next record (or the end) shows that no more continuation
    lines follow it.
    """
    match = LINES.match
    first_chars = LINES.first_chars or ""
    # Logs rarely change format mid-file: try the variant of the previous record first,
    # without a call into the table.
    last_variant, last_regex = V2022, LINES.compiled(V2022)
    keys_of = message_keys
    parse_time = times.parse
    # Per variant: the file's constant fragment of every record, and the builder the table
    # generated from the variant's declaration (importers.core.lineformat).
    consts: dict[str, dict[str, Any]] = {}
    v2022, v2022_const, levelnos = V2022, None, LINES.levelnos
    builders: dict[str, Any] = {}
    pending: dict[str, Any] | None = None
    more: list[str] = []
    kept = capped = capped_bytes = records_capped = 0
    cap = MAX_CONTINUATION_BYTES
    last_created: float | None = None
    blocks = (read_line_blocks(path, report) if part is None else
              read_line_blocks(path, report, start=part.start, end=part.end,
                               first_lineno=part.lineno))
    for start, lines, bad in blocks:
        for offset, text in enumerate(lines):
            m = last_regex.match(text) if text and text[0] in first_chars else None
            if m is None and text and text[0] in first_chars:
                hit = match(text)
                if hit is not None:
                    last_variant, m = hit
                    last_regex = LINES.compiled(last_variant)
                    if variants_seen is not None:
                        variants_seen.add(last_variant.name)
            if m is None:
                if pending is not None and last_variant.continuation == CONTINUE_TEXT \
                        and _is_continuation(text) and not (
                        _EPOCH_START.match(text) if last_variant is v2022
                        else _RECORD_START.match(text)):
                    if kept < cap:
                        more.append(text)
                        kept += len(text) + 1
                    else:
                        records_capped += not capped
                        capped += 1
                        capped_bytes += len(text) + 1
                    continue
                lineno = start + offset
                if pending is not None:
                    yield _finish(pending, more, capped, capped_bytes) if more else pending
                    pending, more = None, []
                    kept = capped = capped_bytes = 0
                report.problem(UNPARSED_LINE, origin)
                yield unparsed(
                    text, source=SOURCE_NAME, origin=origin, name="parsl.log",
                    reason=("not text" if text and not _is_text(text) else
                            "before any record" if last_created is None else
                            "starts like a record but matches no format (truncated?)")
                    + f"; tried {LINES.tried}",
                    created=last_created, lineno=lineno,
                    fields={**base, INVALID_UTF8_KEY: True if offset in bad else None},
                )
                continue
            if pending is not None:
                if more:  # (nothing is kept or capped without a continuation line)
                    yield _finish(pending, more, capped, capped_bytes)
                    more = []
                    kept = capped = capped_bytes = 0
                else:
                    yield pending
            if last_variant is v2022:
                # The hot variant: its hand-written twin of the engine's builder (a dict
                # display of constant keys is what CPython builds fastest); the format test
                # checks the two give the same record for every v2022 line of the fixtures.
                if v2022_const is None:
                    v2022_const = {SOURCE: SOURCE_NAME, ORIGIN: origin, LINE_COUNT: 1,
                                   FORMAT: "v2022", **base}
                (epoch, _asctime, pname, pid, tname, tid, logger, lineno, func, levelname,
                 msg) = m.groups()
                last_created = float(epoch)
                event, keys = keys_of(msg)
                pending = {
                    CREATED: last_created, FORMATTED: msg, NAME: logger,
                    LEVELNAME: levelname, LEVELNO: levelnos.get(levelname, 20),
                    LINENO: start + offset, **v2022_const,
                    "parsl.process_name": pname, LINUX_PID: int(pid),
                    "parsl.thread_name": tname, "parsl.thread_id": int(tid),
                    "parsl.logger_lineno": int(lineno), "parsl.func_name": func,
                    EVENT: event,
                }
                if keys:
                    pending.update(keys)
                if bad and offset in bad:
                    pending[INVALID_UTF8_KEY] = True
                continue
            const = consts.get(last_variant.name)
            if const is None:
                # LINENO first: a placeholder that fixes where the builder puts it
                const = consts[last_variant.name] = {LINENO: 0, SOURCE: SOURCE_NAME,
                                                ORIGIN: origin, LINE_COUNT: 1,
                                                FORMAT: last_variant.name, **base}
                build = builders[last_variant.name] = LINES.builder(last_variant)
            else:
                build = builders[last_variant.name]
            pending, msg = build(m, parse_time, const, start + offset)
            created = pending.get(CREATED)
            if created is None:  # a time that looks right but is not (e.g. month 13)
                report.problem(BAD_TIMESTAMP, origin)
                if last_created is not None:  # the log's order: not before the previous one
                    pending[CREATED] = last_created
                    pending[TIME_FROM] = "the previous record (its own time is invalid)"
            else:
                last_created = created
            event, keys = keys_of(msg)
            pending[EVENT] = event
            if keys:
                pending.update(keys)
            if bad and offset in bad:
                pending[INVALID_UTF8_KEY] = True
    if pending is not None:
        yield _finish(pending, more, capped, capped_bytes) if more else pending
    if records_capped:
        report.assume("capped records", f"{records_capped} records kept their first "
                      f"{cap:,} bytes of continuation lines ({CAPPED_LINES} says how many "
                      "more lines they had)")
