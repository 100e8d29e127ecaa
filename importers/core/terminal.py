"""Text from inputs, made safe to print on the user's terminal.

Summaries and error lines name paths and quote input (a file name found in a walked
directory, a job name, an unparsed line): any of them may hold terminal escape sequences
(``ESC [ 2 J``, a title change, a hyperlink) or bidi controls that reorder what the user
reads. They are shown escaped (``\\x1b``), never replayed.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls, DEL, zero-width and bidi controls, BOM: invisible or active.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _escaped(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code == 9:
        return "\\t"
    if code == 10:
        return "\\n"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: Any) -> str:
    """``text`` with every control, bidi and zero-width character written as an escape."""
    s = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_escaped, s)
