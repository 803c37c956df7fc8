"""The session service: opens sessions, applies events durably, runs effects, pushes screens.

Every state change goes through `_apply`: under the session's lock, take the snapshot from
memory (live_sessions.py), run the pure engine, commit snapshot + timeline (+ idempotent reply)
in one batched transaction guarded by the session's version (reloading and trying again when
another node got there first), then run the effects: tasks keyed by session and task id, and
one rendering per profile of the devices connected to this node (devices.py); other nodes are
told through the relay. Handlers in http.py and sockets.py are thin adapters around these methods.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Protocol, get_args

import msgspec

import sdk_protocol as p
from sdk_protocol.messages import CheckStatus
from server.api_types import (
    CreateSession,
    CreateUpload,
    FileInfo,
    FileUrl,
    JourneyInfo,
    SessionCreated,
    SessionView,
    TokenIssued,
    UploadCreated,
)
from server.auth import digest, new_id, new_token
from server.db import (
    Conflict,
    ErasureRecord,
    EventRow,
    FileRow,
    Repository,
    SessionRow,
    SessionUpdate,
    UploadRow,
)
from server.devices import ClientProfile, Devices, profile_of
from server.journeys import Registry
from server.live_sessions import Live, LiveSessions, decode_snapshot
from server.relay import NoRelay, Relay
from server.storage import DocumentStore, ObjectNotFound, S3Store, StorageError
from server.storage.base import safe_name
from server.tasks import TaskError, TaskRunner
from server.workflow import (
    AnyEffect,
    AnyEvent,
    CancelTask,
    CompiledJourney,
    Complete,
    Decision,
    Notify,
    RejectInput,
    Result,
    RunTask,
    ShowScreen,
    Signal,
    Snapshot,
    Submit,
    TaskDone,
    TaskFailed,
    Tick,
    UserAction,
    localize_errors,
    next_due,
    render_screen,
    start,
    transition,
)
from server.workflow.engine import pending_task
from server.workflow.journey import screen_of
from server.workflow.render import text_for
from ui_schemas.loader import Catalogs
from ui_schemas.model import FinalState
from verification.formats import UPLOAD_TYPES, normalise_media_type, sniff

log = logging.getLogger("arabesque.service")
Clock = Callable[[], dt.datetime]
MAX_RETRIES = 8
API_KEY_CACHE_SECONDS = 10.0
TaskKey = tuple[str, str]  # (session id, task id): task ids are only unique within a session


class Broadcaster(Protocol):
    """Delivers server messages to connected devices (Socket.IO rooms)."""

    async def to_profile(self, session_id: str, profile: str, message: p.Message) -> None:
        """To this node's devices of the session that have this rendering profile."""

    async def to_session(self, session_id: str, message: p.Message) -> None:
        """To every device of the session, on every node."""


def _capture_fields(journey: CompiledJourney, state: str) -> dict[str, bool]:
    """The names of a screen's inputs that carry file ids (True when the value is a list)."""
    screen = screen_of(journey.journey.states[state])
    if screen is None:
        return {}
    return {c.name: isinstance(c, p.FileUpload) for c in screen.components
            if isinstance(c, p.DocumentCapture | p.SelfieCapture | p.FileUpload)}


class SessionService:
    """Owns the session lifecycle; built once in server/app.py with its dependencies."""

    def __init__(self, *, repo: Repository, registry: Registry, catalogs: Catalogs, store: DocumentStore,
                 tasks: TaskRunner, broadcaster: Broadcaster, clock: Clock, token_ttl: dt.timedelta,
                 tenant: str, max_upload_bytes: int = 15 * 1024 * 1024,
                 presign_ttl: dt.timedelta = dt.timedelta(minutes=5),
                 retention: dt.timedelta | None = None, devices: Devices | None = None,
                 relay: Relay | None = None, cache_capacity: int = 20_000) -> None:
        self.repo = repo
        self.registry = registry
        self.catalogs = catalogs
        self.store = store
        self.tasks = tasks
        self.broadcaster = broadcaster
        self.clock = clock
        self.token_ttl = token_ttl
        self.tenant = tenant
        self.max_upload_bytes = max_upload_bytes
        self.presign_ttl = presign_ttl
        self.retention = retention
        self.devices = devices if devices is not None else Devices()
        self.relay: Relay = relay if relay is not None else NoRelay()
        self.shared = not isinstance(self.relay, NoRelay)
        self.live = LiveSessions(repo.load_session, capacity=cache_capacity)
        self._running: dict[TaskKey, asyncio.Task[None]] = {}
        self._api_keys: dict[str, tuple[str | None, float]] = {}

    # --- integrator API ---------------------------------------------------------

    def journeys(self) -> list[JourneyInfo]:
        infos = []
        for journey in self.registry.latest():
            j = journey.journey
            versions = sorted(c.journey.version for c in self.registry.all() if c.journey.name == j.name)
            infos.append(JourneyInfo(name=j.name, version=j.version, title=self.catalogs.text(j.title, "en"),
                                     description=j.description, steps=j.steps, versions=versions))
        return infos

    async def authenticate_api_key(self, key: str | None) -> str:
        """The key's id; lookups are remembered for a few seconds (a revoked key stops within that time)."""
        if not key:
            raise p.InvalidApiKey("Expected `Authorization: Bearer <API key>`, got no credential")
        key_hash = digest(key)
        cached = self._api_keys.get(key_hash)
        if cached is not None and cached[1] > time.monotonic():
            key_id = cached[0]
        else:
            key_id = await self.repo.api_key_id(key_hash)
            if len(self._api_keys) > 10_000:
                self._api_keys.clear()
            self._api_keys[key_hash] = (key_id, time.monotonic() + API_KEY_CACHE_SECONDS)
        if key_id is None:
            raise p.InvalidApiKey("Expected a valid API key, got one that is unknown or revoked")
        return key_id

    async def create_session(self, request: CreateSession, *, api_key_id: str | None) -> SessionCreated:
        journey = self.registry.get(request.journey, request.version)
        if journey is None:
            known = ", ".join(sorted({j.journey.name for j in self.registry.all()}))
            wanted = request.journey + (f"@{request.version}" if request.version is not None else "")
            raise p.JourneyNotFound(f"Expected one of the journeys ({known}), got {wanted!r}",
                                    journey=request.journey)
        p.codec.check_bounds(request.prefill)
        locale = self.catalogs.resolve_locale(request.locale)
        now = self.clock()
        session_id = new_id("s")
        context: dict[str, object] = {"session": {"id": session_id, "reference": request.reference,
                                                  "locale": locale}, "prefill": request.prefill}
        result = start(journey, now=now, context=context)
        stored, decisions = self._split_trace(None, result.snapshot)
        row = SessionRow(
            id=session_id, tenant=self.tenant, journey=journey.journey.name, journey_version=journey.journey.version,
            reference=request.reference, locale=locale, state=stored.state, status=stored.status,
            outcome=stored.outcome, version=1, snapshot=msgspec.json.encode(stored).decode(),
            next_due_at=next_due(stored), created_at=now, updated_at=now,
            completed_at=now if stored.status == "final" else None, event_seq=1,
        )
        first = EventRow(at=now, kind="start", from_state="", to_state=stored.state,
                         revision=stored.revision, data={"journey": journey.key, **decisions})
        token = new_token()
        expires_at = now + self.token_ttl
        await self.repo.create_session(row, first, api_key_id=api_key_id, token_hash=digest(token),
                                       token_expires_at=expires_at)
        self.live.remember_token(digest(token), session_id, expires_at)
        async with self.live.locked(session_id):
            await self._run_effects(self.live.put(row), journey, stored, result.effects)
        return SessionCreated(session_id=session_id, token=token, expires_at=expires_at,
                              journey=journey.journey.name, version=journey.journey.version)

    async def issue_token(self, session_id: str) -> TokenIssued:
        await self.live.fetch(session_id)
        token = new_token()
        now = self.clock()
        expires_at = now + self.token_ttl
        await self.repo.add_token(digest(token), session_id, expires_at, now)
        self.live.remember_token(digest(token), session_id, expires_at)
        return TokenIssued(session_id=session_id, token=token, expires_at=expires_at)

    async def describe(self, session_id: str) -> SessionView | ErasureRecord:
        row = await self._row(session_id)
        if row.status in ("erased", "erasing"):
            record = await self.repo.erasure_record(session_id)
            if record is None:
                raise p.SessionErased("Expected a readable session, got one being erased", session_id=session_id)
            return record
        snapshot = decode_snapshot(row)
        context = dict(snapshot.context)
        checks = context.pop("checks", {})
        timeline = await self.repo.timeline(session_id)
        trace = list(snapshot.trace)  # sessions stored before decisions moved to their timeline entries
        entries = []
        for entry in timeline:
            if "decisions" not in entry.data:
                entries.append(entry)
                continue
            data = dict(entry.data)
            trace += msgspec.convert(data.pop("decisions"), list[Decision])
            entries.append(msgspec.structs.replace(entry, data=data))
        files = [self._file_info(f) for f in await self.repo.list_files(session_id)]
        return SessionView(
            session_id=row.id, journey=row.journey, version=row.journey_version, reference=row.reference,
            locale=row.locale, state=row.state, status=row.status, outcome=row.outcome, created_at=row.created_at,
            updated_at=row.updated_at, completed_at=row.completed_at, data=context,
            checks=checks if isinstance(checks, dict) else {}, decisions=trace, timeline=entries,
            files=files,
        )

    async def signal(self, session_id: str, name: str, data: dict[str, object]) -> Snapshot:
        p.codec.check_bounds(data)
        return (await self._apply(session_id, Signal(name=name, data=data), kind=f"signal.{name}")).result.snapshot

    # --- SDK channel --------------------------------------------------------

    async def authenticate_token(self, token: object) -> str:
        if not isinstance(token, str) or not token:
            raise p.InvalidToken("Expected auth {\"token\": \"<session token>\"}, got no token")
        token_hash = digest(token)
        found = self.live.token(token_hash) or await self.repo.token(token_hash)
        if found is None:
            raise p.InvalidToken("Expected a valid session token, got one that is unknown")
        session_id, expires_at = found
        if expires_at <= self.clock():
            raise p.SessionExpired(f"Expected an unexpired session token, got one that expired at "
                                   f"{expires_at.isoformat()}", expired_at=expires_at.isoformat())
        self.live.remember_token(token_hash, session_id, expires_at)
        return session_id

    async def current_messages(self, session_id: str, profile: ClientProfile) -> list[p.Message]:
        """What a client with `profile` should see now: the screen, and the outcome when finished."""
        async with self.live.locked(session_id):
            # several nodes: read the row afresh, a change made elsewhere may not have been relayed yet
            live = await (self.live.reload(session_id) if self.shared else self.live.get(session_id))
            if self.shared and live.pushed < live.row.version:
                # reloaded a version the session's devices on this node have not been shown (the relay's news
                # of it, arriving after, would be taken as old): show them all, this one included
                await self._push(live, self._journey(live.row), live.snapshot)
                return []
            return self._render(self._journey(live.row), live.snapshot, profile)

    async def session_locale(self, session_id: str) -> str:
        return (await self.live.fetch(session_id)).row.locale

    def hello(self, message: p.Hello, session_id: str) -> tuple[p.Welcome, ClientProfile]:
        version = p.negotiate_version(message.protocol_version)
        locale = self.catalogs.resolve_locale(message.locale)
        profile = profile_of(locale, p.Capabilities.declare(message.components).components)
        return p.Welcome(protocol_version=version, session_id=session_id, locale=locale), profile

    async def submit(self, session_id: str, message: p.ScreenSubmit, locale: str) -> p.Message:
        key = f"submit:{message.idempotency_key}"
        async with self.live.locked(session_id):
            live = await self.live.get(session_id)
            if (kept := live.replies.get(key)) is not None:
                return p.decode_server(msgspec.json.decode(kept))
            journey = self._journey(live.row)
            file_errors = await self._check_files(live, journey, message)
            if file_errors:
                return self._refuse(live, key, message, localize_errors(file_errors, self.catalogs, locale))
            event = Submit(screen_id=message.screen_id, revision=message.revision, values=message.values)
            try:
                applied = await self._apply_locked(
                    live, event, kind="submit", reply_key=key, data={"fields": sorted(message.values)},
                    reply=lambda r: self._accepted(message.screen_id, message.revision, r))
            except p.StaleScreen:
                # a retry of a submit that was applied (here before a restart, or on another node)
                if (replayed := await self.repo.replay(session_id, key)) is not None:
                    return p.decode_server(msgspec.json.decode(replayed))
                raise
            if applied.rejected is not None:
                errors = localize_errors(applied.rejected.errors, self.catalogs, locale)
                return self._refuse(live, key, message, errors)
            return self._accepted(message.screen_id, message.revision, applied.result)

    async def action(self, session_id: str, message: p.ScreenAction) -> p.Message:
        key = f"action:{message.idempotency_key}" if message.idempotency_key else None
        async with self.live.locked(session_id):
            live = await self.live.get(session_id)
            if key is not None and (kept := live.replies.get(key)) is not None:
                return p.decode_server(msgspec.json.decode(kept))
            event = UserAction(screen_id=message.screen_id, revision=message.revision, action=message.action)
            try:
                applied = await self._apply_locked(
                    live, event, kind=f"action.{message.action}", reply_key=key,
                    reply=lambda r: self._accepted(message.screen_id, message.revision, r))
            except p.StaleScreen:
                if key is not None and (replayed := await self.repo.replay(session_id, key)) is not None:
                    return p.decode_server(msgspec.json.decode(replayed))
                raise
            return self._accepted(message.screen_id, message.revision, applied.result)

    # --- uploads --------------------------------------------------------------

    async def record_file(self, row: FileRow) -> FileInfo:
        """Record a stored upload; if that fails the object is deleted, so no row ever lacks its object."""
        try:
            await self.repo.add_file(row)
        except BaseException:
            await self.store.delete(row.storage_key)
            raise
        return self._file_info(row)

    def file_key(self, session_id: str, file_id: str) -> str:
        return f"{self.tenant}/{session_id}/{file_id}"

    async def read_file(self, session_id: str, file_id: str) -> bytes:
        found = await self.repo.get_file(session_id, file_id)
        if found is None:
            raise p.FileNotFound(f"Expected a file of this session, got unknown id {file_id!r}", file_id=file_id)
        return await self.store.get(found.storage_key)

    async def read_reference(self, session_id: str, reference: str) -> bytes:
        """`f_...` in this session, or `s_.../f_...` in another session of the same tenant (an enrolled face)."""
        owner, _, file_id = reference.rpartition("/")
        if owner and owner != session_id:
            other = await self.repo.load_session(owner)
            if other is None or other.tenant != self.tenant:
                raise p.FileNotFound(f"Expected a file of this tenant, got unknown reference {reference[:80]!r}",
                                     file_id=reference[:80])
            return await self.read_file(owner, file_id)
        return await self.read_file(session_id, file_id)

    async def file_row(self, session_id: str, file_id: str) -> FileRow:
        found = await self.repo.get_file(session_id, file_id)
        if found is None:
            raise p.FileNotFound(f"Expected a file of this session, got unknown id {file_id!r}", file_id=file_id)
        return found

    @staticmethod
    def _file_info(row: FileRow) -> FileInfo:
        return FileInfo(file_id=row.id, sha256=row.sha256, size=row.size, content_type=row.content_type,
                        name=row.original_name, created_at=row.created_at)

    # --- direct uploads (presigned POST) ----------------------------------------

    async def create_upload(self, session_id: str, request: CreateUpload) -> UploadCreated:
        """A presigned POST for one file: the key, type and size limit are fixed by the server."""
        await self.live.fetch(session_id)
        if not isinstance(self.store, S3Store):
            raise p.DirectUploadUnsupported(f"Expected S3 storage for direct uploads, got a local folder; upload "
                                            f"through POST /v1/sessions/{session_id}/files instead")
        content_type = normalise_media_type(request.content_type)
        if content_type not in UPLOAD_TYPES:
            raise p.UnsupportedFileType(f"Expected one of {', '.join(sorted(UPLOAD_TYPES))}, got {content_type}",
                                        declared=content_type)
        now = self.clock()
        upload_id, file_id = new_id("u"), new_id("f")
        key = self.file_key(session_id, file_id)
        post = self.store.presigned_post(key, content_type=content_type, max_bytes=self.max_upload_bytes,
                                         expires=self.presign_ttl, now=now)
        await self.repo.add_upload(UploadRow(
            id=upload_id, session_id=session_id, file_id=file_id, storage_key=key, content_type=content_type,
            max_bytes=self.max_upload_bytes, original_name=safe_name(request.filename), field=request.field,
            status="pending", created_at=now, expires_at=post.expires_at))
        return UploadCreated(upload_id=upload_id, file_id=file_id, url=post.url, fields=post.fields,
                             max_bytes=self.max_upload_bytes, expires_at=post.expires_at)

    async def complete_upload(self, session_id: str, message: p.UploadCompleted) -> p.UploadVerified:
        """Check what landed in the bucket (size, type by content, the SDK's hash); keep it or delete it."""
        await self.live.fetch(session_id)
        upload = await self.repo.get_upload(session_id, message.upload_id)
        if upload is None or upload.status == "rejected":
            raise p.UploadNotFound(f"Expected an open upload of this session, got {message.upload_id!r}",
                                   upload_id=message.upload_id)
        if upload.status == "completed":
            row = await self.file_row(session_id, upload.file_id)
            return p.UploadVerified(upload_id=upload.id, file_id=row.id, sha256=row.sha256, size=row.size,
                                    content_type=row.content_type)
        try:
            head = await self.store.head(upload.storage_key)
        except ObjectNotFound:
            raise p.UploadMissing(f"Expected the file at the presigned location, got nothing there (upload "
                                  f"{upload.id})", upload_id=upload.id) from None
        problem: p.SdkError | None = None
        data = b""
        if head.size > upload.max_bytes or head.size == 0:
            problem = p.UploadTooLarge(f"Expected 1 to {upload.max_bytes} bytes, got {head.size}",
                                       limit=upload.max_bytes, found=head.size)
        else:
            data = await self.store.get(upload.storage_key)
            detected = sniff(data[:32])
            digest_hex = hashlib.sha256(data).hexdigest()
            if len(data) > upload.max_bytes:
                problem = p.UploadTooLarge(f"Expected at most {upload.max_bytes} bytes, got {len(data)}",
                                           limit=upload.max_bytes, found=len(data))
            elif detected not in UPLOAD_TYPES:
                problem = p.UnsupportedFileType(f"Expected one of {', '.join(sorted(UPLOAD_TYPES))}, got "
                                                f"{detected or 'unrecognised bytes'}", detected=detected or "")
            elif detected != upload.content_type:
                problem = p.UploadTypeMismatch(f"Expected {upload.content_type} as declared, got {detected}",
                                               declared=upload.content_type, detected=detected)
            elif digest_hex != message.sha256:
                problem = p.UploadHashMismatch(f"Expected SHA-256 {message.sha256}, got {digest_hex}: the object "
                                               "is not what was uploaded", expected=message.sha256, found=digest_hex)
        if problem is not None:
            await self.store.delete(upload.storage_key)
            await self.repo.finish_upload(upload.id, "rejected", None)
            raise problem
        row = FileRow(id=upload.file_id, session_id=session_id, tenant=self.tenant, storage_key=upload.storage_key,
                      sha256=message.sha256, size=len(data), content_type=upload.content_type,
                      original_name=upload.original_name, created_at=self.clock())
        await self.repo.finish_upload(upload.id, "completed", row)
        return p.UploadVerified(upload_id=upload.id, file_id=row.id, sha256=row.sha256, size=row.size,
                                content_type=row.content_type)

    def file_url(self, row: FileRow) -> FileUrl | None:
        """A short-lived presigned GET when the store can make one (S3); None for a local folder."""
        if not isinstance(self.store, S3Store):
            return None
        return FileUrl(url=self.store.presigned_get(row.storage_key, expires=self.presign_ttl, filename=row.id),
                       expires_at=self.clock() + self.presign_ttl)

    # --- erasure ----------------------------------------------------------------

    async def erase(self, session_id: str, erased_by: str) -> ErasureRecord:
        """Delete the session's documents and personal data, verify it, keep a minimal audit record."""
        async with self.live.locked(session_id):
            row = await self._row(session_id)
            if row.status == "erased":
                record = await self.repo.erasure_record(session_id)
                assert record is not None
                return record
            await self.repo.mark_erasing(session_id, erased_by, self.clock())
            self.live.drop(session_id)
            self.live.forget_tokens(session_id)
        for key in [k for k in self._running if k[0] == session_id]:
            running = self._running.get(key)
            if running is not None:
                running.cancel()
        error = p.SessionErased("Expected an active session, got one that has been erased", session_id=session_id)
        await self.broadcaster.to_session(session_id, p.error_message(error))
        prefix = f"{self.tenant}/{session_id}"
        for _ in range(3):
            await self.store.delete_prefix(prefix)
            if not await self.store.keys(prefix):
                break
        else:
            raise StorageError(f"Expected no document left under {prefix} after erasure, some remain; will retry",
                               session_id=session_id)
        await self.repo.finish_erasure(session_id, self.clock())
        if await self.repo.count_rows(session_id) or await self.store.keys(prefix):
            raise p.InternalError(f"Expected erasure of {session_id} to leave nothing, something remains")
        record = await self.repo.erasure_record(session_id)
        assert record is not None
        erased = await self.repo.load_session(session_id)
        if erased is not None:
            self.relay.publish(erased, push=False)  # other nodes forget their copy and its tokens
        log.info("session %s erased by %s", session_id, erased_by)
        return record

    async def sweep_erasures(self) -> int:
        """Finish interrupted erasures, and erase completed sessions past the retention period.

        One session that cannot be erased now is logged and left for the next sweep; the others go on.
        """
        cutoff = self.clock() - self.retention if self.retention else None
        erased = 0
        for session_id in await self.repo.due_for_erasure(cutoff):
            try:
                interrupted_by = await self.repo.erased_by(session_id)
                await self.erase(session_id, interrupted_by or "retention")
                erased += 1
            except p.SdkError as exc:
                log.warning("erasure of %s not finished: %s", session_id, exc.message)
        return erased

    # --- background work ------------------------------------------------------

    async def fire_due_timers(self) -> int:
        """Apply a Tick to every session with a due timer; returns how many moved."""
        fired = 0
        for session_id in await self.repo.due_sessions(self.clock()):
            try:
                await self._apply(session_id, Tick(), kind="tick")
                fired += 1
            except p.SdkError as exc:
                log.warning("timer of %s not applied: %s", session_id, exc.message)
        return fired

    async def resume_tasks(self) -> int:
        """After a restart, run again every task that was running when the process stopped."""
        resumed = 0
        for session_id in await self.repo.waiting_sessions():
            try:
                live = await self.live.fetch(session_id)
            except p.SdkError:
                continue
            effect = pending_task(self._journey(live.row), live.snapshot)
            if effect is not None and self._start_task(session_id, effect):
                resumed += 1
        return resumed

    async def wait_idle(self) -> None:
        """Wait for every running task (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def on_remote_change(self, row: SessionRow, push: bool) -> None:
        """Another node committed `row`: keep our copy fresh and show the devices connected here."""
        async with self.live.locked(row.id):
            if row.status in ("erased", "erasing"):
                self.live.drop(row.id)
                self.live.forget_tokens(row.id)
                return
            live = self.live.peek(row.id)
            if live is None and not self.devices.has(row.id):
                return  # nothing of this session here to keep fresh
            live = self.live.put(row)  # kept only if newer than our copy
            # Our copy may already be this new (a conflict reloaded it) without our devices having been shown
            # it: what counts for the push is what they were last shown.
            if push and row.version > live.pushed and live.row.version == row.version:
                await self._push(live, self._journey(live.row), decode_snapshot(row))

    # --- the core -------------------------------------------------------------

    class Applied(msgspec.Struct, frozen=True, kw_only=True):
        result: Result
        rejected: RejectInput | None = None

    async def _row(self, session_id: str) -> SessionRow:
        """The row as stored (not the live copy): for reads that must see erasure and every column."""
        row = await self.repo.load_session(session_id)
        if row is None:
            raise p.SessionNotFound(f"Expected an existing session, got unknown id {session_id!r}",
                                    session_id=session_id)
        return row

    async def ensure_live(self, session_id: str) -> None:
        await self.live.fetch(session_id)

    def _journey(self, row: SessionRow) -> CompiledJourney:
        journey = self.registry.get(row.journey, row.journey_version)
        if journey is None:
            raise p.InternalError(f"Expected journey {row.journey}@{row.journey_version} to be loaded, got none",
                                  journey=row.journey)
        return journey

    @staticmethod
    def _split_trace(before: Snapshot | None, after: Snapshot) -> tuple[Snapshot, dict[str, object]]:
        """The snapshot to store, and the decisions this step added, which go to its timeline entry instead of
        growing the stored snapshot (and every write of it) with each step."""
        kept = before.trace if before is not None else []
        added = after.trace[len(kept):]
        if not added:
            return after, {}
        return msgspec.structs.replace(after, trace=kept), {"decisions": msgspec.to_builtins(added)}

    async def _apply(self, session_id: str, event: AnyEvent, *, kind: str,
                     data: Mapping[str, object] | None = None) -> SessionService.Applied:
        async with self.live.locked(session_id):
            live = await self.live.get(session_id)
            return await self._apply_locked(live, event, kind=kind, data=data)

    async def _apply_locked(self, live: Live, event: AnyEvent, *, kind: str, reply_key: str | None = None,
                            reply: Callable[[Result], p.Message] | None = None,
                            data: Mapping[str, object] | None = None) -> SessionService.Applied:
        """Transition, commit (optimistic, batched), run effects; the caller holds the session's lock.

        A conflict means another node changed the session: reload it and decide again (the engine then
        refuses a stale screen itself)."""
        session_id = live.row.id
        for _ in range(MAX_RETRIES):
            snapshot = live.snapshot
            journey = self._journey(live.row)
            now = self.clock()
            if not isinstance(event, Tick) and snapshot.status != "final" and (due := next_due(snapshot)) \
                    and due <= now:
                await self._apply_locked(live, Tick(), kind="tick")
                continue
            result = transition(journey, snapshot, event, now)
            rejected = next((e for e in result.effects if isinstance(e, RejectInput)), None)
            if rejected is not None:
                return self.Applied(result=result, rejected=rejected)
            if isinstance(event, Tick) and result.snapshot == snapshot:
                return self.Applied(result=result)  # nothing was due (another node fired it first): no write
            stored, decisions = self._split_trace(snapshot, result.snapshot)
            entries = [EventRow(at=now, kind=kind, from_state=snapshot.state, to_state=stored.state,
                                revision=stored.revision,
                                data={**(data or {}), "effects": [type(e).__name__ for e in result.effects],
                                      **decisions})]
            entries += [EventRow(at=now, kind=f"notify.{e.name}", from_state=e.state, to_state=e.state,
                                 revision=stored.revision) for e in result.effects if isinstance(e, Notify)]
            update = SessionUpdate(state=stored.state, status=stored.status, outcome=stored.outcome,
                                   snapshot=msgspec.json.encode(stored).decode(), next_due_at=next_due(stored),
                                   completed=stored.status == "final" and snapshot.status != "final")
            stored_reply = (reply_key, msgspec.json.encode(reply(result))) if reply_key and reply else None
            try:
                row = await self.repo.save_transition(live.row, update, entries, now, stored_reply)
            except Conflict:
                live = await self.live.reload(session_id)
                continue
            shows = any(isinstance(e, ShowScreen | Complete) for e in result.effects)
            self.relay.publish(row, push=shows)
            live = self.live.put(row)
            if stored_reply is not None:
                live.remember(stored_reply[0], stored_reply[1])
            await self._run_effects(live, journey, stored, result.effects)
            return self.Applied(result=result)
        raise p.ServerBusy(f"Expected to commit within {MAX_RETRIES} attempts, got constant conflicts with other "
                           "writers; nothing was changed, retry shortly", retry_after=1.0)

    @staticmethod
    def _refuse(live: Live, key: str, message: p.ScreenSubmit, errors: list[p.FieldError]) -> p.Message:
        """Refused values change nothing: the reply is kept in memory for a retry (the same values at the same
        revision get the same errors anyway)."""
        reply = p.ScreenErrors(screen_id=message.screen_id, revision=message.revision, errors=errors)
        live.remember(key, msgspec.json.encode(reply))
        return reply

    @staticmethod
    def _accepted(screen_id: str, revision: int, result: Result) -> p.Message:
        return p.ScreenAccepted(screen_id=screen_id, revision=revision, next_revision=result.snapshot.revision)

    async def _check_files(self, live: Live, journey: CompiledJourney, message: p.ScreenSubmit
                           ) -> list[p.FieldError]:
        """Capture values must name files uploaded in this very session."""
        session_id = live.row.id
        state = live.row.state
        if message.screen_id != state:
            return []  # the engine answers stale screens
        errors: list[p.FieldError] = []
        for name, is_list in _capture_fields(journey, state).items():
            value = message.values.get(name)
            ids = value if is_list and isinstance(value, list) else [value] if isinstance(value, str) else []
            for i, file_id in enumerate(ids):
                if not isinstance(file_id, str) or p.validation.FILE_ID.match(file_id) is None:
                    continue  # the engine reports the malformed value
                if await self.repo.get_file(session_id, file_id) is None:
                    pointer = f"/{name}/{i}" if is_list else f"/{name}"
                    errors.append(p.FieldError(pointer=pointer, code="validation.file_unknown",
                                               message=f"Expected a file uploaded in this session, got {file_id!r}"))
        return errors

    async def _run_effects(self, live: Live, journey: CompiledJourney, snapshot: Snapshot,
                           effects: list[AnyEffect]) -> None:
        session_id = live.row.id
        for effect in effects:
            if isinstance(effect, RunTask):
                self._start_task(session_id, effect)
            elif isinstance(effect, CancelTask):
                running = self._running.pop((session_id, effect.task_id), None)
                if running is not None and running is not asyncio.current_task():
                    running.cancel()  # (a task whose own result moved past it is finishing anyway)
            elif isinstance(effect, Notify):
                log.info("session %s: %s in state %s", session_id, effect.name, effect.state)
        if any(isinstance(e, ShowScreen | Complete) for e in effects):
            await self._push(live, journey, snapshot)

    async def _push(self, live: Live, journey: CompiledJourney, snapshot: Snapshot) -> None:
        """`snapshot` (the state of `live.row`) to the devices connected here: one rendering per profile, no
        database lookup; remembered as what they were last shown."""
        session_id = live.row.id
        for profile in self.devices.profiles(session_id):
            for message in self._render(journey, snapshot, profile):
                await self.broadcaster.to_profile(session_id, profile.profile, message)
        live.pushed = max(live.pushed, live.row.version)

    def _render(self, journey: CompiledJourney, snapshot: Snapshot, profile: ClientProfile) -> list[p.Message]:
        capabilities = p.Capabilities.declare(profile.components)
        state = journey.journey.states[snapshot.state]
        messages: list[p.Message] = []
        if not isinstance(state, FinalState) or state.screen is not None:
            messages.append(render_screen(journey, snapshot, catalogs=self.catalogs, locale=profile.locale,
                                          capabilities=capabilities))
        if isinstance(state, FinalState) and snapshot.outcome is not None:
            texts = [getattr(c, "text", "") for c in (state.screen.components if state.screen else [])]
            title, body = ([*texts, "", ""])[:2]
            messages.append(p.JourneyCompleted(
                outcome=snapshot.outcome,
                title=text_for(title, self.catalogs, profile.locale, snapshot.context) if title else "",
                message=text_for(body, self.catalogs, profile.locale, snapshot.context) if body else ""))
        return messages

    def _start_task(self, session_id: str, effect: RunTask) -> bool:
        """Run a task unless this very task (of this very session) already runs; True if started."""
        key: TaskKey = (session_id, effect.task_id)
        if key in self._running:
            return False
        task = asyncio.create_task(self._run_task(session_id, effect), name=f"task:{session_id}:{effect.task_id}")
        self._running[key] = task

        def done(finished: asyncio.Task[None]) -> None:
            if self._running.get(key) is finished:
                del self._running[key]

        task.add_done_callback(done)
        return True

    async def _run_task(self, session_id: str, effect: RunTask) -> None:
        async def progress(check: str, status: str) -> None:
            await self._progress(session_id, check, status)

        await progress(effect.task, "running")
        event: TaskDone | TaskFailed
        try:
            result = await self.tasks.run(effect.task, files=_SessionFiles(self, session_id),
                                          progress=_SessionProgress(self, session_id), task_input=effect.input,
                                          params=effect.params)
            event = TaskDone(task_id=effect.task_id, result=result)
        except TaskError as exc:
            event = TaskFailed(task_id=effect.task_id, code=exc.code, message=exc.message)
        except p.SdkError as exc:
            event = TaskFailed(task_id=effect.task_id, code=exc.code, message=exc.message)
        except asyncio.CancelledError:
            return
        except Exception as exc:  # a bug in a task must not leave the session waiting forever
            log.exception("task %s of %s failed", effect.task_id, session_id)
            event = TaskFailed(task_id=effect.task_id, code="internal", message=f"{type(exc).__name__}: {exc}")
        status = "error" if isinstance(event, TaskFailed) else \
            "passed" if event.result.get("passed") is True else "failed"
        await progress(effect.task, status)
        kind = f"task.{'done' if isinstance(event, TaskDone) else 'failed'}"
        for attempt in range(5):
            try:
                await self._apply(session_id, event, kind=kind, data={"task": effect.task, "task_id": effect.task_id})
                return
            except (p.EventNotAllowed, p.JourneyFinished, p.SessionErased, p.SessionNotFound):
                log.info("result of %s arrived after session %s moved on; dropped", effect.task_id, session_id)
                return
            except p.ServerBusy as exc:  # the result must not be lost to a moment of overload
                retry_after = exc.details.get("retry_after")
                await asyncio.sleep((retry_after if isinstance(retry_after, int | float) else 1.0) * (attempt + 1))
        log.error("result of %s for %s not recorded after retries; it runs again at the next start",
                  effect.task_id, session_id)

    async def _progress(self, session_id: str, check: str, status: str) -> None:
        known: tuple[CheckStatus, ...] = get_args(CheckStatus)
        message = p.VerificationProgress(check=check, status=next((s for s in known if s == status), "error"))
        await self.broadcaster.to_session(session_id, message)


class _SessionFiles:
    """The FileReader a task of one session reads its documents with."""

    def __init__(self, service: SessionService, session_id: str) -> None:
        self._service = service
        self._session_id = session_id

    async def read(self, reference: str) -> bytes:
        return await self._service.read_reference(self._session_id, reference)


class _SessionProgress:
    """The ProgressSink a task of one session reports to."""

    def __init__(self, service: SessionService, session_id: str) -> None:
        self._service = service
        self._session_id = session_id

    async def report(self, check: str, status: CheckStatus) -> None:
        await self._service._progress(self._session_id, check, status)


__all__ = ["Broadcaster", "Clock", "SessionService"]
