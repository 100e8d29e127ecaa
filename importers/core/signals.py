"""Signal numbers as the names users know (``9`` -> ``SIGKILL``), for every source.

Linux numbering (the kernel's, Slurm's and Redis's crash reports all print Linux numbers);
an unknown number has no name rather than a guessed one.
"""

from __future__ import annotations

import signal as _signal


def signal_name(number: int) -> str | None:
    try:
        return _signal.Signals(number).name
    except ValueError:
        return None
