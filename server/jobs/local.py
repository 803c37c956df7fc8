"""The embedded job backend: every job is an asyncio task on this node's event loop.

Nothing is queued anywhere else, so a job deferred just before the process dies is lost with it; what makes
the embedded configuration durable is that every job can be derived again from the database, and the server
does so when it starts (server/background.py: pending tasks, due timers, undelivered webhooks).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
from collections.abc import Sequence

import sdk_protocol as p
from server.jobs.types import JobArgs, JobKind, Periodic, backoff

log = logging.getLogger("arabesque.jobs")


class LocalJobs:
    """Jobs and periodic jobs run here; `start` begins the periodic ones, `stop` cancels everything."""

    def __init__(self, kinds: Sequence[JobKind] = (), periodic: Sequence[Periodic] = ()) -> None:
        self._kinds = {kind.name: kind for kind in kinds}
        self._periodic = list(periodic)
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: collections.Counter[str] = collections.Counter()
        self._waiting: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []

    def register(self, kind: JobKind) -> None:
        self._kinds[kind.name] = kind

    def every(self, periodic: Periodic) -> None:
        self._periodic.append(periodic)

    @property
    def pending(self) -> int:
        """Jobs deferred and not finished (waiting, running or between two attempts)."""
        return len(self._tasks)

    async def defer(self, kind: str, args: JobArgs, *, lock: str | None = None, once: str | None = None,
                    at: dt.datetime | None = None) -> None:
        job = self._kinds.get(kind)
        if job is None:
            raise p.InternalError(f"Expected a registered job kind ({', '.join(sorted(self._kinds))}), got {kind!r}",
                                  kind=kind)
        if once is not None:
            if once in self._waiting:
                return
            self._waiting.add(once)
        self._spawn(self._run(job, dict(args), lock=lock, once=once, at=at), name=f"job:{kind}")

    def start(self) -> None:
        self._loops = [asyncio.create_task(self._every(periodic), name=f"periodic:{periodic.name}")
                       for periodic in self._periodic]

    async def stop(self) -> None:
        for task in [*self._loops, *self._tasks]:
            task.cancel()
        for task in [*self._loops, *self._tasks]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops = []

    async def wait_idle(self) -> None:
        """Until no job is pending (tests, shutdown); periodic jobs go on."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, coro: collections.abc.Coroutine[object, object, None], *, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @contextlib.asynccontextmanager
    async def _locked(self, key: str | None) -> collections.abc.AsyncIterator[None]:
        if key is None:
            yield
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] += 1
        try:
            async with lock:  # asyncio.Lock is fair: jobs sharing a lock run in the order they were deferred
                yield
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:
                del self._holders[key], self._locks[key]

    async def _run(self, job: JobKind, args: JobArgs, *, lock: str | None, once: str | None,
                   at: dt.datetime | None) -> None:
        try:
            if at is not None:
                await asyncio.sleep(max(0.0, (at - dt.datetime.now(dt.UTC)).total_seconds()))
            async with self._locked(lock):
                if once is not None:
                    self._waiting.discard(once)
                    once = None
                attempt = 0
                while True:
                    try:
                        await job.handler(args)
                        return
                    except Exception as exc:
                        attempt += 1
                        delay = backoff(job.retries, attempt)
                        if delay is None:
                            log.error("job %s gave up after %d attempts: %s", job.name, attempt, type(exc).__name__,
                                      exc_info=exc)
                            return
                        log.warning("job %s failed (%s); attempt %d in %.1f s", job.name, type(exc).__name__,
                                    attempt + 1, delay)
                        await asyncio.sleep(delay)
        finally:
            if once is not None:
                self._waiting.discard(once)

    async def _every(self, periodic: Periodic) -> None:
        while True:
            try:
                await periodic.handler()
            except Exception:
                log.exception("periodic job %s failed; it runs again in %g s", periodic.name, periodic.seconds)
            await asyncio.sleep(periodic.seconds)


__all__ = ["LocalJobs"]
