#!/bin/bash
# Slurm Prolog (slurm.conf: Prolog=/etc/slurm/prolog.d/ev-import-procs.sh, runs as root on
# every node of a job at its start): watch the job owner's processes on this node for the
# job's lifetime, as a transient systemd unit so the watcher outlives the prolog itself.
# The epilog (scripts/procs_slurm_epilog.sh) stops it with SIGTERM: a clean stop, a final
# flush. Records join with Slurm on linux.hostname + time, and with htex workers on
# linux.pid + linux.hostname.
#
# Settings (edit here or in the environment slurmd gives prologs):
EV_IMPORT=${EV_IMPORT:-/opt/ev-import/venv/bin/ev-import}
EV_POOL_ROOT=${EV_POOL_ROOT:-/scratch/evpool}          # a shared file system
set -u
[ -n "${SLURM_JOB_ID:-}" ] || exit 0
unit="ev-import-procs-${SLURM_JOB_ID}"
pool="${EV_POOL_ROOT}/job-${SLURM_JOB_ID}"
mkdir -p "$pool" && chown "${SLURM_JOB_UID:-0}" "$pool"
# never fail the job because of the watcher: log and go on
systemd-run --unit="$unit" --quiet --collect \
    --property=KillSignal=SIGTERM --property=TimeoutStopSec=10 \
    "$EV_IMPORT" watch-procs --backend auto --uid "${SLURM_JOB_UID}" --pool "$pool" \
    || logger -t ev-import "prolog: could not start $unit"
exit 0
