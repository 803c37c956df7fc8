"""The SDK's use cases: say hello, see the current screen, submit a screen, take an action."""

from __future__ import annotations

import msgspec

import sdk_protocol as p
from sdk_protocol.validation import frames_field
from server.db.ports import SessionRepository
from server.devices import ClientProfile, profile_of
from server.live_sessions import Live
from server.sessions.core import SessionCore
from server.sessions.presenter import Presenter
from server.workflow import CompiledJourney, Result, Submit, UserAction, localize_errors
from server.workflow.challenge import FIRST_VERSION
from server.workflow.journey import screen_of
from ui_schemas.loader import Catalogs
from verification.formats import CAPTURE_TYPES


def capture_fields(journey: CompiledJourney, state: str) -> dict[str, str]:
    """The inputs of a screen that carry file ids, by name: "capture" (one photo), "files" (a list) or "frames"
    (a challenge selfie's photos after the selfie, `<name>_frames`)."""
    screen = screen_of(journey.journey.states[state])
    if screen is None:
        return {}
    fields = {c.name: "files" if isinstance(c, p.FileUpload) else "capture" for c in screen.components
              if isinstance(c, p.DocumentCapture | p.SelfieCapture | p.FileUpload)}
    fields.update({name: "frames" for c in screen.components if (name := frames_field(c)) is not None})
    return fields


def missing_frames(fields: dict[str, str], values: dict[str, object]) -> list[p.FieldError]:
    """A `validation.challenge_frames` for each challenge the client was sent and did not answer."""
    return [p.FieldError(pointer=f"/{name}", code="validation.challenge_frames",
                         message=f"Expected {name}: the frames of the challenge this screen asked for, got nothing")
            for name, kind in fields.items() if kind == "frames" and name not in values]


def _accepted(screen_id: str, revision: int, result: Result) -> p.Message:
    return p.ScreenAccepted(screen_id=screen_id, revision=revision, next_revision=result.snapshot.revision)


class SdkSessions:
    """What a connected device can do with its session."""

    def __init__(self, *, core: SessionCore, presenter: Presenter, repo: SessionRepository, catalogs: Catalogs,
                 shared: bool) -> None:
        self.core = core
        self.presenter = presenter
        self.repo = repo
        self.catalogs = catalogs
        self.shared = shared  # several nodes: a change made elsewhere may not have been relayed yet

    async def check_active(self, session_id: str) -> None:
        """SessionNotFound or SessionErased unless the session can be worked on."""
        await self.core.live.fetch(session_id)

    def hello(self, message: p.Hello, session_id: str) -> tuple[p.Welcome, ClientProfile]:
        version = p.negotiate_version(message.protocol_version)
        locale = self.catalogs.resolve_locale(message.locale)
        # a client that renders no capture.selfie gets its input.file fallback, and no challenge with it
        challenge = "capture.selfie" in message.components and \
            p.parse_version(message.protocol_version) >= FIRST_VERSION
        profile = profile_of(locale, p.Capabilities.declare(message.components).components, challenge=challenge)
        return p.Welcome(protocol_version=version, session_id=session_id, locale=locale), profile

    async def current(self, session_id: str, profile: ClientProfile) -> list[p.Message]:
        """What a client with `profile` should see now: the screen, and the outcome when finished."""
        live_sessions = self.core.live
        async with live_sessions.locked(session_id):
            live = await (live_sessions.reload(session_id) if self.shared else live_sessions.get(session_id))
            journey = self.core.journey(live.row)
            if self.shared and live.pushed < live.row.version:
                # reloaded a version this node's devices have not been shown (the relay's news of it, arriving
                # after, would be taken as old): show them all, this one included
                await self.presenter.push(live, journey, live.snapshot)
                return []
            return self.presenter.render(journey, live.snapshot, profile)

    async def submit(self, session_id: str, message: p.ScreenSubmit, locale: str, *,
                     challenge: bool = False) -> p.Message:
        """`challenge`: the client speaks 1.3 and was sent the challenges of the screen, so must answer them."""
        key = f"submit:{message.idempotency_key}"
        async with self.core.live.locked(session_id):
            live = await self.core.live.get(session_id)
            if (kept := live.replies.get(key)) is not None:
                return p.decode_server(msgspec.json.decode(kept))
            file_errors = await self._check_files(live, message, challenge)
            if file_errors:
                return self._refuse(live, key, message, localize_errors(file_errors, self.catalogs, locale))
            event = Submit(screen_id=message.screen_id, revision=message.revision, values=message.values)
            try:
                applied = await self.core.apply_locked(
                    live, event, kind="submit", reply_key=key, data={"fields": sorted(message.values)},
                    reply=lambda r: _accepted(message.screen_id, message.revision, r))
            except p.StaleScreen as stale:
                return await self._replay(session_id, key, stale)
            if applied.rejected is not None:
                errors = localize_errors(applied.rejected.errors, self.catalogs, locale)
                return self._refuse(live, key, message, errors)
            return _accepted(message.screen_id, message.revision, applied.result)

    async def action(self, session_id: str, message: p.ScreenAction) -> p.Message:
        key = f"action:{message.idempotency_key}" if message.idempotency_key else None
        async with self.core.live.locked(session_id):
            live = await self.core.live.get(session_id)
            if key is not None and (kept := live.replies.get(key)) is not None:
                return p.decode_server(msgspec.json.decode(kept))
            event = UserAction(screen_id=message.screen_id, revision=message.revision, action=message.action)
            try:
                applied = await self.core.apply_locked(
                    live, event, kind=f"action.{message.action}", reply_key=key,
                    reply=lambda r: _accepted(message.screen_id, message.revision, r))
            except p.StaleScreen as stale:
                if key is None:
                    raise
                return await self._replay(session_id, key, stale)
            return _accepted(message.screen_id, message.revision, applied.result)

    async def _replay(self, session_id: str, key: str, stale: p.StaleScreen) -> p.Message:
        """A retry of a message that was applied (here before a restart, or on another node) gets the reply it
        got then; anything else stale is refused as stale."""
        if (replayed := await self.repo.replay(session_id, key)) is not None:
            return p.decode_server(msgspec.json.decode(replayed))
        raise stale

    @staticmethod
    def _refuse(live: Live, key: str, message: p.ScreenSubmit, errors: list[p.FieldError]) -> p.Message:
        """Refused values change nothing: the reply is kept in memory for a retry (the same values at the same
        revision get the same errors anyway)."""
        reply = p.ScreenErrors(screen_id=message.screen_id, revision=message.revision, errors=errors)
        live.remember(key, msgspec.json.encode(reply))
        return reply

    async def _check_files(self, live: Live, message: p.ScreenSubmit, challenge: bool) -> list[p.FieldError]:
        """Capture values must name files uploaded in this very session; a capture must be a photo; a client
        that was sent a challenge sends its frames."""
        state = live.row.state
        if message.screen_id != state:
            return []  # the engine answers stale screens
        fields = capture_fields(self.core.journey(live.row), state)
        errors = missing_frames(fields, message.values) if challenge else []
        for name, kind in fields.items():
            value = message.values.get(name)
            ids = value if isinstance(value, list) else [value] if isinstance(value, str) else []
            for i, file_id in enumerate(ids):
                if not isinstance(file_id, str) or p.validation.FILE_ID.match(file_id) is None:
                    continue  # the engine reports the malformed value
                pointer = f"/{name}/{i}" if isinstance(value, list) else f"/{name}"
                row = await self.repo.get_file(live.row.id, file_id)
                if row is None:
                    errors.append(p.FieldError(pointer=pointer, code="validation.file_unknown",
                                               message=f"Expected a file uploaded in this session, got {file_id!r}"))
                elif kind != "files" and row.content_type not in CAPTURE_TYPES:
                    errors.append(p.FieldError(pointer=pointer, code="validation.file_type",
                                               message=f"Expected a photo for this capture, got {row.content_type}"))
        return errors


__all__ = ["SdkSessions", "capture_fields", "missing_frames"]
