"""The session use cases on the in-memory repository (no database), with a fake broadcaster and tasks."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import msgspec
import pytest

import sdk_protocol as p
from server.access import SYSTEM, Principal
from server.api_types import CreateSession, SessionQuery
from server.audit import Audit
from server.db.memory import MemoryRepository
from server.devices import Devices, profile_of
from server.erasure import Eraser
from server.files import Files
from server.journeys import Registry
from server.live_sessions import LiveSessions
from server.relay import NoRelay
from server.sessions import Sessions, build_sessions
from server.storage import LocalStore, StorageError
from server.tasks import FileReader, ProgressSink, TaskCall
from ui_schemas.loader import Catalogs

PERSON = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB",
          "email": "ada@example.com", "pep": "no"}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
INTEGRATOR = Principal(tenant="default", role="integrator", actor="api_key:ak_test", name="test")


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, p.Message]] = []

    async def to_profile(self, session_id: str, profile: str, message: p.Message) -> None:
        self.sent.append((session_id, message))

    async def to_session(self, session_id: str, message: p.Message) -> None:
        self.sent.append((session_id, message))


class NoTasks:
    async def run(self, name: str, *, files: FileReader, progress: ProgressSink, task_input: Mapping[str, object],
                  params: Mapping[str, object], call: TaskCall | None = None) -> dict[str, object]:
        return {"passed": True}


class World:
    def __init__(self, tmp_path: Path, registry: Registry, catalogs: Catalogs) -> None:
        clock = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
        self.repo = MemoryRepository()
        self.recorder = Recorder()
        live = LiveSessions(self.repo.load_session)
        self.audit = Audit(self.repo, clock)
        self.files = Files(repo=self.repo, store=LocalStore(tmp_path / "docs"), active=live.fetch, audit=self.audit,
                           clock=clock, default_tenant="default", max_upload_bytes=100_000,
                           presign_ttl=dt.timedelta(minutes=5))
        self.devices = Devices()
        self.sessions: Sessions = build_sessions(
            repo=self.repo, registry=registry, catalogs=catalogs, files=self.files, runner=NoTasks(),
            broadcaster=self.recorder, devices=self.devices, live=live, clock=clock,
            token_ttl=dt.timedelta(hours=1))
        self.eraser = Eraser(sessions=self.sessions, repo=self.repo, store=self.files.store, relay=NoRelay(),
                             audit=self.audit, clock=clock, retention=None)

    async def open(self) -> str:
        created = await self.sessions.integrator.create_session(CreateSession(journey="kyc_individual"),
                                                                by=INTEGRATOR)
        self.devices.connect(f"sid-{created.session_id}", created.session_id,
                             dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
        self.devices.greet(f"sid-{created.session_id}", profile_of("en", p.ALL_COMPONENT_TYPES))
        return created.session_id

    async def submit(self, session_id: str, values: dict[str, object], key: str, revision: int | None = None,
                     screen_id: str | None = None) -> p.Message:
        live = await self.sessions.core.live.fetch(session_id)
        message = p.ScreenSubmit(screen_id=screen_id or live.row.state,
                                 revision=live.snapshot.revision if revision is None else revision,
                                 values=values, idempotency_key=key)
        return await self.sessions.sdk.submit(session_id, message, "en")


@pytest.fixture
def world(tmp_path: Path, registry: Registry, catalogs: Catalogs) -> World:
    return World(tmp_path, registry, catalogs)


async def test_a_retried_submit_gets_its_first_reply_and_an_old_screen_is_stale(world: World) -> None:
    sid = await world.open()
    first = await world.submit(sid, {}, key="k-1")
    assert isinstance(first, p.ScreenAccepted)
    assert await world.submit(sid, {}, key="k-1", revision=first.revision, screen_id="welcome") == first
    with pytest.raises(p.StaleScreen) as stale:
        await world.submit(sid, {}, key="k-2", revision=first.revision, screen_id="welcome")
    assert stale.value.details == {"screen_id": "personal", "revision": first.next_revision}
    screens = [m for _, m in world.recorder.sent if isinstance(m, p.Screen)]
    assert [s.screen_id for s in screens] == ["personal"]


async def test_fifty_sessions_at_once_each_move_once_and_keep_their_own_data(world: World) -> None:
    sids = await asyncio.gather(*(world.open() for _ in range(50)))

    async def walk(sid: str, i: int) -> str:
        await world.submit(sid, {}, key=f"{sid}-1")
        reply = await world.submit(sid, {**PERSON, "first_name": f"Ada{i}"}, key=f"{sid}-2")
        assert isinstance(reply, p.ScreenAccepted), reply
        return (await world.sessions.core.live.fetch(sid)).row.state

    states = await asyncio.gather(*(walk(sid, i) for i, sid in enumerate(sids)))
    assert states == ["address"] * 50
    for i, sid in enumerate(sids):
        view = await world.sessions.integrator.describe(sid)
        assert view.data["person"]["first_name"] == f"Ada{i}"  # type: ignore[union-attr, index]
        assert [e.kind for e in await world.repo.timeline(sid)] == ["start", "submit", "submit"]


async def test_a_file_finishing_after_its_sessions_erasure_is_deleted_not_kept(world: World) -> None:
    sid = await world.open()
    release = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield JPEG[:100]
        await release.wait()
        yield JPEG[100:]

    upload = asyncio.create_task(world.files.receive(sid, body(), declared="image/jpeg", name="a.jpg"))
    await asyncio.sleep(0.05)
    record = await world.eraser.erase(sid, INTEGRATOR)
    release.set()
    with pytest.raises(p.SessionErased):
        await upload
    assert record.erased_by == "api_key:ak_test"
    assert await world.files.store.keys(f"default/{sid}") == []
    assert await world.repo.count_rows(sid) == 0


class FailingFor(LocalStore):
    """A folder store whose deletes fail for one session (a store that is down for that prefix)."""

    def __init__(self, root: Path, session_id: str) -> None:
        super().__init__(root)
        self.session_id = session_id

    async def delete_prefix(self, prefix: str) -> int:
        if self.session_id in prefix:
            raise StorageError(f"Expected to delete {prefix}, got a store that refuses", key=prefix)
        return await super().delete_prefix(prefix)


async def test_the_sweep_finishes_interrupted_erasures_and_retention_and_one_failure_stops_no_other(
        world: World, tmp_path: Path) -> None:
    interrupted, expired, stuck, active = [await world.open() for _ in range(4)]
    await world.repo.mark_erasing(interrupted, "api_key:ak_1", dt.datetime.now(dt.UTC))  # then the process died
    await world.repo.mark_erasing(stuck, "api_key:ak_2", dt.datetime.now(dt.UTC))
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    world.repo.sessions[expired] = msgspec.structs.replace(world.repo.sessions[expired], status="final",
                                                           completed_at=past)
    eraser = Eraser(sessions=world.sessions, repo=world.repo, store=FailingFor(tmp_path / "docs", stuck),
                    relay=NoRelay(), audit=world.audit, clock=lambda: dt.datetime.now(dt.UTC),
                    retention=dt.timedelta(days=30))
    assert await eraser.sweep() == 2
    assert (await world.repo.erasure_record(interrupted)).erased_by == "api_key:ak_1"  # type: ignore[union-attr]
    assert (await world.repo.erasure_record(expired)).erased_by == "retention"  # type: ignore[union-attr]
    assert world.repo.sessions[stuck].status == "erasing"  # left for the next sweep
    assert world.repo.sessions[active].status != "erased"
    erased = {(r.subject_id, r.actor, r.tenant, r.details["reason"], r.details["erased_by"])
              for r in world.repo.audit if r.action == "session.erased"}
    assert erased == {(interrupted, SYSTEM.actor, "default", "interrupted", "api_key:ak_1"),
                      (expired, SYSTEM.actor, "default", "retention", "retention")}


async def test_a_session_of_another_tenant_is_not_found_for_erasure_and_nothing_is_erased(world: World) -> None:
    sid = await world.open()
    other = Principal(tenant="other", role="admin", actor="api_key:ak_other", name="other")
    with pytest.raises(p.SessionNotFound):
        await world.eraser.erase(sid, other)
    with pytest.raises(p.SessionNotFound):
        await world.sessions.integrator.owned(sid, "other")
    assert (await world.sessions.integrator.owned(sid, "default")).id == sid
    assert world.repo.sessions[sid].status == "active"
    assert [r for r in world.repo.audit if r.action == "session.erased"] == []


class Held(LocalStore):
    """A folder store whose prefix deletes wait until released (an erasure caught in the middle)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.release = asyncio.Event()
        self.waiting = asyncio.Event()

    async def delete_prefix(self, prefix: str) -> int:
        self.waiting.set()
        await self.release.wait()
        return await super().delete_prefix(prefix)


async def test_an_erasure_running_now_is_left_alone_by_the_sweep_and_audited_once(world: World,
                                                                                   tmp_path: Path) -> None:
    sid = await world.open()
    store = Held(tmp_path / "docs")
    eraser = Eraser(sessions=world.sessions, repo=world.repo, store=store, relay=NoRelay(), audit=world.audit,
                    clock=lambda: dt.datetime.now(dt.UTC), retention=None)
    running = asyncio.create_task(eraser.erase(sid, INTEGRATOR))
    await store.waiting.wait()
    assert world.repo.sessions[sid].status == "erasing"
    assert await eraser.sweep() == 0  # not interrupted: running here
    store.release.set()
    record = await running
    assert record.erased_by == INTEGRATOR.actor
    assert await world.repo.finish_erasure(sid, dt.datetime.now(dt.UTC)) is False  # a second finish is no finish
    assert [(r.action, r.subject_id, r.actor) for r in world.repo.audit] == [("session.erased", sid, INTEGRATOR.actor)]


async def test_sessions_list_newest_first_a_page_at_a_time_in_their_tenant_only(world: World) -> None:
    sids = [await world.open() for _ in range(5)]
    other = Principal(tenant="other", role="integrator", actor="api_key:ak_other", name="other")
    await world.sessions.integrator.create_session(CreateSession(journey="kyc_individual"), by=other)
    integrator = world.sessions.integrator
    first = await integrator.list_sessions(INTEGRATOR.tenant, SessionQuery(limit=3))
    rest = await integrator.list_sessions(INTEGRATOR.tenant, SessionQuery(limit=3, cursor=first.next_cursor))
    assert [s.session_id for s in first.sessions + rest.sessions] == list(reversed(sids))
    assert rest.next_cursor is None
    with pytest.raises(p.InvalidRequest):
        await integrator.list_sessions(INTEGRATOR.tenant, SessionQuery(cursor="not-a-cursor"))
