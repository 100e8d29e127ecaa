"""The keys squeue writes, and the columns it asks squeue for."""

from __future__ import annotations

from .. import _slurm as sf

SOURCE_NAME = "squeue"
RECORD_NAME = "slurm.squeue"
DELIMITER = "\x1f"

JOBID = "slurm.jobid"
STATE = "slurm.state"
REASON = "slurm.reason"
SNAPSHOT_TIME = "slurm.snapshot_time"

# The -o format ev-import uses when squeue has no --json; free text (work dir, name,
# comment) last. The same fields as fixtures/slurm/squeue_*.txt.
SQUEUE_FORMAT = DELIMITER.join(
    ["%i", "%A", "%F", "%K", "%u", "%a", "%P", "%T", "%r", "%V", "%S", "%e", "%M", "%l", "%L",
     "%D", "%C", "%m", "%Q", "%E", "%R", "%Z", "%j", "%k"]
)

# Text header -> (record key, kind). The first JOBID is %i (as printed), a second %A (raw).
HEADERS: dict[str, tuple[str, str]] = {
    "JOBID": (JOBID, "jobid"),
    "ARRAY_JOB_ID": ("slurm.array_job_id", "str"),
    "ARRAY_TASK_ID": ("slurm.array_task", "str"),
    "USER": ("slurm.user", "str"),
    "UID": ("slurm.uid", "int"),
    "ACCOUNT": ("slurm.account", "str"),
    "PARTITION": ("slurm.partition", "str"),
    "QOS": ("slurm.qos", "str"),
    "STATE": (STATE, "state"),
    "ST": (STATE, "compact_state"),
    "REASON": (REASON, "str"),
    "SUBMIT_TIME": ("slurm.submit_time", "time"),
    "START_TIME": ("slurm.start_time", "time"),
    "END_TIME": ("slurm.end_time", "time"),
    "TIME": ("slurm.elapsed", "duration"),
    "TIME_LIMIT": ("slurm.timelimit", "duration"),
    "TIME_LEFT": ("slurm.time_left", "duration"),
    "NODES": ("slurm.nnodes", "int"),
    "CPUS": ("slurm.ncpus", "int"),
    "MIN_MEMORY": ("slurm.min_memory", "memory"),
    "PRIORITY": ("slurm.priority", "int"),
    "DEPENDENCY": ("slurm.dependency", "str"),
    "NODELIST(REASON)": ("slurm.nodelist", "nodelist_reason"),
    "NODELIST": ("slurm.nodelist", "nodelist_reason"),
    "WORK_DIR": ("slurm.work_dir", "str"),
    "NAME": ("slurm.job_name", "str"),
    "COMMENT": ("slurm.comment", "str"),
}
FREE_TEXT = frozenset({"WORK_DIR", "NAME", "COMMENT"})
NO_VALUE = frozenset({"N/A", "(null)", "NONE", "n/a"}) | sf.NO_TIME
