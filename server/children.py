"""Child journeys on the server: a parent's `children` state starts a session per item, each child's end wakes
the parent, a parent that leaves early cancels the children still running.

A child is a session of its own (its own token, handoff links and webhook events: `session.created` names its
parent) whose row names its parent, group and key; the three are unique together, so a start that runs twice
(after a restart, or on two nodes) opens each child once. A child's end reaches the parent as the engine's
ChildDone, through a `children.settle` job deferred after the child's commit; the engine counts a child once,
so a second delivery is refused and dropped. `children.resume` (at start, then periodically) catches what a
crash lost between two commits: children not yet started, ends not yet delivered. Either way the parent goes on
exactly once, on whichever node applies the last child's end.
"""

from __future__ import annotations

import datetime as dt
import logging

import sdk_protocol as p
from server.auth import digest, new_id, new_token
from server.db import Conflict, SessionRow
from server.db.ports import SessionRepository
from server.jobs import JobArgs, JobEngine, JobKind, Periodic
from server.live_sessions import Live
from server.sessions import Sessions
from server.workflow import Cancel, ChildDone, ChildSpec, CompiledJourney, EndChildren, StartChildren, next_due, start
from server.workflow import children as pure

log = logging.getLogger("arabesque.children")
RESUME_SECONDS = 30.0
"""how often waiting parents are checked for children not started or ends not delivered"""
GONE = (p.EventNotAllowed, p.JourneyFinished, p.SessionErased, p.SessionNotFound)
"""what applying to a session that moved on (or away) raises: the event is dropped"""


class Children:
    """Built once in server/app.py; registers its effects, its listener and its jobs."""

    def __init__(self, *, sessions: Sessions, repo: SessionRepository, jobs: JobEngine,
                 token_ttl: dt.timedelta) -> None:
        self.sessions = sessions
        self.core = sessions.core
        self.repo = repo
        self.jobs = jobs
        self.token_ttl = token_ttl
        sessions.effects.children = self.effect
        self.core.child_ended.append(self.ended)
        jobs.register(JobKind(name="children.settle", handler=self.settle_job))
        jobs.every(Periodic(name="children.resume", handler=self.resume, seconds=RESUME_SECONDS))

    async def effect(self, live: Live, effect: StartChildren | EndChildren) -> None:
        if isinstance(effect, StartChildren):
            await self.start(live.row, effect)
        else:
            await self.end(live.row, effect)

    async def start(self, parent: SessionRow, effect: StartChildren) -> list[str]:
        """Open the children of `effect` that have no session yet; the ids of those opened now."""
        journey = self.core.registry.get(effect.journey, effect.version)
        if journey is None:  # the loader refuses a children state naming an unknown journey
            raise p.InternalError(f"Expected journey {effect.journey} to be loaded, got none", journey=effect.journey)
        have = {(c.child_group, c.child_key) for c in await self.repo.children_of(parent.id)}
        opened = []
        for spec in effect.children:
            if (effect.group, spec.key) not in have and await self._open(parent, journey, effect.group, spec):
                opened.append(spec.key)
        if opened:
            log.info("session %s started %d %s session(s) for %s", parent.id, len(opened), effect.journey,
                     effect.group)
        return opened

    async def _open(self, parent: SessionRow, journey: CompiledJourney, group: str, spec: ChildSpec) -> bool:
        now = self.core.clock()
        session_id = new_id("s")
        context: dict[str, object] = {
            "session": {"id": session_id, "reference": parent.reference, "locale": parent.locale},
            "prefill": spec.prefill,
            "parent": {"session_id": parent.id, "group": group, "key": spec.key, "label": spec.label}}
        result = start(journey, now=now, context=context)
        snapshot = result.snapshot
        row = SessionRow(
            id=session_id, tenant=parent.tenant, journey=journey.journey.name, journey_version=journey.journey.version,
            reference=parent.reference, locale=parent.locale, state=snapshot.state, status=snapshot.status,
            outcome=snapshot.outcome, version=1, snapshot="", next_due_at=next_due(snapshot), created_at=now,
            updated_at=now, completed_at=None, event_seq=1, parent_id=parent.id, child_group=group,
            child_key=spec.key, child_label=spec.label or None)
        # the first token is held by no one: the integrator asks for the child's token or a handoff link
        try:
            await self.core.open(row, journey, result, api_key_id=None, token_hash=digest(new_token()),
                                 token_expires_at=now + self.token_ttl)
        except Conflict:
            return False  # opened meanwhile by another node (or a resume): one child per key
        return True

    async def end(self, parent: SessionRow, effect: EndChildren) -> int:
        """Cancel the children of `effect` still running; how many were."""
        cancelled = 0
        for child in await self.repo.children_of(parent.id):
            if child.child_group != effect.group or child.child_key not in effect.keys or child.status == "final":
                continue
            try:
                await self.core.apply(child.id, Cancel(reason=f"its parent {parent.id} left {parent.state}",
                                                       actor=f"session:{parent.id}"), kind="cancel")
                cancelled += 1
            except GONE:
                continue
        return cancelled

    async def ended(self, child: SessionRow) -> None:
        """A child's commit ended it: its parent hears of it in a job (never under the child's lock)."""
        await self.jobs.defer("children.settle", {"session_id": child.id}, once=f"settle:{child.id}")

    async def settle_job(self, args: JobArgs) -> None:
        await self.settle(str(args["session_id"]))

    async def settle(self, child_id: str) -> bool:
        """Tell an ended child's parent its outcome; False when it has nothing (more) to hear."""
        child = await self.repo.load_session(child_id)
        if child is None or child.parent_id is None or child.status != "final" or child.outcome not in pure.OUTCOMES:
            return False
        event = ChildDone(group=child.child_group or "", key=child.child_key or "", session_id=child.id,
                          outcome=child.outcome)
        try:
            await self.core.apply(child.parent_id, event, kind="child.done",
                                  data={"child": child.id, "group": event.group, "outcome": event.outcome})
        except GONE:
            return False  # counted already, or the parent moved on: dropped
        return True

    async def resume(self) -> int:
        """Every waiting parent: children not started are started, ends not delivered are; how many ends."""
        delivered = 0
        for session_id in await self.repo.waiting_sessions():
            try:
                live = await self.core.live.fetch(session_id)
            except p.SdkError:
                continue
            pending = pure.pending(self.core.journey(live.row), live.snapshot)
            if pending is None:
                continue
            await self.start(live.row, pending)
            keys = {c.key for c in pending.children}
            for child in await self.repo.children_of(session_id):
                if child.child_group == pending.group and child.child_key in keys and child.status == "final":
                    delivered += await self.settle(child.id)
        return delivered


__all__ = ["RESUME_SECONDS", "Children"]
