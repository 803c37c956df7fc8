"""Background tasks of sessions: started and cancelled by effects, keyed by (session, task id).

A task's result goes back as an event through the `report` function handed in (the core's `apply`), so
nothing here imports the use cases; a result is not lost to a moment of overload (it is retried) and a
result for a session that moved on is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

import sdk_protocol as p
from sdk_protocol.messages import CheckStatus
from server.metrics import Metrics
from server.tasks import FileReader, ProgressSink, TaskCall
from server.workflow import RunTask, TaskDone, TaskFailed

log = logging.getLogger("arabesque.tasks")
TaskKey = tuple[str, str]  # (session id, task id): task ids are only unique within a session
Report = Callable[[str, TaskDone | TaskFailed, Mapping[str, object]], Awaitable[object]]
ReadReference = Callable[[str, str], Awaitable[bytes]]
Progress = Callable[[str, str, str], Awaitable[None]]
REPORT_ATTEMPTS = 5


class Runner(Protocol):
    """Runs a named task (server/tasks.py's TaskRunner; a fake in tests)."""

    async def run(self, name: str, *, files: FileReader, progress: ProgressSink, task_input: Mapping[str, object],
                  params: Mapping[str, object], call: TaskCall | None = None) -> dict[str, object]: ...


class _SessionFiles:
    """The file-reader port of one session's task; it names its session (the duplicates search needs it)."""

    def __init__(self, read: ReadReference, session_id: str) -> None:
        self._read = read
        self.session_id = session_id

    async def read(self, reference: str) -> bytes:
        return await self._read(self.session_id, reference)


class _SessionProgress:
    """The progress-sink port of one session's task."""

    def __init__(self, progress: Progress, session_id: str) -> None:
        self._progress = progress
        self._session_id = session_id

    async def report(self, check: str, status: CheckStatus) -> None:
        await self._progress(self._session_id, check, status)


class Supervisor:
    """Runs tasks on this node's event loop (their CPU work goes to the worker pool); a `check.run` job
    (server/background.py) calls `run` on whichever node runs the job."""

    def __init__(self, runner: Runner, *, read: ReadReference, progress: Progress, report: Report,
                 metrics: Metrics | None = None) -> None:
        self.runner = runner
        self.metrics = metrics or Metrics()
        self._read = read
        self._progress = progress
        self._report = report
        self._running: dict[TaskKey, asyncio.Task[None]] = {}

    def start(self, session_id: str, effect: RunTask) -> asyncio.Task[None] | None:
        """Run a task unless this very task (of this very session) already runs here; the asyncio task if
        started."""
        key: TaskKey = (session_id, effect.task_id)
        if key in self._running:
            return None
        task = asyncio.create_task(self._run(session_id, effect), name=f"task:{session_id}:{effect.task_id}")
        self._running[key] = task

        def done(finished: asyncio.Task[None]) -> None:
            if self._running.get(key) is finished:
                del self._running[key]

        task.add_done_callback(done)
        return task

    async def run(self, session_id: str, effect: RunTask) -> None:
        """Run a task to its end (a job's handler): its result reported, or it cancelled (`cancel`), or the same
        task already running here finished."""
        task = self.start(session_id, effect) or self._running.get((session_id, effect.task_id))
        if task is not None:
            await asyncio.wait({task})  # a cancel stops the task, not the job that waits for it

    def cancel(self, session_id: str, task_id: str) -> None:
        running = self._running.pop((session_id, task_id), None)
        if running is not None and running is not asyncio.current_task():
            running.cancel()  # (a task whose own result moved past it is finishing anyway)

    def cancel_session(self, session_id: str) -> None:
        for key in [k for k in self._running if k[0] == session_id]:
            self.cancel(*key)

    async def wait_idle(self) -> None:
        """Wait for every running task (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def _run(self, session_id: str, effect: RunTask) -> None:
        files = _SessionFiles(self._read, session_id)
        progress = _SessionProgress(self._progress, session_id)
        await progress.report(effect.task, "running")
        event: TaskDone | TaskFailed
        started = time.monotonic()
        call = TaskCall(f"{session_id}/{effect.task_id}")
        try:
            result = await self.runner.run(effect.task, files=files, progress=progress, task_input=effect.input,
                                           params=effect.params, call=call)
            event = TaskDone(task_id=effect.task_id, result=result)
        except p.SdkError as exc:  # TaskError included
            event = TaskFailed(task_id=effect.task_id, code=exc.code, message=exc.message)
        except asyncio.CancelledError:
            return
        except Exception as exc:  # a bug in a task must not leave the session waiting forever
            log.exception("task %s of %s failed", effect.task_id, session_id)
            event = TaskFailed(task_id=effect.task_id, code="internal", message=f"{type(exc).__name__}: {exc}")
        # a result with no verdict (a duplicates search) did its job: only `passed: false` is a failed check
        status: CheckStatus = "error" if isinstance(event, TaskFailed) else \
            "failed" if event.result.get("passed") is False else "passed"
        self.metrics.check(task=effect.task, outcome=status, seconds=time.monotonic() - started)
        await progress.report(effect.task, status)
        await self._deliver(session_id, effect, event, call.notes)

    async def _deliver(self, session_id: str, effect: RunTask, event: TaskDone | TaskFailed,
                       notes: list[dict[str, object]]) -> None:
        data: dict[str, object] = {"task": effect.task, "task_id": effect.task_id}
        if notes:
            data["calls"] = notes  # on the timeline entry of the result: each outward call's status and latency
        for attempt in range(REPORT_ATTEMPTS):
            try:
                await self._report(session_id, event, data)
                return
            except (p.EventNotAllowed, p.JourneyFinished, p.SessionErased, p.SessionNotFound):
                log.info("result of %s arrived after session %s moved on; dropped", effect.task_id, session_id)
                return
            except p.ServerBusy as exc:  # the result must not be lost to a moment of overload
                retry_after = exc.details.get("retry_after")
                await asyncio.sleep((retry_after if isinstance(retry_after, int | float) else 1.0) * (attempt + 1))
        log.error("result of %s for %s not recorded after retries; it runs again at the next start",
                  effect.task_id, session_id)


__all__ = ["Report", "Runner", "Supervisor", "TaskKey"]
