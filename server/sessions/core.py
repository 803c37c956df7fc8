"""The only writer of snapshots: open a session, apply an event durably, hand the effects on.

`apply` runs under the session's lock: the snapshot comes from memory (live_sessions.py), the pure engine
decides, snapshot + timeline (+ the idempotent reply) are committed in one batched transaction guarded by the
session's version (on a conflict another node got there first: reload and decide again), and the effects go
to the function handed in (effects.py), never run here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Mapping

import msgspec

import sdk_protocol as p
from server import context
from server.db import Conflict, EventRow, SessionRow, SessionUpdate
from server.db.outbox import Outbox, WebhookRow
from server.db.ports import SessionRepository
from server.db.rows import AuditRow
from server.journeys import Registry
from server.live_sessions import Live, LiveSessions
from server.metrics import Metrics
from server.relay import Relay
from server.sessions.review import case_audit, case_change
from server.webhooks.events import session_created, transition_events
from server.workflow import (
    AnyEffect,
    AnyEvent,
    CompiledJourney,
    Complete,
    Notify,
    RejectInput,
    Result,
    ShowScreen,
    Snapshot,
    Tick,
    next_due,
    transition,
)

Clock = Callable[[], dt.datetime]
RunEffects = Callable[[Live, CompiledJourney, Snapshot, list[AnyEffect]], Awaitable[None]]
CaseListener = Callable[[str, str], Awaitable[None]]
"""called with (tenant, session id) after a commit changed a session's case"""
EndListener = Callable[[SessionRow], Awaitable[None]]
"""called with a child session's row after the commit that ended it (server/children.py wakes its parent)"""
Deliver = Callable[[list[str]], Awaitable[None]]
"""called with the webhook streams a commit gave new deliveries (server/webhooks/delivery.py starts them)"""
MAX_RETRIES = 8


class Applied(msgspec.Struct, frozen=True, kw_only=True):
    """What an event did: the engine's result, or the input it refused (then nothing was written)."""

    result: Result
    rejected: RejectInput | None = None


async def _no_delivery(streams: list[str]) -> None:
    return None


async def _no_effects(live: Live, journey: CompiledJourney, snapshot: Snapshot, effects: list[AnyEffect]) -> None:
    return None


def split_trace(before: Snapshot | None, after: Snapshot) -> tuple[Snapshot, dict[str, object]]:
    """The snapshot to store, and the decisions this step added, which go to its timeline entry instead of
    growing the stored snapshot (and every write of it) with each step."""
    kept = before.trace if before is not None else []
    added = after.trace[len(kept):]
    if not added:
        return after, {}
    return msgspec.structs.replace(after, trace=kept), {"decisions": msgspec.to_builtins(added)}


class SessionCore:
    """Built once per process; `run_effects` is set by `build_sessions` once the effect runner exists."""

    def __init__(self, *, repo: SessionRepository, registry: Registry, live: LiveSessions, clock: Clock,
                 relay: Relay, metrics: Metrics | None = None) -> None:
        self.repo = repo
        self.metrics = metrics or Metrics()
        self.registry = registry
        self.live = live
        self.clock = clock
        self.relay = relay
        self.run_effects: RunEffects = _no_effects
        self.case_listeners: list[CaseListener] = []
        self.child_ended: list[EndListener] = []
        self.deliver: Deliver = _no_delivery

    def journey(self, row: SessionRow) -> CompiledJourney:
        journey = self.registry.get(row.journey, row.journey_version)
        if journey is None:
            raise p.InternalError(f"Expected journey {row.journey}@{row.journey_version} to be loaded, got none",
                                  journey=row.journey)
        return journey

    async def stored_row(self, session_id: str) -> SessionRow:
        """The row as stored (not the live copy): for reads that must see erasure and every column."""
        row = await self.repo.load_session(session_id)
        if row is None:
            raise p.SessionNotFound(f"Expected an existing session, got unknown id {session_id!r}",
                                    session_id=session_id)
        return row

    async def open(self, row: SessionRow, journey: CompiledJourney, result: Result, *, api_key_id: str | None,
                   token_hash: str, token_expires_at: dt.datetime, webhook: WebhookRow | None = None) -> None:
        """Write a new session (row, first timeline entry, first token, its webhook events and its own
        `webhook` subscription) and run its first effects."""
        started = time.monotonic()
        stored, decisions = split_trace(None, result.snapshot)
        row = msgspec.structs.replace(row, snapshot=msgspec.json.encode(stored).decode())
        first = EventRow(at=row.created_at, kind="start", from_state="", to_state=stored.state,
                         revision=stored.revision, data={"journey": journey.key, **decisions})
        outbox = Outbox([session_created(row)], subscribe=webhook)
        await self.repo.create_session(row, first, api_key_id=api_key_id, token_hash=token_hash,
                                       token_expires_at=token_expires_at, outbox=outbox)
        await self.deliver(outbox.streams)
        self.metrics.transition(journey=journey.journey.name, kind="start", status=stored.status,
                                seconds=time.monotonic() - started)
        self.live.remember_token(token_hash, row.id, token_expires_at)
        async with self.live.locked(row.id):
            await self.run_effects(self.live.put(row), journey, stored, result.effects)

    async def apply(self, session_id: str, event: AnyEvent, *, kind: str,
                    data: Mapping[str, object] | None = None, audit: list[AuditRow] | None = None) -> Applied:
        # an event from inside (a task's result, a timer, a signal, a decision): timed from here
        with context.scope(session_id=session_id, started=time.monotonic()):
            async with self.live.locked(session_id):
                live = await self.live.get(session_id)
                return await self.apply_locked(live, event, kind=kind, data=data, audit=audit)

    async def apply_locked(self, live: Live, event: AnyEvent, *, kind: str, reply_key: str | None = None,
                           reply: Callable[[Result], p.Message] | None = None,
                           data: Mapping[str, object] | None = None,
                           audit: list[AuditRow] | None = None) -> Applied:
        """Transition, commit (optimistic, batched), run effects; the caller holds the session's lock."""
        started = time.monotonic()
        context.bind(session_id=live.row.id, tenant=live.row.tenant)
        for _ in range(MAX_RETRIES):
            snapshot = live.snapshot
            journey = self.journey(live.row)
            now = self.clock()
            if not isinstance(event, Tick) and snapshot.status != "final" and (due := next_due(snapshot)) \
                    and due <= now:
                await self.apply_locked(live, Tick(), kind="tick")  # a due timer fires before what came after it
                continue
            result = transition(journey, snapshot, event, now)
            rejected = next((e for e in result.effects if isinstance(e, RejectInput)), None)
            if rejected is not None:
                return Applied(result=result, rejected=rejected)
            if isinstance(event, Tick) and result.snapshot == snapshot:
                return Applied(result=result)  # nothing was due (another node fired it first): no write
            stored, decisions = split_trace(snapshot, result.snapshot)
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
            case = case_change(live.row, snapshot, stored, now)
            outbox = Outbox(transition_events(live.row, snapshot, stored, event, kind=kind, data=data, now=now))
            try:
                row = await self.repo.save_transition(live.row, update, entries, now, stored_reply, case=case,
                                                      audit=[*(audit or []), *case_audit(case)], outbox=outbox)
            except Conflict:
                live = await self.live.reload(live.row.id)
                continue
            await self.deliver(outbox.streams)
            self.relay.publish(row, push=any(isinstance(e, ShowScreen | Complete) for e in result.effects))
            self.metrics.transition(journey=journey.journey.name, kind=kind, status=stored.status,
                                    seconds=time.monotonic() - started)
            live = self.live.put(row)
            if stored_reply is not None:
                live.remember(stored_reply[0], stored_reply[1])
            await self.run_effects(live, journey, stored, result.effects)
            if case is not None:
                for listener in self.case_listeners:
                    await listener(row.tenant, row.id)
            if update.completed and row.parent_id is not None:
                for ended in self.child_ended:
                    await ended(row)
            return Applied(result=result)
        raise p.ServerBusy(f"Expected to commit within {MAX_RETRIES} attempts, got constant conflicts with other "
                           "writers; nothing was changed, retry shortly", retry_after=1.0)


__all__ = ["Applied", "CaseListener", "Clock", "Deliver", "EndListener", "RunEffects", "SessionCore", "split_trace"]
