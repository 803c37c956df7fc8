"""Child journeys on the real server: a team (the parent) starts a member_check (a child) per member, each
member finishes on their own device, the parent's device sees each outcome live and the parent ends from them,
exactly once, with many teams at once, across a restart, and on two nodes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import sdk_protocol as p
from tests.conftest import fresh_postgres
from tests.server.live import Sdk, Server

JOURNEYS = Path(__file__).parent / "children" / "journeys"
ENV = {"ARABESQUE_JOURNEYS_DIR": str(JOURNEYS), "ARABESQUE_API_RATE_PER_SECOND": "100000",
       "ARABESQUE_API_RATE_BURST": "100000", "ARABESQUE_SDK_RATE_PER_SECOND": "100000",
       "ARABESQUE_SDK_RATE_BURST": "100000"}
TEAM = [{"name": "Ada Lovelace", "role": "owner"}, {"name": "Nosy Parker", "role": "observer"},
        {"name": "Grace Hopper", "role": "director"}]


@pytest.fixture
def server(server_factory: Callable[..., Server]) -> Server:
    return server_factory(ENV).start()


async def open_team(server: Server, members: list[dict[str, str]] = TEAM) -> tuple[str, Sdk]:
    """A team session whose device submitted its members; returns its id and its connected device."""
    team = server.create("team")
    device = await Sdk(server, team["token"]).connect()
    screen = await device.screen("members")
    assert isinstance(await device.submit(screen, {"members": members}), p.ScreenAccepted)
    return team["session_id"], device


def children_of(server: Server, parent_id: str, count: int, timeout: float = 20.0) -> list[dict[str, object]]:
    """The parent's children in the session view, once `count` of them have been started."""
    deadline = time.monotonic() + timeout
    while True:
        kids = server.session(parent_id)["children"]
        assert isinstance(kids, list)
        if len(kids) >= count or time.monotonic() > deadline:
            return kids
        time.sleep(0.05)


async def finish_child(server: Server, child_id: str, verdict: str, name: str | None = None) -> None:
    """The member's own device: a token from the integrator, the prefilled screen, the verdict."""
    with server.api() as api:
        response = api.post(f"/v1/sessions/{child_id}/tokens")
    assert response.status_code == 201, response.text
    device = await Sdk(server, response.json()["token"]).connect()
    try:
        screen = await device.screen("confirm")
        if name is not None:
            assert screen.values == {"name": name}  # prefilled from the parent's item
        reply = await device.submit(screen, {"name": screen.values.get("name", "x"), "verdict": verdict})
        assert isinstance(reply, p.ScreenAccepted), reply
        done = await device.next(p.JourneyCompleted)
        assert isinstance(done, p.JourneyCompleted) and done.outcome == ("approved" if verdict == "pass" else "rejected")
    finally:
        await device.close()


def decided_once(view: dict[str, object]) -> dict[str, object]:
    """The parent's one `children.done` decision (it must not have gone on twice)."""
    done = [d for d in view["decisions"] if isinstance(d, dict) and d["event"] == "children.done"]  # type: ignore[union-attr]
    assert len(done) == 1, done
    return done[0]


async def test_a_team_starts_a_check_per_member_sees_each_live_and_ends_from_their_outcomes(server: Server) -> None:
    parent_id, device = await open_team(server)
    waiting = await device.screen("verify_members")
    assert waiting.waiting
    assert [(c.severity, c.text) for c in waiting.components if isinstance(c, p.Alert)] == [
        ("info", "Ada Lovelace: waiting for their verification"),
        ("info", "Grace Hopper: waiting for their verification")]
    kids = children_of(server, parent_id, 2)
    assert [(k["label"], k["group"], k["journey"], k["status"]) for k in kids] == [
        ("Ada Lovelace", "members", "member_check", "active"), ("Grace Hopper", "members", "member_check", "active")]
    child = server.session(str(kids[0]["session_id"]))
    assert child["parent"] == {"session_id": parent_id, "group": "members", "key": kids[0]["key"],
                               "label": "Ada Lovelace"}

    await finish_child(server, str(kids[0]["session_id"]), "pass", name="Ada Lovelace")
    live = await device.screen("verify_members")  # the parent's screen, pushed when Ada finished
    assert [(c.severity, c.text) for c in live.components if isinstance(c, p.Alert)] == [
        ("success", "Ada Lovelace: verified"), ("info", "Grace Hopper: waiting for their verification")]
    await finish_child(server, str(kids[1]["session_id"]), "pass", name="Grace Hopper")
    done = await device.next(p.JourneyCompleted)
    assert isinstance(done, p.JourneyCompleted) and done.outcome == "approved"
    await device.close()

    view = server.session(parent_id)
    assert (view["status"], view["outcome"]) == ("final", "approved")
    done = decided_once(view)
    assert done["reason"] == (f"members: {kids[0]['session_id']} (Ada Lovelace): approved; "
                              f"{kids[1]['session_id']} (Grace Hopper): approved")
    assert view["data"]["children"]["members"]["approved"] == 2  # type: ignore[index]
    assert [k["outcome"] for k in view["children"]] == ["approved", "approved"]  # type: ignore[union-attr]


async def test_many_teams_at_once_each_end_once_from_their_own_members(server: Server) -> None:
    teams = await asyncio.gather(*(open_team(server, [{"name": f"A{i}", "role": "owner"},
                                                      {"name": f"B{i}", "role": "owner"}]) for i in range(10)))
    for _, device in teams:
        await device.close()
    kids = {parent_id: children_of(server, parent_id, 2) for parent_id, _ in teams}
    # both members of every team finish at the same moment: the parent hears the two ends concurrently
    verdicts = {parent_id: ("pass", "pass" if i % 2 == 0 else "fail") for i, (parent_id, _) in enumerate(teams)}
    await asyncio.gather(*(finish_child(server, str(k["session_id"]), verdicts[parent_id][j])
                           for parent_id, pair in kids.items() for j, k in enumerate(pair)))
    for parent_id, (_, second) in verdicts.items():
        view = await wait_final(server, parent_id)
        assert view["outcome"] == ("approved" if second == "pass" else "rejected"), (parent_id, view["outcome"])
        decided_once(view)
        assert len(view["children"]) == 2  # type: ignore[arg-type]


async def wait_final(server: Server, session_id: str, timeout: float = 20.0) -> dict[str, object]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        view = server.session(session_id)
        if view["status"] == "final" or asyncio.get_running_loop().time() > deadline:
            return view
        await asyncio.sleep(0.1)


async def test_children_finished_after_a_restart_still_end_the_parent_once(server: Server) -> None:
    parent_id, device = await open_team(server)
    await device.close()
    kids = children_of(server, parent_id, 2)
    await finish_child(server, str(kids[0]["session_id"]), "pass")
    server.stop()
    server.start()  # nothing of the parent in memory now
    await finish_child(server, str(kids[1]["session_id"]), "fail")
    view = await wait_final(server, parent_id)
    assert view["outcome"] == "rejected"
    decided_once(view)


async def test_a_signal_that_moves_the_parent_on_cancels_its_running_children_and_erasure_takes_them(
        server: Server) -> None:
    parent_id, device = await open_team(server)
    await device.close()
    kids = children_of(server, parent_id, 2)
    await finish_child(server, str(kids[0]["session_id"]), "pass")
    with server.api() as api:
        assert api.post(f"/v1/sessions/{parent_id}/signals", json={"name": "stop"}).status_code == 200
    running = server.session(str(kids[1]["session_id"]))
    assert (running["status"], running["outcome"]) == ("final", "abandoned")
    assert running["decisions"][-1]["event"] == "cancel"  # type: ignore[index]
    assert server.session(str(kids[0]["session_id"]))["outcome"] == "approved"  # an ended one stays as it ended
    with server.api() as api:
        assert api.delete(f"/v1/sessions/{parent_id}").status_code == 200
        for kid in kids:
            erased = api.get(f"/v1/sessions/{kid['session_id']}").json()
            assert erased["erased_by"] == "api_key:ak_default" and erased["erased_at"], erased


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with fresh_postgres() as url:
        yield url


async def test_a_child_finished_on_another_node_wakes_the_parent_once(
        server_factory: Callable[..., Server], database: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    shared = tmp_path_factory.mktemp("shared-documents")
    env = {**ENV, "ARABESQUE_DATABASE_URL": database, "ARABESQUE_REDIS_URL": "redis://127.0.0.1:6379/0",
           "ARABESQUE_STORAGE_URL": shared.as_uri()}
    first, second = server_factory(env).start(), server_factory(env).start()
    parent_id, device = await open_team(first)  # the parent's device is on the first node
    await device.screen("verify_members")
    kids = children_of(first, parent_id, 2)
    await asyncio.gather(*(finish_child(second, str(k["session_id"]), "pass") for k in kids))  # on the second
    done = await device.next(p.JourneyCompleted)  # pushed to the first node's device
    assert isinstance(done, p.JourneyCompleted) and done.outcome == "approved"
    await device.close()
    decided_once(first.session(parent_id))
