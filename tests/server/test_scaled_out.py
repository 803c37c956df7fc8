"""The scaled-out configuration: two nodes on one PostgreSQL database, Socket.IO across them through Redis."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator

import pytest

import sdk_protocol as p
from tests.conftest import fresh_postgres
from tests.server.live import Sdk, Server

REDIS = os.environ.get("ARABESQUE_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A fresh database for this module, dropped afterwards."""
    with fresh_postgres() as url:
        yield url


@pytest.fixture
def two_nodes(server_factory: Callable[..., Server], database: str, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Server, Server]:
    shared = tmp_path_factory.mktemp("shared-documents")
    env = {"ARABESQUE_DATABASE_URL": database, "ARABESQUE_REDIS_URL": REDIS,
           "ARABESQUE_STORAGE_URL": shared.as_uri()}
    first = server_factory(env).start()
    second = server_factory(env).start()  # runs the (already applied) migrations again: a no-op
    return first, second


async def test_a_screen_change_on_one_node_reaches_a_device_on_the_other(two_nodes: tuple[Server, Server]) -> None:
    first, second = two_nodes
    session = first.create()
    with second.api() as api:
        phone_token = api.post(f"/v1/sessions/{session['session_id']}/tokens").json()["token"]
    desktop = await Sdk(first, session["token"]).connect()
    phone = await Sdk(second, phone_token).connect()
    welcome = await desktop.screen("welcome")
    await phone.screen("welcome")
    assert isinstance(await desktop.submit(welcome, {}), p.ScreenAccepted)
    on_phone = await phone.screen("personal")
    assert on_phone.revision == welcome.revision + 1
    await desktop.close()
    await phone.close()


async def test_racing_submits_on_two_nodes_exactly_one_wins(two_nodes: tuple[Server, Server]) -> None:
    first, second = two_nodes
    session = first.create()
    with first.api() as api:
        other_token = api.post(f"/v1/sessions/{session['session_id']}/tokens").json()["token"]
    a = await Sdk(first, session["token"]).connect()
    b = await Sdk(second, other_token).connect()
    welcome = await a.screen("welcome")
    replies = await asyncio.gather(a.submit(welcome, {}), b.submit(welcome, {}))
    assert sorted(type(r).__name__ for r in replies) == ["ErrorMessage", "ScreenAccepted"]
    timeline = second.session(session["session_id"])["timeline"]
    assert [e["kind"] for e in timeline] == ["start", "submit"]  # type: ignore[union-attr]
    await a.close()
    await b.close()


async def test_a_session_survives_on_the_other_node_when_one_dies(two_nodes: tuple[Server, Server]) -> None:
    first, second = two_nodes
    session = first.create()
    sdk = await Sdk(first, session["token"]).connect()
    await sdk.submit(await sdk.screen("welcome"), {})
    await sdk.screen("personal")
    await sdk.close()
    first.kill()
    again = await Sdk(second, session["token"]).connect()
    assert (await again.screen("personal")).screen_id == "personal"
    await again.close()


async def test_a_device_that_only_watches_sees_a_change_won_on_the_other_node(two_nodes: tuple[Server, Server]
                                                                              ) -> None:
    first, second = two_nodes
    session = first.create()
    with first.api() as api:
        tokens = [api.post(f"/v1/sessions/{session['session_id']}/tokens").json()["token"] for _ in range(2)]
    racer_here = await Sdk(first, session["token"]).connect()
    racer_there = await Sdk(second, tokens[0]).connect()
    watcher = await Sdk(second, tokens[1]).connect()  # same node as one racer: its copy may be reloaded first
    welcome = await racer_here.screen("welcome")
    await racer_there.screen("welcome")
    await watcher.screen("welcome")
    replies = await asyncio.gather(racer_here.submit(welcome, {}), racer_there.submit(welcome, {}))
    assert sorted(type(r).__name__ for r in replies) == ["ErrorMessage", "ScreenAccepted"]
    seen = await watcher.screen("personal", timeout=10)
    assert seen.revision == welcome.revision + 1
    for sdk in (racer_here, racer_there, watcher):
        await sdk.close()
