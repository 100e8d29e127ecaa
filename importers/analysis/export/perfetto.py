"""A pool as a Chrome trace event JSON file, for Perfetto (ui.perfetto.dev) and chrome://tracing.

Perfetto's trace model fits the pool's (Perfetto's trace processor: a thing with a start and
an end is a slice on a track, counters are tracks too), so the mapping is direct:

* **Tracks**: one process track per host and process (``linux.hostname``/``hostname`` and
  ``linux.pid``/``process``), named ``host pid N (source)``; records with no process (a Slurm
  accounting row, a monitoring-DB row) go on one track per source. Threads (``thread``,
  ``parsl.thread_id``, ``linux.tid``) are thread tracks under their process.
* **Things** (the lifetimes of :func:`importers.analysis.lifetimes`: Parsl tasks and blocks,
  htex workers, Slurm jobs, Academy agents and actions, Linux processes) are *async* slices
  (``b``/``e``) on the process of their first event. Their ``id`` is a hash of the thing's
  kind and key values, so every thing has its own async track and overlapping things never
  have to nest (``B``/``E`` slices must, which is why they are not used).
* **Raw events** are thread-scoped instants (``i``), named by ``ev.event`` or their message,
  with the record as ``args``.
* **Concurrency** (:func:`importers.analysis.concurrency`) of each kind of thing is a counter
  track (``C``) on a ``concurrency`` process.
* **Academy messages**: each request sent (``Sent ActionRequest``, ``PingRequest``...,
  logged by the sender's exchange client) is joined to the response sent for it (``Sent
  ActionResponse``, same ``academy.message_tag``) by a flow arrow (flow v2: ``bind_id`` with
  ``flow_out`` / ``flow_in``). Not on to the client's "completed action" record: Academy
  logs "Sent ...Response" after the send returns, so the client's receipt is often logged
  *before* it, and an arrow would run backwards. Perfetto binds flows to slices only, and
  only complete (``X``) and begin events carry them, so these events are zero-length ``X``
  slices instead of instants.

Times (``ts``) are microseconds from the first event of the export, computed from
:func:`otlp.time_unix_nano`'s exact nanoseconds (so each ``ts`` is exact to the nanosecond,
which absolute epoch microseconds in a double are not); the epoch of ``ts`` 0 is in
``metadata["ev-import"]["epoch_s"]``.

Size: the viewers load the whole file into the browser. chrome://tracing stops at about
256 MB of JSON; the Perfetto UI keeps the trace in WebAssembly memory, where browsers allow
about 2 GB in all and a JSON trace takes several times its size, so files much over a few
hundred MB fail to open (then run Perfetto's ``trace_processor --httpd`` natively and let the
UI use it). Export a window (``since``/``until``) or a selection (``where``) of a big pool,
or leave the raw events out (``instants=False``: things, counters and flows only).

Example::

    from importers import analysis as ev
    from importers.analysis.export import perfetto
    pool = ev.open_pool("evpool")
    with open("run.trace.json", "wb") as fh:
        perfetto.write_trace(pool.events(since="2026-11-25T08:45:00Z"), fh)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson

from .otlp import time_unix_nano

VIEWER_LIMIT_BYTES = 256 << 20      # chrome://tracing's practical limit; Perfetto's is near
ARG_TEXT_MAX = 2000                  # characters of a string arg (a traceback can be long)


@dataclass(frozen=True)
class Thing:
    """A kind of thing to draw as async slices: a name and its identifying keys."""

    kind: str
    keys: tuple[str, ...]


#: The things of DESIGN §3 that the pool's sources carry.
DEFAULT_THINGS: tuple[Thing, ...] = (
    Thing("parsl task", ("parsl.run_id", "parsl.task_id")),
    Thing("parsl block", ("parsl.run_id", "parsl.executor", "parsl.block_id")),
    Thing("htex worker", ("parsl.manager_id", "parsl.worker_id")),
    Thing("slurm job", ("slurm.jobid",)),
    Thing("academy agent", ("academy.agent_id",)),
    Thing("academy action", ("academy.action_tag",)),
    Thing("linux process", ("linux.hostname", "linux.pid")),
)

HOST_KEYS = ("linux.hostname", "hostname")
PID_KEYS = ("linux.pid", "process")
THREAD_KEYS = ("thread", "parsl.thread_id", "linux.tid")
THREAD_NAME_KEYS = ("threadName", "parsl.thread_name")

ACADEMY_CLIENT = "academy.exchange.client"
MESSAGE_TAG = "academy.message_tag"
MESSAGE_TYPE = "academy.message_type"


@dataclass
class TraceStats:
    events: int = 0               # trace events written (all phases)
    slices: int = 0               # things (b/e pairs)
    instants: int = 0
    counters: int = 0
    flows: int = 0                # flow-carrying slices
    processes: int = 0
    bytes: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def _first(rec: Mapping[str, Any], keys: Sequence[str]) -> Any:
    for key in keys:
        value = rec.get(key)
        if value is not None and value != "":
            return value
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def track_of(rec: Mapping[str, Any]) -> tuple[str, int | None, str]:
    """(host, pid, source) of a record: the process track it goes on. With no pid the
    track is the source's (host and pid empty)."""
    name = rec.get("name")
    source = str(rec.get("ev.source") or (str(name).split(".", 1)[0] if name else "?"))
    pid = _int(_first(rec, PID_KEYS))
    if pid is None:
        return "", None, source
    host = _first(rec, HOST_KEYS)
    return ("" if host is None else str(host)), pid, source


def stable_id(*parts: Any) -> str:
    """A 60-bit hex id from values: the same thing gets the same id in every export."""
    digest = hashlib.blake2b(orjson.dumps(parts, default=str), digest_size=8).digest()
    return format(int.from_bytes(digest, "big") >> 4, "x")


def _arg(value: Any) -> Any:
    if isinstance(value, str) and len(value) > ARG_TEXT_MAX:
        return value[:ARG_TEXT_MAX] + f"... ({len(value)} characters)"
    return value


class _Tracks:
    """Numbers for processes and threads, with their metadata events written once."""

    def __init__(self, emit) -> None:
        self.emit = emit
        self.pids: dict[tuple, int] = {}
        self.tids: dict[tuple, int] = {}

    def pid(self, track: tuple[str, int | None, str]) -> int:
        num = self.pids.get(track)
        if num is None:
            num = self.pids[track] = len(self.pids) + 1
            host, pid, source = track
            label = (f"{host + ' ' if host else ''}pid {pid} ({source})" if pid is not None
                     else source)
            self.emit({"ph": "M", "name": "process_name", "pid": num, "tid": num,
                       "args": {"name": label}})
            self.emit({"ph": "M", "name": "process_sort_index", "pid": num, "tid": num,
                       "args": {"sort_index": num}})
        return num

    def tid(self, pid: int, rec: Mapping[str, Any]) -> int:
        thread = _first(rec, THREAD_KEYS)
        key = (pid, thread)
        num = self.tids.get(key)
        if num is None:
            # Thread numbers are global in Chrome JSON: keep them apart from the pids.
            num = self.tids[key] = 1_000_000 + len(self.tids)
            name = _first(rec, THREAD_NAME_KEYS) or (f"thread {thread}" if thread is not None
                                                     else "events")
            self.emit({"ph": "M", "name": "thread_name", "pid": pid, "tid": num,
                       "args": {"name": str(name)}})
        return num


def _flow_role(rec: Mapping[str, Any]) -> tuple[str, str] | None:
    """(bind id, "out" | "in") for an Academy request sent / its response sent, else None."""
    if rec.get("name") == ACADEMY_CLIENT and rec.get(MESSAGE_TAG):
        kind = str(rec.get(MESSAGE_TYPE) or "")
        if kind.endswith("Request"):
            return stable_id("academy message", rec[MESSAGE_TAG]), "out"
        if kind.endswith("Response"):
            return stable_id("academy message", rec[MESSAGE_TAG]), "in"
    return None


def _instant_name(rec: Mapping[str, Any]) -> str:
    event = rec.get("ev.event")
    if event and event != "log":
        return str(event)
    text = str(rec.get("formatted") or rec.get("name") or "event").split("\n", 1)[0]
    return text if len(text) <= 80 else text[:77] + "..."


class TraceWriter:
    """Streams trace events into ``{"traceEvents": [...], ...}``, one event per line."""

    def __init__(self, fh: BinaryIO, zero_ns: int) -> None:
        self.fh = fh
        self.zero_ns = zero_ns
        self.stats = TraceStats()
        self._first = True
        fh.write(b'{"traceEvents":[\n')
        self.stats.bytes = 17
        self.tracks = _Tracks(self.emit)

    def ts(self, created: Any) -> float | None:
        """Microseconds since the export's first event, exact to the nanosecond."""
        nanos = time_unix_nano(created)
        return None if nanos is None else (nanos - self.zero_ns) / 1000

    def emit(self, event: dict[str, Any]) -> None:
        data = orjson.dumps(event, default=str)
        if not self._first:
            data = b",\n" + data
        self.fh.write(data)
        self._first = False
        self.stats.events += 1
        self.stats.bytes += len(data)

    def close(self, metadata: Mapping[str, Any]) -> TraceStats:
        tail = b"\n],\n" + orjson.dumps({"displayTimeUnit": "ms", "metadata": metadata})[1:]
        self.fh.write(tail)
        self.stats.bytes += len(tail)
        self.stats.processes = len(self.tracks.pids)
        return self.stats

    # -- the event kinds

    def instant(self, rec: Mapping[str, Any], flow: tuple[str, str] | None = None) -> None:
        ts = self.ts(rec.get("created"))
        if ts is None:
            return
        pid = self.tracks.pid(track_of(rec))
        tid = self.tracks.tid(pid, rec)
        event: dict[str, Any] = {"name": _instant_name(rec),
                                 "cat": str(rec.get("ev.source") or rec.get("name") or ""),
                                 "pid": pid, "tid": tid, "ts": ts,
                                 "args": {k: _arg(v) for k, v in rec.items()}}
        if flow is None:
            event.update(ph="i", s="t")
            self.stats.instants += 1
        else:
            bind_id, role = flow
            event.update(ph="X", dur=0, bind_id=bind_id)
            event["flow_out" if role == "out" else "flow_in"] = True
            self.stats.flows += 1
        self.emit(event)

    def thing(self, thing: Thing, values: Sequence[Any], start: float, end: float,
              events: int, track: tuple[str, int | None, str], open_end: bool) -> None:
        pid = self.tracks.pid(track)
        label = ", ".join(f"{k}={v}" for k, v in zip(thing.keys, values, strict=True))
        ident = stable_id(thing.kind, *values)
        args = {"thing": dict(zip(thing.keys, values, strict=True)), "events": events,
                "duration_s": (end - start) / 1e6}
        if open_end:
            args["no_end"] = "no end event: drawn to the end of the export"
        common = {"name": label, "cat": thing.kind, "id": ident, "pid": pid, "tid": pid}
        self.emit({**common, "ph": "b", "ts": start, "args": args})
        self.emit({**common, "ph": "e", "ts": end})
        self.stats.slices += 1
        self.stats.kinds[thing.kind] = self.stats.kinds.get(thing.kind, 0) + 1

    def counter(self, kind: str, series: Iterable[tuple[float, int]]) -> None:
        pid = self.tracks.pid(("", None, "concurrency"))
        for t, alive in series:
            ts = self.ts(t)
            if ts is None:
                continue
            self.emit({"ph": "C", "name": f"{kind} alive", "pid": pid, "tid": pid,
                       "ts": ts, "args": {"alive": alive}})
            self.stats.counters += 1


# ---------------------------------------------------------------------------------------
# From a pool


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    return value


def _missing(value: Any) -> bool:
    import math

    return value is None or (isinstance(value, float) and math.isnan(value))


def write_trace(events, fh: BinaryIO, *, things: Sequence[Thing] = DEFAULT_THINGS,
                instants: bool = True, flows: bool = True) -> TraceStats:
    """Write the trace of ``events`` (a Pool or a Query: ``pool.events(where=..., since=...)``)
    to ``fh``; return what was written.

    One pass over the records (time ordered, streamed) writes the instants and notes the
    process of each thing's first event; then the things (``ev.lifetimes``) and their
    counters (``ev.concurrency``) are written. Memory: one row per thing, and one batch of
    records at a time.
    """
    from .. import concurrency, lifetimes
    from ..query import Pool

    query = events.events() if isinstance(events, Pool) else events
    pool = query.pool
    conds = query.conditions()
    where = f"WHERE {' AND '.join(conds)}" if conds else ""
    [(low, high)] = pool.con.execute(
        f'SELECT min("created"), max("created") FROM events {where}').fetchall()
    if low is None:
        low = high = 0.0
    writer = TraceWriter(fh, time_unix_nano(low))
    columns = set(pool.schema.columns)
    kinds = [t for t in things if all(k in columns for k in t.keys)]
    first_track: dict[Thing, dict[tuple, tuple]] = {t: {} for t in kinds}
    for rec in query.records():
        flow = _flow_role(rec) if flows else None
        if instants or flow is not None:
            writer.instant(rec, flow)
        if rec.get("created") is None:
            continue
        for thing in kinds:
            values = tuple(rec.get(k) for k in thing.keys)
            if None in values:
                continue
            key = tuple(map(str, values))
            seen = first_track[thing]
            if key not in seen:
                seen[key] = track_of(rec)
    for thing in kinds:
        frame = lifetimes(query, thing=list(thing.keys))
        if frame.empty:
            continue
        n = len(thing.keys)
        for row in frame.itertuples(index=False):
            values = tuple(_plain(v) for v in row[:n])
            start, end = _plain(row[n]), _plain(row[n + 1])
            if _missing(start):
                continue
            open_end = _missing(end)
            track = first_track[thing].get(tuple(map(str, values)), ("", None, "?"))
            writer.thing(thing, values, writer.ts(start), writer.ts(high if open_end else end),
                         int(_plain(row[-1])), track, open_end)
        writer.counter(thing.kind, concurrency(frame).series)
    return writer.close({"ev-import": {
        "epoch_s": low, "epoch_ns": writer.zero_ns, "last_s": high, "pool": str(pool.path),
        "filters": conds, "things": [t.kind for t in things]}})


def trace_events(data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The events of a loaded trace (for checks and notebooks)."""
    yield from data.get("traceEvents", ())


# ---------------------------------------------------------------------------------------
# The export format (``ev-import export POOL --to perfetto FILE.json``)


def export(query, target: str, fields: Sequence[str] | None = None, *,
           instants: bool = True) -> int:
    """Write ``query``'s trace to ``target`` (atomically); return the records exported as
    instants (or the things, without instants). Says on stderr when the file is past what
    the viewers open (:data:`VIEWER_LIMIT_BYTES`)."""
    import sys

    from . import atomic_path

    with atomic_path(target) as tmp, open(tmp, "wb", buffering=1 << 20) as fh:
        stats = write_trace(query, fh, instants=instants)
    if stats.bytes > VIEWER_LIMIT_BYTES:
        print(f"export: {target} is {stats.bytes / 2**20:,.0f} MiB: chrome://tracing and the "
              "Perfetto UI open at most a few hundred MB of JSON; export a window (--since/"
              "--until) or a selection (--where), or run trace_processor --httpd",
              file=sys.stderr)
    return stats.instants if instants else stats.slices


def _format():
    try:
        from . import ExportFormat
    except ImportError:          # the export registry is not there (older checkout)
        return None
    return ExportFormat("perfetto", (".trace.json", ".perfetto.json"),
                        "a Chrome trace event JSON timeline for Perfetto / chrome://tracing",
                        export)


FORMAT = _format()
