"""Review states: a person's approve, reject and request_changes, driven through the pure engine."""

from __future__ import annotations

import datetime as dt

import pytest

import sdk_protocol as p
from server.journeys import Registry
from server.workflow import Notify, ReviewDecision, ReviewItem, ShowScreen, Signal, Tick, render_screen
from tests.server.workflow.test_engine import (
    ADA,
    ADDRESS,
    FILE,
    Walk,
    consent,
    face_match,
    kyc,
    through_selfie,
    to_documents,
)
from ui_schemas.loader import load_catalogs

REVIEWER = "user:u_reviewer"


def in_review(registry: Registry, document: str = "passport") -> Walk:
    walk = kyc(registry)
    to_documents(walk, {**ADA, "pep": "yes", "pep_role": "Mayor"}, document=document)
    through_selfie(walk)
    consent(walk)
    assert (walk.state, walk.snapshot.status) == ("manual_review", "review")
    return walk


def test_a_pep_waits_in_review_with_its_flag_and_a_waiting_screen(registry: Registry) -> None:
    walk = in_review(registry)
    assert walk.snapshot.context["review"] == {"round": 1, "flags": ["pep"]}
    assert isinstance(walk.effects[-1], ShowScreen)
    screen = render_screen(walk.journey, walk.snapshot, catalogs=load_catalogs(), locale="de",
                           capabilities=p.Capabilities.declare(sorted(p.ALL_COMPONENT_TYPES)))
    assert screen.waiting and screen.title == "Wir prüfen Ihre Unterlagen"
    assert walk.snapshot.timers and all(t.key.startswith("state:manual_review") for t in walk.snapshot.timers)


def test_approve_ends_approved_and_the_trace_names_who_decided(registry: Registry) -> None:
    walk = in_review(registry)
    walk.apply(ReviewDecision(action="approve", actor=REVIEWER))
    assert (walk.snapshot.status, walk.snapshot.outcome) == ("final", "approved")
    step = walk.snapshot.trace[-1]
    assert (step.state, step.event, step.target, step.actor) == ("manual_review", "review.approve", "approved",
                                                                 REVIEWER)
    assert walk.snapshot.context["review"]["decision"] == {  # type: ignore[index]
        "action": "approve", "reason": None, "actor": REVIEWER, "round": 1, "items": []}


def test_reject_records_its_reason(registry: Registry) -> None:
    walk = in_review(registry)
    walk.apply(ReviewDecision(action="reject", actor=REVIEWER, reason="sanctions_match"))
    assert walk.snapshot.outcome == "rejected"
    assert walk.snapshot.trace[-1].reason == "sanctions_match"


def test_request_changes_redoes_each_item_with_its_guidance_then_returns_to_review(registry: Registry) -> None:
    walk = in_review(registry, document="id_card")
    walk.apply(ReviewDecision(action="request_changes", actor=REVIEWER, items=[
        ReviewItem(item="address", reason="address_mismatch"), ReviewItem(item="document_front", reason="glare")]))
    assert walk.state == "redo_document_front"
    assert walk.snapshot.context["review"]["guidance"] == {  # type: ignore[index]
        "address": "review.change.address_mismatch", "document_front": "retake.glare"}
    screen = render_screen(walk.journey, walk.snapshot, catalogs=load_catalogs(), locale="en",
                           capabilities=p.Capabilities.declare(sorted(p.ALL_COMPONENT_TYPES)))
    alert = next(c for c in screen.components if isinstance(c, p.Alert))
    assert alert.text == "There is glare on the card. Tilt it away from the light."
    walk.submit({"file": FILE})
    assert walk.state == "recheck_document_front"
    walk.task_done(passed=True)
    assert walk.state == "recheck_face"  # a new document front gets a new face match
    walk.task_done(passed=True, face_match=face_match(95))
    assert walk.state == "redo_address"
    walk.submit({**ADDRESS, "line1": "1 New Street"})
    assert (walk.state, walk.snapshot.status) == ("manual_review", "review")
    assert walk.snapshot.context["review"]["round"] == 2  # type: ignore[index]
    assert walk.snapshot.context["review"]["pending"] == []  # type: ignore[index]
    assert walk.snapshot.context["address"]["line1"] == "1 New Street"  # type: ignore[index]
    walk.apply(ReviewDecision(action="approve", actor=REVIEWER))
    assert walk.snapshot.outcome == "approved"
    decided = [(d.event, d.actor) for d in walk.snapshot.trace if d.actor]
    assert decided == [("review.request_changes", REVIEWER), ("review.approve", REVIEWER)]


def test_a_new_selfie_is_matched_again_and_not_twice(registry: Registry) -> None:
    walk = in_review(registry)
    walk.apply(ReviewDecision(action="request_changes", actor=REVIEWER, items=[
        ReviewItem(item="selfie", reason="face_not_visible"), ReviewItem(item="document_front", reason="blurry")]))
    walk.submit({"file": FILE})
    walk.task_done(passed=True)
    assert walk.state == "redo_selfie"  # the selfie is redone anyway: no face match against the old one
    walk.submit({"file": FILE})
    walk.task_done(passed=True, face_match=face_match(40))
    assert walk.state == "manual_review"


def test_decisions_are_only_taken_in_a_review_state(registry: Registry) -> None:
    walk = kyc(registry)
    with pytest.raises(p.EventNotAllowed):
        walk.apply(ReviewDecision(action="approve", actor=REVIEWER))


def test_a_signal_cannot_pose_as_a_reviewer(registry: Registry) -> None:
    walk = in_review(registry)
    with pytest.raises(p.EventNotAllowed, match="cases API"):
        walk.apply(Signal(name="approve"))
    assert walk.state == "manual_review"


def test_the_review_state_reminds_about_its_sla_and_the_journey_deadline_stops(registry: Registry) -> None:
    walk = in_review(registry)
    result = walk.advance(dt.timedelta(hours=25))
    assert [e.name for e in result.effects if isinstance(e, Notify)] == ["review_sla"]
    walk.advance(dt.timedelta(days=10))
    assert (walk.state, walk.snapshot.status) == ("manual_review", "review")  # not expired after 7 days
    walk.apply(Tick())
    walk.apply(ReviewDecision(action="approve", actor=REVIEWER))
    assert walk.snapshot.outcome == "approved"


def test_sessions_pinned_to_kyc_individual_v2_still_end_in_manual_review(registry: Registry) -> None:
    journey = registry.get("kyc_individual", 2)
    assert journey is not None
    walk = Walk(journey)
    to_documents(walk, {**ADA, "pep": "yes", "pep_role": "Mayor"})
    through_selfie(walk)
    walk.submit({"data_processing": True})
    assert (walk.snapshot.status, walk.snapshot.outcome) == ("final", "manual_review")
