"""The netlink proc connector backend: stdlib sockets, root, ``CONFIG_PROC_EVENTS=y``."""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import time

from ...core.errors import NotPermitted, UnusableInput
from .tracker import Tracker

ACK_TIMEOUT = 3.0
# Proc connector bursts (a build, a job's start on a busy node) while the watcher is not
# scheduled pile up in the socket's receive buffer; when it is full the kernel drops
# messages (ENOBUFS, then a sequence gap). Asked with SO_RCVBUFFORCE, which root
# (CAP_NET_ADMIN) may set past net.core.rmem_max; the kernel doubles it for its own
# bookkeeping, and a proc event costs about 1 KiB of it: 64 MiB holds ~100,000 events.
RCVBUF = 64 << 20
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)

# netlink / connector constants (linux/netlink.h, linux/connector.h, linux/cn_proc.h)
NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
NLMSG_ERROR, NLMSG_DONE = 2, 3
PROC_CN_MCAST_LISTEN, PROC_CN_MCAST_IGNORE = 1, 2
PROC_EVENT_NONE, PROC_EVENT_FORK, PROC_EVENT_EXEC = 0x0, 0x1, 0x2
CPU_NONE = 0xFFFFFFFF      # proc_event.cpu of ACKs sent outside the sequence (old kernels)
PROC_EVENT_EXIT = 0x80000000
NLMSGHDR = struct.Struct("=IHHII")      # len, type, flags, seq, pid
CN_MSG = struct.Struct("=IIIIHH")       # idx, val, seq, ack, len, flags
PROC_EV = struct.Struct("=IIQ")         # what, cpu, timestamp_ns (CLOCK_MONOTONIC)
EV_FORK = struct.Struct("=iiii")        # parent_pid, parent_tgid, child_pid, child_tgid
EV_EXEC = struct.Struct("=ii")          # process_pid, process_tgid
EV_EXIT = struct.Struct("=iiIIii")      # pid, tgid, exit_code (raw status), exit_signal,
EV_EXIT_OLD = struct.Struct("=iiII")    #   parent_pid, parent_tgid (Linux >= 4.19)
EV_NONE = struct.Struct("=i")           # err (the ACK of our LISTEN)
HEADER_BYTES = NLMSGHDR.size + CN_MSG.size + PROC_EV.size


# ---------------------------------------------------------------------------------------
# The netlink proc connector


def raise_receive_buffer(sock: socket.socket, want: int) -> tuple[int, str]:
    """Ask for ``want`` bytes of receive buffer: SO_RCVBUFFORCE (root), else SO_RCVBUF
    (capped by net.core.rmem_max). Returns what the kernel granted, as ``getsockopt`` says
    (twice the request when granted whole), and the option that set it."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, want)
        how = "SO_RCVBUFFORCE"
    except OSError:       # EPERM without CAP_NET_ADMIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, want)
        how = "SO_RCVBUF"
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), how


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.3g} MiB"


class NetlinkBackend:
    name = "netlink"

    def __init__(self, rcvbuf: int = RCVBUF) -> None:
        self.want_rcvbuf = rcvbuf
        self.rcvbuf = 0            # bytes granted (getsockopt SO_RCVBUF), once open
        self.rcvbuf_how = ""
        self.sock: socket.socket | None = None
        self.seq: dict[int, int] = {}
        self.buf = bytearray(1 << 16)
        self.lost_pending: list[tuple[int, str]] = []     # sequence gaps: (count, where)
        self.overflowed = False    # ENOBUFS seen, not yet told with a gap
        # our LISTEN carries this in cn_msg.ack; the kernel answers with nonce + 1, which
        # tells our ACK from another watcher's (their ACKs reach every listener too)
        self.nonce = (os.getpid() << 8 | 0x5A) & 0x7FFFFFFF
        self.acks_seen = 0         # acknowledgements of anyone's (un)subscription

    def open(self) -> None:
        """Subscribe, and wait for the kernel's ACK: after it, no event is missed."""
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
        except OSError as exc:
            raise UnusableInput(
                "no netlink connector in this kernel", f"socket(NETLINK_CONNECTOR): "
                f"{exc.strerror}", "a kernel with CONFIG_CONNECTOR=y and CONFIG_PROC_EVENTS=y "
                "is needed, or use --backend bcc") from None
        try:
            self.rcvbuf, self.rcvbuf_how = raise_receive_buffer(sock, self.want_rcvbuf)
            sock.bind((0, CN_IDX_PROC))
            self._control(sock, PROC_CN_MCAST_LISTEN, self.nonce)
        except PermissionError:
            sock.close()
            raise NotPermitted(
                "watch-procs must run as root", "the proc connector needs CAP_NET_ADMIN",
                "run it with sudo, or from a systemd unit or Slurm prolog (docs/procs.md)",
            ) from None
        except OSError as exc:
            sock.close()
            raise UnusableInput("cannot subscribe to the proc connector",
                                f"netlink: {exc.strerror}", "use --backend bcc") from None
        deadline = time.monotonic() + ACK_TIMEOUT
        acked = False
        other_acks = 0
        self.sock = sock
        while not acked:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                if other_acks:   # a kernel that answers without echoing our ack field
                    break
                self.close()
                raise UnusableInput(
                    "the proc connector did not answer", "no ACK to PROC_CN_MCAST_LISTEN",
                    "this kernel probably lacks CONFIG_PROC_EVENTS; try --backend bcc")
            n = sock.recv_into(self.buf)
            for what, _cpu, _ts, payload, ack in self._messages(memoryview(self.buf)[:n]):
                if what != PROC_EVENT_NONE:
                    continue
                if ack != self.nonce + 1:
                    other_acks += 1     # another watcher (un)subscribing meanwhile
                    continue
                err = EV_NONE.unpack_from(payload)[0] if len(payload) >= 4 else 0
                if err:
                    self.close()
                    raise UnusableInput("the proc connector refused the subscription",
                                        os.strerror(err), "run as root")
                acked = True
        sock.setblocking(False)

    @property
    def buffer_raised(self) -> bool:
        """Did the kernel grant the receive buffer asked for (not capped by rmem_max)?"""
        return self.rcvbuf >= self.want_rcvbuf

    def buffer_text(self) -> str:
        """The receive buffer, for the summary: what it is, and why it may be small."""
        text = f"{_mib(self.rcvbuf)} ({self.rcvbuf_how})"
        if not self.buffer_raised:
            text += (f", not the {_mib(self.want_rcvbuf)} asked: net.core.rmem_max caps it "
                     "without root, so bursts may be lost (as events_lost)")
        return text

    @staticmethod
    def _control(sock: socket.socket, op: int, nonce: int = 0) -> None:
        payload = struct.pack("=I", op)
        body = CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, nonce, len(payload), 0) + payload
        sock.send(NLMSGHDR.pack(NLMSGHDR.size + len(body), NLMSG_DONE, 0, 0, 0) + body)

    def _messages(self, data: memoryview):
        """(what, cpu, timestamp, payload, cn_msg.ack) of each proc connector message.

        The kernel numbers *every* message it multicasts in one per-CPU sequence, the
        acknowledgements of anyone's PROC_CN_MCAST_LISTEN/IGNORE included (cn_proc.c
        send_msg). So an ACK advances the sequence like an event (else another watcher
        subscribing would look like a lost event), but is not an event. Old kernels sent
        ACKs outside the sequence, with cpu -1: those are not counted.
        """
        off = 0
        size = len(data)
        while off + HEADER_BYTES <= size:
            nl_len, nl_type = NLMSGHDR.unpack_from(data, off)[:2]
            if nl_len < NLMSGHDR.size:
                break
            if nl_type == NLMSG_DONE:
                idx, val, seq, _ack, dlen, _fl = CN_MSG.unpack_from(data, off + NLMSGHDR.size)
                body = off + NLMSGHDR.size + CN_MSG.size
                if (idx, val) == (CN_IDX_PROC, CN_VAL_PROC) and dlen >= PROC_EV.size:
                    what, cpu, ts = PROC_EV.unpack_from(data, body)
                    if what == PROC_EVENT_NONE:
                        self.acks_seen += 1
                    if cpu != CPU_NONE:
                        last = self.seq.get(cpu)
                        if last is not None and seq > last + 1:
                            self.lost_pending.append(
                                (seq - last - 1, f"proc connector sequence gap on cpu {cpu}"))
                        self.seq[cpu] = seq
                    yield what, cpu, ts, data[body + PROC_EV.size: body + dlen], _ack
            off += (nl_len + 3) & ~3

    def fileno(self) -> int:
        return self.sock.fileno()

    def wait(self, timeout: float) -> bool:
        return bool(select.select([self.sock], [], [], timeout)[0])

    def drain(self, tracker: Tracker) -> int:
        """Handle every datagram waiting now; return how many events."""
        sock, buf, count = self.sock, self.buf, 0
        view = memoryview(buf)
        fork, exec_, exit_ = tracker.fork, tracker.exec, tracker.exit
        while True:
            try:
                n = sock.recv_into(buf)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    # the receive buffer overflowed: the sequence gaps give the count
                    self.overflowed = True
                    continue
                raise
            for what, cpu, ts, payload, _ack in self._messages(view[:n]):
                if what == PROC_EVENT_NONE:
                    continue   # an ACK of someone's (un)subscription: in sequence, no event
                count += 1
                if what == PROC_EVENT_FORK:
                    ppid_t, ppid, cpid_t, cpid = EV_FORK.unpack_from(payload)
                    fork(ts, cpu, ppid_t, ppid, cpid_t, cpid)
                elif what == PROC_EVENT_EXEC:
                    pid, _tgid = EV_EXEC.unpack_from(payload)
                    exec_(ts, cpu, pid)
                elif what == PROC_EVENT_EXIT:
                    if len(payload) >= EV_EXIT.size:
                        tid, pid, status, sig, _pp, ptgid = EV_EXIT.unpack_from(payload)
                    else:
                        (tid, pid, status, sig), ptgid = EV_EXIT_OLD.unpack_from(payload), None
                    exit_(ts, cpu, tid, pid, status, sig, ptgid)
            if self.lost_pending:
                self._report_lost(tracker)
        if self.lost_pending:
            self._report_lost(tracker)
        if self.overflowed:      # no gap seen yet: how many is unknown, not that some were
            tracker.lost_events(None, self._overflow_text())
            self.overflowed = False
        return count

    def _overflow_text(self) -> str:
        return f"netlink ENOBUFS: the {_mib(self.rcvbuf)} receive buffer was full"

    def _report_lost(self, tracker: Tracker) -> None:
        """One record per CPU's gap, saying when the buffer overflowed meanwhile."""
        for count, why in self.lost_pending:
            if self.overflowed:
                why += f" ({self._overflow_text()})"
            tracker.lost_events(count, why)
        if self.lost_pending:
            self.overflowed = False
        self.lost_pending.clear()

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.setblocking(True)
                self._control(self.sock, PROC_CN_MCAST_IGNORE)
            except OSError:
                pass
            self.sock.close()
            self.sock = None
