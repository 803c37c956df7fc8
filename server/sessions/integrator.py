"""The integrator's use cases: list journeys, open a session, issue a token, list and read sessions, send a
signal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import msgspec

import sdk_protocol as p
from server.access import Principal
from server.api_types import (
    ChildSummary,
    CreateSession,
    JourneyInfo,
    ParentRef,
    SessionCreated,
    SessionPage,
    SessionQuery,
    SessionSummary,
    SessionView,
    TokenIssued,
)
from server.auth import digest, new_id, new_token
from server.db import ErasureRecord, SessionRow
from server.db.handoffs import handoff_timeline
from server.db.outbox import WebhookRow
from server.db.ports import SessionRepository
from server.db.session_pages import SessionFilter
from server.files import file_info
from server.live_sessions import decode_snapshot
from server.sessions.core import SessionCore
from server.workflow import Decision, Signal, next_due, start
from ui_schemas.loader import Catalogs

SessionWebhook = Callable[[str, str, str], Awaitable[tuple[WebhookRow, str]]]
"""(url, tenant, session id) -> the session's own subscription and its secret (server/webhooks/service.py)"""


class SignalApplied(msgspec.Struct, frozen=True, kw_only=True):
    """Where a signal left the session."""

    state: str
    status: str
    outcome: str | None


class IntegratorSessions:
    """What an API key can do with sessions of its tenant (the routes check `owned` first)."""

    def __init__(self, *, core: SessionCore, repo: SessionRepository, catalogs: Catalogs,
                 token_ttl: dt.timedelta) -> None:
        self.core = core
        self.repo = repo
        self.catalogs = catalogs
        self.token_ttl = token_ttl
        self.session_webhook: SessionWebhook | None = None

    async def owned(self, session_id: str, tenant: str) -> SessionRow:
        """The session when it belongs to `tenant`; for another tenant's session `session.not_found`, exactly
        as for an unknown id (so ids of other tenants cannot be probed). A tenant never changes, so the live
        copy answers when there is one."""
        live = self.core.live.peek(session_id)
        row = live.row if live is not None else await self.repo.load_session(session_id)
        if row is None or row.tenant != tenant:
            raise p.SessionNotFound(f"Expected an existing session, got unknown id {session_id[:80]!r}",
                                    session_id=session_id[:80])
        return row

    def journeys(self) -> list[JourneyInfo]:
        registry = self.core.registry
        infos = []
        for journey in registry.latest():
            j = journey.journey
            versions = sorted(c.journey.version for c in registry.all() if c.journey.name == j.name)
            infos.append(JourneyInfo(name=j.name, version=j.version, title=self.catalogs.text(j.title, "en"),
                                     description=j.description, steps=j.steps, versions=versions))
        return infos

    async def create_session(self, request: CreateSession, *, by: Principal) -> SessionCreated:
        """A session in `by`'s tenant, recorded as opened by `by` (an API key's `api_key:<id>`)."""
        journey = self.core.registry.get(request.journey, request.version)
        if journey is None:
            known = ", ".join(sorted({j.journey.name for j in self.core.registry.all()}))
            wanted = request.journey + (f"@{request.version}" if request.version is not None else "")
            raise p.JourneyNotFound(f"Expected one of the journeys ({known}), got {wanted!r}",
                                    journey=request.journey)
        p.codec.check_bounds(request.prefill)
        locale = self.catalogs.resolve_locale(request.locale)
        now = self.core.clock()
        session_id = new_id("s")
        context: dict[str, object] = {"session": {"id": session_id, "reference": request.reference,
                                                  "locale": locale}, "prefill": request.prefill}
        result = start(journey, now=now, context=context)
        snapshot = result.snapshot
        row = SessionRow(
            id=session_id, tenant=by.tenant, journey=journey.journey.name, journey_version=journey.journey.version,
            reference=request.reference, locale=locale, state=snapshot.state, status=snapshot.status,
            outcome=snapshot.outcome, version=1, snapshot="", next_due_at=next_due(snapshot), created_at=now,
            updated_at=now, completed_at=now if snapshot.status == "final" else None, event_seq=1,
        )
        token = new_token()
        expires_at = now + self.token_ttl
        webhook, secret = None, None
        if request.webhook_url is not None:
            if self.session_webhook is None:
                raise p.InternalError("Expected webhooks to be wired, got none")
            webhook, secret = await self.session_webhook(request.webhook_url, by.tenant, session_id)
        await self.core.open(row, journey, result, api_key_id=by.actor, token_hash=digest(token),
                             token_expires_at=expires_at, webhook=webhook)
        return SessionCreated(session_id=session_id, token=token, expires_at=expires_at,
                              journey=journey.journey.name, version=journey.journey.version,
                              webhook_id=webhook.id if webhook else None, webhook_secret=secret)

    async def issue_token(self, session_id: str) -> TokenIssued:
        await self.core.live.fetch(session_id)
        token = new_token()
        now = self.core.clock()
        expires_at = now + self.token_ttl
        await self.repo.add_token(digest(token), session_id, expires_at, now)
        self.core.live.remember_token(digest(token), session_id, expires_at)
        return TokenIssued(session_id=session_id, token=token, expires_at=expires_at)

    async def list_sessions(self, tenant: str, query: SessionQuery) -> SessionPage:
        """A page of `tenant`'s sessions, newest first (never another tenant's)."""
        try:
            heads, cursor = await self.repo.list_sessions(
                msgspec.convert(msgspec.structs.asdict(query) | {"tenant": tenant}, SessionFilter))
        except ValueError as exc:
            raise p.InvalidRequest(str(exc), path="$.cursor") from None
        return SessionPage(next_cursor=cursor, sessions=[SessionSummary(
            session_id=h.id, journey=h.journey, version=h.journey_version, reference=h.reference, locale=h.locale,
            state=h.state, status=h.status, outcome=h.outcome, created_at=h.created_at, updated_at=h.updated_at,
            completed_at=h.completed_at) for h in heads])

    async def describe(self, session_id: str) -> SessionView | ErasureRecord:
        row = await self.core.stored_row(session_id)
        if row.status in ("erased", "erasing"):
            record = await self.repo.erasure_record(session_id)
            if record is None:
                raise p.SessionErased("Expected a readable session, got one being erased", session_id=session_id)
            return record
        snapshot = decode_snapshot(row)
        context = dict(snapshot.context)
        checks = context.pop("checks", {})
        trace = list(snapshot.trace)  # sessions stored before decisions moved to their timeline entries
        entries = []
        for entry in await self.repo.timeline(session_id):
            if "decisions" not in entry.data:
                entries.append(entry)
                continue
            data = dict(entry.data)
            trace += msgspec.convert(data.pop("decisions"), list[Decision])
            entries.append(msgspec.structs.replace(entry, data=data))
        entries = sorted([*entries, *handoff_timeline(await self.repo.list_handoffs(session_id))], key=lambda e: e.at)
        files = [file_info(f) for f in await self.repo.list_files(session_id)]
        parent = ParentRef(session_id=row.parent_id, group=row.child_group or "", key=row.child_key or "",
                           label=row.child_label) if row.parent_id is not None else None
        children = [ChildSummary(
            session_id=c.id, journey=c.journey, version=c.journey_version, reference=c.reference, locale=c.locale,
            state=c.state, status=c.status, outcome=c.outcome, created_at=c.created_at, updated_at=c.updated_at,
            completed_at=c.completed_at, group=c.child_group or "", key=c.child_key or "", label=c.child_label)
            for c in await self.repo.children_of(session_id)]
        return SessionView(
            session_id=row.id, journey=row.journey, version=row.journey_version, reference=row.reference,
            locale=row.locale, state=row.state, status=row.status, outcome=row.outcome, created_at=row.created_at,
            updated_at=row.updated_at, completed_at=row.completed_at, data=context,
            checks=checks if isinstance(checks, dict) else {}, decisions=trace, timeline=entries, files=files,
            parent=parent, children=children,
        )

    async def signal(self, session_id: str, name: str, data: dict[str, object]) -> SignalApplied:
        p.codec.check_bounds(data)
        applied = await self.core.apply(session_id, Signal(name=name, data=data), kind=f"signal.{name}")
        snapshot = applied.result.snapshot
        return SignalApplied(state=snapshot.state, status=snapshot.status, outcome=snapshot.outcome)


__all__ = ["IntegratorSessions", "SignalApplied"]
