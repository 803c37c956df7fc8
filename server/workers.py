"""The verification process pool: spawned workers, a timeout per job, a dead worker replaced.

CPU work (OpenCV, dlib) runs here, never on the event loop. A worker exits when the server
that owns it is gone, and gives large freed buffers back to the system after each image.
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
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ClassVar, TypeVar

from sdk_protocol import SdkError

T = TypeVar("T")
log = logging.getLogger("arabesque.workers")
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
        self._jobs: set[Future[Any]] = set()  # handed to the executor and not finished

    def start(self) -> None:
        if self._executor is None:
            # spawn, not fork: the server has threads (database, storage) that a forked child must not inherit
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(max_workers=self.size, mp_context=context,
                                                 initializer=_start_worker, initargs=(os.getpid(), self._initializer))

    def busy(self) -> int:
        """Workers running a job (a job handed on to a worker's queue counts from then)."""
        return min(self.size, sum(1 for job in list(self._jobs) if job.running()))

    def queued(self) -> int:
        """Jobs waiting for a worker."""
        return max(0, len(self._jobs) - self.busy())

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` in a worker; TaskTimeout past the timeout, WorkerCrashed if the worker died."""
        self.start()
        assert self._executor is not None
        executor = self._executor
        job = executor.submit(fn, *args)
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(job), self.timeout)
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


__all__ = ["TaskError", "TaskTimeout", "WorkerCrashed", "WorkerPool"]
