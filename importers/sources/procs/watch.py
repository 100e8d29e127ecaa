"""``ev-import watch-procs``: live fork/exec/exit events of a node's processes, as root.

The kernel speaks in pids; this watcher turns its process events into records that join
with htex workers (``linux.pid`` + ``linux.hostname``) and Slurm steps, and that stay
correct when pids are reused (``linux.start_time``, ``linux.boot_id``, ``linux.process_key``).

Backends (:func:`open_backend`):

* ``netlink``: the proc connector (``NETLINK_CONNECTOR``, ``CN_IDX_PROC``,
  ``PROC_CN_MCAST_LISTEN``), stdlib only, wherever ``CONFIG_PROC_EVENTS=y``. Its events
  carry pids and the raw exit status only, so comm, exe, argv, uid and start time are read
  from ``/proc`` at once (``linux.proc_gone`` marks a process that was already gone).
  Per-CPU sequence numbers reveal exactly how many events the kernel dropped.
* ``bcc``: Debian's ``python3-bpfcc`` on the ``sched:sched_process_{fork,exec,exit}``
  tracepoints only (importers/sources/procs_bcc.py). ``auto`` tries it and falls back to netlink
  with one line saying why.

Records (``ev.source`` = ``watch-procs``, ``ev.backend`` = the backend): ``fork`` (child
``linux.pid``, parent ``linux.ppid``), ``exec`` (``linux.comm``, ``linux.exe``, ``linux.argv``,
``linux.uid``), ``exit`` (``linux.exit_status`` raw, decoded to ``linux.exit_code`` or
``linux.exit_signal``, CPU times where still readable), ``events_lost``. Threads are not
processes: their creation and exit are dropped, or with ``--threads`` written as
``thread_start``/``thread_exit`` with ``linux.tid`` != ``linux.pid``.

Kernel timestamps are CLOCK_MONOTONIC: ``created`` = timestamp + (wall - monotonic) measured
at start. The records are appended to ``<pool>/watch-procs-<host>-<id>.jsonlog`` in batches
at most about half a second old, so a reader sees them while the watcher runs.

Example::

    ev-import watch-procs -- bash workload.sh          # follow one command's process tree
    ev-import watch-procs --pid-tree 4242 --duration 600
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from ...core.errors import EXIT_OK, EXIT_PARTIAL, NotPermitted, UnusableInput
from ...core.identity import host_name
from ...core.pool import PoolAppender, pool_dir
from ...core.report import ImportReport
from ...core.source import Source
from ...core.terminal import printable
from .netlink import RCVBUF, NetlinkBackend
from .proc_files import Node
from .tracker import Options, Tracker
from .watch_keys import FLUSH_RECORDS, FLUSH_SECONDS, SOURCE_NAME

# ---------------------------------------------------------------------------------------
# Choosing a backend


def open_backend(choice: str, say: Callable[[str], None], rcvbuf: int | None = None):
    """``auto``: bcc, else netlink with one line saying why. ``bcc``/``netlink``: that one.
    ``rcvbuf``: the netlink receive buffer to ask for (bytes; default ``netlink.RCVBUF``).

    Raises an EvImportError (one line, exit 2) when the chosen backend cannot work here.
    """
    from . import bcc as procs_bcc

    if choice in ("auto", "bcc"):
        try:
            backend = procs_bcc.BccBackend(say)
            backend.open()
            return backend
        except procs_bcc.BccUnavailable as exc:
            if choice == "bcc":
                raise UnusableInput("the bcc backend cannot run here", str(exc),
                                    "use --backend netlink (the proc connector)") from None
            say(f"watch-procs: bcc backend unavailable ({exc}); using the netlink proc "
                "connector")
    backend = NetlinkBackend(rcvbuf or RCVBUF)
    backend.open()
    return backend


def _ident(node: Node) -> str:
    blob = f"{node.hostname}|{node.boot_id}|{time.time_ns()}|{os.getpid()}".encode()
    return f"{host_name()}-{hashlib.sha256(blob).hexdigest()[:12]}"  # as every pool file


def watch(opts: Options, pool: str | None, quiet: bool = False,
          say: Callable[[str], None] | None = None, rcvbuf: int | None = None) -> int:
    """Run a watch until its end (command done, --duration, SIGINT/SIGTERM); return the
    exit code. Prints the backend line(s) and the one-line summary on stderr, which names
    the netlink receive buffer granted (``rcvbuf`` bytes asked, default 64 MiB)."""
    say = say or (lambda line: print(printable(line), file=sys.stderr, flush=True))
    if os.geteuid() != 0:
        raise NotPermitted(
            "watch-procs must run as root", f"running as uid {os.geteuid()}",
            "the proc connector and eBPF need root: use sudo, a systemd unit or a Slurm "
            "prolog (docs/procs.md)")
    report = ImportReport()
    node = Node.here()
    backend = open_backend(opts.backend, say, rcvbuf)
    report.assume("backend", backend.name)
    if isinstance(backend, NetlinkBackend):
        report.assume("receive buffer", backend.buffer_text())
    report.assume("time base", "kernel monotonic clock + offset measured at start")
    batch: list[dict[str, Any]] = []
    tracker = Tracker(node, opts, backend.name, report, batch.append)
    if opts.pid_tree is not None:
        tracker.follow_tree(opts.pid_tree)
    stop = {"signal": None}
    child: subprocess.Popen | None = None

    def on_signal(signum, _frame):
        stop["signal"] = signum
        if child is not None and child.poll() is None:
            try:
                child.send_signal(signum)
            except OSError:
                pass

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    end_at = started + opts.duration if opts.duration else None
    stop_after: float | None = None
    ident = _ident(node)
    command_status = None
    try:
        with PoolAppender(pool_dir(pool), SOURCE_NAME, ident) as out:
            if opts.command:
                tracker.tracked = set()   # only the command's tree, from its fork on
                try:
                    child = subprocess.Popen(opts.command)
                except OSError as exc:
                    raise UnusableInput("cannot start the command", opts.command[0],
                                        exc.strerror or str(exc)) from None
                tracker.root = child.pid
                tracker.follow(child.pid)
            first = None
            while True:
                now = time.monotonic()
                if backend.wait(0.1):
                    backend.drain(tracker)
                now = time.monotonic()
                if batch:
                    first = first or now
                    if now - first >= FLUSH_SECONDS or len(batch) >= FLUSH_RECORDS:
                        out.write_batch(batch)
                        batch.clear()
                        first = None
                if stop["signal"] is not None:
                    break
                if end_at is not None and now >= end_at:
                    break
                if child is not None and stop_after is None and child.poll() is not None:
                    command_status = child.returncode
                    stop_after = now + opts.linger
                if stop_after is not None and (
                        now >= stop_after or (tracker.root_exited and not tracker.tracked)):
                    break
            if child is not None and child.poll() is None:
                child.wait(timeout=5)   # the signal was forwarded; let it finish
            if child is not None:
                command_status = child.returncode
            time.sleep(0.05)
            backend.drain(tracker)   # the final events, then the final flush
            out.write_batch(batch)
            batch.clear()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        backend.close()
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
    if tracker.threads_dropped:
        report.assume("threads", f"{tracker.threads_dropped} thread starts/exits not written "
                      "(--threads keeps them)")
    if command_status is not None:
        report.assume("command", f"{' '.join(opts.command)} exited "
                      + (f"{command_status}" if command_status >= 0
                         else f"by signal {-command_status}"))
    if stop["signal"] is not None:
        report.assume("stopped by", signal.Signals(stop["signal"]).name)
    partial = bool(out.unparsed) or report.partial
    forwarded = stop["signal"] is not None and command_status == -stop["signal"]
    code = exit_code(None if forwarded else command_status, partial)
    if not quiet or partial or code not in (EXIT_OK, EXIT_PARTIAL):
        parts = [f"{SOURCE_NAME}: {out.count} events ({out.unparsed} unparsed) from "
                 f"{backend.name} on {node.hostname} -> {out.final}",
                 *report.summary_parts()]
        say("; ".join(parts))
    return code


def exit_code(command_status: int | None, partial: bool) -> int:
    """The watcher's exit code: with ``-- CMD``, the command's own when it failed (128 + N
    when signal N killed it, as a shell says), so a job script or Slurm prolog sees its
    workload's result; else 1 when events were lost (partial), 0 when all is well. A
    command that died of the SIGINT/SIGTERM the watcher forwarded to it was stopped on
    purpose (the caller passes None then)."""
    if command_status:
        return command_status if command_status > 0 else 128 - command_status
    return EXIT_PARTIAL if partial else EXIT_OK


def options_from_args(args: argparse.Namespace) -> Options:
    command = list(args.command or [])
    if command and command[0] == "--":
        command = command[1:]
    return Options(backend=args.backend, duration=args.duration, pid_tree=args.pid_tree,
                   uid=args.uid, threads=args.threads, linger=args.linger, command=command)


def cli(args: argparse.Namespace) -> int:
    """Watch process fork/exec/exit events live, as root, appending them to the pool.

    Backends: bcc (Debian's python3-bpfcc, sched tracepoints only) and the netlink proc
    connector; auto tries bcc and falls back with one line saying why. Stops at the end of
    the command after --, after --duration, or on SIGINT/SIGTERM, with a final flush.

    Example:
        sudo ev-import watch-procs -- bash workload.sh
        sudo ev-import watch-procs --pid-tree 4242 --duration 3600 --pool /scratch/evpool
    """
    return watch(options_from_args(args), args.pool, quiet=args.quiet,
                 rcvbuf=int(args.rcvbuf * (1 << 20)) if args.rcvbuf else None)


def arguments(w: argparse.ArgumentParser) -> None:
    w.add_argument("--backend", choices=("auto", "bcc", "netlink"), default="auto",
                   help="auto (default) tries bcc, then the netlink proc connector")
    w.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    w.add_argument("--pid-tree", type=int, metavar="PID",
                   help="only PID and its descendants (present and future)")
    w.add_argument("--uid", type=int, metavar="UID", help="only processes of this real uid")
    w.add_argument("--threads", action="store_true",
                   help="also write thread starts/exits (thread_start, thread_exit)")
    w.add_argument("--rcvbuf", type=float, metavar="MIB",
                   help=f"netlink: receive buffer to ask for, in MiB (default "
                   f"{RCVBUF >> 20}; the kernel doubles it; root may exceed "
                   "net.core.rmem_max)")
    w.add_argument("--linger", type=float, default=1.0, metavar="S",
                   help="after the command exits, wait up to S s for its tree (default 1)")
    w.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ARGS",
                   help="run CMD once subscribed, follow its process tree, stop after it")


def _no_read(*_args: object, **_options: object):
    raise UnusableInput("watch-procs is live only", "watch-procs",
                        "call watch(Options(...), pool) to record; saved tracer output is "
                        "the procs source")


WATCH_SOURCE = Source(
    name=SOURCE_NAME,
    help="live process fork/exec/exit events (root): bcc or the netlink proc connector",
    arguments=arguments,
    run=cli,
    read=_no_read,
)
