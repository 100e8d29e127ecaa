#!/bin/bash
# Small deterministic workload for fixtures/procs/captured (see make_procs_fixture.sh).
# Usage: procs_workload.sh [CGROUP2_DIR]   -- moves itself into that cgroup first.
if [ -n "$1" ]; then echo $$ > "$1/cgroup.procs" || exit 1; fi
cd /tmp || exit 1
/bin/sleep 0.2
/bin/true
/bin/ls -d /etc /usr > /dev/null
/bin/echo 'hello world' | /usr/bin/tr a-z A-Z > /dev/null
/bin/sh -c 'exit 3'                                   # fails with exit status 3
/bin/sleep 5 & p=$!; /bin/sleep 0.3; kill -KILL $p; wait $p   # killed by SIGKILL
/bin/sleep 5 & p=$!; /bin/sleep 0.3; kill -TERM $p; wait $p   # killed by SIGTERM
/bin/echo "first line
second line" > /dev/null                              # argv containing a newline
/usr/bin/printf '%s|' 'arg with spaces' "tab	here" > /dev/null
/nonexistent/evimport-missing-cmd 2> /dev/null        # execve fails (ENOENT)
PATH=/usr/local/bin:/usr/bin:/bin evimport-not-on-path 2> /dev/null  # bash "command not found": fork, no execve, exit 127
/usr/bin/env FOO=bar /bin/true                        # exec chain: env -> true
/usr/bin/python3 -c 'import os; os._exit(7)'          # exit status 7
/bin/sleep 0.2
exit 0
