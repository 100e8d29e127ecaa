#!/bin/bash
# Workload for the live watch-procs test (tests/test_procs_watch.py) and a demo of what the
# watcher sees. It records its own ground truth, one line per process it starts:
#   proc PID PPID FILENAME STATUS     STATUS = exit:N | signal:N ; FILENAME "-" = no exec
#   thread TID PID                    a thread started by the python child (not a process)
# Usage: procs_live_workload.sh TRUTH_FILE      (PY=python to use; default /usr/bin/python3)
out=${1:?usage: procs_live_workload.sh TRUTH_FILE}
PY=${PY:-/usr/bin/python3}
: > "$out"
status() { if [ "$1" -gt 128 ]; then echo "signal:$(( $1 - 128 ))"; else echo "exit:$1"; fi; }
rec() { echo "proc $1 $2 $3 $(status "$4")" >> "$out"; }   # rec PID PPID FILENAME WAIT_STATUS

echo "root $$ $PPID" >> "$out"
/bin/true & p=$!; wait $p; rec $p $$ /bin/true $?                      # instant exit 0
/bin/sleep 0.05 & p=$!; wait $p; rec $p $$ /bin/sleep $?
/bin/sh -c '/bin/sleep 0.05; exit 3' & p=$!; wait $p; rec $p $$ /bin/sh $?   # exit 3
/bin/sleep 5 & p=$!; /bin/sleep 0.1; kill -KILL $p; wait $p; rec $p $$ /bin/sleep $?
/bin/sleep 5 & p=$!; /bin/sleep 0.1; kill -TERM $p; wait $p; rec $p $$ /bin/sleep $?
# a fork without exec: a subshell running builtins only, exit 4
( i=0; while [ $i -lt 3000 ]; do i=$((i + 1)); done; exit 4 ) & p=$!; wait $p; rec $p $$ - $?
# a grandchild: the subshell records its own child's parent ($BASHPID)
( /bin/sleep 0.05 & q=$!; wait $q; rec $q $BASHPID /bin/sleep $?; exit 6 ) & p=$!
wait $p; rec $p $$ - $?
# two execs in one pid: env, then sleep
/usr/bin/env FOO=bar /bin/sleep 0.05 & p=$!; wait $p; rec $p $$ /bin/sleep $?
# a python child that starts a thread (the thread is not a process), exit 5
"$PY" -c '
import os, sys, threading, time
def work():
    with open(sys.argv[1], "a") as fh:
        fh.write("thread %d %d\n" % (threading.get_native_id(), os.getpid()))
    time.sleep(0.05)
t = threading.Thread(target=work); t.start(); t.join(); sys.exit(5)' "$out" & p=$!
wait $p; rec $p $$ "$PY" $?
exit 0
