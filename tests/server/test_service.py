"""The service with real SQLite and a real folder, but fakes for the socket side and the tasks."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

import sdk_protocol as p
from server.api_types import CreateSession
from server.db import Database, FileRow, Repository
from server.db.migrate import upgrade
from server.devices import Devices, profile_of
from server.journeys import Registry
from server.service import SessionService
from server.storage import LocalStore
from server.tasks import TaskRunner, TaskTools, TypedTask, WorkerPool
from server.workflow import Snapshot
from ui_schemas.loader import Catalogs
from verification.faces import FaceComparison

PERSON = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB",
          "email": "ada@example.com", "pep": "no"}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"


class Recorder:
    """A Broadcaster that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, p.Message]] = []

    async def to_profile(self, session_id: str, profile: str, message: p.Message) -> None:
        self.sent.append((session_id, profile, message))

    async def to_session(self, session_id: str, message: p.Message) -> None:
        self.sent.append((session_id, "*", message))


class NoFaces:
    """A FaceMatcher for tests whose tasks compare no faces."""

    async def compare(self, reference: bytes, probe: bytes) -> FaceComparison:
        raise AssertionError("no face comparison expected")


async def make_service(tmp_path: Path, registry: Registry, catalogs: Catalogs, tasks: Mapping[str, object],
                       pool: WorkerPool | None = None) -> tuple[SessionService, Recorder]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    await asyncio.to_thread(upgrade, url)
    recorder = Recorder()
    service = SessionService(
        repo=Repository(Database(url)), registry=registry, catalogs=catalogs, store=LocalStore(tmp_path / "docs"),
        tasks=TaskRunner(tasks, pool=pool or WorkerPool(1, 5.0), faces=NoFaces()),  # type: ignore[arg-type]
        broadcaster=recorder, clock=lambda: dt.datetime.now(dt.UTC), token_ttl=dt.timedelta(hours=1),
        tenant="default", devices=Devices())
    return service, recorder


async def to_document_check(service: SessionService) -> str:
    created = await service.create_session(CreateSession(journey="kyc_individual"), api_key_id=None)
    sid = created.session_id
    service.devices.attach("sid-1", sid, profile_of("en", p.ALL_COMPONENT_TYPES))
    for values in ({}, PERSON, {"line1": "x", "city": "y", "postal_code": "1234", "country": "GB"},
                   {"type": "passport", "issuing_country": "GB"}):
        row = await service.repo.load_session(sid)
        assert row is not None
        snapshot = msgspec.json.decode(row.snapshot, type=Snapshot)
        reply = await service.submit(sid, p.ScreenSubmit(screen_id=row.state, revision=snapshot.revision,
                                                         values=values, idempotency_key=os.urandom(8).hex()), "en")
        assert isinstance(reply, p.ScreenAccepted), reply
    key = service.file_key(sid, "f_testfile0001")
    await service.store.put(key, JPEG, content_type="image/jpeg")
    await service.record_file(FileRow(id="f_testfile0001", session_id=sid, tenant="default", storage_key=key,
                                      sha256="0" * 64, size=len(JPEG), content_type="image/jpeg", original_name="a",
                                      created_at=dt.datetime.now(dt.UTC)))
    row = await service.repo.load_session(sid)
    assert row is not None
    snapshot = msgspec.json.decode(row.snapshot, type=Snapshot)
    reply = await service.submit(sid, p.ScreenSubmit(screen_id="document_front", revision=snapshot.revision,
                                                     values={"file": "f_testfile0001"}, idempotency_key="up"), "en")
    assert isinstance(reply, p.ScreenAccepted)
    return sid


async def test_a_task_interrupted_by_a_restart_runs_again_on_start(tmp_path: Path, registry: Registry,
                                                                   catalogs: Catalogs) -> None:
    started = asyncio.Event()

    async def hangs(tools: TaskTools, task_input: object, params: object) -> dict[str, object]:
        started.set()
        await asyncio.Event().wait()
        return {}

    first, _ = await make_service(tmp_path, registry, catalogs, {"verify_document": hangs, "verify_selfie": hangs})
    sid = await to_document_check(first)
    await asyncio.wait_for(started.wait(), 5)
    for task in list(first._running.values()):  # the process dies: its task never reports back
        task.cancel()
    await first.repo.close()

    seen: list[Mapping[str, object]] = []

    async def passes(tools: TaskTools, task_input: Mapping[str, object], params: object) -> dict[str, object]:
        seen.append(task_input)
        assert await tools.files.read(str(task_input["file"])) == JPEG
        return {"passed": True}

    second, recorder = await make_service(tmp_path, registry, catalogs, {"verify_document": passes,
                                                                   "verify_selfie": passes})
    second.devices.attach("sid-again", sid, profile_of("en", p.ALL_COMPONENT_TYPES))  # the device reconnected
    assert await second.resume_tasks() == 1
    await second.wait_idle()
    row = await second.repo.load_session(sid)
    assert row is not None and row.state == "selfie"
    assert seen == [{"file": "f_testfile0001", "document_type": "passport"}]
    assert any(isinstance(m, p.Screen) and m.screen_id == "selfie" for _, _, m in recorder.sent), recorder.sent
    await second.repo.close()


async def test_a_task_error_becomes_the_journeys_error_transition(tmp_path: Path, registry: Registry,
                                                                  catalogs: Catalogs) -> None:
    async def broken(tools: TaskTools, task_input: object, params: object) -> dict[str, object]:
        raise RuntimeError("bug in a check")

    service, recorder = await make_service(tmp_path, registry, catalogs, {"verify_document": broken,
                                                                    "verify_selfie": broken})
    sid = await to_document_check(service)
    await service.wait_idle()
    view = await service.describe(sid)
    assert view.state == "selfie"
    assert view.data["flags"] == {"document_front_unverified": True}
    assert view.checks["document_front"] == {"error": {"code": "internal", "message": "RuntimeError: bug in a check"}}
    progress = [m for _, _, m in recorder.sent if isinstance(m, p.VerificationProgress)]
    assert [m.status for m in progress] == ["running", "error"]
    await service.repo.close()


async def test_submits_pushes_and_progress_read_nothing_from_the_database(tmp_path: Path, registry: Registry,
                                                                         catalogs: Catalogs) -> None:
    async def passes(tools: TaskTools, task_input: Mapping[str, object], params: object) -> dict[str, object]:
        await tools.files.read(str(task_input["file"]))
        for check in ("sharpness", "glare", "cut_off"):
            await tools.progress.report(f"document_front.{check}", "passed")
        return {"passed": True}

    service, recorder = await make_service(tmp_path, registry, catalogs, {"verify_document": passes,
                                                                    "verify_selfie": passes})
    reads: list[str] = []
    read = service.repo.db.read

    async def counted(fn: object) -> object:
        reads.append(getattr(fn, "__qualname__", repr(fn)))
        return await read(fn)  # type: ignore[arg-type]

    service.repo.db.read = counted  # type: ignore[method-assign]
    created = await service.create_session(CreateSession(journey="kyc_individual"), api_key_id=None)
    sid = created.session_id
    service.devices.attach("sid-1", sid, profile_of("en", p.ALL_COMPONENT_TYPES))
    key = service.file_key(sid, "f_testfile0001")
    await service.store.put(key, JPEG, content_type="image/jpeg")
    await service.record_file(FileRow(id="f_testfile0001", session_id=sid, tenant="default", storage_key=key,
                                      sha256="0" * 64, size=len(JPEG), content_type="image/jpeg", original_name="a",
                                      created_at=dt.datetime.now(dt.UTC)))
    for values in ({}, PERSON, {"line1": "x", "city": "y", "postal_code": "1234", "country": "GB"},
                   {"type": "passport", "issuing_country": "GB"}, {"file": "f_testfile0001"}):
        live = service.live.peek(sid)
        assert live is not None
        reply = await service.submit(sid, p.ScreenSubmit(screen_id=live.row.state, revision=live.snapshot.revision,
                                                         values=values, idempotency_key=os.urandom(8).hex()), "en")
        assert isinstance(reply, p.ScreenAccepted), reply
    await service.wait_idle()
    # the only reads: the capture's file row at submit (is it this session's?) and at the task (its bytes)
    assert [r for r in reads if "get_file" not in r] == [], reads
    assert len(reads) == 2
    progress = [m for _, _, m in recorder.sent if isinstance(m, p.VerificationProgress)]
    screens = [m for _, _, m in recorder.sent if isinstance(m, p.Screen)]
    assert len(progress) == 5 and screens[-1].screen_id == "selfie"
    await service.repo.close()


class NumberedFile(msgspec.Struct, frozen=True, kw_only=True):
    file: int


class NoParams(msgspec.Struct, frozen=True, kw_only=True):
    pass


async def test_a_bad_journey_input_is_recorded_as_a_failed_task_with_its_path(tmp_path: Path, registry: Registry,
                                                                             catalogs: Catalogs) -> None:
    async def never(tools: TaskTools, task_input: NumberedFile, params: NoParams) -> dict[str, object]:
        raise AssertionError("a task with bad input must not run")

    strict = TypedTask("verify_document", never, input_type=NumberedFile, params_type=NoParams)
    service, _ = await make_service(tmp_path, registry, catalogs, {"verify_document": strict,
                                                                   "verify_selfie": strict})
    sid = await to_document_check(service)
    await service.wait_idle()
    view = await service.describe(sid)
    assert view.checks["document_front"] == {"error": {
        "code": "verification.failed",
        "message": "Expected `int`, got `str` - at `$.file` (the input of task verify_document)"}}
    await service.repo.close()
