"""Slurm's printed values as numbers: shared by the ``sacct`` and ``squeue`` importers.

Slurm prints durations (``1-02:03:04``, ``0:01``, ``00:00.003``), memory (``256M``, ``4Gc``,
``3264K``), exit codes (``3:0`` = code:signal), states (``CANCELLED by 0``), job ids
(``123``, ``37_3``, ``37_[3-9%2]``, ``7+0``, ``36.batch``) and node lists (``node[01-03,07]``)
in a handful of shapes; each function here turns one shape into what a user computes with,
and raises ``ValueError`` for text it does not recognise (the caller keeps that text raw).
Node lists are expanded with the ``python-hostlist`` library (NSC's, the one Slurm sites use).

Example::

    >>> duration("1-02:03:04"), memory("4Gc"), exit_code("3:0"), state("CANCELLED by 0")
    (93784, (4294967296, 'cpu'), (3, 0), ('CANCELLED', 0))
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..core.clock import Clock

# Words Slurm prints where a duration would be. Kept as text under the field's own key.
DURATION_WORDS = frozenset(
    {"UNLIMITED", "Partition_Limit", "INVALID", "NOT_SET", "INFINITE", "NONE"}
)
# Words Slurm prints where a time would be: unknown, omitted (DESIGN §2).
NO_TIME = frozenset({"Unknown", "None", "N/A", "NONE", "", "0", "(null)"})

# State of a job or step: final states and how loud they are.
ERROR_STATES = frozenset(
    {"FAILED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"}
)
WARNING_STATES = frozenset({"CANCELLED", "PREEMPTED", "REVOKED"})
FINAL_STATES = ERROR_STATES | WARNING_STATES | {"COMPLETED"}
# squeue's compact state codes (%t, the default ``ST`` column).
COMPACT_STATES = {
    "BF": "BOOT_FAIL", "CA": "CANCELLED", "CD": "COMPLETED", "CF": "CONFIGURING",
    "CG": "COMPLETING", "DL": "DEADLINE", "F": "FAILED", "NF": "NODE_FAIL",
    "OOM": "OUT_OF_MEMORY", "PD": "PENDING", "PR": "PREEMPTED", "R": "RUNNING",
    "RD": "RESV_DEL_HOLD", "RF": "REQUEUE_FED", "RH": "REQUEUE_HOLD", "RQ": "REQUEUED",
    "RS": "RESIZING", "RV": "REVOKED", "SI": "SIGNALING", "SE": "SPECIAL_EXIT",
    "SO": "STAGE_OUT", "ST": "STOPPED", "S": "SUSPENDED", "TO": "TIMEOUT",
}

_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}
_PER = {"n": "node", "c": "cpu"}



def json_number(value: Any) -> Any:
    """Unwrap 23.02+'s ``{"set": .., "infinite": .., "number": ..}`` numbers (sacct and squeue
    ``--json`` alike); 22.05's plain numbers pass through."""
    if isinstance(value, dict) and "number" in value:
        if value.get("infinite"):
            return "UNLIMITED"
        if not value.get("set", True):
            return None
        return value.get("number")
    return value


def json_first(value: Any) -> Any:
    """23.02+ gives states as lists (``["COMPLETED"]``); 22.05 as a string."""
    if isinstance(value, list):
        return value[0] if value else None
    return value

def duration(text: str) -> int | float:
    """``[D-][[H:]M:]S[.fff]`` -> seconds (int, or float with a fraction).

    ``1-02:03:04`` -> 93784, ``02:03:04`` -> 7384, ``0:01`` -> 1 (squeue's M:SS),
    ``00:00.003`` -> 0.003 (sacct's CPU times), ``365-00:00:00`` -> 31536000.
    """
    days = 0
    if "-" in text:
        head, _, text = text.partition("-")
        days = int(head)
    parts = text.split(":")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise ValueError(f"not a Slurm duration: {text!r}")
    seconds: int | float = 0
    for part in parts[:-1]:
        seconds = seconds * 60 + int(part)
    last = parts[-1]
    tail: int | float = float(last) if "." in last else int(last)
    return days * 86400 + seconds * 60 + tail


def memory(text: str) -> tuple[int, str | None]:
    """``256M`` -> (268435456, None); ``1Gn`` -> (.., "node"); ``4Gc`` -> (.., "cpu");
    ``3264K``; ``1.50G``; a bare number is bytes (``0``)."""
    per = _PER.get(text[-1:])
    if per is not None:
        text = text[:-1]
    scale = _UNITS.get(text[-1:])
    if scale is not None:
        text = text[:-1]
    else:
        scale = 1
    value = float(text) * scale if "." in text else int(text) * scale
    return int(value), per


def exit_code(text: str) -> tuple[int, int]:
    """``3:0`` -> (3, 0): the return code and the signal that ended the process."""
    code, sep, signal = text.partition(":")
    if not sep:
        raise ValueError(f"not a Slurm exit code: {text!r}")
    return int(code), int(signal)


def wait_status(status: int) -> tuple[int, int]:
    """A raw wait status (squeue ``--json`` ``exit_code`` 768) -> (code 3, signal 0)."""
    return (status >> 8) & 0xFF, status & 0x7F


def state(text: str) -> tuple[str, int | None]:
    """``CANCELLED by 0`` -> ("CANCELLED", 0); ``COMPLETED`` -> ("COMPLETED", None)."""
    name, sep, uid = text.partition(" by ")
    if sep and uid.isdigit():
        return name, int(uid)
    return text, None


_ARRAY = re.compile(r"^\[?(?P<range>[0-9,\-:]+)(?:%(?P<max>\d+))?\]?$")


def job_id(text: str) -> dict[str, Any]:
    """A job id as Slurm prints it -> its parts as record keys (without the ``slurm.`` prefix).

    ``36.batch`` -> jobid 36, step batch; ``37_3`` -> jobid 37_3, array_job_id 37,
    array_task_id 3; ``37_[3-9%2]`` -> array_task_range "3-9", array_max_running 2;
    ``7+0.1`` -> jobid 7+0, het_job_id 7, het_job_offset 0, step 1.
    """
    job, _, step = text.partition(".")
    parts: dict[str, Any] = {"jobid": job}
    if step:
        parts["step"] = step
    if "_" in job:
        array, _, task = job.partition("_")
        parts["array_job_id"] = array
        if task.isdigit():
            parts["array_task_id"] = int(task)
        else:
            m = _ARRAY.match(task)
            if m is None:
                raise ValueError(f"not a Slurm array task: {text!r}")
            parts["array_task_range"] = m["range"]
            if m["max"]:
                parts["array_max_running"] = int(m["max"])
    elif "+" in job:
        het, _, offset = job.partition("+")
        parts["het_job_id"] = het
        parts["het_job_offset"] = int(offset)
    return parts


class NodeLists:
    """Slurm host lists -> lists of host names, each distinct text expanded once.

    Big accounting dumps repeat the same few node lists; the cache is bounded.
    """

    MAX_CACHED = 4096

    def __init__(self) -> None:
        self._cache: dict[str, list[str]] = {}

    def expand(self, text: str) -> list[str]:
        hosts = self._cache.get(text)
        if hosts is None:
            if "[" in text or "," in text:
                import hostlist  # python-hostlist

                try:
                    hosts = hostlist.expand_hostlist(text)
                except hostlist.BadHostlist as exc:
                    raise ValueError(f"not a Slurm node list: {text!r} ({exc})") from None
            else:
                hosts = [text]
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            self._cache[text] = hosts
        return hosts


# The order a job's times happen in: a row's local times are resolved in this order, each
# not before the one resolved before it (a repeated hour when clocks go back, importers.core
# .clock), so a job that started in the first 02:30 and ended in the second is not read as
# ending before it started.
TIME_ORDER = {"slurm.submit_time": 0, "slurm.eligible_time": 1, "slurm.start_time": 2,
              "slurm.end_time": 3}


def time_rank(key: str) -> int:
    return TIME_ORDER.get(key, 4)


class Times:
    """Slurm's printed times -> epoch seconds: epoch digits as they are (``SLURM_TIME_FORMAT=%s``),
    ISO local text (``2026-11-25T08:54:36``) by the clock of the stream. Remembers which it
    saw, so the summary can say whether a zone was assumed at all.

    Call :meth:`row` at each row (job) and give its times in :data:`TIME_ORDER`: a local time
    in a repeated hour is then read as the first occurrence unless that would put it before
    the row's previous time, or, for rows in time order (``ordered``), the first time of
    the previous row. Neither sacct's rows (a step's Submit is its start, array tasks come
    after later jobs) nor squeue's (sorted by state and priority) are in time order."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._local = clock.parse
        self.saw_epoch = False
        self.saw_local = False
        self._row_first: float | None = None
        self._fresh = False

    def row(self, ordered: bool) -> None:
        self.clock.last = self._row_first if ordered else None
        self._fresh = True

    def parse(self, text: str) -> float | None:
        if text in NO_TIME:
            return None
        if text.isdigit():
            self.saw_epoch = True
            value = float(text)
        else:
            self.saw_local = True
            value = self._local(text)
        self.clock.last = value
        if self._fresh:
            self._row_first = value
            self._fresh = False
        return value


# States after which a job's times are final; in any other state squeue's end time (and a
# pending job's start time) is Slurm's estimate, not a fact.
FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
                          "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "REVOKED",
                          "SPECIAL_EXIT"})


def estimates_apart(fields: dict[str, Any], state: str | None) -> None:
    """Keep squeue's estimates apart from facts (the same key means the same fact as sacct's):
    a pending job's start time is ``slurm.expected_start_time`` and its end time (start +
    limit, often the year 2163 when the start is unknown) is dropped; a running job's end
    time is ``slurm.expected_end_time``."""
    if state == "PENDING":
        if "slurm.start_time" in fields:
            fields["slurm.expected_start_time"] = fields.pop("slurm.start_time")
        fields.pop("slurm.end_time", None)
    elif state not in FINAL_STATES and "slurm.end_time" in fields:
        end = fields.pop("slurm.end_time")
        if fields.get("slurm.timelimit") != "UNLIMITED":  # else start + a year, not an estimate
            fields["slurm.expected_end_time"] = end


def level_of(state_name: str | None) -> str:
    """Log level for an end event: ERROR for failures, WARNING for cancels, else INFO."""
    if state_name in ERROR_STATES:
        return "ERROR"
    if state_name in WARNING_STATES:
        return "WARNING"
    return "INFO"


def snake(name: str) -> str:
    """``MaxRSSNode`` -> ``max_rss_node``; ``NODELIST(REASON)`` -> ``nodelist_reason``."""
    name = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_")
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return name.lower()


def split_free_tail(cells: list[str], width: int, free: int, delimiter: str,
                    score=None) -> list[str]:
    """Fit a row with more cells than its header back into ``width`` cells.

    Slurm does not escape its delimiter, so a ``|`` inside a free-text field (a job name, a
    comment) makes extra cells. The fixed fields come first and are taken from the left;
    the last ``free`` fields are free text and get the rest. With one free field that is
    exact; with several, each way to share the extra cells is scored by ``score`` (a
    function of the candidate free-text values, higher is better) and the best is taken;
    without a scorer the extra cells go to the first free field.
    """
    fixed = width - free
    head, tail = cells[:fixed], cells[fixed:]
    extra = len(tail) - free
    if free <= 0 or extra <= 0:
        return cells
    if free == 1:
        return head + [delimiter.join(tail)]
    best: list[str] | None = None
    best_score = None
    if score is not None and extra <= 12:
        for cuts in _all_cuts(len(tail), free):
            candidate = [delimiter.join(tail[a:b]) for a, b in cuts]
            value = score(candidate)
            if best_score is None or value > best_score:
                best, best_score = candidate, value
    if best is None:
        best = [delimiter.join(tail[: extra + 1]), *tail[extra + 1:]]
    return head + best


@lru_cache(maxsize=256)
def _all_cuts(n: int, parts: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    return tuple(tuple(cut) for cut in _cuts(n, parts))


def _cuts(n: int, parts: int):
    """Every way to cut ``n`` cells into ``parts`` non-empty consecutive runs."""
    if parts == 1:
        yield [(0, n)]
        return
    for first in range(1, n - parts + 2):
        for rest in _cuts(n - first, parts - 1):
            yield [(0, first), *((a + first, b + first) for a, b in rest)]


def slurm_json_kind(head: bytes) -> str | None:
    """``sacct --json`` or ``squeue --json`` output, told apart by the meta block Slurm
    writes first (22.05: the ``openapi/dbv*`` plugin is sacct's; 23.02+: ``command``)."""
    if not head.lstrip().startswith(b"{") or b'"jobs"' not in head and b'"meta"' not in head:
        return None
    if b'"sacct"' in head or b"openapi\\/dbv" in head or b"OpenAPI DB" in head:
        return "sacct"
    if b'"squeue"' in head or b'"job_state"' in head or b"openapi" in head:
        return "squeue"
    return None


def first_line_cells(head: bytes) -> list[str]:
    return head.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split("|")
