"""Every piece of background work as a job: verification checks, due timers and retention erasure (webhook
deliveries register theirs in server/webhooks/).

`check.run` runs one task of one session; `timers.fire_due`, `retention.sweep` and `checks.resume` are
periodic. All of them read what to do from the database, so they survive restarts and may run twice: a
check job finds its task no longer pending and does nothing, a timer that already fired moves nothing.
`checks.resume` re-defers the task of every waiting session, for a job lost between a commit and its
deferral: at start with either backend, and every 30 s with procrastinate (where a copy of a running check
waits behind its lock and then finds it done; with the in-process backend and several nodes, a node cannot see
another's running checks, so it resumes only at start, as the only node that could have been running them).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import sdk_protocol as p
from server.db.ports import SessionRepository
from server.jobs import JobArgs, JobEngine, JobKind, Jobs, Periodic
from server.sessions import Sessions, StartTask
from server.workflow import RunTask, Tick
from server.workflow.engine import pending_task

log = logging.getLogger("arabesque.background")
SWEEP_EVERY = 10
"""timer polls between two erasure sweeps"""
RESUME_SECONDS = 30.0
"""how often the tasks of waiting sessions are deferred again (a duplicate finds its task done and stops)"""
TASK_RETRIES = (2.0, 10.0, 60.0)
"""a check job whose handler raised (a database outage, say) runs again after these delays"""


def check_key(session_id: str, task_id: str) -> str:
    return f"check:{session_id}:{task_id}"


def task_starter(jobs: Jobs) -> StartTask:
    """The sessions' StartTask: a `check.run` job, one at a time per (session, task)."""

    async def start_task(session_id: str, effect: RunTask) -> None:
        key = check_key(session_id, effect.task_id)
        await jobs.defer("check.run", {"session_id": session_id, "task_id": effect.task_id}, lock=key, once=key)

    return start_task


class Background:
    """Registers the jobs on the engine and hands the sessions their way of starting a task."""

    def __init__(self, *, sessions: Sessions, repo: SessionRepository, jobs: JobEngine,
                 sweep: Callable[[], Awaitable[int]], poll_seconds: float, resume_periodically: bool = False) -> None:
        self.sessions = sessions
        self.repo = repo
        self.jobs = jobs
        self.sweep = sweep  # the erasure sweep (erasure.py)
        jobs.register(JobKind(name="check.run", handler=self.run_check, retries=TASK_RETRIES))
        jobs.every(Periodic(name="timers.fire_due", handler=self.fire_due, seconds=poll_seconds))
        jobs.every(Periodic(name="retention.sweep", handler=sweep, seconds=poll_seconds * SWEEP_EVERY))
        if resume_periodically:
            jobs.every(Periodic(name="checks.resume", handler=self.resume_tasks, seconds=RESUME_SECONDS))
        self.start_task = task_starter(jobs)

    async def run_check(self, args: JobArgs) -> None:
        """Run the task if the session still waits for it (read fresh: another node may have moved it on)."""
        session_id, task_id = str(args["session_id"]), str(args["task_id"])
        core = self.sessions.core
        try:
            live = await core.live.reload(session_id)
        except p.SdkError:
            return  # erased or gone: nothing to check
        effect = pending_task(core.journey(live.row), live.snapshot)
        if effect is None or effect.task_id != task_id:
            return
        await self.sessions.supervisor.run(session_id, effect)

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
        """Defer again the task of every waiting session; returns how many were deferred."""
        resumed = 0
        core = self.sessions.core
        for session_id in await self.repo.waiting_sessions():
            try:
                live = await core.live.fetch(session_id)
            except p.SdkError:
                continue
            effect = pending_task(core.journey(live.row), live.snapshot)
            if effect is not None:
                await self.start_task(session_id, effect)
                resumed += 1
        return resumed


__all__ = ["Background", "check_key", "task_starter"]
