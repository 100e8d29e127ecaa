"""The keys sacct writes, the fields it asks sacct for, and which events a row gives."""

from __future__ import annotations

SOURCE_NAME = "sacct"
RECORD_NAME = "slurm.sacct"
DELIMITER = "\x1f"  # ASCII unit separator: what we ask sacct for; saved files use "|"

# What ``ev-import sacct`` asks for when it runs sacct itself: every field of 22.05's
# ``sacct --helpformat`` a post-mortem needs (22.05 has no ArrayJobID/ArrayTaskID/HetJobID:
# they are parsed out of JobID). Free-text fields come last, so a delimiter inside one of
# them can only lengthen the tail of a row.
SACCT_FIELDS = (
    "JobID", "JobIDRaw", "User", "UID", "Group", "Account", "Cluster", "Partition", "QOS",
    "State", "ExitCode", "DerivedExitCode", "Reason", "Priority", "Submit", "Eligible", "Start",
    "End", "Elapsed", "ElapsedRaw", "Timelimit", "TimelimitRaw", "Suspended", "NNodes", "NCPUS",
    "AllocCPUS", "ReqCPUS", "ReqMem", "ReqTRES", "AllocTRES", "NTasks", "MaxRSS", "MaxRSSNode",
    "MaxVMSize", "AveRSS", "AveCPU", "TotalCPU", "UserCPU", "SystemCPU", "CPUTimeRAW", "NodeList",
    "Flags", "Reservation", "WorkDir", "JobName", "Comment", "SubmitLine",
)

# Keys of DESIGN §3 this importer writes.
JOBID = "slurm.jobid"
JOBID_RAW = "slurm.jobid_raw"
STEP = "slurm.step"
NODES = "slurm.nodes"
STATE = "slurm.state"
SUBMIT_TIME = "slurm.submit_time"
ELIGIBLE_TIME = "slurm.eligible_time"
START_TIME = "slurm.start_time"
END_TIME = "slurm.end_time"
QUEUE_WAIT = "slurm.queue_wait_s"

JOB_EVENTS = (
    ("job_submit", SUBMIT_TIME),
    ("job_eligible", ELIGIBLE_TIME),
    ("job_start", START_TIME),
    ("job_end", END_TIME),
)
STEP_EVENTS = (("step_start", START_TIME), ("step_end", END_TIME))

# A step row leaves these empty; it gets them from its job's row (which sacct prints first).
INHERITED = ("slurm.user", "slurm.uid", "slurm.group", "slurm.gid", "slurm.partition",
             "slurm.qos", "slurm.job_name", "slurm.work_dir", "slurm.comment",
             "slurm.priority", "slurm.cluster", "slurm.account")

# Free-text fields: may hold the delimiter. Put last when we choose the order.
FREE_TEXT = frozenset({"workdir", "jobname", "comment", "submitline", "admincomment",
                       "systemcomment", "constraints"})
