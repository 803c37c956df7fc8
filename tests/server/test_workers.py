"""The worker pool: a crashed worker fails its job with its own code and is replaced; a slow job times out."""

from __future__ import annotations

import os
import time

import pytest

from server.workers import TaskTimeout, WorkerCrashed, WorkerPool


def crash() -> None:
    os._exit(3)


def slow() -> str:
    time.sleep(3)
    return "late"


def square(x: int) -> int:
    return x * x


async def test_a_crashed_worker_fails_its_job_cleanly_and_is_replaced() -> None:
    pool = WorkerPool(1, 10.0)
    try:
        assert await pool.run(square, 7) == 49
        with pytest.raises(WorkerCrashed) as caught:
            await pool.run(crash)
        assert caught.value.code == "verification.worker_crashed"
        assert await pool.run(square, 8) == 64
    finally:
        pool.shutdown()


async def test_a_job_over_the_timeout_fails_with_its_code() -> None:
    pool = WorkerPool(1, 0.5)
    try:
        with pytest.raises(TaskTimeout) as caught:
            await pool.run(slow)
        assert caught.value.code == "verification.timeout"
    finally:
        pool.shutdown()
