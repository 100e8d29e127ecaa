"""Running sacct itself (text form, epoch times, a delimiter no job name contains), and
telling its failures apart (no slurmdbd, a bad job id, an unknown field)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from ...core.errors import CommandFailed
from ...core.report import COMMAND_FAILED, ImportReport
from .events import Emitter
from .keys import DELIMITER, SACCT_FIELDS
from .text import read_text


def command(*, jobs: Iterable[str] = (), starttime: str | None = None,
            endtime: str | None = None, user: str | None = None, allusers: bool = False,
            sacct: str = "sacct") -> list[str]:
    """The sacct argument list ``ev-import sacct`` runs (no shell is involved)."""
    argv = [sacct, "--parsable2", f"--delimiter={DELIMITER}",
            "--format=" + ",".join(SACCT_FIELDS)]
    jobs = [j for j in jobs if j]
    if jobs:
        argv.append("--jobs=" + ",".join(jobs))
    if starttime:
        argv.append(f"--starttime={starttime}")
    if endtime:
        argv.append(f"--endtime={endtime}")
    if user:
        argv.append(f"--user={user}")
    if allusers:
        argv.append("--allusers")
    return argv


def shown(argv: list[str]) -> str:
    """The command as a user would type it (the delimiter written as ``$'\\x1f'``)."""
    return "cmd:" + " ".join(
        a.replace(DELIMITER, "$'\\x1f'") if DELIMITER in a else shlex.quote(a) for a in argv
    )


_DB_DOWN = ("Unable to connect to database", "slurm_persist_conn_open",
            "Problem talking to the database", "Connection refused")


def _failure(argv: list[str], stderr: str, rc: int) -> CommandFailed:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    said = lines[-1] if lines else f"exit status {rc}"
    where = " ".join(a for a in argv if not a.startswith(("--format=", "--delimiter=")))
    if any(marker in stderr for marker in _DB_DOWN):
        return CommandFailed(
            "sacct cannot reach the Slurm accounting database (slurmdbd)", where,
            f"is slurmdbd running and reachable? sacct said: {said}",
        )
    if "Bad job/step specified" in stderr:
        return CommandFailed("sacct rejected a job id", where,
                             f"give ids such as 123, 123_4 or 123.batch; sacct said: {said}")
    if "Invalid field requested" in stderr:
        return CommandFailed("this sacct does not know a field ev-import asks for", where,
                             f"sacct said: {said}; save sacct -P output with the fields it "
                             "has and import it with --file")
    return CommandFailed("sacct failed", where, f"exit status {rc}: {said}")


def run(*, jobs: Iterable[str] = (), starttime: str | None = None, endtime: str | None = None,
        user: str | None = None, allusers: bool = False, report: ImportReport | None = None,
        sacct: str = "sacct") -> Iterator[dict[str, Any]]:
    """Run sacct (text form, epoch times) and yield the events of what it prints, streamed.

    Raises :class:`CommandFailed` when sacct is missing, fails before printing a row, or
    none of the requested jobs exists; a partial failure is counted in ``report``.
    """
    report = report if report is not None else ImportReport()
    jobs = [j.strip() for j in jobs if j and j.strip()]
    argv = command(jobs=jobs, starttime=starttime, endtime=endtime, user=user,
                   allusers=allusers, sacct=sacct)
    origin = shown(argv)
    env = {**os.environ, "SLURM_TIME_FORMAT": "%s"}
    report.assume("format", "sacct --parsable2 (ran it)")
    if not jobs and not starttime:
        report.assume("window", "sacct's default (jobs since 00:00 today)")
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env,
                                    stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise CommandFailed(
                "sacct not found", sacct,
                "run where the Slurm client is installed (Debian: slurm-client), or save "
                "sacct -P output there and import it with --file",
            ) from None
        except PermissionError:
            raise CommandFailed("sacct cannot be run", sacct, "check its permissions") from None
        emitter = Emitter(origin, track=bool(jobs))
        count = 0
        try:
            lines = _pipe_lines(proc.stdout, report)
            first = next(lines, None)
            if first is not None:
                chained = _chain(first, lines)
                for rec in read_text(origin, chained, origin, "UTC", report, emitter):
                    count += 1
                    yield rec
        finally:
            proc.stdout.close()
            rc = proc.wait()
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
        if rc != 0:
            failure = _failure(argv, stderr, rc)
            if count == 0:
                raise failure
            report.problem(COMMAND_FAILED, failure.line())
            return
        if first is None:
            raise _failure(argv, stderr or "sacct printed nothing", 1)
        missing = [j for j in jobs if j.partition(".")[0] not in emitter.seen]
        if missing and count == 0:
            raise CommandFailed(
                "no such job in Slurm accounting", ",".join(missing),
                "check the id; sacct only knows jobs that slurmdbd recorded and has not purged",
            )
        for job in missing:
            report.problem(COMMAND_FAILED, f"job {job} not in Slurm accounting")


def _pipe_lines(stream, report: ImportReport) -> Iterator[tuple[int, str, bool]]:
    for lineno, raw in enumerate(stream, 1):
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        try:
            yield lineno, raw.decode("utf-8"), False
        except UnicodeDecodeError:
            yield lineno, raw.decode("utf-8", "replace"), True


def _chain(first, rest):
    yield first
    yield from rest
