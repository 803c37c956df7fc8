"""Run the engine's RunTask effects: CPU work in a process pool owned here, with a timeout.

Task functions are `async def task(ctx, input, params) -> result`; they fetch what they
need (document bytes) on the event loop and send pure CPU work to the pool with
`ctx.compute(fn, *args)`. A crashed worker is replaced and the job fails cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar, cast

from sdk_protocol import SdkError
from sdk_protocol.messages import CheckStatus

if TYPE_CHECKING:
    from server.faces_provider import FaceProvider

T = TypeVar("T")
log = logging.getLogger("arabesque.tasks")
_M_TRIM_THRESHOLD = -1  # glibc mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3


class TaskError(SdkError):
    """A task could not produce a result; the journey takes its `error` transition."""

    code: ClassVar[str] = "verification.failed"


class TaskTimeout(TaskError):
    """A verification task ran longer than its time limit."""

    code: ClassVar[str] = "verification.timeout"


class WorkerCrashed(TaskError):
    """The worker process running a verification task died (e.g. out of memory)."""

    code: ClassVar[str] = "verification.worker_crashed"


class UnknownTask(TaskError):
    """A journey names a task the server does not have."""

    code: ClassVar[str] = "verification.unknown_task"


class TaskContext:
    """What a task function may use: the pool and a way to read a session's documents."""

    def __init__(self, pool: WorkerPool, session_id: str, read_file: Callable[[str, str], Awaitable[bytes]],
                 progress: Callable[[str, str], Awaitable[None]], faces: FaceProvider | None = None) -> None:
        self._pool = pool
        self.session_id = session_id
        self._read_file = read_file
        self._progress = progress
        self.faces = faces

    async def read_file(self, file_id: str) -> bytes:
        """A file of this session (`f_...`), or of another session of the tenant (`s_.../f_...`)."""
        return await self._read_file(self.session_id, file_id)

    async def compute(self, fn: Callable[..., T], *args: object) -> T:
        return await self._pool.run(fn, *args)

    async def progress(self, check: str, status: str) -> None:
        await self._progress(check, status)


TaskFn = Callable[[TaskContext, Mapping[str, object], Mapping[str, object]], Awaitable[dict[str, object]]]


def _watch_parent(parent: int) -> None:
    """Exit this worker when the server process that owns the pool is gone (even after kill -9)."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(0)


def _return_freed_memory() -> None:
    """Have glibc give large freed buffers back at once (a fixed mmap threshold, and trimming): without it
    the buffers of one big image stay in the worker and the next job's peak lands on top of them."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
        libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)


def _start_worker(parent: int, initializer: Callable[[], None] | None) -> None:
    _return_freed_memory()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()
    if initializer is not None:
        initializer()


class WorkerPool:
    """A process pool (spawned workers) that replaces itself when a worker dies."""

    def __init__(self, size: int, timeout: float, initializer: Callable[[], None] | None = None) -> None:
        self.size = size
        self.timeout = timeout
        self._initializer = initializer
        self._executor: ProcessPoolExecutor | None = None

    def start(self) -> None:
        if self._executor is None:
            # spawn, not fork: the server has threads (database, storage) that a forked child must not inherit
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(max_workers=self.size, mp_context=context,
                                                 initializer=_start_worker, initargs=(os.getpid(), self._initializer))

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        self.start()
        assert self._executor is not None
        executor = self._executor
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(executor, fn, *args), self.timeout)
        except TimeoutError:
            raise TaskTimeout(f"Expected the check to finish within {self.timeout:g}s, got no result",
                              timeout=self.timeout) from None
        except BrokenProcessPool:
            log.error("a verification worker died; replacing the pool")
            if self._executor is executor:
                executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
            raise WorkerCrashed("Expected the check to complete, got a crashed worker (it has been replaced)") \
                from None


class FileReader(Protocol):
    async def read(self, reference: str) -> bytes: ...


class ProgressSink(Protocol):
    async def report(self, check: str, status: CheckStatus) -> None: ...


class TaskRunner:
    """Looks up task functions by name and runs them with a context."""

    def __init__(self, pool: WorkerPool, tasks: Mapping[str, TaskFn], faces: FaceProvider | None = None) -> None:
        self.pool = pool
        self.tasks = dict(tasks)
        self.faces = faces

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.tasks)

    async def run(self, name: str, *, files: FileReader, progress: ProgressSink, task_input: Mapping[str, object],
                  params: Mapping[str, object]) -> dict[str, object]:
        fn = self.tasks.get(name)
        if fn is None:
            raise UnknownTask(f"Expected a known task ({', '.join(sorted(self.tasks))}), got {name!r}", task=name)

        async def read(session_id: str, reference: str) -> bytes:
            return await files.read(reference)

        async def report(check: str, status: str) -> None:
            await progress.report(check, cast(CheckStatus, status))

        return await fn(TaskContext(self.pool, "", read, report, self.faces), task_input, params)


__all__ = ["TaskContext", "TaskError", "TaskFn", "TaskRunner", "TaskTimeout", "UnknownTask", "WorkerCrashed",
           "WorkerPool"]
