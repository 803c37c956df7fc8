"""The scaled job backend: procrastinate on the deployment's PostgreSQL.

Jobs are rows in procrastinate's tables: `arabesque serve` nodes only defer them, `arabesque worker` nodes
fetch and run them (LISTEN/NOTIFY wakes a worker at once). procrastinate gives what the Jobs port promises:
`lock` (no two jobs with one lock run at the same time, on any node), `queueing_lock` (our `once`),
`schedule_at` (our `at`), retries by a strategy (ours: the kind's delays with jitter) and periodic jobs that
only one worker defers per tick. A worker killed with kill -9 leaves its jobs `doing`; every worker sends a
heartbeat, and the periodic `jobs.recover` puts the jobs of a worker whose heartbeat stopped back in the queue.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
from collections.abc import Sequence

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued, ProcrastinateException, UniqueViolation
from procrastinate.jobs import Job, Status

import sdk_protocol as p
from server.jobs.types import JobArgs, JobKind, Periodic, backoff

log = logging.getLogger("arabesque.jobs")
QUEUE = "arabesque"
SCHEMA_LOCK = 7_246_100_011
"""the advisory lock under which the first node to start creates procrastinate's tables"""


def libpq_url(sqlalchemy_url: str) -> str:
    """`postgresql+asyncpg://...` (the SQLAlchemy URL) as the libpq URL psycopg takes."""
    scheme, sep, rest = sqlalchemy_url.partition("://")
    if not sep or not scheme.startswith("postgresql"):
        raise p.InternalError(f"Expected a postgresql:// database URL for the procrastinate job engine, got "
                              f"{scheme or sqlalchemy_url!r}://...", scheme=scheme)
    return f"postgresql://{rest}"


def cron_every(seconds: float) -> str:
    """A six-field cron (the sixth is seconds) firing every `seconds`, rounded up to whole seconds (at most 59)."""
    whole = min(59, max(1, math.ceil(seconds)))
    return f"* * * * * */{whole}"


class Backoff(procrastinate.BaseRetryStrategy):
    """The kind's retry delays, with jitter; None (give up) after the last."""

    def __init__(self, delays: Sequence[float]) -> None:
        self.delays = tuple(delays)

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> procrastinate.RetryDecision | None:
        delay = backoff(self.delays, job.attempts + 1)
        if delay is None:
            log.error("job %s gave up after %d attempts: %s", job.task_name, job.attempts + 1,
                      type(exception).__name__)
            return None
        return procrastinate.RetryDecision(retry_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay))


class PgJobs:
    """Defers on every node; `run_worker` runs the jobs (only in `arabesque worker`)."""

    def __init__(self, database_url: str, *, concurrency: int, heartbeat_seconds: float,
                 stalled_seconds: float) -> None:
        self.conninfo = libpq_url(database_url)
        self.concurrency = concurrency
        self.heartbeat_seconds = heartbeat_seconds
        self.stalled_seconds = stalled_seconds
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(
            conninfo=self.conninfo, min_size=1, max_size=max(4, concurrency + 2)))
        self._kinds: set[str] = set()
        # no lock on this one: a worker killed while recovering must not keep the others from recovering
        self.every(Periodic(name="jobs.recover", handler=self.recover, seconds=max(1.0, heartbeat_seconds)),
                   exclusive=False)

    def register(self, kind: JobKind) -> None:
        handler = kind.handler

        async def run(**args: str | int | float | bool | None) -> None:
            await handler(args)

        self.app.task(name=kind.name, queue=QUEUE, retry=Backoff(kind.retries))(run)
        self._kinds.add(kind.name)

    def every(self, periodic: Periodic, *, exclusive: bool = True) -> None:
        handler = periodic.handler

        async def run(timestamp: int) -> None:
            await handler()

        # lock: one run at a time across workers; queueing_lock: ticks do not pile up behind a slow run
        task = self.app.task(name=periodic.name, queue=QUEUE, lock=periodic.name if exclusive else None,
                             queueing_lock=periodic.name)(run)
        self.app.periodic(cron=cron_every(periodic.seconds), periodic_id=periodic.name)(task)

    async def open(self) -> None:
        """Connect, creating procrastinate's tables on first use (one node does, under an advisory lock)."""
        async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as connection:
            await connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                found = await (await connection.execute("SELECT to_regclass('procrastinate_jobs')")).fetchone()
                if found is None or found[0] is None:
                    await connection.execute(procrastinate.schema.SchemaManager.get_schema())
                    log.info("created procrastinate's tables")
            finally:
                await connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
        await self.app.open_async()

    async def close(self) -> None:
        await self.app.close_async()

    async def defer(self, kind: str, args: JobArgs, *, lock: str | None = None, once: str | None = None,
                    at: dt.datetime | None = None) -> None:
        if kind not in self._kinds:
            raise p.InternalError(f"Expected a registered job kind ({', '.join(sorted(self._kinds))}), got {kind!r}",
                                  kind=kind)
        deferrer = self.app.configure_task(name=kind, queue=QUEUE, lock=lock, queueing_lock=once, schedule_at=at)
        with contextlib.suppress(AlreadyEnqueued):  # one is waiting already: it will do this work
            await deferrer.defer_async(**args)

    async def recover(self) -> int:
        """Put back in the queue the jobs of workers whose heartbeat stopped (killed, frozen, cut off)."""
        manager = self.app.job_manager
        stalled = list(await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=self.stalled_seconds))
        recovered = 0
        for job in stalled:
            if job.id is None:
                continue
            try:
                await manager.retry_job_by_id_async(job.id, retry_at=dt.datetime.now(dt.UTC))
            except UniqueViolation:
                # a copy of it was deferred since (its `once` key is free while it runs) and waits behind its
                # lock: end the dead one, which frees the lock for the copy
                await manager.finish_job_by_id_async(job.id, status=Status.FAILED, delete_job=False)
                log.warning("job %s (%s) was running on a worker that stopped; its waiting copy runs instead",
                            job.id, job.task_name)
            except (psycopg.Error, ProcrastinateException) as exc:  # another worker recovered it first
                log.info("job %s (%s) not recovered here: %s", job.id, job.task_name, type(exc).__name__)
                continue
            else:
                log.warning("job %s (%s) was running on a worker that stopped; queued again", job.id, job.task_name)
            recovered += 1
        return recovered

    async def run_worker(self, name: str) -> None:
        """Fetch and run jobs until cancelled."""
        await self.app.run_worker_async(
            queues=[QUEUE], name=name, concurrency=self.concurrency, wait=True, install_signal_handlers=False,
            delete_jobs="successful", update_heartbeat_interval=self.heartbeat_seconds,
            stalled_worker_timeout=self.stalled_seconds, listen_notify=True)


__all__ = ["QUEUE", "Backoff", "PgJobs", "cron_every", "libpq_url"]
