#!/usr/bin/env python3
"""Probe: does the netlink proc connector (CONFIG_PROC_EVENTS) deliver events here?

Stdlib only; must run as root (CAP_NET_ADMIN).  Subscribes to the proc
connector, runs a small command (default: /bin/true), and prints every event
received while it runs, decoded with the struct layouts below.

Wire layout (all native-endian; x86_64 = little-endian):

  struct nlmsghdr   (16 bytes)  "=IHHII"  len, type, flags, seq, pid
  struct cn_msg     (20 bytes)  "=IIIIHH" id.idx, id.val, seq, ack, len, flags
  struct proc_event (header 16) "=IIQ"    what, cpu, timestamp_ns
     followed by union event_data:
       FORK  0x00000001 "=iiii"   parent_pid, parent_tgid, child_pid, child_tgid
       EXEC  0x00000002 "=ii"     process_pid, process_tgid
       UID   0x00000004 "=iiII"   process_pid, process_tgid, ruid, euid
       GID   0x00000040 "=iiII"   process_pid, process_tgid, rgid, egid
       SID   0x00000080 "=ii"     process_pid, process_tgid
       PTRACE 0x00000100 "=iiii"  process_pid, process_tgid, tracer_pid, tracer_tgid
       COMM  0x00000200 "=ii16s"  process_pid, process_tgid, comm[16]
       COREDUMP 0x40000000 "=iiii" process_pid, process_tgid, parent_pid, parent_tgid
       EXIT  0x80000000 "=iiIIii" process_pid, process_tgid, exit_code,
                                  exit_signal, parent_pid, parent_tgid
                                  (parent_* added in Linux 4.19)
       NONE  0x00000000 "=i"      err (ACK of our LISTEN request)

Subscribe message: nlmsghdr(type=NLMSG_DONE) + cn_msg(idx=CN_IDX_PROC=1,
val=CN_VAL_PROC=1, len=4) + u32 PROC_CN_MCAST_LISTEN(=1).

Usage: procs_netlink_probe.py [--raw] [--timeout SEC] [-- CMD ARGS...]
"""
import os
import select
import socket
import struct
import subprocess
import sys
import time

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE = 1, 2, 3
PROC_CN_MCAST_LISTEN, PROC_CN_MCAST_IGNORE = 1, 2

NLMSGHDR = struct.Struct("=IHHII")
CN_MSG = struct.Struct("=IIIIHH")
PROC_EV_HDR = struct.Struct("=IIQ")

EVENTS = {
    0x00000000: ("NONE", "=i", ("err",)),
    0x00000001: ("FORK", "=iiii", ("parent_pid", "parent_tgid", "child_pid", "child_tgid")),
    0x00000002: ("EXEC", "=ii", ("process_pid", "process_tgid")),
    0x00000004: ("UID", "=iiII", ("process_pid", "process_tgid", "ruid", "euid")),
    0x00000040: ("GID", "=iiII", ("process_pid", "process_tgid", "rgid", "egid")),
    0x00000080: ("SID", "=ii", ("process_pid", "process_tgid")),
    0x00000100: ("PTRACE", "=iiii", ("process_pid", "process_tgid", "tracer_pid", "tracer_tgid")),
    0x00000200: ("COMM", "=ii16s", ("process_pid", "process_tgid", "comm")),
    0x40000000: ("COREDUMP", "=iiii", ("process_pid", "process_tgid", "parent_pid", "parent_tgid")),
    0x80000000: ("EXIT", "=iiIIii", ("process_pid", "process_tgid", "exit_code", "exit_signal",
                                     "parent_pid", "parent_tgid")),
}


def subscribe(sock, op):
    payload = struct.pack("=I", op)
    cn = CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(payload), 0)
    body = cn + payload
    nl = NLMSGHDR.pack(NLMSGHDR.size + len(body), NLMSG_DONE, 0, 0, os.getpid())
    sock.send(nl + body)


def decode(buf):
    """Yield (what_name, fields dict, raw proc_event bytes) from one datagram."""
    off = 0
    while off + NLMSGHDR.size <= len(buf):
        nl_len, nl_type, _flags, _seq, _pid = NLMSGHDR.unpack_from(buf, off)
        if nl_len < NLMSGHDR.size:
            break
        msg = buf[off + NLMSGHDR.size: off + nl_len]
        off += (nl_len + 3) & ~3
        if nl_type in (NLMSG_NOOP,):
            continue
        if nl_type == NLMSG_ERROR:
            yield "NLMSG_ERROR", {"errno": -struct.unpack_from("=i", msg)[0]}, msg
            continue
        idx, val, seq, ack, dlen, _fl = CN_MSG.unpack_from(msg, 0)
        data = msg[CN_MSG.size: CN_MSG.size + dlen]
        if (idx, val) != (CN_IDX_PROC, CN_VAL_PROC) or len(data) < PROC_EV_HDR.size:
            yield "OTHER", {"idx": idx, "val": val, "len": dlen}, data
            continue
        what, cpu, ts = PROC_EV_HDR.unpack_from(data, 0)
        name, fmt, names = EVENTS.get(what, (f"UNKNOWN_0x{what:x}", "", ()))
        fields = {"cpu": cpu, "timestamp_ns": ts}
        if fmt:
            avail = data[PROC_EV_HDR.size:]
            while len(avail) < struct.calcsize(fmt) and len(fmt) > 2:
                fmt, names = fmt[:-1], names[:-1]  # e.g. pre-4.19 EXIT: no parent_*
            vals = struct.unpack_from(fmt, avail, 0)
            for k, v in zip(names, vals, strict=False):
                if k == "comm":
                    v = v.split(b"\0", 1)[0].decode("utf-8", "replace")
                fields[k] = v
        yield name, fields, data


def main(argv):
    raw = "--raw" in argv
    timeout = 1.0
    if "--timeout" in argv:
        timeout = float(argv[argv.index("--timeout") + 1])
    cmd = argv[argv.index("--") + 1:] if "--" in argv else ["/bin/true"]

    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
        sock.bind((os.getpid(), CN_IDX_PROC))
        subscribe(sock, PROC_CN_MCAST_LISTEN)
    except OSError as e:
        print(f"SETUP FAILED: {e!r}")
        return 2
    print("subscribed: socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR=11) "
          f"bind(({os.getpid()}, CN_IDX_PROC=1)) + PROC_CN_MCAST_LISTEN")

    proc = subprocess.Popen(cmd)
    child = proc.pid
    print(f"started {cmd!r} pid={child}")
    counts = {}
    deadline = time.monotonic() + timeout
    exited = False
    while time.monotonic() < deadline:
        r, _, _ = select.select([sock], [], [], 0.1)
        if not exited and proc.poll() is not None:
            exited = True
            deadline = min(deadline, time.monotonic() + 0.3)
        if not r:
            continue
        buf = sock.recv(65536)
        for name, fields, data in decode(buf):
            counts[name] = counts.get(name, 0) + 1
            mine = child in (fields.get("child_pid"), fields.get("process_pid"))
            mark = "*" if mine else " "
            values = " ".join(f"{k}={v}" for k, v in fields.items())
            print(f"{mark}{name:<8} {values}")
            if raw:
                print(f"          raw proc_event ({len(data)} bytes): {data.hex()}")
    subscribe(sock, PROC_CN_MCAST_IGNORE)
    sock.close()
    print(f"child exit status: {proc.returncode}")
    print(f"event counts: {counts}")
    print(f"(* = event about the child pid {child})")
    ok = all(k in counts for k in ("FORK", "EXEC", "EXIT"))
    verdict = "WORKS (fork/exec/exit seen)" if ok else "did NOT deliver fork+exec+exit"
    print(f"RESULT: proc connector {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
