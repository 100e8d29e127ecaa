#!/usr/bin/python3
"""Probe: can Debian's python3-bpfcc attach a plain tracepoint program here?

Attaches only TRACEPOINT_PROBE(sched, sched_process_exec) (no kprobes, no
task_struct access), runs /bin/true, prints the events.  bcc still needs
kernel headers to compile; set BCC_KERNEL_SOURCE=/usr/src/linux-headers-X
when /lib/modules/$(uname -r)/build is absent.
Usage: /usr/bin/python3 procs_bcc_tp_probe.py [seconds]
"""
import subprocess
import sys
import time

from bcc import BPF

prog = r"""
struct data_t { u32 pid; u32 old_pid; char comm[16]; char filename[128]; };
BPF_PERF_OUTPUT(events);
TRACEPOINT_PROBE(sched, sched_process_exec) {
    struct data_t d = {};
    d.pid = args->pid;
    d.old_pid = args->old_pid;
    bpf_get_current_comm(&d.comm, sizeof(d.comm));
    unsigned short loc = args->data_loc_filename & 0xFFFF;
    bpf_probe_read_kernel_str(&d.filename, sizeof(d.filename), (char *)args + loc);
    events.perf_submit(args, &d, sizeof(d));
    return 0;
}
"""
b = BPF(text=prog)
print("attached: TRACEPOINT_PROBE(sched, sched_process_exec)")
seen = []
def cb(cpu, data, size):
    e = b["events"].event(data)
    seen.append(e.pid)
    comm = e.comm.decode(errors="replace")
    filename = e.filename.decode(errors="replace")
    print(f"exec pid={e.pid} old_pid={e.old_pid} comm={comm} filename={filename}")
b["events"].open_perf_buffer(cb)
p = subprocess.Popen(["/bin/true"])
p.wait()
end = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 1)
while time.time() < end:
    b.perf_buffer_poll(timeout=100)
if p.pid in seen:
    print(f"RESULT: WORKS (saw exec of /bin/true pid {p.pid})")
else:
    print(f"RESULT: no exec event for pid {p.pid}")
