#!/usr/bin/env bash
# make_redis_dst_fixture.sh - REAL Redis logs that cross a daylight-saving change (Europe/Berlin)
#
# Remake with one command (root for apt-get the first time; about 8 minutes, both runs at once):
#
#     bash scripts/make_redis_dst_fixture.sh
#
# Writes fixtures/dst/redis/{fall-back,spring-forward}.log and fixtures/dst/redis/README.txt.
#
# Debian's redis-server runs under Debian's libfaketime (LD_PRELOAD) with TZ=Europe/Berlin and
# a clock set back or forward to just before a transition. The fake clock is a fixed offset
# from the real one (FAKETIME="-<seconds>"), so it runs at real speed, every process that
# inherits the environment (the server's BGSAVE children, a restarted server) sees the same
# fake time, and CLOCK_MONOTONIC stays real (FAKETIME_DONT_FAKE_MONOTONIC=1) so Redis' timers
# behave. Redis formats its log lines itself in local time (with its own cached DST flag).
# libfaketime cannot initialise inside a program linked with jemalloc, as Debian's redis-server
# is (libfaketime issue #130: jemalloc calls clock_gettime while libfaketime looks up its
# symbols), so glibc's allocator is preloaded first (LD_PRELOAD=libc_malloc_debug.so.0 before
# libfaketime.so.1): the same binary, with glibc's malloc. The runs end with SHUTDOWN, not a
# signal: libfaketime leaves time() unfaked inside a signal handler that interrupts one of its
# own wrapped calls (epoll_wait), so a signal-handler line would print the real epoch.
#
#   fall-back       starts 2026-10-25 02:58:00 CEST; at 03:00:00 CEST the clocks go back to
#                   02:00:00 CET, so the log prints 02:58 .. 02:59:59 and then 02:00 .. 02:06
#                   again. On both sides: writes, automatic and explicit BGSAVEs (child
#                   processes), a SHUTDOWN and a restart on the same logfile inside the repeated
#                   hour, and a SHUTDOWN at the end.
#   spring-forward  starts 2026-03-29 01:58:00 CET; at 02:00:00 CET the clocks go forward to
#                   03:00:00 CEST, so the log jumps from 01:59:59 to 03:00:00. Same activity.
#
# Every SCENARIO_STEP seconds a client asks the server for its own clock (TIME) and has it
# write that value into its log (DEBUG LOG "clock check: TIME <sec>.<usec>"): each such line
# holds the absolute time the server had when it wrote the line, which the tests compare with
# the importer's reading of the line's local time. Nothing is edited by hand.
#
# Environment: SCR (scratch, default /tmp/fx-redis-dst), OUT (default fixtures/dst/redis),
# PORT_BASE (default 61300), ONLY ("fall-back" or "spring-forward" to remake one, "readme" to
# rewrite README.txt from the logs there).
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$REPO/fixtures/dst/redis}
SCR=${SCR:-/tmp/fx-redis-dst}
PORT_BASE=${PORT_BASE:-61300}
ONLY=${ONLY:-}
ZONE=Europe/Berlin
GLIBC_MALLOC=/lib/x86_64-linux-gnu/libc_malloc_debug.so.0
SCENARIO_STEP=15
ulimit -c 0

log() { printf '[make_redis_dst_fixture] %s\n' "$*" >&2; }

ensure_packages() {
    local missing=()
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server)
    LIBFAKETIME=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -1)
    [ -n "$LIBFAKETIME" ] || missing+=(faketime libfaketime)
    [ -e "$GLIBC_MALLOC" ] || missing+=(libc6)
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]} with apt-get"
        apt-get update >"$SCR/apt-update.log" 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >"$SCR/apt-install.log" 2>&1 \
            || { log "apt-get install failed, see $SCR/apt-install.log"; exit 1; }
        LIBFAKETIME=$(dpkg -L libfaketime | grep '/libfaketime\.so\.1$' | head -1)
    fi
}

free_port() {   # from $1 upward -> P
    P=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$P") 2>/dev/null; do P=$((P+1)); done
}

# run_scenario NAME START_UTC SECONDS RESTART_AT PORT
#   START_UTC: fake UTC time at the server's start; SECONDS: how long the run lasts;
#   RESTART_AT: after how many seconds the server is shut down and started again.
run_scenario() {
    local name=$1 start_utc=$2 seconds=$3 restart_at=$4 port=$5
    local rd="$SCR/$name" f="$OUT/$name.log"
    rm -rf "$rd" "$f"; mkdir -p "$rd"
    local target offset
    target=$(TZ=UTC date -d "$start_utc" +%s)
    offset=$((target - $(date +%s)))
    {
        echo "port $port"; echo "bind 127.0.0.1"; echo "daemonize no"; echo "dir $rd"
        echo "loglevel verbose"; echo "logfile \"$f\""
        echo "save 20 1"; echo "appendonly no"; echo "enable-debug-command local"
    } >"$rd/redis.conf"
    # A fixed negative/positive offset from the real clock (no speed-up): each process
    # computes real time + offset, so parent, children and a restarted server agree.
    local fake=(env TZ="$ZONE" LD_PRELOAD="$GLIBC_MALLOC:$LIBFAKETIME" FAKETIME="$offset"
                FAKETIME_DONT_FAKE_MONOTONIC=1)
    local cli=(timeout 5 redis-cli -h 127.0.0.1 -p "$port")
    start() {
        "${fake[@]}" redis-server "$rd/redis.conf" >"$rd/stdout.$1" 2>&1 &
        PID=$!
        local i
        for ((i=0;i<100;i++)); do [ "$("${cli[@]}" PING 2>/dev/null)" = PONG ] && return 0; sleep 0.1; done
        log "$name: server did not start"; kill -KILL "$PID" 2>/dev/null; return 1
    }
    stamp() {
        local t; t=$("${cli[@]}" TIME | tr '\n' ' ')
        set -- $t
        "${cli[@]}" DEBUG LOG "clock check: TIME $1.$(printf %06d "$2")" >/dev/null
    }
    start 1 || return 1
    log "$name: fake start $(TZ=$ZONE date -d "@$target" '+%F %T %Z'), offset ${offset}s, ${seconds}s"
    local t0=$SECONDS i=0 restarted=0
    stamp
    while [ $((SECONDS - t0)) -lt "$seconds" ]; do
        i=$((i+1))
        "${cli[@]}" SET "key:$i" "value $i" >/dev/null
        "${cli[@]}" INCR counter >/dev/null
        [ $((i % 3)) = 0 ] && stamp
        [ $((i % 8)) = 4 ] && "${cli[@]}" BGSAVE >/dev/null
        if [ $restarted = 0 ] && [ $((SECONDS - t0)) -ge "$restart_at" ]; then
            stamp
            "${cli[@]}" SHUTDOWN >/dev/null 2>&1     # save points set -> final RDB, then exit
            wait "$PID"
            start 2 || return 1
            stamp
            restarted=1
        fi
        sleep 5
    done
    stamp
    "${cli[@]}" SHUTDOWN >/dev/null 2>&1; wait "$PID"
    log "$name: done, $(wc -l <"$f") lines"
    printf '%s\t%s\t%s\t%s\n' "$name" "$start_utc" "$seconds" "$restart_at" >"$rd/meta"
}

write_readme() {
    {
        echo "Real Redis logs across a daylight-saving change (zone $ZONE)"
        echo "============================================================"
        echo
        echo "Written by Debian's redis-server ($(redis-server --version | sed 's/ sha=.*//'),"
        echo "package $(dpkg-query -W -f='${Version}' redis-server)) under Debian's libfaketime"
        echo "$(dpkg-query -W -f='${Version}' libfaketime) with TZ=$ZONE, by:"
        echo
        echo "    bash scripts/make_redis_dst_fixture.sh"
        echo
        echo "The fake clock is the real one plus a fixed offset, so it runs at real speed."
        echo "Nothing was edited by hand. 'clock check: TIME <epoch>' lines were written by the"
        echo "server on request (DEBUG LOG) and hold the server's own clock. glibc's malloc is"
        echo "preloaded before libfaketime (which cannot start inside jemalloc)."
        echo
        local n
        for n in fall-back spring-forward; do
            [ -f "$OUT/$n.log" ] || continue
            echo "$n.log ($(wc -l <"$OUT/$n.log") lines, $(stat -c %s "$OUT/$n.log") bytes)"
            case $n in
                fall-back) echo "    fake start 2026-10-25 02:58:00 CEST (00:58:00 UTC), 480 s; at 03:00:00 CEST"
                           echo "    the clocks go back to 02:00:00 CET. SHUTDOWN + restart (same logfile) 300 s in," ;;
                spring-forward) echo "    fake start 2026-03-29 01:58:00 CET (00:58:00 UTC), 300 s; at 02:00:00 CET"
                           echo "    the clocks go forward to 03:00:00 CEST. SHUTDOWN + restart 200 s in," ;;
            esac
            echo "    loglevel verbose, 'save 20 1', a SET + INCR every 5 s, BGSAVE every 40 s,"
            echo "    a clock check every 15 s, SHUTDOWN at the end."
        done
    } >"$OUT/README.txt"
}

mkdir -p "$SCR" "$OUT"
ensure_packages
if [ "$ONLY" = readme ]; then write_readme; exit 0; fi
free_port "$PORT_BASE"; P1=$P
free_port $((P1 + 1)); P2=$P
pids=()
if [ -z "$ONLY" ] || [ "$ONLY" = fall-back ]; then
    run_scenario fall-back "2026-10-25 00:58:00" 480 300 "$P1" & pids+=($!)
fi
if [ -z "$ONLY" ] || [ "$ONLY" = spring-forward ]; then
    run_scenario spring-forward "2026-03-29 00:58:00" 300 200 "$P2" & pids+=($!)
fi
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
write_readme
[ $rc = 0 ] || { log "a scenario failed"; exit 1; }
log "done: $OUT"
