"""The reviewers' use cases: the queue, the case page, claim / assign / release, notes and decisions.

Every method takes the acting `Principal`, checks its permission, and reaches only cases of its tenant
(another tenant's case is `case.not_found`). People's changes to a case are compare-and-set on its version
with their audit record in the same transaction; a decision is an event of the session's journey, committed
with its audit record by the session core, which also moves the case.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Awaitable, Callable

import msgspec

import sdk_protocol as p
from server.access import Permission, Principal, require
from server.audit import Audit
from server.cases import views
from server.cases.errors import (
    CaseAssignedToOther,
    CaseChanged,
    CaseDecided,
    CaseNotFound,
    CaseNotInReview,
    NotAssignee,
    UnknownAssignee,
)
from server.cases.repository import CaseStore
from server.cases.rules import check_decision
from server.cases.types import (
    CaseDetail,
    CaseList,
    CaseQuery,
    CaseSummary,
    DecisionRequest,
    NoteView,
)
from server.db.cases import CaseFilter
from server.db.outbox import Outbox
from server.db.rows import CaseRow, NoteRow
from server.live_sessions import decode_snapshot
from server.sessions import Sessions
from server.webhooks.events import CaseAssignedData, event
from server.workflow import ReviewDecision, ReviewItem
from ui_schemas.loader import Catalogs

Listener = Callable[[str, CaseSummary], Awaitable[None]]
OPEN = ("waiting", "assigned")
CLAIM_ATTEMPTS = 5


class Cases:
    """Built once in server/app.py."""

    def __init__(self, *, store: CaseStore, sessions: Sessions, catalogs: Catalogs, audit: Audit,
                 clock: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.sessions = sessions
        self.catalogs = catalogs
        self.audit = audit
        self.clock = clock
        self._listeners: list[Listener] = []
        sessions.core.case_listeners.append(self._changed)

    def subscribe(self, listener: Listener) -> None:
        """`listener(tenant, summary)` after every change of a case made on this node."""
        self._listeners.append(listener)

    async def _changed(self, tenant: str, session_id: str) -> None:
        if not self._listeners:
            return
        row = await self.store.get_case(tenant, session_id)
        if row is not None:
            await self._announce(tenant, views.summary(row))

    async def _announce(self, tenant: str, summary: CaseSummary) -> CaseSummary:
        for listener in self._listeners:
            await listener(tenant, summary)
        return summary

    async def _case(self, principal: Principal, session_id: str) -> CaseRow:
        row = await self.store.get_case(principal.tenant, session_id)
        if row is None:
            raise CaseNotFound(f"Expected a case of your tenant, got unknown session id {session_id[:80]!r}",
                               session_id=session_id[:80])
        return row

    # --- reading ----------------------------------------------------------------

    async def list(self, principal: Principal, query: CaseQuery) -> CaseList:
        require(principal, Permission.CASES_READ)
        assignee = principal.actor if query.assignee == "me" else query.assignee
        fields = msgspec.structs.asdict(query) | {"assignee": assignee, "tenant": principal.tenant}
        try:
            rows, counts, cursor = await self.store.list_cases(msgspec.convert(fields, CaseFilter))
        except ValueError as exc:
            raise p.InvalidRequest(str(exc), path="$.cursor") from None
        return CaseList(cases=[views.summary(r) for r in rows], counts=counts, next_cursor=cursor)

    async def get(self, principal: Principal, session_id: str) -> CaseDetail:
        require(principal, Permission.CASES_READ)
        row = await self._case(principal, session_id)
        session = await self.sessions.core.stored_row(session_id)
        snapshot = decode_snapshot(session)
        journey = self.sessions.core.journey(session)
        trace, timeline, decisions = views.trace_and_timeline(list(snapshot.trace),
                                                              await self.store.timeline(session_id))
        files = await self.store.list_files(session_id)
        return CaseDetail(case=views.summary(row), state=session.state, session_status=session.status,
                          data=views.entered_data(snapshot.context), captures=views.captures(snapshot.context, files),
                          face=views.face(snapshot.context), screening=views.screening(snapshot.context),
                          trace=trace, timeline=timeline,
                          notes=views.notes(await self.store.list_notes(session_id)), decisions=decisions,
                          options=views.options(journey.journey, self.catalogs),
                          can_decide=self._may_decide(principal, row) and session.status == "review")

    @staticmethod
    def _may_decide(principal: Principal, row: CaseRow) -> bool:
        if row.status not in OPEN or not principal.can(Permission.CASES_WORK):
            return False
        return row.assignee == principal.actor or principal.can(Permission.CASES_MANAGE)

    # --- assignment -------------------------------------------------------------

    async def _assign(self, principal: Principal, row: CaseRow, assignee: str | None, name: str,
                      action: str) -> CaseSummary:
        if row.status == "decided":
            raise CaseDecided(f"Expected an undecided case, got one decided {row.outcome}", outcome=row.outcome or "")
        status = row.status if row.status not in OPEN else ("assigned" if assignee else "waiting")
        before: dict[str, object] = {"assignee": row.assignee, "status": row.status}
        after: dict[str, object] = {"assignee": assignee, "status": status}
        audit = self.audit.entry(principal, action, "case", row.session_id, before=before, after=after)
        now = self.clock()
        values: dict[str, object] = {"assignee": assignee, "assignee_name": name, "status": status,
                                     "updated_at": now}
        outbox = Outbox([event(row.tenant, row.session_id, CaseAssignedData(
            session_id=row.session_id, assignee=assignee, action=action.removeprefix("case.")), now)])
        if not await self.store.change_case(row.session_id, row.version, values, audit, outbox):
            raise CaseChanged("Expected the case unchanged since it was read, got a change by someone else; "
                              "reload it", session_id=row.session_id)
        await self.sessions.core.deliver(outbox.streams)
        return await self._announce(row.tenant, views.summary(await self._case(principal, row.session_id)))

    async def claim(self, principal: Principal, session_id: str) -> CaseSummary:
        require(principal, Permission.CASES_WORK)
        row = await self._case(principal, session_id)
        if row.assignee not in (None, principal.actor) and not principal.can(Permission.CASES_MANAGE):
            raise CaseAssignedToOther(f"Expected an unassigned case, got one assigned to {row.assignee_name}",
                                      assignee=row.assignee or "")
        return await self._assign(principal, row, principal.actor, principal.name, "case.claimed")

    async def assign(self, principal: Principal, session_id: str, assignee: str) -> CaseSummary:
        require(principal, Permission.CASES_MANAGE)
        row = await self._case(principal, session_id)
        name = await self.store.reviewer_name(principal.tenant, assignee)
        if name is None:
            raise UnknownAssignee(f"Expected a reviewer or admin of your tenant (user:<id> or api_key:<id>), got "
                                  f"{assignee[:120]!r}", assignee=assignee[:120])
        return await self._assign(principal, row, assignee, name, "case.assigned")

    async def release(self, principal: Principal, session_id: str) -> CaseSummary:
        require(principal, Permission.CASES_WORK)
        row = await self._case(principal, session_id)
        if row.assignee not in (None, principal.actor) and not principal.can(Permission.CASES_MANAGE):
            raise CaseAssignedToOther(f"Expected a case assigned to you or to nobody, got one assigned to "
                                      f"{row.assignee_name}", assignee=row.assignee or "")
        return await self._assign(principal, row, None, "", "case.released")

    async def next_case(self, principal: Principal) -> CaseSummary | None:
        """Claim the case that has waited longest; None when nothing waits."""
        require(principal, Permission.CASES_WORK)
        for _ in range(CLAIM_ATTEMPTS):
            session_id = await self.store.oldest_waiting(principal.tenant)
            if session_id is None:
                return None
            try:
                return await self.claim(principal, session_id)
            except (CaseChanged, CaseAssignedToOther):
                continue  # another reviewer took it first: the next one
        return None

    # --- notes and decisions ----------------------------------------------------

    async def add_note(self, principal: Principal, session_id: str, text: str) -> NoteView:
        require(principal, Permission.CASES_WORK)
        row = await self._case(principal, session_id)
        note = NoteRow(id=f"n_{secrets.token_hex(8)}", session_id=row.session_id, tenant=row.tenant,
                       author=principal.actor, author_name=principal.name, text=text, created_at=self.clock())
        await self.store.add_note(note, self.audit.entry(principal, "case.note_added", "case", row.session_id,
                                                         note_id=note.id, length=len(text)))
        await self._changed(row.tenant, row.session_id)
        return views.notes([note])[0]

    async def decide(self, principal: Principal, session_id: str, request: DecisionRequest) -> CaseSummary:
        require(principal, Permission.CASES_WORK)
        row = await self._case(principal, session_id)
        if row.status == "decided":
            raise CaseDecided(f"Expected an undecided case, got one decided {row.outcome}", outcome=row.outcome or "")
        if request.expected_version is not None and request.expected_version != row.version:
            raise CaseChanged(f"Expected the case at version {request.expected_version}, got version {row.version}; "
                              "reload it", version=row.version)
        if row.status not in OPEN:
            raise CaseNotInReview(f"Expected a case waiting for a decision, got one in status {row.status}",
                                  status=row.status)
        if row.assignee != principal.actor and not principal.can(Permission.CASES_MANAGE):
            raise NotAssignee("Expected a case assigned to you (claim it first), got one assigned to "
                              f"{row.assignee_name or 'nobody'}", assignee=row.assignee or "")
        session = await self.sessions.core.stored_row(session_id)
        check_decision(self.sessions.core.journey(session).journey, session.state, request)
        items = [ReviewItem(item=i.item, reason=i.reason) for i in request.items]
        event = ReviewDecision(action=request.action, actor=principal.actor, reason=request.reason, items=items)
        data = {"actor": principal.actor, "actor_name": principal.name, "reason": request.reason,
                "items": [msgspec.to_builtins(i) for i in request.items], "round": row.round}
        audit = self.audit.entry(principal, "case.decided", "case", session_id, before={"status": row.status},
                                 after={"action": request.action}, reason=request.reason,
                                 items=[f"{i.item}:{i.reason}" for i in request.items], round=row.round)
        try:
            await self.sessions.core.apply(session_id, event, kind=f"review.{request.action}", data=data,
                                           audit=[audit])
        except p.JourneyFinished as exc:
            raise CaseDecided(f"Expected an undecided case, got one that ended {exc.details.get('outcome')}",
                              outcome=str(exc.details.get("outcome") or "")) from None
        except p.EventNotAllowed:
            raise CaseNotInReview("Expected a case waiting for a decision, got one that moved on (someone decided "
                                  "first, or the user is redoing requested changes)", status=row.status) from None
        return views.summary(await self._case(principal, session_id))


__all__ = ["Cases", "Listener"]
