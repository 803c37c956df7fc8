"""The cases API's shapes (REST JSON and the back office's templates read the same Structs)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

CaseStatus = Literal["waiting", "assigned", "changes_requested", "decided"]
"""waiting: in review, nobody on it; assigned: in review, someone on it; changes_requested: the user is
redoing what a reviewer asked for; decided: approved or rejected by a reviewer (or ended otherwise)"""
CASE_STATUSES: tuple[CaseStatus, ...] = ("waiting", "assigned", "changes_requested", "decided")
ReviewAction = Literal["approve", "reject", "request_changes"]
REVIEW_ACTIONS: tuple[ReviewAction, ...] = ("approve", "reject", "request_changes")
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class CaseSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One row of the queue."""

    session_id: str
    journey: str
    journey_version: int
    reference: str
    name: str
    status: CaseStatus
    assignee: str | None = None
    assignee_name: str = ""
    outcome: str | None = None
    flags: list[str] = []
    round: int = 1
    """how many times the case has entered review (a resubmission starts the next round)"""
    version: int = 1
    """changes with every change of the case: a page compares it to know it is stale"""
    created_at: dt.datetime
    updated_at: dt.datetime
    decided_at: dt.datetime | None = None


class CaseList(msgspec.Struct, frozen=True, kw_only=True):
    cases: list[CaseSummary]
    counts: dict[str, int]
    """per status, over every case of the tenant matching the filters other than `status`"""
    next_cursor: str | None = None


class CaseQuery(msgspec.Struct, frozen=True, kw_only=True):
    """The filters of `GET /v1/cases` (all optional, combined with AND)."""

    status: CaseStatus | None = None
    assignee: str | None = None
    """an actor (`user:<id>`, `api_key:<id>`), `me`, or `none` for unassigned cases"""
    journey: str | None = None
    outcome: str | None = None
    reference: str | None = None
    flag: str | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    updated_from: dt.datetime | None = None
    updated_to: dt.datetime | None = None
    q: str | None = None
    """free text, matched against the reference and the name"""
    sort: Literal["created_at", "-created_at", "updated_at", "-updated_at"] = "created_at"
    cursor: str | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50


class CheckView(msgspec.Struct, frozen=True, kw_only=True):
    """One quality check of a capture, with the threshold it was held to."""

    name: str
    passed: bool | None = None
    status: str = ""
    score: float | None = None
    value: float | None = None
    threshold: float | None = None
    reason: str = ""
    message_key: str = ""


class CaptureView(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    """the capture's name in the journey (document_front, selfie, ...)"""
    file_id: str | None = None
    content_type: str = ""
    passed: bool | None = None
    message_key: str = ""
    checks: list[CheckView] = []


class FaceView(msgspec.Struct, frozen=True, kw_only=True):
    verdict: str
    similarity: float | None = None
    distance: float | None = None
    selfie_file_id: str | None = None
    reference_file_id: str | None = None
    thresholds: dict[str, float] = {}


class CandidateView(msgspec.Struct, frozen=True, kw_only=True):
    """A listed entity the screening found close to the person or company, with why."""

    id: str
    caption: str
    score: float
    reasons: list[str] = []
    topics: list[str] = []
    datasets: list[str] = []


class ScreeningView(msgspec.Struct, frozen=True, kw_only=True):
    """One `screening.<who>` result: its hits at the threshold and the candidates a reviewer compares."""

    name: str
    hits: int = 0
    max_score: float = 0.0
    threshold: float | None = None
    candidates: list[CandidateView] = []
    list_version: str = ""
    checked_at: str = ""
    error: str = ""
    """why the screening did not run (`screening.not_configured: ...`); empty when it did"""


class TraceStep(msgspec.Struct, frozen=True, kw_only=True):
    """One step of the decision trace, readable: which rules were asked and what they said."""

    at: dt.datetime
    state: str
    event: str
    target: str | None
    rules: list[dict[str, object]] = []
    actor: str = ""
    reason: str = ""


class TimelineEntry(msgspec.Struct, frozen=True, kw_only=True):
    at: dt.datetime
    kind: str
    from_state: str
    to_state: str
    actor: str = ""


class NoteView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    at: dt.datetime
    author: str
    author_name: str
    text: str


class ChangeItem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing the user must redo, and why (the reason's message becomes the retake guidance)."""

    item: Code
    reason: Code


class DecisionView(msgspec.Struct, frozen=True, kw_only=True):
    at: dt.datetime
    action: ReviewAction
    reason: str | None = None
    items: list[ChangeItem] = []
    actor: str
    actor_name: str = ""
    round: int = 1


class Choice(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    label: str


class ReviewOptions(msgspec.Struct, frozen=True, kw_only=True):
    """What a reviewer may pick for this case's journey (labels in the reviewer's language)."""

    reject_reasons: list[Choice] = []
    change_items: list[Choice] = []
    change_reasons: list[Choice] = []


class CaseDetail(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a reviewer needs on one page."""

    case: CaseSummary
    state: str
    session_status: str
    data: dict[str, object] = {}
    """what the user entered, by screen (captures are under `captures`)"""
    captures: list[CaptureView] = []
    face: FaceView | None = None
    screening: list[ScreeningView] = []
    trace: list[TraceStep] = []
    timeline: list[TimelineEntry] = []
    notes: list[NoteView] = []
    decisions: list[DecisionView] = []
    options: ReviewOptions = ReviewOptions()
    can_decide: bool = False
    """whether the principal that asked may decide now (assignee or admin, case in review)"""


class DecisionRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /v1/cases/{id}/decision`: `reason` is required to reject; `items` to request changes."""

    action: ReviewAction
    reason: Code | None = None
    items: list[ChangeItem] = []
    expected_version: int | None = None
    """optional: refuse with `case.changed` when the case is no longer at this version"""


class AssignRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    assignee: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]


class NoteRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    text: Text


__all__ = ["CASE_STATUSES", "REVIEW_ACTIONS", "AssignRequest", "CaptureView", "CaseDetail", "CaseList", "CaseQuery",
           "CaseStatus", "CaseSummary", "ChangeItem", "CheckView", "Choice", "DecisionRequest", "DecisionView",
           "FaceView", "NoteRequest", "NoteView", "ReviewAction", "ReviewOptions", "TimelineEntry", "TraceStep"]
