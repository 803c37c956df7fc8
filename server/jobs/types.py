"""Background work as named jobs: what a job is, how it is retried, and the port that defers one.

A job is a kind (`check.run`), JSON arguments and a handler. Every job here can be derived again from the
database (a pending task, a due timer, an undelivered webhook), so the contract is at least once: a handler
checks that its work is still to do and is safe to run twice. The backends (local.py, pg.py) add when it runs
(`at`), one at a time per `lock`, no second copy while one waits (`once`), and retries with backoff.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol

import msgspec

JobArgs = Mapping[str, str | int | float | bool | None]
Handler = Callable[[JobArgs], Awaitable[None]]
RETRY_DELAYS: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0, 600.0)
"""seconds before each retry of a job whose handler raised; then it is given up (and logged)"""
JITTER = 0.2


class JobKind(msgspec.Struct, frozen=True, kw_only=True):
    """A kind of job and its handler; `retries` are the delays before each new attempt."""

    name: str
    handler: Handler
    retries: tuple[float, ...] = RETRY_DELAYS


class Periodic(msgspec.Struct, frozen=True, kw_only=True):
    """A job run every `seconds`, by one node at a time across the deployment (pg.py rounds up to whole seconds)."""

    name: str
    handler: Callable[[], Awaitable[object]]
    seconds: float


class Jobs(Protocol):
    """Where work is deferred (server/jobs/local.py in-process, server/jobs/pg.py on procrastinate)."""

    async def defer(self, kind: str, args: JobArgs, *, lock: str | None = None, once: str | None = None,
                    at: dt.datetime | None = None) -> None:
        """Run `kind(args)` (not before `at`); jobs sharing a `lock` run one at a time, in the order deferred;
        while a job with the same `once` key waits to start, deferring another does nothing."""
        ...


class JobEngine(Jobs, Protocol):
    """A backend: kinds and periodic jobs are registered once at start, by the composition root."""

    def register(self, kind: JobKind) -> None: ...

    def every(self, periodic: Periodic) -> None: ...


def backoff(delays: Sequence[float], attempt: int, rand: Callable[[], float] = random.random) -> float | None:
    """Seconds before retry number `attempt` (1 for the first), with +-20 % jitter; None when given up."""
    if attempt > len(delays):
        return None
    return delays[attempt - 1] * (1 - JITTER + 2 * JITTER * rand())


__all__ = ["JITTER", "RETRY_DELAYS", "Handler", "JobArgs", "JobEngine", "JobKind", "Jobs", "Periodic", "backoff"]
