"""The stateful reader of one Redis log: blocks, held records, children and signals.

Records whose time or role is not known yet (a blank line, a child's line before its
parent's fork was seen) are held back briefly, so each is written once, complete.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ...core.clock import Clock
from ...core.lineformat import Variant, read_line_blocks
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
    RAW,
    SOURCE,
    unparsed,
)
from ...core.report import BAD_TIMESTAMP, UNPARSED_LINE, ImportReport
from .blocks import Block, banner_fields, config_fields, crash_fields
from .families import classify
from .formats import (
    CONFIG_ERROR,
    CRASH,
    LINES,
    LOGO,
    MONTHS,
    SCRIPT_START,
    SIG,
    SIG_V2,
    TIME_NOYEAR,
    TIME_V3,
    V2,
    V3,
    V3_NOYEAR,
    is_timed,
    match_line,
)
from .keys import (
    CHILD_PID,
    FORMAT,
    INVALID_UTF8_KEY,
    LEVEL_CHAR,
    LEVEL_INFO,
    LEVELNOS,
    LINE_COUNT,
    MAX_BLOCK_LINES,
    MAX_HELD,
    PARENT_PID,
    RECORD_NAME,
    ROLE,
    ROLE_CHAR,
    ROLES,
    SCRIPT_NAME,
    SOURCE_NAME,
)


class FileReader:
    """The state of one file's read: blocks, held records, pids of children and signals."""

    def __init__(self, path: Path, clock: Clock, report: ImportReport) -> None:
        self.path = path
        self.origin = str(path)
        self.clock = clock      # the zone, the year of yearless lines, a repeated hour
        self.report = report
        self.children: dict[int, int] = {}       # child pid -> parent pid
        self.roles: dict[int, str | None] = {}   # pid -> last role it logged (sig lines, 2.x)
        self.signals: dict[int, str] = {}        # pid -> signal that scheduled its shutdown
        self.starting: set[int] = set()          # pids on their first (role C) lines
        self.held: list[dict[str, Any]] = []     # records waiting for a time or a role
        self.pending: list[tuple[int, str, dict[str, Any] | None]] = []  # blanks, empty "#"
        self.last_created: float | None = None
        # the clock's per-second caches (never an ambiguous second; the yearless one is
        # emptied by the clock when the inferred year changes), read inline by run()
        self._v3_cache = clock.cache(V3_SECOND)
        self._noyear_cache = clock.cache(NOYEAR_SECOND)

    # -- times (None when the text is no real time: kept raw, counted as BadTimestamp)

    def _v3_time(self, text: str) -> float | None:
        head = text[:-4]
        base = self._v3_cache.get(head)
        if base is None:
            try:
                base = self.clock.parse_format(head, V3_SECOND)
            except ValueError:
                return None
            _day, mon, yr = head.split(" ", 3)[:3]
            self.clock.see_absolute(int(yr), MONTHS[mon])
        return base + int(text[-3:]) / 1000

    def _noyear_time(self, text: str) -> float | None:
        head = text[:-4]
        base = self._noyear_cache.get(head)
        if base is None:
            parts = head.split(" ", 2)
            if len(parts) < 2 or parts[1] not in MONTHS:
                return None
            try:   # the clock infers the year (mtime, rollovers, absolute times)
                base = self.clock.parse_format(head, NOYEAR_SECOND)
            except (ValueError, IndexError):
                return None
        return base + int(text[-3:]) / 1000

    def _absolute(self, epoch: float) -> None:
        self.clock.see_epoch(epoch)
        self.clock.last = epoch

    def _bad_time(self, rec: dict[str, Any], text: str) -> None:
        del rec[CREATED]
        rec["redis.time_raw"] = text
        self.report.problem(BAD_TIMESTAMP, f"{self.path.name}:{rec[LINENO]}")

    # -- the read

    def run(self, part: Part | None = None) -> Iterator[dict[str, Any]]:
        origin = self.origin
        match = LINES.match
        classify_ = classify
        v3, v3n, v2 = V3, V3_NOYEAR, V2
        roles = ROLES
        level_info = LEVEL_INFO
        relating = RELATING
        known_roles = self.roles
        children = self.children
        pending = self.pending
        held = self.held
        v3_cache = self._v3_cache
        noyear_cache = self._noyear_cache
        block: Block | None = None
        # The hot path: the timed variant that matched last, tried directly; the table's
        # own match (every variant, most recent first) only when it fails.
        fast_variant = V3
        fast = LINES.compiled(V3).match
        fast_name = V3.name
        pid = None
        blocks = (read_line_blocks(self.path, self.report) if part is None else
                  read_line_blocks(self.path, self.report, start=part.start, end=part.end,
                                   first_lineno=part.lineno))
        for first, lines, bad in blocks:
            for lineno, text in enumerate(lines, first):
                invalid = bool(bad) and lineno - first in bad
                if block is not None:
                    consumed, done = self._feed(block, lineno, text)
                    if invalid and consumed:
                        block.invalid_utf8 = True
                    if done:
                        yield from self._emit(self._block_record(block))
                        block = None
                    if consumed:
                        continue
                m = fast(text)
                if m is not None:
                    variant = fast_variant
                else:
                    hit = match(text)
                    if hit is not None:
                        variant, m = hit
                        if is_timed(variant):
                            fast_variant, fast = variant, LINES.compiled(variant).match
                            fast_name = variant.name
                if m is None:
                    if not text.strip():
                        pending.append((lineno, text, None))
                        continue
                    yield from self._flush_pending()
                    self.report.problem(UNPARSED_LINE, self.path.name)
                    yield from self._emit(unparsed(
                        text, source=SOURCE_NAME, origin=origin, name=RECORD_NAME,
                        reason=f"no format matched: {LINES.tried}", created=self.last_created,
                        lineno=lineno, fields={INVALID_UTF8_KEY: True if invalid else None},
                    ), timed=False)
                    continue
                if variant is v3 or variant is v3n or variant is v2:
                    if variant is v3:
                        pid_text, rc, time_text, level, message = m.groups()
                        created = v3_cache.get(time_text[:-4])
                        if created is None:
                            created = self._v3_time(time_text)
                        else:
                            created += int(time_text[-3:]) / 1000
                    else:
                        if variant is v2:
                            pid_text, time_text, level, message = m.groups()
                            rc = None
                        else:
                            pid_text, rc, time_text, level, message = m.groups()
                        created = noyear_cache.get(time_text[:-4])
                        if created is None:
                            created = self._noyear_time(time_text)
                        else:
                            created += int(time_text[-3:]) / 1000
                    pid = int(pid_text)
                    if pid in children and message.startswith(SERVER_START):
                        self._restarted(pid)   # a new server reusing an old child's pid
                    if rc is None:
                        role = known_roles.get(pid)
                        if role == "child" and pid not in children:
                            role = None
                    else:
                        role = roles[rc] if rc != "C" else self._child_role(pid, message)
                        known_roles[pid] = role
                    levelname, levelno = level_info[level]
                    hit = classify_(message)
                    if hit is None:
                        event = "log"
                        fields = None
                    else:
                        family, fields = hit
                        event = family.event
                        if family.level:
                            levelname = family.level
                            levelno = LEVELNOS[levelname]
                    rec = {
                        CREATED: created,
                        FORMATTED: message,
                        NAME: RECORD_NAME,
                        LEVELNAME: levelname,
                        LEVELNO: levelno,
                        SOURCE: SOURCE_NAME,
                        ORIGIN: origin,
                        EVENT: event,
                        LINENO: lineno,
                        FORMAT: fast_name if variant is fast_variant else variant.name,
                        LINUX_PID: pid,
                        LEVEL_CHAR: level,
                    }
                    if role is not None:
                        rec[ROLE] = role
                        if role == "child" and pid in children:
                            rec[PARENT_PID] = children[pid]
                    if rc is not None:
                        rec[ROLE_CHAR] = rc
                    if invalid:
                        rec[INVALID_UTF8_KEY] = True
                    if fields:
                        rec.update(fields)
                    if event in relating:
                        self._relate(event, pid, rec)
                    if created is None:
                        self._bad_time(rec, time_text)
                    else:
                        self.last_created = created
                    if not message:
                        # "# " alone: 2.x starts its bug report so; hold it to see what follows
                        pending.append((lineno, text, rec))
                        continue
                    if pending or held or role is None and rc is not None:
                        yield from self._flush_pending()
                        yield from self._emit(rec)
                    else:
                        yield rec
                    continue
                # the rare shapes
                if variant is CRASH or variant is CONFIG_ERROR:
                    kind = "crash" if variant is CRASH else "config"
                    block = self._open_block(kind, lineno, text)
                    continue
                yield from self._flush_pending()
                if variant is LOGO:
                    block = Block("banner", lineno, [text], pid=pid)  # pid of the line above
                    continue
                if variant is SIG or variant is SIG_V2:
                    yield from self._emit(self._signal_record(m, variant, lineno, invalid))
                    continue
                yield from self._emit(self._script_record(m, variant, lineno, invalid))
        if block is not None:
            yield from self._emit(self._block_record(block))
        yield from self._flush_pending()
        yield from self._release()

    # -- roles, children, shutdown reasons

    def _restarted(self, pid: int) -> None:
        """A server starting with the pid of an earlier child (pids are reused): that pid
        is no child any more."""
        self.children.pop(pid, None)
        if self.roles.get(pid) == "child":
            del self.roles[pid]

    def _child_role(self, pid: int, message: str) -> str | None:
        """Role of a ``C`` line: a child, or a server on its first lines (role not yet known)."""
        if pid in self.children:
            return "child"
        if pid in self.starting or message.startswith(("oO0OoO0OoO0Oo", "Redis version=")):
            self.starting.add(pid)
            return None
        return "child"

    def _relate(self, event: str, pid: int, rec: dict[str, Any]) -> None:
        child = rec.get(CHILD_PID)
        if child is not None:
            if len(self.children) > 100_000:
                self.children.clear()
            self.children[child] = pid
            self.roles[child] = "child"
            return
        if event == "signal":
            self.signals[pid] = rec["redis.signal"]
        elif event == "shutdown":
            sig = self.signals.pop(pid, None)
            rec["redis.shutdown_reason"] = f"signal {sig}" if sig else "SHUTDOWN command"
        elif event == "sentinel_id" and rec.get(FORMAT) == "v2":
            self.roles[pid] = rec[ROLE] = "sentinel"

    # -- output order: records held back for a time or a role go out before the next one

    def _waits(self, rec: dict[str, Any]) -> bool:
        """A server's record from before it printed its role (startup ``C`` lines, logo)."""
        return (ROLE not in rec and rec.get(LINUX_PID) in self.starting
                and rec.get(FORMAT) != "v2")

    def _emit(self, rec: dict[str, Any], timed: bool = True) -> Iterator[dict[str, Any]]:
        held = self.held
        if timed and CREATED in rec and not self._waits(rec):
            pid = rec.get(LINUX_PID)
            role = rec.get(ROLE)
            if held:
                for i, r in enumerate(held):
                    if role and ROLE not in r and r.get(LINUX_PID) == pid:
                        r[ROLE] = role
                    if CREATED not in r:
                        held[i] = {CREATED: rec[CREATED], **r}
                yield from held
                held.clear()
            if role:
                self.starting.discard(pid)
            yield rec
            return
        if held or self._waits(rec) or (CREATED not in rec and rec[EVENT] == "banner"):
            held.append(rec)
            if len(held) >= MAX_HELD:
                yield from self._release()
            return
        yield rec

    def _release(self) -> Iterator[dict[str, Any]]:
        yield from self.held
        self.held.clear()

    def _flush_pending(self) -> Iterator[dict[str, Any]]:
        """Blank lines and empty messages that turned out to start no block."""
        if not self.pending:
            return
        pending = self.pending[:]
        self.pending.clear()
        run: list[int] = []
        for lineno, _text, rec in pending:
            if rec is None:
                run.append(lineno)
                continue
            if run:
                yield from self._emit(self._blank_record(run), timed=False)
                run = []
            yield from self._emit(rec)
        if run:
            yield from self._emit(self._blank_record(run), timed=False)

    def _blank_record(self, linenos: list[int]) -> dict[str, Any]:
        rec: dict[str, Any] = {}
        if self.last_created is not None:
            rec[CREATED] = self.last_created
        rec.update({
            FORMATTED: f"{len(linenos)} blank line{'s' if len(linenos) > 1 else ''}",
            NAME: RECORD_NAME, LEVELNAME: "DEBUG", LEVELNO: 10, SOURCE: SOURCE_NAME,
            ORIGIN: self.origin, EVENT: "blank", LINENO: linenos[0],
        })
        if len(linenos) > 1:
            rec[LINE_COUNT] = len(linenos)
        return rec

    # -- blocks

    def _open_block(self, kind: str, lineno: int, text: str) -> Block:
        """A crash report or config error: the blank lines (and 2.x's empty ``#`` line)
        printed just before its first line belong to it."""
        pending = self.pending[:]
        self.pending.clear()
        block = Block(kind, pending[0][0] if pending else lineno)
        for _lineno, line, rec in pending:
            block.lines.append(line)
            if rec is not None and block.pid is None:
                block.pid = rec[LINUX_PID]
                block.role_char = rec.get(ROLE_CHAR)
                block.created = rec.get(CREATED)
        block.lines.append(text)
        return block

    def _feed(self, block: Block, lineno: int, text: str) -> tuple[bool, bool]:
        """Offer a line to an open block: (consumed, block finished)."""
        if block.kind == "banner":
            if block.ended:                    # one blank line closes the logo
                if not text.strip():
                    block.lines.append(text)
                    return True, True
                return False, True
            if (text[:1] not in " |(`" and match_line(text) is not None
                    or len(block.lines) > 40):
                return False, True             # a cut-off logo
            block.lines.append(text)
            if text.strip() == "`-.__.-'":
                block.ended = True
            return True, False
        if block.kind == "config":
            if match_line(text) is not None or len(block.lines) > 8:
                return False, True
            block.lines.append(text)
            body = [line for line in block.lines if line.strip()]
            if len(body) >= 2 and not body[-1].startswith(("Reading the configuration file",
                                                            ">>> ")):
                return True, True
            return True, False
        # crash report
        hit = match_line(text)
        if block.ended:
            if hit is not None or block.tail >= 20:
                return False, True
            block.lines.append(text)
            block.tail += 1
            return True, False
        if hit is not None:
            variant, m = hit
            if is_timed(variant):
                pid = int(m.group("pid"))
                if block.pid is None:
                    block.pid = pid
                    block.role_char = m.group("role") if variant is not V2 else None
                    block.created = (self._v3_time(m.group("time")) if variant is V3
                                     else self._noyear_time(m.group("time")))
                elif pid != block.pid:
                    return False, True         # another process: the report was cut off
            elif variant is not CRASH:
                return False, True
        block.lines.append(text)
        if text.startswith("=== REDIS BUG REPORT END"):
            block.ended = True
        elif len(block.lines) >= MAX_BLOCK_LINES:
            return True, True
        return True, False

    def _block_record(self, block: Block) -> dict[str, Any]:
        count = len(block.lines)
        if block.kind == "banner":
            fields = banner_fields(block.lines)
            pid = fields.get(LINUX_PID)
            if fields.get("redis.mode") == "sentinel" and pid is not None:
                self.roles[pid] = "sentinel"
                fields[ROLE] = "sentinel"
            elif pid is not None and self.roles.get(pid):
                fields[ROLE] = self.roles[pid]
            # the logo of a 4.x+ server follows its own first lines: their time is its time;
            # a 2.x/3.x logo comes first, and takes the time of the line after it
            created = self.last_created if pid is not None and pid == block.pid else None
            formatted = (f"Redis {fields.get('redis.version', '?')} "
                         f"{fields.get('redis.mode', '?')} mode, port "
                         f"{fields.get('redis.port', '?')}, pid {pid if pid is not None else '?'}")
            rec = self._block_envelope(block, "banner", formatted, "INFO", created, count)
            rec.update(fields)
            return rec
        if block.kind == "config":
            fields = config_fields(block.lines)
            where = fields.get("redis.config_line")
            formatted = ("FATAL CONFIG FILE ERROR"
                         + (f" at line {where}" if where is not None else "")
                         + (f" ('{fields['redis.config_directive']}')"
                            if "redis.config_directive" in fields else "")
                         + f": {fields.get('redis.error', '?')}")
            rec = self._block_envelope(block, "config_error", formatted, "CRITICAL",
                                       self.last_created, count)
            rec[RAW] = "\n".join(block.lines)
            rec.update(fields)
            return rec
        fields = crash_fields(block.lines)
        if not block.ended:
            fields["redis.report_complete"] = False
        formatted = (f"Redis {fields.get('redis.version', '?')} crashed by signal "
                     f"{fields.get('redis.crash_signal', '?')}"
                     + (f" ({fields['redis.crash_signal_name']})"
                        if "redis.crash_signal_name" in fields else "")
                     + (f" running {fields['redis.command']}" if "redis.command" in fields
                        else ""))
        created = block.created if block.created is not None else self.last_created
        rec = self._block_envelope(block, "crash_report", formatted, "CRITICAL", created, count)
        if block.pid is not None:
            rec[LINUX_PID] = block.pid
            role = (ROLES.get(block.role_char) if block.role_char
                    else self.roles.get(block.pid))
            if role:
                rec[ROLE] = role
            if block.role_char:
                rec[ROLE_CHAR] = block.role_char
        rec[RAW] = "\n".join(block.lines)
        rec.update(fields)
        if block.created is not None:
            self.last_created = block.created
        return rec

    def _block_envelope(self, block: Block, event: str, formatted: str, levelname: str,
                        created: float | None, count: int) -> dict[str, Any]:
        rec: dict[str, Any] = {}
        if created is not None:
            rec[CREATED] = created
        rec.update({
            FORMATTED: formatted, NAME: RECORD_NAME, LEVELNAME: levelname,
            LEVELNO: LEVELNOS[levelname], SOURCE: SOURCE_NAME, ORIGIN: self.origin,
            EVENT: event, LINENO: block.first, FORMAT: BLOCK_FORMATS[block.kind],
        })
        if count > 1:
            rec[LINE_COUNT] = count
        if block.invalid_utf8:
            rec[INVALID_UTF8_KEY] = True
        return rec

    # -- single lines of the rare shapes

    def _signal_record(self, m: re.Match[str], variant: Variant, lineno: int,
                       invalid: bool) -> dict[str, Any]:
        pid = int(m.group("pid"))
        created = float(m.group("epoch"))
        self._absolute(created)
        message = m.group("message")
        hit = classify(message)
        event, fields = ("log", {}) if hit is None else (hit[0].event, hit[1])
        rec = {
            CREATED: created, FORMATTED: message, NAME: RECORD_NAME, LEVELNAME: "WARNING",
            LEVELNO: 30, SOURCE: SOURCE_NAME, ORIGIN: self.origin, EVENT: event,
            LINENO: lineno, FORMAT: variant.name, LINUX_PID: pid,
        }
        role = self.roles.get(pid)
        if role:
            rec[ROLE] = role
        if invalid:
            rec[INVALID_UTF8_KEY] = True
        rec.update(fields)
        if event in RELATING:
            self._relate(event, pid, rec)
        self.last_created = created
        return rec

    def _script_record(self, m: re.Match[str], variant: Variant, lineno: int,
                       invalid: bool) -> dict[str, Any]:
        when = m.group("when")
        try:   # a naive time is local, in the clock's zone
            created: float | None = self.clock.epoch(datetime.fromisoformat(when))
        except ValueError:
            created = None
        info = m.group("info")
        fields: dict[str, Any] = {}
        if variant is SCRIPT_START:
            event = "script_start"
            cmd = _SCRIPT_COMMAND.search(info)
            if cmd:
                fields["linux.cmdline"] = cmd.group(1)
            formatted = f"script started: {fields.get('linux.cmdline', info)}"
        else:
            event = "script_end"
            code = _SCRIPT_EXIT.search(info)
            if code:
                fields["linux.exit_code"] = int(code.group(1))
            formatted = f"script done: exit code {fields.get('linux.exit_code', '?')}"
        rec: dict[str, Any] = {}
        if created is not None:
            rec[CREATED] = created
            self._absolute(created)
            self.last_created = created
        rec.update({
            FORMATTED: formatted, NAME: SCRIPT_NAME, LEVELNAME: "INFO", LEVELNO: 20,
            SOURCE: SOURCE_NAME, ORIGIN: self.origin, EVENT: event, LINENO: lineno,
            FORMAT: variant.name, **fields,
        })
        if invalid:
            rec[INVALID_UTF8_KEY] = True
        return rec


# The first line a starting server prints, by release (2.x: "Server started, Redis
# version"; 3.x+: the oO0Oo banner; 5+: "Redis version=" on its own line).
SERVER_START = ("oO0OoO0OoO0Oo", "Redis version=", "Server started, Redis version")

# Events whose keys relate processes or explain later lines (children, shutdown reasons).
RELATING = frozenset({"bgsave_start", "aof_rewrite_start", "rdb_transfer_start", "signal",
                      "shutdown", "sentinel_id"})
V3_SECOND = TIME_V3[:-3]            # the whole-second part the clock caches
NOYEAR_SECOND = TIME_NOYEAR[:-3]
BLOCK_FORMATS = {"banner": "logo", "crash": "crash", "config": "config-error"}
_SCRIPT_COMMAND = re.compile(r'COMMAND="([^"]*)"')
_SCRIPT_EXIT = re.compile(r'COMMAND_EXIT_CODE="(\d+)"')
