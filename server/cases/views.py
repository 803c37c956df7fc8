"""The case page's parts, read from a session's context, timeline, files and notes (pure functions)."""

from __future__ import annotations

import msgspec

from server.cases.types import (
    CandidateView,
    CaptureView,
    CaseSummary,
    CheckView,
    Choice,
    DecisionView,
    FaceView,
    NoteView,
    ReviewOptions,
    ScreeningView,
    TimelineEntry,
    TraceStep,
)
from server.db.rows import CaseRow, EventRow, FileRow, NoteRow
from server.workflow import Decision
from ui_schemas.loader import Catalogs
from ui_schemas.model import Journey

HIDDEN_CONTEXT = ("captures", "checks", "review", "retakes", "screening", "$now")
"""Context roots shown elsewhere on the page (or not for people): the rest is what the user entered."""
REVIEWER_LOCALE = "en"


def summary(row: CaseRow) -> CaseSummary:
    flags = msgspec.json.decode(row.flags, type=list[str]) if row.flags else []
    return CaseSummary(session_id=row.session_id, journey=row.journey, journey_version=row.journey_version,
                       reference=row.reference, name=row.name, status=row.status,  # type: ignore[arg-type]
                       assignee=row.assignee, assignee_name=row.assignee_name, outcome=row.outcome, flags=flags,
                       round=row.round, version=row.version, created_at=row.created_at, updated_at=row.updated_at,
                       decided_at=row.decided_at)


def entered_data(context: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in context.items() if key not in HIDDEN_CONTEXT}


def _file_of(capture: object) -> str | None:
    found = capture.get("file") if isinstance(capture, dict) else None
    if isinstance(found, list):
        found = found[0] if found else None
    return found if isinstance(found, str) else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _checks(result: dict[str, object]) -> list[CheckView]:
    found = []
    for name, value in result.items():
        if isinstance(value, dict) and "passed" in value and name != "face_match":
            passed = value.get("passed")
            found.append(CheckView(name=name, passed=passed if isinstance(passed, bool) else None,
                                   status=str(value.get("status") or ""), score=_number(value.get("score")),
                                   value=_number(value.get("value")), threshold=_number(value.get("threshold")),
                                   reason=str(value.get("reason") or ""),
                                   message_key=str(value.get("message_key") or "")))
    return found


def captures(context: dict[str, object], files: list[FileRow]) -> list[CaptureView]:
    """Each capture with its file and its checks (`checks.<capture>` by the shipped journeys' convention)."""
    taken = context.get("captures")
    results = context.get("checks")
    types = {f.id: f.content_type for f in files}
    views = []
    for name, capture in (taken.items() if isinstance(taken, dict) else []):
        file_id = _file_of(capture)
        result = results.get(name) if isinstance(results, dict) else None
        result = result if isinstance(result, dict) else {}
        passed = result.get("passed")
        views.append(CaptureView(name=name, file_id=file_id, content_type=types.get(file_id or "", ""),
                                 passed=passed if isinstance(passed, bool) else None,
                                 message_key=str(result.get("message_key") or ""), checks=_checks(result)))
    return views


def face(context: dict[str, object]) -> FaceView | None:
    """The face match of the selfie against the document front (or the enrolled face)."""
    results = context.get("checks")
    for name, result in (results.items() if isinstance(results, dict) else []):
        match = result.get("face_match") if isinstance(result, dict) else None
        if not isinstance(match, dict) or not isinstance(result, dict):
            continue
        taken = context.get("captures")
        taken = taken if isinstance(taken, dict) else {}
        prefill = context.get("prefill")
        enrolled = prefill.get("enrolled_face") if isinstance(prefill, dict) else None
        thresholds = result.get("thresholds")
        return FaceView(verdict=str(match.get("verdict") or ""), similarity=_number(match.get("similarity")),
                        distance=_number(match.get("distance")), selfie_file_id=_file_of(taken.get(name)),
                        reference_file_id=_file_of(taken.get("document_front")) or
                        (enrolled if isinstance(enrolled, str) else None),
                        thresholds={k: float(v) for k, v in thresholds.items() if isinstance(v, int | float)}
                        if isinstance(thresholds, dict) else {})
    return None


def screening(context: dict[str, object]) -> list[ScreeningView]:
    """Each `screening.<who>` result (the `screening` task's), with its candidates, or the error it failed with."""
    results = context.get("screening")
    views = []
    for name, result in (results.items() if isinstance(results, dict) else []):
        if not isinstance(result, dict):
            continue
        error = result.get("error")
        if isinstance(error, dict):
            views.append(ScreeningView(name=name, error=f"{error.get('code')}: {error.get('message')}"))
            continue
        people = result.get("people")
        for who, one in ([(f"{name}: {p.get('name')}", p) for p in people if isinstance(p, dict)]
                         if isinstance(people, list) else [(name, result)]):
            candidates = one.get("candidates")
            views.append(ScreeningView(
                name=who, hits=int(_number(one.get("hits")) or 0), max_score=_number(one.get("max_score")) or 0.0,
                threshold=_number(result.get("threshold")), list_version=str(result.get("list_version") or ""),
                checked_at=str(result.get("checked_at") or ""),
                candidates=msgspec.convert(candidates if isinstance(candidates, list) else [], list[CandidateView])))
    return views


def trace_and_timeline(snapshot_trace: list[Decision],
                       entries: list[EventRow]) -> tuple[list[TraceStep], list[TimelineEntry], list[DecisionView]]:
    """The decision trace (each step's rules, readable), the timeline, and the people's decisions in it."""
    decisions = list(snapshot_trace)
    timeline = []
    reviewed = []
    for entry in entries:
        data = entry.data
        if "decisions" in data:
            decisions += msgspec.convert(data["decisions"], list[Decision])
        actor = str(data.get("actor") or "")
        timeline.append(TimelineEntry(at=entry.at, kind=entry.kind, from_state=entry.from_state,
                                      to_state=entry.to_state, actor=actor))
        if entry.kind.startswith("review.") and actor:
            reviewed.append(msgspec.convert({**data, "at": entry.at, "action": entry.kind.removeprefix("review.")},
                                            DecisionView, from_attributes=False, strict=False))
    steps = [TraceStep(at=d.at, state=d.state, event=d.event, target=d.target, actor=d.actor, reason=d.reason,
                       rules=[{"rule": e.rule, "result": e.result, "inputs": e.inputs, **({"error": e.error}
                                                                                           if e.error else {})}
                              for e in d.evaluations]) for d in decisions]
    return steps, timeline, reviewed


def notes(rows: list[NoteRow]) -> list[NoteView]:
    return [NoteView(id=n.id, at=n.created_at, author=n.author, author_name=n.author_name, text=n.text) for n in rows]


def options(journey: Journey, catalogs: Catalogs) -> ReviewOptions:
    review = journey.review
    if review is None:
        return ReviewOptions()

    def choices(table: dict[str, str]) -> list[Choice]:
        return [Choice(code=code, label=catalogs.text(key, REVIEWER_LOCALE)) for code, key in table.items()]

    return ReviewOptions(reject_reasons=choices(review.reject_reasons), change_items=choices(review.change_items),
                         change_reasons=choices(review.change_reasons))


__all__ = ["captures", "entered_data", "face", "notes", "options", "summary", "trace_and_timeline"]
