"""Nothing is lost: kill -9 mid-journey, restart on the same data, timers that fell due while down."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import sdk_protocol as p
from tests.server.live import Sdk, Server

QUICK = """
name: quick_expiry
version: 1
title: kyc.title
initial: ask
after:
  - {delay: 3s, target: expired}
states:
  ask:
    type: screen
    screen:
      components:
        - {type: input.text, name: first_name, label: field.first_name, validation: {required: true}}
    on:
      submit: done
  done: {type: final, outcome: approved}
  expired: {type: final, outcome: expired}
"""
PERSON = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB",
          "email": "ada@example.com", "pep": "no"}


@pytest.fixture
def journeys_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "journeys"
    folder.mkdir()
    (folder / "quick_expiry.yaml").write_text(QUICK)
    return folder


async def test_a_killed_server_loses_nothing_and_the_client_resumes(server_factory: Callable[..., Server]) -> None:
    server = server_factory().start()
    session = server.create()
    sdk = await Sdk(server, session["token"]).connect()
    await sdk.submit(await sdk.screen("welcome"), {})
    await sdk.submit(await sdk.screen("personal"), PERSON)
    address = await sdk.screen("address")
    await sdk.close()

    server.kill()  # kill -9: no shutdown hooks run
    restarted = server_factory(data_dir=server.data_dir).start()
    again = await Sdk(restarted, session["token"]).connect()
    screen = await again.screen("address")
    assert screen.revision == address.revision
    view = restarted.session(session["session_id"])
    assert view["data"]["person"] == PERSON  # type: ignore[index]
    assert [e["kind"] for e in view["timeline"]] == ["start", "submit", "submit"]  # type: ignore[union-attr]
    reply = await again.submit(screen, {"line1": "1 Main St", "city": "London", "postal_code": "N1 9GU",
                                        "country": "GB"})
    assert isinstance(reply, p.ScreenAccepted)
    await again.screen("document_choice")
    await again.close()


async def test_an_expiry_timer_fires_and_is_pushed_live(server_factory: Callable[..., Server],
                                                        journeys_dir: Path) -> None:
    server = server_factory({"ARABESQUE_JOURNEYS_DIR": str(journeys_dir)}).start()
    session = server.create("quick_expiry")
    sdk = await Sdk(server, session["token"]).connect()
    screen = await sdk.screen("ask")
    completed = await sdk.next(p.JourneyCompleted, timeout=10)
    assert isinstance(completed, p.JourneyCompleted) and completed.outcome == "expired"
    reply = await sdk.submit(screen, {"first_name": "late"})
    assert isinstance(reply, p.ErrorMessage) and reply.code == "workflow.journey_finished"
    view = server.session(session["session_id"])
    assert (view["status"], view["outcome"]) == ("final", "expired")
    await sdk.close()


async def test_a_timer_that_fell_due_while_the_server_was_down_fires_after_restart(
        server_factory: Callable[..., Server], journeys_dir: Path) -> None:
    env = {"ARABESQUE_JOURNEYS_DIR": str(journeys_dir)}
    server = server_factory(env).start()
    session = server.create("quick_expiry")
    server.stop()
    await asyncio.sleep(3.5)
    restarted = server_factory(env, data_dir=server.data_dir).start()
    deadline = time.monotonic() + 10
    while restarted.session(session["session_id"])["outcome"] != "expired":
        assert time.monotonic() < deadline, "the overdue timer did not fire"
        await asyncio.sleep(0.2)
    timeline = restarted.session(session["session_id"])["timeline"]
    assert [e["kind"] for e in timeline] == ["start", "tick"]  # type: ignore[union-attr]


async def test_a_session_opened_on_a_journey_version_stays_pinned(server_factory: Callable[..., Server],
                                                                  journeys_dir: Path) -> None:
    server = server_factory({"ARABESQUE_JOURNEYS_DIR": str(journeys_dir)}).start()
    session = server.create("quick_expiry")
    server.stop()
    (journeys_dir / "quick_expiry_v2.yaml").write_text(QUICK.replace("version: 1", "version: 2")
                                                       .replace("3s", "1h"))
    restarted = server_factory({"ARABESQUE_JOURNEYS_DIR": str(journeys_dir)}, data_dir=server.data_dir).start()
    fresh = restarted.create("quick_expiry")
    assert (restarted.session(session["session_id"])["version"], restarted.session(fresh["session_id"])["version"]) \
        == (1, 2)
