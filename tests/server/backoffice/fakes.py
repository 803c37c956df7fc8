"""A cases service over a dict (the `CaseService` port), for the back office's in-process tests."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.access import Forbidden, Permission, Principal, require
from server.backoffice.ports import CaseListener
from server.cases.errors import CaseNotFound, NotAssignee
from server.cases.types import (
    CaptureView,
    CaseDetail,
    CaseList,
    CaseQuery,
    CaseSummary,
    CheckView,
    Choice,
    DecisionRequest,
    FaceView,
    NoteView,
    ReviewOptions,
    TimelineEntry,
    TraceStep,
)

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
OPTIONS = ReviewOptions(
    reject_reasons=[Choice(code="document_forged", label="Document looks forged"),
                    Choice(code="face_mismatch", label="Face does not match")],
    change_items=[Choice(code="document_front", label="Document front"),
                  Choice(code="document_back", label="Document back"), Choice(code="selfie", label="Selfie")],
    change_reasons=[Choice(code="blurry", label="Blurry"), Choice(code="glare", label="Glare")])


def detail(session_id: str, *, tenant_name: str = "Eileen Collins", status: str = "waiting",
           file_id: str = "f_front") -> CaseDetail:
    summary = CaseSummary(session_id=session_id, journey="kyc_individual", journey_version=3,
                          reference=f"ref-{session_id}", name=tenant_name, status=status,  # type: ignore[arg-type]
                          flags=["pep"], created_at=T0, updated_at=T0)
    return CaseDetail(
        case=summary, state="manual_review", session_status="waiting",
        data={"personal": {"first_name": "Eileen", "pep": "yes"}},
        captures=[CaptureView(name="document_front", file_id=file_id, content_type="image/jpeg", passed=True,
                              checks=[CheckView(name="sharpness", passed=True, score=182.5, threshold=100.0),
                                      CheckView(name="glare", passed=False, score=0.31, threshold=0.2,
                                                reason="glare on the card")])],
        face=FaceView(verdict="review", similarity=71.2, distance=0.52, selfie_file_id="f_selfie",
                      reference_file_id=file_id, thresholds={"approve": 80.0, "review": 60.0}),
        trace=[TraceStep(at=T0, state="consent", event="submit", target="manual_review",
                         rules=[{"name": "is_pep", "result": True}])],
        timeline=[TimelineEntry(at=T0, kind="submit", from_state="consent", to_state="manual_review")],
        options=OPTIONS)


class FakeCases:
    """One tenant's cases in memory; decisions and notes are kept for assertions."""

    def __init__(self, tenant: str = "default") -> None:
        self.tenant = tenant
        self.details: dict[str, CaseDetail] = {}
        self.decisions: list[tuple[str, DecisionRequest]] = []
        self.listeners: list[CaseListener] = []

    def add(self, found: CaseDetail) -> None:
        self.details[found.case.session_id] = found

    def _find(self, principal: Principal, session_id: str) -> CaseDetail:
        found = self.details.get(session_id)
        if found is None or principal.tenant != self.tenant:
            raise CaseNotFound(f"Expected a case of this tenant, got {session_id!r}")
        return found

    def _change(self, session_id: str, **changes: object) -> CaseSummary:
        found = self.details[session_id]
        summary = msgspec.structs.replace(found.case, version=found.case.version + 1, **changes)
        self.details[session_id] = msgspec.structs.replace(found, case=summary)
        return summary

    async def list(self, principal: Principal, query: CaseQuery) -> CaseList:
        require(principal, Permission.CASES_READ)
        mine = [d.case for d in self.details.values() if principal.tenant == self.tenant]
        if query.q:
            mine = [c for c in mine if query.q.lower() in (c.reference + c.name).lower()]
        counts = {s: sum(1 for c in mine if c.status == s) for s in ("waiting", "assigned")}
        if query.status:
            mine = [c for c in mine if c.status == query.status]
        return CaseList(cases=mine, counts=counts)

    async def get(self, principal: Principal, session_id: str) -> CaseDetail:
        found = self._find(principal, session_id)
        can = principal.can(Permission.CASES_WORK) and found.case.assignee == principal.actor
        return msgspec.structs.replace(found, can_decide=can)

    async def claim(self, principal: Principal, session_id: str) -> CaseSummary:
        self._find(principal, session_id)
        return self._change(session_id, assignee=principal.actor, assignee_name=principal.name, status="assigned")

    async def assign(self, principal: Principal, session_id: str, assignee: str) -> CaseSummary:
        self._find(principal, session_id)
        return self._change(session_id, assignee=assignee, status="assigned")

    async def release(self, principal: Principal, session_id: str) -> CaseSummary:
        self._find(principal, session_id)
        return self._change(session_id, assignee=None, assignee_name="", status="waiting")

    async def decide(self, principal: Principal, session_id: str, request: DecisionRequest) -> CaseSummary:
        found = self._find(principal, session_id)
        if found.case.assignee != principal.actor:
            raise NotAssignee("Expected the case assigned to the caller, got another assignee")
        self.decisions.append((session_id, request))
        return self._change(session_id, status="decided", outcome=request.action)

    async def add_note(self, principal: Principal, session_id: str, text: str) -> NoteView:
        found = self._find(principal, session_id)
        if not principal.can(Permission.CASES_WORK):
            raise Forbidden("viewer")
        note = NoteView(id=f"n{len(found.notes)}", at=T0, author=principal.actor, author_name=principal.name,
                        text=text)
        self.details[session_id] = msgspec.structs.replace(found, notes=[*found.notes, note])
        return note

    async def next_case(self, principal: Principal) -> CaseSummary | None:
        waiting = [d.case for d in self.details.values() if d.case.status == "waiting"]
        return await self.claim(principal, waiting[0].session_id) if waiting else None

    def subscribe(self, listener: CaseListener) -> None:
        self.listeners.append(listener)
