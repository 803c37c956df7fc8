"""The session use cases with real SQLite and a real folder, but fakes for the socket side and the tasks."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path

import msgspec

import sdk_protocol as p
from server.access import Principal
from server.api_types import CreateSession, SessionView
from server.audit import Audit
from server.background import Background
from server.db import Database, Repository
from server.db.migrate import upgrade
from server.devices import Devices, profile_of
from server.files import Files
from server.jobs import LocalJobs
from server.journeys import Registry
from server.live_sessions import LiveSessions
from server.sessions import Sessions, build_sessions
from server.sessions.supervisor import Runner
from server.storage import LocalStore
from server.tasks import FileReader, ProgressSink, TaskCall, TaskRunner, TaskTools, TypedTask
from server.workflow import Snapshot
from ui_schemas.loader import Catalogs
from verification.faces import FaceComparison

PERSON = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB",
          "email": "ada@example.com", "pep": "no"}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
INTEGRATOR = Principal(tenant="default", role="integrator", actor="api_key:ak_test", name="test")


class Recorder:
    """A Broadcaster that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, p.Message]] = []

    async def to_profile(self, session_id: str, profile: str, message: p.Message) -> None:
        self.sent.append((session_id, profile, message))

    async def to_session(self, session_id: str, message: p.Message) -> None:
        self.sent.append((session_id, "*", message))


async def no_sweep() -> int:
    return 0


TaskFn = Callable[[FileReader, ProgressSink, Mapping[str, object]], Awaitable[dict[str, object]]]


class FakeRunner:
    """Runs plain async functions by task name, through the same ports the real runner gives tasks."""

    def __init__(self, tasks: Mapping[str, TaskFn]) -> None:
        self.tasks = tasks

    async def run(self, name: str, *, files: FileReader, progress: ProgressSink, task_input: Mapping[str, object],
                  params: Mapping[str, object], call: TaskCall | None = None) -> dict[str, object]:
        return await self.tasks[name](files, progress, task_input)


class Service:
    """The parts a test drives: the use cases, the files, the repository."""

    def __init__(self, sessions: Sessions, files: Files, repo: Repository, devices: Devices) -> None:
        self.file_id = ""
        self.sessions = sessions
        self.files = files
        self.repo = repo
        self.devices = devices
        self.sdk = sessions.sdk
        self.integrator = sessions.integrator


async def make_service(tmp_path: Path, registry: Registry, catalogs: Catalogs,
                       tasks: Mapping[str, TaskFn] | Runner) -> tuple[Service, Recorder]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    await asyncio.to_thread(upgrade, url)
    recorder = Recorder()
    repo = Repository(Database(url))
    clock = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
    live = LiveSessions(repo.load_session)
    files = Files(repo=repo, store=LocalStore(tmp_path / "docs"), active=live.fetch, audit=Audit(repo, clock),
                  clock=clock, default_tenant="default",
                  max_upload_bytes=1_000_000, presign_ttl=dt.timedelta(minutes=5))
    devices = Devices()
    sessions = build_sessions(repo=repo, registry=registry, catalogs=catalogs, files=files, runner=FakeRunner(tasks) if isinstance(tasks, Mapping) else tasks,
                              broadcaster=recorder, devices=devices, live=live, clock=clock,
                              token_ttl=dt.timedelta(hours=1))
    return Service(sessions, files, repo, devices), recorder


def attach(service: Service, sid: str, session_id: str) -> None:
    service.devices.connect(sid, session_id, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    service.devices.greet(sid, profile_of("en", p.ALL_COMPONENT_TYPES))


async def stored_file(service: Service, sid: str) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield JPEG

    info = await service.files.receive(sid, body(), declared="image/jpeg", name="a.jpg")
    service.file_id = info.file_id


async def to_document_check(service: Service) -> str:
    created = await service.integrator.create_session(CreateSession(journey="kyc_individual"), by=INTEGRATOR)
    sid = created.session_id
    attach(service, "sid-1", sid)
    for values in ({}, PERSON, {"line1": "x", "city": "y", "postal_code": "1234", "country": "GB"},
                   {"type": "passport", "issuing_country": "GB"}):
        row = await service.repo.load_session(sid)
        assert row is not None
        snapshot = msgspec.json.decode(row.snapshot, type=Snapshot)
        reply = await service.sdk.submit(sid, p.ScreenSubmit(screen_id=row.state, revision=snapshot.revision,
                                                             values=values, idempotency_key=os.urandom(8).hex()), "en")
        assert isinstance(reply, p.ScreenAccepted), reply
    await stored_file(service, sid)
    row = await service.repo.load_session(sid)
    assert row is not None
    snapshot = msgspec.json.decode(row.snapshot, type=Snapshot)
    reply = await service.sdk.submit(sid, p.ScreenSubmit(screen_id="document_front", revision=snapshot.revision,
                                                         values={"file": service.file_id}, idempotency_key="up"), "en")
    assert isinstance(reply, p.ScreenAccepted)
    return sid


async def test_a_task_interrupted_by_a_restart_runs_again_on_start(tmp_path: Path, registry: Registry,
                                                                   catalogs: Catalogs) -> None:
    started = asyncio.Event()

    async def hangs(files: FileReader, progress: ProgressSink, task_input: object) -> dict[str, object]:
        started.set()
        await asyncio.Event().wait()
        return {}

    first, _ = await make_service(tmp_path, registry, catalogs, {"verify_document": hangs, "verify_selfie": hangs})
    sid = await to_document_check(first)
    await asyncio.wait_for(started.wait(), 5)
    first.sessions.supervisor.cancel_session(sid)  # the process dies: its task never reports back
    await first.repo.close()

    seen: list[Mapping[str, object]] = []

    async def passes(files: FileReader, progress: ProgressSink, task_input: Mapping[str, object]) -> dict[str, object]:
        seen.append(task_input)
        assert await files.read(str(task_input["file"])) == JPEG
        return {"passed": True}

    second, recorder = await make_service(tmp_path, registry, catalogs, {"verify_document": passes,
                                                                   "verify_selfie": passes})
    attach(second, "sid-again", sid)  # the device reconnected
    jobs = LocalJobs()  # (its periodic jobs are not started: this test calls the resume itself)
    background = Background(sessions=second.sessions, repo=second.repo, jobs=jobs, sweep=no_sweep, poll_seconds=1.0)
    assert await background.resume_tasks() == 1
    await jobs.wait_idle()
    row = await second.repo.load_session(sid)
    assert row is not None and row.state == "selfie"
    assert seen == [{"file": first.file_id, "document_type": "passport"}]
    assert any(isinstance(m, p.Screen) and m.screen_id == "selfie" for _, _, m in recorder.sent), recorder.sent
    await second.repo.close()


async def test_a_task_error_becomes_the_journeys_error_transition(tmp_path: Path, registry: Registry,
                                                                  catalogs: Catalogs) -> None:
    async def broken(files: FileReader, progress: ProgressSink, task_input: object) -> dict[str, object]:
        raise RuntimeError("bug in a check")

    service, recorder = await make_service(tmp_path, registry, catalogs, {"verify_document": broken,
                                                                    "verify_selfie": broken})
    sid = await to_document_check(service)
    await service.sessions.supervisor.wait_idle()
    view = await service.integrator.describe(sid)
    assert isinstance(view, SessionView)
    assert view.state == "selfie"
    assert view.data["flags"] == {"document_front_unverified": True}
    assert view.checks["document_front"] == {"error": {"code": "internal", "message": "RuntimeError: bug in a check"}}
    progress = [m for _, _, m in recorder.sent if isinstance(m, p.VerificationProgress)]
    assert [m.status for m in progress] == ["running", "error"]
    await service.repo.close()


async def test_submits_pushes_and_progress_read_nothing_from_the_database(tmp_path: Path, registry: Registry,
                                                                         catalogs: Catalogs) -> None:
    async def passes(files: FileReader, progress: ProgressSink, task_input: Mapping[str, object]) -> dict[str, object]:
        await files.read(str(task_input["file"]))
        for check in ("sharpness", "glare", "cut_off"):
            await progress.report(f"document_front.{check}", "passed")
        return {"passed": True}

    service, recorder = await make_service(tmp_path, registry, catalogs, {"verify_document": passes,
                                                                    "verify_selfie": passes})
    reads: list[str] = []
    read = service.repo.db.read

    async def counted(fn: object) -> object:
        reads.append(getattr(fn, "__qualname__", repr(fn)))
        return await read(fn)  # type: ignore[arg-type]

    service.repo.db.read = counted  # type: ignore[method-assign]
    created = await service.integrator.create_session(CreateSession(journey="kyc_individual"), by=INTEGRATOR)
    sid = created.session_id
    attach(service, "sid-1", sid)
    await stored_file(service, sid)
    reads.clear()  # (recording a file checks, in its transaction, that the session is still active)
    for values in ({}, PERSON, {"line1": "x", "city": "y", "postal_code": "1234", "country": "GB"},
                   {"type": "passport", "issuing_country": "GB"}, {"file": service.file_id}):
        live = service.sessions.core.live.peek(sid)
        assert live is not None
        reply = await service.sdk.submit(sid, p.ScreenSubmit(screen_id=live.row.state, revision=live.snapshot.revision,
                                                             values=values, idempotency_key=os.urandom(8).hex()), "en")
        assert isinstance(reply, p.ScreenAccepted), reply
    await service.sessions.supervisor.wait_idle()
    # the only reads: the capture's file row at submit (is it this session's?) and at the task (its bytes)
    assert [r for r in reads if "get_file" not in r] == [], reads
    assert len(reads) == 2
    progress = [m for _, _, m in recorder.sent if isinstance(m, p.VerificationProgress)]
    screens = [m for _, _, m in recorder.sent if isinstance(m, p.Screen)]
    assert len(progress) == 5 and screens[-1].screen_id == "selfie"
    await service.repo.close()


class NoFaces:
    """A FaceMatcher for tests whose tasks compare no faces."""

    async def compare(self, reference: bytes, probe: bytes) -> FaceComparison:
        raise AssertionError("no face comparison expected")


class InlinePool:
    """Runs pool work in this process (the tasks here send none)."""

    async def run(self, fn: Callable[..., object], *args: object) -> object:
        return fn(*args)


class NumberedFile(msgspec.Struct, frozen=True, kw_only=True):
    file: int


class NoParams(msgspec.Struct, frozen=True, kw_only=True):
    pass


async def test_a_bad_journey_input_is_recorded_as_a_failed_task_with_its_path(tmp_path: Path, registry: Registry,
                                                                             catalogs: Catalogs) -> None:
    async def never(tools: TaskTools, task_input: NumberedFile, params: NoParams) -> dict[str, object]:
        raise AssertionError("a task with bad input must not run")

    strict = TypedTask("verify_document", never, input_type=NumberedFile, params_type=NoParams)
    runner = TaskRunner({"verify_document": strict, "verify_selfie": strict}, pool=InlinePool(),  # type: ignore[arg-type]
                        faces=NoFaces())
    service, _ = await make_service(tmp_path, registry, catalogs, runner)
    sid = await to_document_check(service)
    await service.sessions.supervisor.wait_idle()
    view = await service.integrator.describe(sid)
    assert isinstance(view, SessionView)
    assert view.checks["document_front"] == {"error": {
        "code": "verification.failed",
        "message": "Expected `int`, got `str` - at `$.file` (the input of task verify_document)"}}
    await service.repo.close()
