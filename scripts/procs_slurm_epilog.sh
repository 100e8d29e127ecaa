#!/bin/bash
# Slurm Epilog (slurm.conf: Epilog=/etc/slurm/epilog.d/ev-import-procs.sh, root, every node
# of a job at its end): stop the watcher the prolog started (scripts/procs_slurm_prolog.sh).
# systemctl stop sends SIGTERM: the watcher flushes its last batch and prints its summary
# to the journal (journalctl -u ev-import-procs-JOBID).
set -u
[ -n "${SLURM_JOB_ID:-}" ] || exit 0
systemctl stop "ev-import-procs-${SLURM_JOB_ID}" 2>/dev/null || true
exit 0
