#!/bin/bash
# make_procs_fixture.sh -- regenerate fixtures/procs/ (process fork/exec/exit fixtures).
#
# Run as root on Linux.  Needs: bpfcc-tools python3-bpfcc bpftrace (Debian 12:
#   apt-get install -y bpfcc-tools python3-bpfcc bpftrace
# and, for bcc to compile at all when /lib/modules/$(uname -r)/build is missing,
#   apt-get install -y --no-install-recommends linux-headers-amd64   (see below)).
#
# Produces:
#   fixtures/procs/examples/{bcc,bpftrace}/*_example.txt  docs examples shipped by Debian
#   fixtures/procs/examples/{bcc,bpftrace}/copyright      their licence (Apache-2.0)
#   fixtures/procs/captured/ENVIRONMENT.txt               kernel/tool facts of the capture host
#   fixtures/procs/captured/netlink_probe_true.txt        scripts/procs_netlink_probe.py --raw output
#   fixtures/procs/captured/bcc_attempts.log              what each bcc tool invocation did
#   fixtures/procs/captured/bcc_*.txt                     bcc outputs (only when bcc works for real)
#   fixtures/procs/captured/bpftrace_execsnoop_bt.txt     execsnoop.bt output, only header + workload
#                                                         lines (other processes on the host dropped)
#   fixtures/procs/captured/bpftrace_sched_json.txt       bpftrace -f json sched fork/exec/exit
#   fixtures/procs/captured/bpftrace_sched.bt             the program used for the json capture
#
# The workload (scripts/procs_workload.sh) runs inside a dedicated cgroup v2 so the
# json one-liner can filter on it; its pid set is then used to filter execsnoop.bt.
set -u
set -m   # background jobs get their own process group and keep SIGINT (needed to stop tools)

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT=$ROOT/fixtures/procs
EX=$OUT/examples
CAP=$OUT/captured
WORK=$HERE/procs_workload.sh
PY=/usr/bin/python3          # Debian's python: python3-bpfcc lives in its dist-packages
TMP=$(mktemp -d /tmp/procs-fixture.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
mkdir -p "$EX/bcc" "$EX/bpftrace" "$CAP"

log() { echo "== $*" >&2; }

# ---------------------------------------------------------------- 1. docs examples
copy_doc() {  # copy_doc SRC DSTDIR   (handles SRC or SRC.gz)
    local src=$1 dst=$2/$(basename "$1")
    if [ -f "$src" ]; then cp "$src" "$dst"
    elif [ -f "$src.gz" ]; then zcat "$src.gz" > "$dst"
    else echo "missing: $src" >&2; return 1; fi
}
log "copying docs examples"
BCCDOC=/usr/share/doc/bpfcc-tools/examples/doc
BTDOC=/usr/share/doc/bpftrace/examples
copy_doc $BCCDOC/execsnoop_example.txt "$EX/bcc"
copy_doc $BCCDOC/exitsnoop_example.txt "$EX/bcc"
copy_doc $BTDOC/execsnoop_example.txt "$EX/bpftrace"
copy_doc /usr/share/doc/bpfcc-tools/copyright "$EX/bcc"
copy_doc /usr/share/doc/bpftrace/copyright "$EX/bpftrace"

# ---------------------------------------------------------------- 2. environment
if [ ! -e /sys/kernel/tracing/events ] || [ -z "$(ls /sys/kernel/tracing 2>/dev/null)" ]; then
    mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
fi
if [ -z "$(ls /sys/kernel/debug 2>/dev/null)" ]; then
    mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
fi
config() { if [ -r /proc/config.gz ]; then zcat /proc/config.gz; else cat /boot/config-"$(uname -r)" 2>/dev/null; fi; }
{
    echo "# capture host facts (written by scripts/make_procs_fixture.sh)"
    echo "uname -r: $(uname -r)"
    echo "debian: $(cat /etc/debian_version 2>/dev/null)"
    for p in bpfcc-tools python3-bpfcc libbpfcc bpftrace; do
        echo "pkg $p: $(dpkg-query -W -f='${Version}' $p 2>/dev/null)"
    done
    echo "tracefs: $(ls -d /sys/kernel/tracing/events/sched/sched_process_{fork,exec,exit} 2>&1 | tr '\n' ' ')"
    echo "kprobe_events: $(ls /sys/kernel/tracing/kprobe_events 2>&1)"
    echo "btf: $(ls -l /sys/kernel/btf/vmlinux 2>&1)"
    echo "headers: $(ls -d /lib/modules/$(uname -r)/build 2>&1)"
    config | grep -E '^(# )?CONFIG_(PROC_EVENTS|CONNECTOR|BPF_SYSCALL|BPF_EVENTS|KPROBES|KPROBE_EVENTS|UPROBES|TRACEPOINTS|FTRACE_SYSCALLS|DEBUG_INFO_BTF|IKHEADERS)[= ]'
} > "$CAP/ENVIRONMENT.txt"

log "netlink proc connector probe"
$PY "$HERE/procs_netlink_probe.py" --raw > "$CAP/netlink_probe_true.txt" 2>&1

# ---------------------------------------------------------------- helpers
CG=/sys/fs/cgroup/unified/evimport-procs          # cgroup v2 (hybrid layout)
[ -f /sys/fs/cgroup/cgroup.controllers ] && CG=/sys/fs/cgroup/evimport-procs  # pure v2
mkdir -p "$CG" || { echo "cannot create cgroup $CG" >&2; exit 1; }

wait_for() {  # wait_for PID FILE REGEX SECONDS -> 0 when FILE matches, 1 if PID died/timeout
    local pid=$1 f=$2 re=$3 n=$(( $4 * 10 ))
    while [ $n -gt 0 ]; do
        grep -qE "$re" "$f" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1; n=$((n - 1))
    done
    return 1
}
stop() {  # stop PID: SIGINT, then TERM after 10s
    local pid=$1 n=100
    kill -INT "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid"
    wait "$pid" 2>/dev/null
}
workload() { "$WORK" "$CG"; sleep 1; }

# ---------------------------------------------------------------- 3. bcc tools
# bcc compiles C at runtime against kernel headers.  Without matching headers we fall
# back to Debian's linux-headers (merged build+common tree via BCC_KERNEL_SOURCE) only to
# record what happens: tools that read task_struct then print garbage, so nothing from a
# fallback run is kept as a fixture.
REAL_HEADERS=0
if [ -e "/lib/modules/$(uname -r)/build" ]; then
    REAL_HEADERS=1
else
    H=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1)
    C=${H%-amd64}-common
    if [ -n "$H" ] && [ -d "$C" ]; then
        KH=$TMP/kheaders; mkdir -p "$KH"
        cp -rs "$C/." "$KH/" && cp -rs --remove-destination "$H/." "$KH/"
        export BCC_KERNEL_SOURCE=$KH
    fi
fi
run_bcc() {  # run_bcc OUTNAME TOOL ARGS...
    local name=$1; shift
    local o=$TMP/$name.out e=$TMP/$name.err
    PYTHONUNBUFFERED=1 "$@" > "$o" 2> "$e" &
    local pid=$!
    {
        echo "### $* (BCC_KERNEL_SOURCE=${BCC_KERNEL_SOURCE:-unset}, matching headers: $REAL_HEADERS)"
        if wait_for $pid "$o" '.' 40; then
            sleep 1; workload; stop $pid
            echo "status: ran; $(grep -c . "$o") stdout lines"
        else
            wait $pid; echo "status: exited early, rc=$?"
        fi
        echo "--- stdout (first 5 lines)"; head -5 "$o"
        echo "--- stderr"; cat "$e"; echo
    } >> "$CAP/bcc_attempts.log"
    if [ $REAL_HEADERS = 1 ] && grep -q . "$o" && [ "$(grep -c . "$o")" -gt 1 ]; then
        cp "$o" "$CAP/$name.txt"
    fi
}
log "bcc tools"
: > "$CAP/bcc_attempts.log"
run_bcc bcc_tracepoint_probe $PY "$HERE/procs_bcc_tp_probe.py" 2
run_bcc bcc_execsnoop         execsnoop-bpfcc
run_bcc bcc_execsnoop_t       execsnoop-bpfcc -t
run_bcc bcc_execsnoop_T       execsnoop-bpfcc -T
run_bcc bcc_execsnoop_x       execsnoop-bpfcc -x
run_bcc bcc_execsnoop_U       execsnoop-bpfcc -U
run_bcc bcc_exitsnoop_t       exitsnoop-bpfcc -t
run_bcc bcc_exitsnoop_utc     exitsnoop-bpfcc --utc
rm -f "$CAP/bcc_tracepoint_probe.txt"   # probe output is in the log only

# ---------------------------------------------------------------- 4. bpftrace
log "bpftrace"
CGID_PATH=$CG
cat > "$CAP/bpftrace_sched.bt" <<EOF
// run as: bpftrace -f json bpftrace_sched.bt   (cgroup path filled in by make_procs_fixture.sh)
tracepoint:sched:sched_process_fork /cgroup == cgroupid("$CGID_PATH")/
{
	printf("fork ts=%llu parent_pid=%d child_pid=%d comm=%s\n",
	       nsecs, args->parent_pid, args->child_pid, comm);
}
tracepoint:sched:sched_process_exec /cgroup == cgroupid("$CGID_PATH")/
{
	printf("exec ts=%llu pid=%d old_pid=%d ppid=%d comm=%s filename=%s\n",
	       nsecs, pid, args->old_pid, curtask->real_parent->tgid, comm, str(args->filename));
}
tracepoint:sched:sched_process_exit /cgroup == cgroupid("$CGID_PATH") && pid == tid/
{
	printf("exit ts=%llu pid=%d ppid=%d comm=%s code=%d signal=%d\n",
	       nsecs, pid, curtask->real_parent->tgid, comm,
	       (curtask->exit_code >> 8) & 0xff, curtask->exit_code & 0x7f);
	@exits[comm] = count();
}
EOF
BT_ES=$(command -v execsnoop.bt || echo /usr/sbin/execsnoop.bt)
bpftrace "$BT_ES" > "$TMP/es.out" 2> "$TMP/es.err" &
ES=$!
bpftrace -f json "$CAP/bpftrace_sched.bt" > "$TMP/js.out" 2> "$TMP/js.err" &
JS=$!
ok=1
wait_for $ES "$TMP/es.out" '^TIME' 60 || ok=0
wait_for $JS "$TMP/js.out" 'attached_probes' 60 || ok=0
if [ $ok = 1 ]; then
    sleep 0.5; workload
fi
stop $ES; stop $JS
{ echo "### bpftrace $BT_ES"; cat "$TMP/es.err"; echo "### bpftrace -f json bpftrace_sched.bt"; cat "$TMP/js.err"; } > "$CAP/bpftrace_stderr.log"
if [ $ok = 1 ]; then
    cp "$TMP/js.out" "$CAP/bpftrace_sched_json.txt"
    # pids of the workload = every pid the cgroup-filtered json capture saw
    $PY - "$TMP/js.out" "$TMP/es.out" > "$CAP/bpftrace_execsnoop_bt.txt" <<'PYEOF'
import json, re, sys
pids = set()
for line in open(sys.argv[1]):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    if rec.get("type") == "printf":
        for k, v in re.findall(r"\b(pid|child_pid)=(\d+)", rec["data"]):
            pids.add(v)
keep = False
for line in open(sys.argv[2], newline=""):
    m = re.match(r"(\d+)\s+(\d+) ", line)
    if line.startswith("TIME(ms)") or line.startswith("Attaching"):
        keep = True
    elif m:
        keep = m.group(2) in pids
    # else: continuation of the previous record (argv with a newline) -> same decision
    if keep:
        sys.stdout.write(line)
PYEOF
else
    echo "bpftrace capture failed; see bpftrace_stderr.log" >&2
fi
rmdir "$CG" 2>/dev/null
log "done: $(cd "$OUT" && find . -type f | sort | tr '\n' ' ')"
