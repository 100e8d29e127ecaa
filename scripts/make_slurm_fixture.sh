#!/usr/bin/env bash
# make_slurm_fixture.sh -- (re)generate fixtures/slurm/ from a real Slurm 22.05
# lab cluster: starts the lab if needed (scripts/slurm_lab.sh), runs
# scripts/slurm_workload.sh, takes squeue snapshots (text + --json) while the
# workload runs, then saves sacct outputs once every job is final.
#
# Usage (as root):  bash scripts/make_slurm_fixture.sh [OUTDIR]   (default fixtures/slurm)
# Takes ~2-3 minutes (one job has to hit a 1-minute time limit).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/fixtures/slurm}
WD=${WORKDIR:-/tmp/ev-slurm-workload}
MAX_TXT=${MAX_TXT:-14}     # max text squeue snapshots during the run
MAX_JSON=${MAX_JSON:-3}    # max squeue --json snapshots during the run
JSON_GAP=${JSON_GAP:-8}    # min seconds between two json snapshots

log() { printf '[fixture %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# sacct fields (all exist in 22.05 `sacct --helpformat`); free-text fields last
# (WorkDir, JobName, Comment, SubmitLine: JobName and Comment may contain '|').
SACCT_FIELDS=JobID,JobIDRaw,User,UID,Group,Account,Cluster,Partition,QOS,State,ExitCode,DerivedExitCode,Reason,Priority,Submit,Eligible,Start,End,Elapsed,ElapsedRaw,Timelimit,TimelimitRaw,Suspended,NNodes,NCPUS,AllocCPUS,ReqCPUS,ReqMem,ReqTRES,AllocTRES,NTasks,MaxRSS,MaxRSSNode,MaxVMSize,AveRSS,AveCPU,TotalCPU,UserCPU,SystemCPU,CPUTimeRAW,NodeList,Flags,Reservation,WorkDir,JobName,Comment,SubmitLine
# squeue text format ('|'-separated, header line); free text (name, comment) last
SQUEUE_FMT='%i|%A|%F|%K|%u|%a|%P|%T|%r|%V|%S|%e|%M|%l|%L|%D|%C|%m|%Q|%E|%R|%Z|%j|%k'

# --- lab ---------------------------------------------------------------------
T0=$(date +%s)
if scontrol ping 2>/dev/null | grep -q UP && sacctmgr -n -P show cluster format=cluster >/dev/null 2>&1; then
    bash "$ROOT/scripts/slurm_lab.sh" wait 120
else
    log "lab not running: installing/starting it"
    bash "$ROOT/scripts/slurm_lab.sh" all
fi
log "lab ready after $(( $(date +%s) - T0 ))s"

# slurmctld keeps finished jobs for MinJobAge (300 s) and squeue --json ignores
# filters, so wait until it has forgotten jobs of an earlier run (bounded).
for i in $(seq 400); do
    left=$(squeue -h -a -t all -o %i | wc -l)
    ((left == 0)) && break
    ((i % 30 == 1)) && log "waiting for slurmctld to forget $left earlier job(s) (MinJobAge)"
    sleep 1
done
((left == 0)) || log "WARNING: $left earlier job(s) still in squeue; they will appear in snapshots"

mkdir -p "$OUT"
rm -f "$OUT"/squeue_*.txt "$OUT"/squeue_*.json "$OUT"/sacct_*.txt "$OUT"/sacct*.json \
      "$OUT"/ground_truth.tsv "$OUT"/README.txt "$OUT"/workload.log
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# --- workload + snapshots ------------------------------------------------------
bash "$ROOT/scripts/slurm_workload.sh" "$OUT/ground_truth.tsv" "$WD" >"$TMP/wl.out" 2>"$TMP/wl.err" &
WL_PID=$!

n_txt=0 n_json=0 last_json=0 seq=0 last_sig=
snap() { # snap txt|json|both
    local ts; ts=$(date -u +%Y%m%dT%H%M%SZ)
    seq=$((seq + 1))
    local base; base=$(printf '%s/squeue_%02d_%s' "$OUT" "$seq" "$ts")
    if [[ $1 != json ]]; then
        squeue -a -t all -o "$SQUEUE_FMT" > "$base.txt"; n_txt=$((n_txt + 1))
    fi
    if [[ $1 != txt ]]; then
        squeue -a -t all --json > "$base.json"; n_json=$((n_json + 1)); last_json=$(date +%s)
    fi
    log "snapshot $seq ($1): $(squeue -h -a -t all -o %T | sort | uniq -c | tr -s ' \n' ' ')"
}
while kill -0 "$WL_PID" 2>/dev/null; do
    sig=$(squeue -h -a -t all -o '%i %T %r' 2>/dev/null | sort | md5sum)
    if [[ $sig != "$last_sig" ]] && (( $(squeue -h -a -o %i 2>/dev/null | wc -l) > 0 )); then
        last_sig=$sig
        if (( n_txt < MAX_TXT )); then
            if (( n_json < MAX_JSON )) && (( $(date +%s) - last_json >= JSON_GAP )); then
                snap both
            else
                snap txt
            fi
        fi
    fi
    sleep 1
done
if ! wait "$WL_PID"; then
    cat "$TMP/wl.err" >&2; log "workload failed"; exit 1
fi
cp "$TMP/wl.err" "$OUT/workload.log"
# final snapshot: everything finished (slurmctld keeps finished jobs MinJobAge=300s)
snap both
eval "$(tail -n1 "$TMP/wl.out")"    # START_EPOCH END_EPOCH JOBS
log "workload window $START_EPOCH..$END_EPOCH, jobs $JOBS"

# --- sacct ---------------------------------------------------------------------
# By job id (-j), not by time window: a job that never became eligible (the
# cancelled afterok job, Eligible=Unknown) is not returned by -S/-E queries.
SACCT_P=(sacct -P -j "$JOBS" -o "$SACCT_FIELDS")
"${SACCT_P[@]}"                          > "$OUT/sacct_P_local.txt"
SLURM_TIME_FORMAT=%s "${SACCT_P[@]}"     > "$OUT/sacct_P_epoch.txt"
"${SACCT_P[@]}" -a                       > "$OUT/sacct_aP_local.txt"
TZ=America/New_York "${SACCT_P[@]}" -a   > "$OUT/sacct_aP_tz_newyork.txt"
sacct --json -a -j "$JOBS"               > "$OUT/sacct_a.json"
S=$(date -d "@$((START_EPOCH - 1))" +%Y-%m-%dT%H:%M:%S)
E=$(date -d "@$((END_EPOCH + 1))" +%Y-%m-%dT%H:%M:%S)
# non-root user, default user filter (-j would show anyone's job without PrivateData)
(cd /tmp && runuser -u labuser -- sacct -P -S "$S" -E "$E" -o "$SACCT_FIELDS") > "$OUT/sacct_P_labuser.txt"
WINDOW_ROWS=$(sacct -a -X -n -P -S "$S" -E "$E" -o JobID | wc -l)
ID_ROWS=$(sacct -a -X -n -P -j "$JOBS" -o JobID | wc -l)

# --- checks: ground truth vs sacct, 22.05 json exit_code quirk ---------------------
python3 - "$OUT" > "$TMP/check.txt" <<'PY'
import json, sys, os
out = sys.argv[1]
gt = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "ground_truth.tsv")) if not l.startswith("#")]
hdr, gt = gt[0], [dict(zip(gt[0], r)) for r in gt[1:]]
lines = open(os.path.join(out, "sacct_aP_local.txt")).read().splitlines()
fields = lines[0].split("|")
nfixed = fields.index("WorkDir")          # fields before the free-text ones never contain '|'
rows = {}
for l in lines[1:]:
    parts = l.split("|")
    rows[parts[0]] = dict(zip(fields[:nfixed], parts[:nfixed]))
bad = 0
for g in gt:
    r = rows.get(g["job_id"])
    if r is None:
        print(f"MISSING  {g['key']:16} {g['job_id']}"); bad += 1; continue
    st_ok = r["State"].split(" ")[0] == g["expected_state"]
    ec_ok = r["ExitCode"] == g["expected_exit_code"]
    us_ok = r["User"] in (g["user"], "")      # steps have an empty User
    flag = "ok      " if st_ok and ec_ok and us_ok else "MISMATCH"
    bad += flag != "ok      "
    print(f"{flag} {g['key']:16} {g['job_id']:10} expected {g['expected_state']:9} {g['expected_exit_code']:5}"
          f" got {r['State']:14} {r['ExitCode']:5} user={r['User']}")
print(f"ground truth check: {len(gt) - bad} ok, {bad} mismatched")
# json quirk
d = json.load(open(os.path.join(out, "sacct_a.json")))
ex3 = next(g for g in gt if g["key"] == "exit3")
for j in d["jobs"]:
    if str(j["job_id"]) == ex3["job_id"]:
        print(f"exit3 job {ex3['job_id']}: text ExitCode={rows[ex3['job_id']]['ExitCode']}"
              f" DerivedExitCode={rows[ex3['job_id']]['DerivedExitCode']}")
        print(f"  sacct --json exit_code={json.dumps(j['exit_code'])} derived_exit_code={json.dumps(j.get('derived_exit_code'))}"
              f" state={json.dumps(j['state'])}")
        for s in j["steps"]:
            print(f"  step {s['step']['name']}: exit_code={json.dumps(s['exit_code'])} state={s['state']}")
PY
cat "$TMP/check.txt" >&2

# --- README -------------------------------------------------------------------
{
cat <<EOF
Slurm fixtures for ev-import -- generated by scripts/make_slurm_fixture.sh
(real single-node Slurm cluster from scripts/slurm_lab.sh; workload from
scripts/slurm_workload.sh; ground truth in ground_truth.tsv).

Slurm version : $(sinfo -V)
Generated     : $(date -u +%Y-%m-%dT%H:%M:%SZ) (UTC)
Machine TZ    : $(cat /etc/timezone 2>/dev/null || echo '?') (date +%Z%z: $(date +%Z%z))
                -> "local" times in *_local.txt / squeue text equal UTC here;
                sacct_aP_tz_newyork.txt is the same query with TZ=America/New_York.
Cluster/node  : cluster "lab", node "$(hostname -s)", partition "debug", 2 CPUs,
                users root and labuser (uid $(id -u labuser)), account "research"
Workload      : epoch $START_EPOCH .. $END_EPOCH, jobs $JOBS
                workdir $WD

Files
  ground_truth.tsv          job ids, intent, expected State / ExitCode (sacct text form)
  workload.log              stderr of slurm_workload.sh (what was done when)
  squeue_NN_<UTC>.txt       squeue -a -t all -o '$SQUEUE_FMT'
                            (taken whenever a job state/reason changed; NN orders them)
  squeue_NN_<UTC>.json      squeue -a -t all --json   (some of the same moments)
                            the last NN (txt+json) is taken after everything finished
  sacct_P_local.txt         sacct -P -j \$JOBS -o \$FIELDS            (run as root)
  sacct_P_epoch.txt         SLURM_TIME_FORMAT=%s sacct -P -j \$JOBS -o \$FIELDS
  sacct_aP_local.txt        sacct -P -j \$JOBS -o \$FIELDS -a          (all users)
  sacct_aP_tz_newyork.txt   TZ=America/New_York sacct -P -j \$JOBS -o \$FIELDS -a
  sacct_P_labuser.txt       runuser -u labuser -- sacct -P -S $S -E $E -o \$FIELDS
  sacct_a.json              sacct --json -a -j \$JOBS

  JOBS=$JOBS
  FIELDS=$SACCT_FIELDS
  (22.05 sacct has no ArrayJobID/ArrayTaskID/HetJobID fields: array tasks are
   JobID "<arrayjob>_<task>", JobIDRaw is the task's own id.)

Notes
  * As root, sacct without -a already shows every user's jobs, so sacct_P_local.txt
    and sacct_aP_local.txt are identical; a non-root user without -j
    (sacct_P_labuser.txt) sees only its own jobs (with -j it sees any listed job,
    PrivateData is not set).
  * Every job that ran has an "<id>.extern" step (PrologFlags=Contain) and a
    "<id>.batch" step; ground_truth.tsv lists batch/srun steps, not extern
    (always COMPLETED 0:0). Array tasks: "<A>_<T>", JobIDRaw = own id; the last
    task keeps the array's own id (<A>_4 has JobIDRaw <A>).
  * squeue text header has JOBID twice (%i and %A); TIME_LEFT is INVALID for a
    timed-out job; DEPENDENCY "afterok:<id>(unfulfilled)" -> "(failed)".
  * Free-text fields are last in both text formats, but job "report | weekly summary"
    has a '|' in JobName and Comment (and SubmitLine), so its rows have more
    '|'-separated cells than the header. sacct: the first len(header)-4 cells are
    safe (WorkDir, JobName, Comment, SubmitLine are last); squeue: the first
    len(header)-3 (WORK_DIR, NAME, COMMENT last). squeue prints "(null)" for no comment.
  * sacct by time window misses never-eligible jobs: sacct -a -X -S $S -E $E
    returned $WINDOW_ROWS allocation rows, sacct -a -X -j \$JOBS returned $ID_ROWS
    (the cancelled afterok job, Eligible=Unknown, Start=None, is only found by -j).
  * squeue --json and sacct --json both work here without slurmrestd: plugins
    openapi/v0.0.38 (squeue), openapi/dbv0.0.38 (sacct) and serializer/json come
    with slurm-wlm-basic-plugins. squeue --json ignores -t/-u/-j filters (it dumps
    every job slurmctld still knows, finished ones for MinJobAge=300 s).
  * Time limits: a job without --time started by the backfill scheduler (Flags
    SchedBackfill) shows Timelimit 365-00:00:00 / TimelimitRaw 525600 (json
    time.limit 525600), one started by the main scheduler shows UNLIMITED (json
    null); the never-started dep job has TimelimitRaw "Partition_Limit".
  * Exit codes in JSON: sacct --json (openapi/dbv0.0.38) loses plain return codes:
    exit_code is {"status":"SUCCESS","return_code":0} for the job that exited 3 and
    for array task 3 (exit 2), while text ExitCode says 3:0 / 2:0; signals do come
    through ({"status":"SIGNALED","signal":{"signal_id":9,"name":"Killed"}}).
    squeue --json exit_code is the raw wait status integer: 768 (=3<<8) for exit 3,
    512 for exit 2, 9 / 15 for signals; derived_exit_code likewise (11 for SEGV step).
  * A signal-killed srun step is reported as CANCELLED (ExitCode 0:<sig>), not FAILED.
    scancel of a running job: job "CANCELLED by 0" ExitCode 0:0, batch step 0:15.
    A batch script killed by SIGKILL: job FAILED 0:9, squeue reason JobLaunchFailure.

Ground truth vs sacct_aP_local.txt, and the 22.05 --json exit_code quirk:
EOF
sed 's/^/  /' "$TMP/check.txt"
} > "$OUT/README.txt"
log "done: $OUT"
ls -l "$OUT" >&2
