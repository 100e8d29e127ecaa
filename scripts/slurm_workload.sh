#!/usr/bin/env bash
# slurm_workload.sh -- submit a small, known workload to the lab cluster
# (scripts/slurm_lab.sh) and write its ground truth as TSV.
#
# Usage (as root):  bash scripts/slurm_workload.sh GROUND_TRUTH.tsv [WORKDIR]
#
# Jobs (all 1 CPU, so on a 2-CPU node several of them queue as PENDING first):
#   timeout    sleeps past --time=1 (1 minute)               -> TIMEOUT
#   exit3      batch script exits 3                          -> FAILED 3:0
#   dep        --dependency=afterok:<exit3>, never satisfied -> scancel -> CANCELLED
#   multistep  4 srun steps (hostname, python 50 MiB, sleep, true) -> COMPLETED
#   array      --array=1-4, task 3 exits 2                   -> 3x COMPLETED, 1x FAILED 2:0
#   held       --hold, released later                        -> COMPLETED
#   pipename   -J 'report | weekly summary' --comment '...|...' -> COMPLETED
#   sigsteps   srun step SIGSEGV, srun step SIGKILL, batch exits 0 -> COMPLETED (steps 0:11, 0:9)
#   selfkill   batch script kills itself with SIGKILL        -> FAILED 0:9
#   otheruser  submitted by $OTHER_USER (labuser)            -> COMPLETED
#   cancelrun  sleeps, scancel'ed while RUNNING              -> CANCELLED 0:15
#
# Expected values are what Slurm 22.05 reports in `sacct` text output
# (State, ExitCode "code:signal"); see the notes column.  The script polls
# squeue/sacct until every job (and step) is final; it never sleeps a fixed
# time for a state to happen.  Exits non-zero if a wait times out.
set -euo pipefail

OUT=${1:?usage: $0 GROUND_TRUTH.tsv [WORKDIR]}
WD=${2:-/tmp/ev-slurm-workload}
OTHER_USER=${OTHER_USER:-labuser}
WAIT_MAX=${WAIT_MAX:-300}      # seconds, per wait

log() { printf '[workload %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

mkdir -p "$WD"; chmod 1777 "$WD"
WD=$(cd "$WD" && pwd)

sub() { # sub [sbatch args...] -> job id
    local id
    id=$(sbatch --parsable --chdir="$WD" "$@")
    echo "${id%%;*}"
}

live_state() { # state from slurmctld ("" once it forgot the job)
    squeue -h -j "$1" -t all -o %T 2>/dev/null | head -n1 || true
}

wait_live() { # wait_live ID REGEX: until squeue state matches
    local id=$1 re=$2 st=
    for _ in $(seq $((WAIT_MAX * 2))); do
        st=$(live_state "$id")
        [[ $st =~ ^($re)$ ]] && return 0
        sleep 0.5
    done
    log "timeout waiting for job $id to be $re (is: ${st:-?})"; return 1
}

wait_reason() { # wait_reason ID REASON
    local id=$1 want=$2 r=
    for _ in $(seq $((WAIT_MAX * 2))); do
        r=$(squeue -h -j "$id" -o %r 2>/dev/null || true)
        [[ $r == "$want" ]] && return 0
        sleep 0.5
    done
    log "timeout waiting for job $id reason $want (is: ${r:-?})"; return 1
}

# --- submit ----------------------------------------------------------------
START_EPOCH=$(date +%s)
log "submitting in $WD"

J_TIMEOUT=$(sub -J timeout --time=1 -o "$WD/slurm-%j.out" \
    --wrap 'echo "start $(date)"; sleep 600')
J_EXIT3=$(sub -J exit3 -o "$WD/slurm-%j.out" \
    --wrap 'echo "about to exit 3"; sleep 2; exit 3')
J_DEP=$(sub -J dep-never --dependency=afterok:"$J_EXIT3" -o "$WD/slurm-%j.out" \
    --wrap 'echo "should never run"')

cat > "$WD/multistep.sh" <<'EOF'
#!/bin/bash
#SBATCH -J multistep
srun hostname
srun python3 -c 'import time; b = bytearray(50 * 1024 * 1024); time.sleep(3)'
srun sleep 2
srun true
EOF
J_MULTI=$(sub -o "$WD/slurm-%j.out" "$WD/multistep.sh")

J_ARRAY=$(sub -J arr --array=1-4 -o "$WD/slurm-%A_%a.out" \
    --wrap 'echo "task $SLURM_ARRAY_TASK_ID"; sleep 1; if [ "$SLURM_ARRAY_TASK_ID" = 3 ]; then exit 2; fi')
J_HELD=$(sub -J held --hold -o "$WD/slurm-%j.out" --wrap 'echo released; sleep 1')
PIPE_NAME='report | weekly summary'
PIPE_COMMENT='ev-import fixture: comment with | pipe, spaces and "quotes"'
J_PIPE=$(sub -J "$PIPE_NAME" --comment="$PIPE_COMMENT" -o "$WD/slurm-%j.out" \
    --wrap 'echo "name with pipe"; sleep 1')

cat > "$WD/sigsteps.sh" <<'EOF'
#!/bin/bash
#SBATCH -J sigsteps
srun bash -c 'kill -SEGV $$'
echo "step 0 rc=$?"
srun bash -c 'kill -9 $$'
echo "step 1 rc=$?"
exit 0
EOF
J_SIG=$(sub -o "$WD/slurm-%j.out" "$WD/sigsteps.sh")
J_SELFKILL=$(sub -J selfkill -o "$WD/slurm-%j.out" --wrap 'echo "killing myself"; kill -9 $$')
J_OTHER=$(cd "$WD" && runuser -u "$OTHER_USER" -- sbatch --parsable --chdir="$WD" \
    -J otheruser -o "$WD/slurm-%j.out" --wrap 'echo "hello from $USER"; sleep 3')
J_OTHER=${J_OTHER%%;*}
J_CANCEL=$(sub -J cancelrun -o "$WD/slurm-%j.out" --wrap 'echo running; sleep 600')
log "submitted: timeout=$J_TIMEOUT exit3=$J_EXIT3 dep=$J_DEP multi=$J_MULTI array=$J_ARRAY held=$J_HELD pipe=$J_PIPE sig=$J_SIG selfkill=$J_SELFKILL other=$J_OTHER cancel=$J_CANCEL"

# --- drive -----------------------------------------------------------------
wait_reason "$J_HELD" JobHeldUser
log "held job $J_HELD is held (JobHeldUser)"

wait_live "$J_CANCEL" RUNNING
# let it run a few seconds so the cancel is visibly "while running"
for _ in $(seq 6); do [[ $(live_state "$J_CANCEL") == RUNNING ]] || break; sleep 0.5; done
log "cancelling running job $J_CANCEL"
scancel "$J_CANCEL"

wait_live "$J_EXIT3" FAILED
wait_reason "$J_DEP" DependencyNeverSatisfied
log "dep job $J_DEP: DependencyNeverSatisfied -> scancel"
scancel "$J_DEP"

log "releasing held job $J_HELD"
scontrol release "$J_HELD"

# --- wait until everything is final in slurmctld and in accounting ----------
ALL="$J_TIMEOUT,$J_EXIT3,$J_DEP,$J_MULTI,$J_ARRAY,$J_HELD,$J_PIPE,$J_SIG,$J_SELFKILL,$J_OTHER,$J_CANCEL"
log "waiting for all jobs to finish (timeout job needs ~1-1.5 min)"
for _ in $(seq $((WAIT_MAX * 2))); do
    n=$(squeue -h -j "$ALL" -t PD,R,CG,CF,S,RQ,RS,SO,SE,ST,RD,RF,RH 2>/dev/null | wc -l)
    ((n == 0)) && break
    sleep 0.5
done
final_in_db() {
    # every job and step row has a final state and an End time
    local rows
    rows=$(sacct -a -n -P -j "$ALL" -o JobID,State,End 2>/dev/null) || return 1
    [[ -n $rows ]] || return 1
    ! grep -Eq '\|(PENDING|RUNNING|REQUEUED|SUSPENDED|COMPLETING|RESIZING)\||\|Unknown$' <<<"$rows" || return 1
    # 11 jobs, array has 4 tasks -> 14 allocation rows
    [[ $(sacct -a -n -X -P -j "$ALL" -o JobID | wc -l) -ge 14 ]]
}
ok=
for _ in $(seq $((WAIT_MAX * 2))); do
    if final_in_db; then ok=1; break; fi
    sleep 0.5
done
[[ -n $ok ]] || { log "accounting not final after ${WAIT_MAX}s"; exit 1; }
END_EPOCH=$(date +%s)
log "all final after $((END_EPOCH - START_EPOCH))s"

# array task raw ids (assigned when tasks are split off)
declare -A RAW
while IFS='|' read -r jid raw; do RAW[$jid]=$raw; done \
    < <(sacct -a -n -X -P -j "$J_ARRAY" -o JobID,JobIDRaw)

# --- ground truth ------------------------------------------------------------
T=$'\t'
{
    printf '# ev-import slurm fixture ground truth; workload %s..%s (epoch), workdir %s\n' \
        "$START_EPOCH" "$END_EPOCH" "$WD"
    printf '# expected_state / expected_exit_code as Slurm 22.05 sacct prints them (ExitCode = code:signal)\n'
    printf '# every job that started also has an <id>.extern step (COMPLETED 0:0), not listed\n'
    printf 'key\tjob_id\tjob_id_raw\tuser\tjob_name\texpected_state\texpected_exit_code\tintent\tnotes\n'
    row() { local IFS=$T; printf '%s\n' "$*"; }
    row timeout        "$J_TIMEOUT"        "$J_TIMEOUT"  root  timeout  TIMEOUT   0:0  "sleep 600 with --time=1 (1 min limit)" "batch step: CANCELLED 0:15; Timelimit 00:01:00"
    row timeout.batch  "$J_TIMEOUT.batch"  "$J_TIMEOUT.batch" root batch CANCELLED 0:15 "batch step killed at time limit" ""
    row exit3          "$J_EXIT3"          "$J_EXIT3"    root  exit3    FAILED    3:0  "batch script exits 3" "sacct --json reports exit_code SUCCESS/0 for it (22.05 quirk, see README)"
    row exit3.batch    "$J_EXIT3.batch"    "$J_EXIT3.batch" root batch FAILED 3:0 "batch step exits 3" ""
    row dep            "$J_DEP"            "$J_DEP"      root  dep-never CANCELLED 0:0 "afterok:$J_EXIT3 (failed) -> DependencyNeverSatisfied, then scancel" "never started: no steps, Eligible=Unknown, Start=None; sacct -S/-E window queries do NOT return it, only sacct -j"
    row multistep      "$J_MULTI"          "$J_MULTI"    root  multistep COMPLETED 0:0 "batch script with 4 srun steps" ""
    row multistep.batch "$J_MULTI.batch"   "$J_MULTI.batch" root batch COMPLETED 0:0 "" ""
    row multistep.0    "$J_MULTI.0"        "$J_MULTI.0"  root  hostname COMPLETED 0:0 "srun hostname" ""
    row multistep.1    "$J_MULTI.1"        "$J_MULTI.1"  root  python3  COMPLETED 0:0 "srun python3 allocating 50 MiB for 3 s" "MaxRSS ~50M+"
    row multistep.2    "$J_MULTI.2"        "$J_MULTI.2"  root  sleep    COMPLETED 0:0 "srun sleep 2" ""
    row multistep.3    "$J_MULTI.3"        "$J_MULTI.3"  root  true     COMPLETED 0:0 "srun true" ""
    for t in 1 2 3 4; do
        if [[ $t == 3 ]]; then st=FAILED ec=2:0 note="task 3 exits 2"; else st=COMPLETED ec=0:0 note=""; fi
        row "array_$t" "${J_ARRAY}_$t" "${RAW[${J_ARRAY}_$t]:-?}" root arr "$st" "$ec" "--array=1-4, task $t" "$note"
    done
    row held           "$J_HELD"           "$J_HELD"     root  held     COMPLETED 0:0  "submitted --hold (Reason JobHeldUser), then scontrol release" ""
    row pipename       "$J_PIPE"           "$J_PIPE"     root  "$PIPE_NAME" COMPLETED 0:0 "job name contains '|' and spaces; --comment" "comment: $PIPE_COMMENT"
    row sigsteps       "$J_SIG"            "$J_SIG"      root  sigsteps COMPLETED 0:0  "batch runs 2 srun steps killed by signals, then exits 0" "DerivedExitCode 0:11 (highest step signal seen first)"
    row sigsteps.0     "$J_SIG.0"          "$J_SIG.0"    root  bash     CANCELLED 0:11 "srun step: kill -SEGV \$\$" "22.05 reports a signal-killed step as CANCELLED, not FAILED"
    row sigsteps.1     "$J_SIG.1"          "$J_SIG.1"    root  bash     CANCELLED 0:9  "srun step: kill -9 \$\$" "22.05 reports a signal-killed step as CANCELLED, not FAILED"
    row selfkill       "$J_SELFKILL"       "$J_SELFKILL" root  selfkill FAILED    0:9  "batch script does kill -9 \$\$" "squeue Reason JobLaunchFailure"
    row selfkill.batch "$J_SELFKILL.batch" "$J_SELFKILL.batch" root batch CANCELLED 0:9 "batch shell killed by SIGKILL" ""
    row otheruser      "$J_OTHER"          "$J_OTHER"    "$OTHER_USER" otheruser COMPLETED 0:0 "submitted by $OTHER_USER via runuser" "root sees it in sacct with or without -a; labuser's own sacct shows only this job"
    row cancelrun      "$J_CANCEL"         "$J_CANCEL"   root  cancelrun CANCELLED 0:0 "sleep 600, scancel while RUNNING" "State text is 'CANCELLED by 0'; job ExitCode stays 0:0, the signal is on the batch step"
    row cancelrun.batch "$J_CANCEL.batch"  "$J_CANCEL.batch" root batch CANCELLED 0:15 "batch step got SIGTERM from scancel" ""
} > "$OUT"
log "ground truth: $OUT"
# for callers: the time window of the workload
echo "START_EPOCH=$START_EPOCH END_EPOCH=$END_EPOCH JOBS=$ALL"
