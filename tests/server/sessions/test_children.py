"""Child journeys' delivery on the in-memory repository: an end lost to a crash is delivered by the resume, a
start lost is made by it, a second delivery is dropped; the parent goes on exactly once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import sdk_protocol as p
from server.api_types import CreateSession
from server.children import Children
from server.jobs import JobArgs, JobKind, Periodic
from server.journeys import Registry, load_registry
from server.workflow import RulesEngine
from tests.server.sessions.test_use_cases import INTEGRATOR, World
from ui_schemas.loader import Catalogs

JOURNEYS = Path(__file__).parents[1] / "children" / "journeys"


class HeldJobs:
    """Jobs deferred and kept, never run unless a test runs them: as if the node died before they ran."""

    def __init__(self) -> None:
        self.kinds: dict[str, JobKind] = {}
        self.deferred: list[tuple[str, JobArgs]] = []

    def register(self, kind: JobKind) -> None:
        self.kinds[kind.name] = kind

    def every(self, periodic: Periodic) -> None:
        pass

    async def defer(self, kind: str, args: JobArgs, *, lock: str | None = None, once: str | None = None,
                    at: dt.datetime | None = None) -> None:
        self.deferred.append((kind, args))

    async def run_all(self) -> None:
        deferred, self.deferred = self.deferred, []
        for kind, args in deferred:
            await self.kinds[kind].handler(args)


@pytest.fixture
def team_registry(catalogs: Catalogs) -> Registry:
    return load_registry(engine=RulesEngine(), catalogs=catalogs, extra=[JOURNEYS])


@pytest.fixture
def world(tmp_path: Path, team_registry: Registry, catalogs: Catalogs) -> tuple[World, Children, HeldJobs]:
    world = World(tmp_path, team_registry, catalogs)
    jobs = HeldJobs()
    children = Children(sessions=world.sessions, repo=world.repo, jobs=jobs, token_ttl=dt.timedelta(hours=1))
    return world, children, jobs


async def open_team(world: World) -> str:
    created = await world.sessions.integrator.create_session(CreateSession(journey="team"), by=INTEGRATOR)
    members = [{"name": "Ada", "role": "owner"}, {"name": "Grace", "role": "director"}]
    reply = await world.submit(created.session_id, {"members": members}, key="k-members")
    assert isinstance(reply, p.ScreenAccepted), reply
    return created.session_id


async def finish(world: World, child_id: str, verdict: str) -> None:
    reply = await world.submit(child_id, {"name": "x", "verdict": verdict}, key=f"{child_id}-v")
    assert isinstance(reply, p.ScreenAccepted), reply


def done_decisions(world: World, parent_id: str) -> list[str]:
    return [str(d["event"]) for e in world.repo.events[parent_id] for d in e.data.get("decisions", [])  # type: ignore[union-attr]
            if isinstance(d, dict) and d["event"] == "children.done"]


async def test_ends_lost_before_their_job_ran_are_delivered_by_the_resume_once(
        world: tuple[World, Children, HeldJobs]) -> None:
    w, children, jobs = world
    parent_id = await open_team(w)
    kids = await w.repo.children_of(parent_id)
    assert [(k.child_label, k.status) for k in kids] == [("Ada", "active"), ("Grace", "active")]
    for kid in kids:
        await finish(w, kid.id, "pass")
    assert [kind for kind, _ in jobs.deferred] == ["children.settle", "children.settle"]
    jobs.deferred.clear()  # the node died: the jobs never ran
    assert (await w.sessions.core.stored_row(parent_id)).status == "waiting"
    assert await children.resume() == 2
    parent = await w.sessions.core.stored_row(parent_id)
    assert (parent.status, parent.outcome) == ("final", "approved")
    assert await children.resume() == 0  # nothing waits any more
    assert done_decisions(w, parent_id) == ["children.done"]


async def test_a_second_delivery_of_an_end_is_dropped(world: tuple[World, Children, HeldJobs]) -> None:
    w, children, jobs = world
    parent_id = await open_team(w)
    first, second = await w.repo.children_of(parent_id)
    await finish(w, first.id, "pass")
    assert await children.settle(first.id) is True
    await jobs.run_all()  # the job the end deferred: the same end again
    assert await children.settle(first.id) is False
    await finish(w, second.id, "fail")
    await jobs.run_all()
    await jobs.run_all()
    parent = await w.sessions.core.stored_row(parent_id)
    assert (parent.status, parent.outcome) == ("final", "rejected")
    assert done_decisions(w, parent_id) == ["children.done"]


async def test_children_a_crash_left_unstarted_are_started_by_the_resume_once(
        world: tuple[World, Children, HeldJobs]) -> None:
    w, children, _ = world
    started: list[object] = []

    async def dropped(live: object, effect: object) -> None:  # the node died between the commit and the start
        started.append(effect)

    w.sessions.effects.children = dropped  # type: ignore[assignment]
    parent_id = await open_team(w)
    assert started and await w.repo.children_of(parent_id) == []
    await children.resume()
    await children.resume()  # a second resume (or another node's) opens none twice
    kids = await w.repo.children_of(parent_id)
    assert [k.child_label for k in kids] == ["Ada", "Grace"]
