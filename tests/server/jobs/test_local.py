"""The in-process job backend: locks keep order, `once` de-duplicates, `at` waits, failures retry then stop."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

import sdk_protocol as p
from server.jobs import JobArgs, JobKind, LocalJobs, Periodic, backoff


async def test_jobs_sharing_a_lock_run_one_at_a_time_in_the_order_deferred() -> None:
    running = 0
    most = 0
    order: list[object] = []

    async def step(args: JobArgs) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        order.append(args["n"])
        running -= 1

    jobs = LocalJobs([JobKind(name="step", handler=step)])
    for n in range(20):
        await jobs.defer("step", {"n": n}, lock="session-1")
    await jobs.wait_idle()
    assert (most, order) == (1, list(range(20)))


async def test_jobs_with_different_locks_run_side_by_side() -> None:
    both = asyncio.Barrier(2)

    async def meet(args: JobArgs) -> None:
        await asyncio.wait_for(both.wait(), 5)

    jobs = LocalJobs([JobKind(name="meet", handler=meet)])
    await jobs.defer("meet", {}, lock="a")
    await jobs.defer("meet", {}, lock="b")
    await asyncio.wait_for(jobs.wait_idle(), 5)


async def test_a_job_deferred_again_while_one_waits_with_the_same_once_key_is_not_added() -> None:
    ran: list[object] = []
    gate = asyncio.Event()

    async def work(args: JobArgs) -> None:
        await gate.wait()
        ran.append(args["n"])

    jobs = LocalJobs([JobKind(name="work", handler=work)])
    await jobs.defer("work", {"n": 0}, lock="k", once="k")  # starts, then waits at the gate
    await asyncio.sleep(0)
    await jobs.defer("work", {"n": 1}, lock="k", once="k")  # waits for the lock: the first copy
    await jobs.defer("work", {"n": 2}, lock="k", once="k")  # a copy waits already: not added
    gate.set()
    await jobs.wait_idle()
    assert ran == [0, 1]


async def test_a_job_runs_no_sooner_than_its_time() -> None:
    ran: list[float] = []
    loop = asyncio.get_running_loop()

    async def stamp(args: JobArgs) -> None:
        ran.append(loop.time())

    jobs = LocalJobs([JobKind(name="stamp", handler=stamp)])
    start = loop.time()
    await jobs.defer("stamp", {}, at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.3))
    await jobs.wait_idle()
    assert ran and ran[0] - start >= 0.25


async def test_a_failing_job_is_retried_with_its_delays_then_given_up() -> None:
    attempts = 0

    async def flaky(args: JobArgs) -> None:
        nonlocal attempts
        attempts += 1
        raise ConnectionError("the database went away")

    jobs = LocalJobs([JobKind(name="flaky", handler=flaky, retries=(0.01, 0.01, 0.01))])
    await jobs.defer("flaky", {})
    await asyncio.wait_for(jobs.wait_idle(), 5)
    assert attempts == 4  # the first attempt and three retries


async def test_a_job_that_succeeds_on_retry_stops_retrying() -> None:
    attempts = 0

    async def second_time(args: JobArgs) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionError("once")

    jobs = LocalJobs([JobKind(name="second_time", handler=second_time, retries=(0.01, 0.01))])
    await jobs.defer("second_time", {})
    await jobs.wait_idle()
    assert attempts == 2


async def test_an_unknown_kind_is_refused_with_the_known_ones() -> None:
    jobs = LocalJobs([JobKind(name="check.run", handler=lambda args: asyncio.sleep(0))])
    with pytest.raises(p.InternalError) as refused:
        await jobs.defer("check.rnu", {})
    assert "check.run" in refused.value.message and "'check.rnu'" in refused.value.message


async def test_periodic_jobs_run_until_stopped_and_survive_their_own_failures() -> None:
    calls = 0

    async def tick() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("first tick fails")

    jobs = LocalJobs(periodic=[Periodic(name="tick", handler=tick, seconds=0.01)])
    jobs.start()
    await asyncio.sleep(0.2)
    await jobs.stop()
    seen = calls
    await asyncio.sleep(0.05)
    assert seen >= 3 and calls == seen


def test_backoff_spreads_each_delay_by_a_fifth_and_ends_after_the_last() -> None:
    assert backoff((10.0, 100.0), 1, rand=lambda: 0.0) == pytest.approx(8.0)
    assert backoff((10.0, 100.0), 2, rand=lambda: 1.0) == pytest.approx(120.0)
    assert backoff((10.0, 100.0), 3) is None
