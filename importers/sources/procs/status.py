"""A raw wait status -> exit code, or signal (named) and core dump; and how to say it."""

from __future__ import annotations

from typing import Any

from ...core.signals import signal_name
from .keys import CORE_DUMPED, EXIT_CODE, EXIT_SIGNAL, SIGNAL_NAME


def decode_status(status: int) -> dict[str, Any]:
    """A raw wait status (the kernel's ``task->exit_code``) -> exit code, or signal + core.

    ``768`` -> ``{exit_code: 3}``; ``9`` -> ``{exit_signal: 9, signal_name: SIGKILL}``;
    ``0x86`` -> SIGABRT with a core dump.
    """
    sig = status & 0x7F
    if sig == 0:
        return {EXIT_CODE: (status >> 8) & 0xFF}
    out: dict[str, Any] = {EXIT_SIGNAL: sig, SIGNAL_NAME: signal_name(sig)}
    if status & 0x80:
        out[CORE_DUMPED] = True
    return out


def describe_exit(fields: dict[str, Any]) -> str:
    if EXIT_SIGNAL in fields:
        text = f"killed by signal {fields[EXIT_SIGNAL]}"
        if fields.get(SIGNAL_NAME):
            text += f" ({fields[SIGNAL_NAME]})"
        if fields.get(CORE_DUMPED):
            text += ", core dumped"
        return text
    if EXIT_CODE in fields:
        return f"exit code {fields[EXIT_CODE]}"
    return "exit status unknown"
