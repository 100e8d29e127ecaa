"""The join chain: from an Academy agent's process down to the batch queue it waited in.

An Academy record's ``process`` (its pid, ``linux.pid`` in the view) -> the htex worker whose
log lines carry that ``linux.pid`` (the latest worker with that pid to start before the
Academy records, so a reused pid does not match an older worker; on the same host when both
sides know it) -> that worker's ``parsl.manager_id`` and the host the node table gives it ->
its block (``parsl.run_id``, ``parsl.executor``, ``parsl.block_id``) -> the block's batch job
(``parsl.job_id`` from the monitoring DB's block table, or parsl.log) -> that job in Slurm's
accounting (``slurm.jobid`` = ``parsl.job_id``) -> its queue wait (start - submit, from
sacct; else from the block table: first PENDING to first RUNNING).

Which hops the shipped fixtures support (``ev-import auto fixtures/<dir>``):

* ``fixtures/academy/1.0.0``: Academy process -> worker -> manager -> host -> block -> job
  (a LocalProvider "job" is the pid of the block's shell; there is no batch queue).
* ``fixtures/parsl-slurm/2026.10.26``: no Academy agent; from each worker: manager -> host ->
  block -> job 48 -> sacct -> queue wait 5.0 s (``start="worker"``).

Example::

    from importers import analysis as ev
    chain = ev.join_chain(ev.open_pool("evpool"))
    chain[["process", "parsl.manager_id", "parsl.block_id", "parsl.job_id", "queue_wait_s"]]
"""

from __future__ import annotations

from .load import quote_ident
from .query import Pool

#: Columns of the result, in order.
COLUMNS = ("process", "first", "last", "linux.hostname", "parsl.run_id", "parsl.executor",
           "parsl.block_id", "parsl.manager_id", "parsl.worker_id", "parsl.job_id",
           "slurm.jobid", "slurm.state", "queue_wait_s", "queue_wait_from", "hops")


def join_chain(pool: Pool, start: str = "auto", slack: float = 60.0):
    """One row per Academy process (``start="academy"``) or per htex worker
    (``start="worker"``; ``"auto"``: Academy if the pool has Academy records), with every
    hop of the chain that the pool can resolve (NULL where it cannot) and ``hops``, the
    list of hops that resolved. ``slack``: seconds a worker's first log line may come after
    the Academy process's first record (clocks, buffering)."""
    cols = set(pool.schema.columns)

    def c(name: str, cast: str = "") -> str:
        if name in cols:
            return quote_ident(name)
        return f"NULL{cast}"

    academy_filter = (f"{c('name')} LIKE 'academy%' AND {c('process')} IS NOT NULL"
                      if "process" in cols else "false")
    has_academy = pool.con.execute(
        f"SELECT count(*) FROM events WHERE {academy_filter}").fetchall()[0][0] > 0
    if start == "auto":
        start = "academy" if has_academy else "worker"
    queue_wait = (f"coalesce({c('slurm.queue_wait_s', '::DOUBLE')}, "
                  f"{c('slurm.start_time', '::DOUBLE')} - {c('slurm.submit_time', '::DOUBLE')})")
    sql = f"""
    WITH workers AS (
        SELECT {c('linux.pid')} AS pid, {c('parsl.run_id')} AS run_id,
               {c('parsl.executor')} AS executor, {c('parsl.block_id')} AS block_id,
               {c('parsl.manager_id')} AS manager_id, {c('parsl.worker_id')} AS worker_id,
               min(created) AS w_first, max(created) AS w_last
        FROM events
        WHERE {c('parsl.worker_id')} IS NOT NULL AND {c('linux.pid')} IS NOT NULL
          AND {c('parsl.manager_id')} IS NOT NULL
        GROUP BY ALL
    ), hosts AS (
        SELECT {c('parsl.manager_id')} AS manager_id,
               min({c('linux.hostname')}) AS host, count(DISTINCT {c('linux.hostname')}) AS n
        FROM events
        WHERE {c('parsl.manager_id')} IS NOT NULL AND {c('linux.hostname')} IS NOT NULL
        GROUP BY 1
    ), blocks AS (
        SELECT {c('parsl.run_id')} AS run_id, {c('parsl.executor')} AS executor,
               {c('parsl.block_id')} AS block_id,
               min({c('parsl.job_id')}) AS job_id,
               min(created) FILTER (WHERE {c('parsl.block_status')} = 'PENDING') AS pending,
               min(created) FILTER (WHERE {c('parsl.block_status')} = 'RUNNING') AS running
        FROM events
        WHERE {c('parsl.job_id')} IS NOT NULL AND {c('parsl.run_id')} IS NOT NULL
          AND {c('parsl.block_id')} IS NOT NULL AND {c('parsl.executor')} IS NOT NULL
        GROUP BY ALL
    ), jobs AS (
        SELECT {c('slurm.jobid')} AS jobid, min({c('slurm.state')}) AS state,
               min({queue_wait}) AS wait
        FROM events
        WHERE {c('slurm.jobid')} IS NOT NULL AND {c('slurm.step')} IS NULL
          AND {c('ev.event')} = 'job_start'
        GROUP BY 1
    ), starts AS (
        {_starts_sql(start, academy_filter, c)}
    ), matched AS (
        SELECT s.*, w.* EXCLUDE (pid)
        FROM starts s LEFT JOIN workers w
          ON w.pid = s.pid AND (s.kind = 'worker' OR w.w_first <= s.first + {float(slack)})
        QUALIFY row_number() OVER (PARTITION BY s.key ORDER BY w.w_first DESC NULLS LAST) = 1
    )
    SELECT m.pid AS "process", m.first AS "first", m.last AS "last",
           h.host AS "linux.hostname", m.run_id AS "parsl.run_id",
           m.executor AS "parsl.executor", m.block_id AS "parsl.block_id",
           m.manager_id AS "parsl.manager_id", m.worker_id AS "parsl.worker_id",
           b.job_id AS "parsl.job_id", j.jobid AS "slurm.jobid", j.state AS "slurm.state",
           coalesce(j.wait, b.running - b.pending) AS queue_wait_s,
           CASE WHEN j.wait IS NOT NULL THEN 'sacct'
                WHEN b.running - b.pending IS NOT NULL THEN 'block_status' END
               AS queue_wait_from,
           m.kind AS __kind
    FROM matched m
    LEFT JOIN hosts h ON h.manager_id = m.manager_id
    LEFT JOIN blocks b ON b.run_id = m.run_id AND b.executor = m.executor
                      AND b.block_id = m.block_id
    LEFT JOIN jobs j ON j.jobid = b.job_id
    ORDER BY m.first, m.pid
    """
    frame = pool.con.execute(sql).df()
    frame["hops"] = [_hops(row) for row in frame.to_dict("records")]
    return frame.drop(columns="__kind")


def _hops(row: dict) -> list[str]:
    """The hops of one row that resolved, in chain order."""
    def known(key: str) -> bool:
        value = row.get(key)
        return value is not None and value == value  # NaN != NaN

    hops = []
    if row["__kind"] == "academy" and known("parsl.manager_id"):
        hops.append("academy->worker")
    for hop, key in (("manager->host", "linux.hostname"), ("block->job", "parsl.job_id"),
                     ("job->slurm", "slurm.jobid"), ("queue_wait", "queue_wait_s")):
        if known(key):
            hops.append(hop)
    return hops


def _starts_sql(start: str, academy_filter: str, c) -> str:
    if start == "academy":
        return (f"SELECT 'academy' AS kind, {c('linux.pid')} AS pid, {c('linux.pid')} AS key, "
                "min(created) AS first, max(created) AS last "
                f"FROM events WHERE {academy_filter} GROUP BY {c('linux.pid')}")
    if start == "worker":
        return ("SELECT 'worker' AS kind, pid, concat_ws('/', run_id, manager_id, worker_id, "
                "pid) AS key, min(w_first) AS first, max(w_last) AS last "
                "FROM workers GROUP BY ALL")
    raise ValueError(f"start must be 'academy', 'worker' or 'auto', not {start!r}")
