"""The rules of `Idempotency` with a clock we move, on the real repository over SQLite, in process: keys
expire after 24 hours, a key whose request died is taken over, "retry" answers are not kept, and a request
still running makes a second one wait."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import sdk_protocol as p
from server.db import Database, Repository
from server.db.migrate import upgrade
from server.http import json_response, sdk_error_handler
from server.idempotency import STALE_AFTER, TTL, Idempotency
from tests.conftest import NOW


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


class Counter:
    """A handler that counts its runs and answers what it is told to."""

    def __init__(self) -> None:
        self.runs = 0
        self.answer: Callable[[], Awaitable[Response]] = self.ok

    async def ok(self) -> Response:
        return json_response({"run": self.runs}, 201)

    async def __call__(self, request: Request) -> Response:
        self.runs += 1
        await request.body()
        return await self.answer()


Harness = tuple[httpx.AsyncClient, Clock, Counter]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    clock, counter = Clock(), Counter()
    idempotency = Idempotency(Repository(database), clock)

    async def endpoint(request: Request) -> Response:
        return await idempotency.run(request, "acme", "api_key:ak_1", counter)

    app = Starlette(routes=[Route("/things", endpoint, methods=["POST"])],
                    exception_handlers={p.SdkError: sdk_error_handler})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client, clock, counter
    await database.close()


async def post(client: httpx.AsyncClient, key: str = "k-1", body: bytes = b"{}") -> httpx.Response:
    return await client.post("/things", content=body, headers={"Idempotency-Key": key})


async def test_a_key_is_replayed_for_24_hours_and_free_again_after(harness: Harness) -> None:
    client, clock, counter = harness
    assert (await post(client)).json() == {"run": 1}
    clock.now += TTL - dt.timedelta(seconds=1)
    assert (await post(client)).headers["Idempotent-Replayed"] == "true"
    clock.now += dt.timedelta(seconds=1)
    fresh = await post(client, body=b'{"another": "body"}')
    assert "Idempotent-Replayed" not in fresh.headers and counter.runs == 2


async def test_a_key_whose_request_died_is_taken_over_after_two_minutes(harness: Harness) -> None:
    client, clock, counter = harness
    started, release = asyncio.Event(), asyncio.Event()

    async def hang() -> Response:
        started.set()
        await release.wait()
        return json_response({}, 201)

    counter.answer = hang
    first = asyncio.create_task(post(client))
    await started.wait()
    waiting = await post(client)
    assert (waiting.status_code, waiting.json()["code"]) == (409, "request.idempotency_key_in_progress")
    assert waiting.headers["Retry-After"] == "1"
    clock.now += STALE_AFTER + dt.timedelta(seconds=1)
    counter.answer = counter.ok
    taken = await post(client)
    assert (taken.status_code, taken.json()) == (201, {"run": 2})
    release.set()
    await first  # the dead one's late answer does not replace the answer stored since
    assert (await post(client)).json() == {"run": 2}


@pytest.mark.parametrize("error", [p.ServerBusy("Expected room, got none", retry_after=1.0),
                                   p.RateLimited("Expected fewer, got more", retry_after=1.0),
                                   p.InternalError("Expected to work, got a bug")], ids=lambda e: e.code)
async def test_an_answer_that_says_retry_is_not_kept(harness: Harness, error: p.SdkError) -> None:
    client, _, counter = harness

    async def fail() -> Response:
        raise error

    counter.answer = fail
    assert (await post(client)).status_code == error.http_status
    counter.answer = counter.ok
    retried = await post(client)
    assert (retried.status_code, counter.runs) == (201, 2)
    assert "Idempotent-Replayed" not in retried.headers


async def test_a_refusal_is_kept_and_replayed_without_running_again(harness: Harness) -> None:
    client, _, counter = harness

    async def refuse() -> Response:
        raise p.InvalidRequest("Expected a thing, got none", path="$.thing")

    counter.answer = refuse
    first, second = await post(client), await post(client)
    assert first.status_code == second.status_code == 400
    assert second.json() == first.json() and counter.runs == 1


async def test_a_body_over_the_message_limit_is_refused_before_the_key_is_claimed(harness: Harness) -> None:
    client, _, counter = harness
    refused = await post(client, body=b"x" * (p.DEFAULT_LIMITS.max_message_bytes + 1))
    assert (refused.status_code, refused.json()["code"]) == (400, "request.invalid")
    assert (await post(client)).status_code == 201 and counter.runs == 1
