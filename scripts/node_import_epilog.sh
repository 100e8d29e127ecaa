#!/usr/bin/env bash
# Slurm epilog: import this node's logs of the job that just ended into a shared pool, then
# remove them from the node-local disk (docs/many_nodes.md, "From a Slurm epilog").
#
# slurmd runs the epilog as root on every node of the job, with SLURM_JOB_ID and
# SLURM_JOB_USER set, after the job's processes are gone: the logs are complete and the disk
# is not wiped yet. Install it (site admins) with, in slurm.conf:
#     Epilog=/etc/slurm/epilog.d/*        # this file copied there, executable
# Settings (environment, or edit the defaults below):
#     EV_NODE_LOGS   the node-local dir of the job's logs   (default /tmp/$SLURM_JOB_USER/$SLURM_JOB_ID,
#                    where Parsl writes them with worker_logdir_root=/tmp/$USER/$SLURM_JOB_ID)
#     EV_POOL        the shared pool                      (default /shared/evpool/$SLURM_JOB_USER)
#     EV_IMPORT      the ev-import command                (default ev-import)
# The import runs as the job's user (runuser), so the pool files are theirs. The logs are
# removed only when the import was complete (exit 0) and the dir is the job's own
# (its name is the job id). The epilog always exits 0: an import problem must not drain
# the node; it is in the node's syslog via logger.
set -u
JOB=${SLURM_JOB_ID:?SLURM_JOB_ID not set: run by slurmd as an epilog}
JOB_USER=${SLURM_JOB_USER:-}
LOGS=${EV_NODE_LOGS:-/tmp/$JOB_USER/$JOB}
POOL=${EV_POOL:-/shared/evpool/$JOB_USER}
read -r -a IMPORT <<<"${EV_IMPORT:-ev-import}"

[[ -d $LOGS ]] || exit 0          # nothing of this job on this node
as_user=()
if [[ $(id -u) == 0 && -n $JOB_USER && $JOB_USER != root ]]; then
    as_user=(runuser -u "$JOB_USER" --)
fi
out=$("${as_user[@]}" "${IMPORT[@]}" node-import "$LOGS" --pool "$POOL" -q -j "$(nproc)" 2>&1)
rc=$?
[[ -z $out ]] || logger -t ev-import-epilog -- "$out" 2>/dev/null || true
if [[ $rc == 0 && $(basename "$LOGS") == "$JOB" ]]; then
    rm -rf -- "$LOGS"
else
    logger -t ev-import-epilog "job $JOB: node-import exit $rc; $LOGS kept" 2>/dev/null || true
fi
exit 0
