"""Time-driven work: due journey timers, tasks interrupted by a restart, and the erasure sweep's schedule."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import sdk_protocol as p
from server.db.ports import SessionRepository
from server.sessions import Sessions
from server.workflow import Tick
from server.workflow.engine import pending_task

log = logging.getLogger("arabesque.timers")
SWEEP_EVERY = 10
"""polls between two erasure sweeps"""


class Timers:
    """Everything here is read from the database, so it survives restarts."""

    def __init__(self, *, sessions: Sessions, repo: SessionRepository, sweep: Callable[[], Awaitable[int]],
                 poll_seconds: float) -> None:
        self.sessions = sessions
        self.repo = repo
        self.sweep = sweep  # the erasure sweep (erasure.py), on this loop's schedule
        self.poll_seconds = poll_seconds

    async def fire_due(self) -> int:
        """Apply a Tick to every session with a due timer; returns how many moved."""
        fired = 0
        for session_id in await self.repo.due_sessions(self.sessions.core.clock()):
            try:
                await self.sessions.core.apply(session_id, Tick(), kind="tick")
                fired += 1
            except p.SdkError as exc:
                log.warning("timer of %s not applied: %s", session_id, exc.code)
        return fired

    async def resume_tasks(self) -> int:
        """After a restart, run again every task that was running when the process stopped."""
        resumed = 0
        core = self.sessions.core
        for session_id in await self.repo.waiting_sessions():
            try:
                live = await core.live.fetch(session_id)
            except p.SdkError:
                continue
            effect = pending_task(core.journey(live.row), live.snapshot)
            if effect is not None and self.sessions.supervisor.start(session_id, effect):
                resumed += 1
        return resumed

    async def run(self) -> None:
        """Due timers every poll, erasures every SWEEP_EVERY polls, until cancelled."""
        polls = 0
        while True:
            try:
                await self.fire_due()
                if polls % SWEEP_EVERY == 0:
                    await self.sweep()
            except Exception:
                log.exception("background loop failed; retrying")
            polls += 1
            await asyncio.sleep(self.poll_seconds)


__all__ = ["Timers"]
