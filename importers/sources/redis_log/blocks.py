"""What multi-line blocks say: the crash report, the logo banner, the config error."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ...core.record import (
    LINUX_PID,
    known,
)
from ...core.signals import signal_name
from .formats import CONFIG_ERROR, LINES, is_timed, match_line

# ---------------------------------------------------------------------------------------
# Multi-line blocks

_CRASH_FACTS = (   # (a word the line must hold, the regex, the keys of its groups)
    ("crashed", re.compile(r"Redis (\S+) crashed by signal: (\d+)(?:, si_code: (\d+))?"),
     ("redis.version", "redis.crash_signal", "redis.crash_si_code")),
    ("Accessing", re.compile(r"Accessing address: (\S+)"), ("redis.crash_address",)),
    ("Crashed", re.compile(r"Crashed running the instr?uction at: (\S+)"),
     ("redis.crash_instruction",)),
    ("assertion", re.compile(r"Failed assertion: (.*)"), ("redis.failed_assertion",)),
    ("memory test", re.compile(r"Fast memory test (PASSED|FAILED)"), ("redis.memory_test",)),
)
_INFO_KEYS = {
    "redis_version": "redis.version", "redis_mode": "redis.mode", "tcp_port": "redis.port",
    "config_file": "redis.config_file", "executable": "redis.executable",
    "run_id": "redis.run_id", "uptime_in_seconds": "redis.uptime_seconds",
    "used_memory": "redis.used_memory", "connected_clients": "redis.connected_clients",
}
_INFO_LINE = re.compile(r"([a-z_0-9]+):(.*)$")
_FRAME = re.compile(r"\(([^()]*)\)\[0x[0-9a-f]+\]$")
_ARGV = re.compile(r"argv\[(\d+)\]: '(.*)'$")
_CLIENT_ADDR = re.compile(r"(?:^|\s)addr=(\S+).*\scmd=(\S+)")


@dataclass
class Block:
    """Lines of one multi-line block while it is being read."""

    kind: str                      # "banner", "crash", "config"
    first: int                     # line number of its first line
    lines: list[str] = field(default_factory=list)
    ended: bool = False            # crash: END seen, only the advice after it may follow
    tail: int = 0                  # crash: lines absorbed after END
    pid: int | None = None         # from its first prefixed line (banner: the line above)
    role_char: str | None = None
    created: float | None = None
    invalid_utf8: bool = False


def crash_fields(lines: list[str]) -> dict[str, Any]:
    """The facts a bug report states, from its lines (prefixes and CR already removed)."""
    fields: dict[str, Any] = {}
    frames: list[str] = []
    argv: list[str] = []
    in_info = after_eip = False
    for line in lines:
        body = line
        if line[:1].isdigit() or line[:1] == "[":
            hit = match_line(line)
            if hit is not None and is_timed(hit[0]):
                body = hit[1].group("msg").strip()
        for word, regex, keys in _CRASH_FACTS:
            if word not in body:
                continue
            m = regex.search(body)
            if m is not None:
                for key, value in zip(keys, m.groups(), strict=False):
                    if value is not None and key not in fields:
                        fields[key] = value
        if "INFO OUTPUT" in body:
            in_info = True
            continue
        if in_info:
            if body.startswith("---"):
                in_info = False
            m = _INFO_LINE.match(body.removeprefix("# "))
            if m is not None and m.group(1) in _INFO_KEYS:
                fields.setdefault(_INFO_KEYS[m.group(1)], m.group(2).strip())
        if body.endswith("]"):
            m = _FRAME.search(body)
            if m is not None and not after_eip:  # the frame under "EIP:" repeats the top one
                frames.append(m.group(1))
        after_eip = body == "EIP:"
        if body.startswith("argv["):
            m = _ARGV.match(body)
            if m is not None:
                argv.append(m.group(2).strip('"'))
        if "addr=" in body and "redis.client_addr" not in fields:
            m = _CLIENT_ADDR.search(body)
            if m is not None:
                fields["redis.client_addr"] = m.group(1)
    for key in ("redis.crash_signal", "redis.crash_si_code", "redis.port",
                "redis.uptime_seconds", "redis.used_memory", "redis.connected_clients"):
        if key in fields:
            try:
                fields[key] = int(fields[key])
            except ValueError:
                del fields[key]
    if "redis.crash_signal" in fields:
        fields["redis.crash_signal_name"] = signal_name(fields["redis.crash_signal"])
    if fields.get("redis.failed_assertion", "").startswith("<no assertion failed>"):
        del fields["redis.failed_assertion"]
    if frames:
        fields["redis.backtrace"] = frames
    if argv:
        fields["redis.command"] = " ".join(argv)
    return {k: v for k, v in fields.items() if known(v)}


_BANNER_FACTS = (
    (re.compile(r"Redis (\S+) \((\w+)/(\d+)\) (\d+) bit"),
     ("redis.version", "redis.git_sha1", "redis.git_dirty", "redis.bits")),
    (re.compile(r"Running in (.+?) mode"), ("redis.mode",)),
    (re.compile(r"Port: (\d+)"), ("redis.port",)),
    (re.compile(r"PID: (\d+)"), (LINUX_PID,)),
)
_MODES = {"stand alone": "standalone"}


def banner_fields(lines: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for line in lines:
        for regex, keys in _BANNER_FACTS:
            m = regex.search(line)
            if m is not None:
                fields.update(zip(keys, m.groups(), strict=True))
    for key in ("redis.git_dirty", "redis.bits", "redis.port", LINUX_PID):
        if key in fields:
            fields[key] = int(fields[key])
    if "redis.mode" in fields:
        fields["redis.mode"] = _MODES.get(fields["redis.mode"], fields["redis.mode"])
    return fields


def config_fields(lines: list[str]) -> dict[str, Any]:
    """``*** FATAL CONFIG FILE ERROR ***``, optionally the line and directive, the error."""
    fields: dict[str, Any] = {}
    body = [line for line in lines if line.strip()]
    m = LINES.compiled(CONFIG_ERROR).match(body[0]) if body else None
    if m is not None and m.group("version"):
        fields["redis.version"] = m.group("version")
    rest = body[1:]
    if rest and rest[0].startswith("Reading the configuration file, at line "):
        number = rest[0].rsplit(" ", 1)[1]
        if number.isdigit():
            fields["redis.config_line"] = int(number)
        rest = rest[1:]
        if rest and rest[0].startswith(">>> "):
            fields["redis.config_directive"] = rest[0][4:].strip("'")
            rest = rest[1:]
    if rest:
        fields["redis.error"] = " ".join(rest)
    return fields
