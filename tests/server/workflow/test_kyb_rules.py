"""kyb_business version 3 through the pure engine: the certificate check, the registry's answer, the screenings
and the owners' own verifications (child sessions) decide, with flags."""

from __future__ import annotations

import datetime as dt

import pytest

from sdk_protocol import Outcome
from server.journeys import Registry
from server.workflow import ChildDone, EndChildren, RunTask, StartChildren
from server.workflow.snapshot import TaskFailed
from tests.server.workflow.test_engine import ADDRESS, FILE, Walk, decision_of

COMPANY = {"legal_name": "Analytical Engines Ltd", "country": "GB", "registration_number": "01234567",
           "legal_form": "limited", "incorporation_date": "2015-06-01"}
OWNERS = [{"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-12-10", "nationality": "GB",
           "share": 60, "is_director": True},
          {"first_name": "Charles", "last_name": "Babbage", "date_of_birth": "1971-12-26", "nationality": "GB",
           "share": 40}]
REGISTERED = {"status": "active", "name": "ANALYTICAL ENGINES LIMITED", "incorporation_date": "2015-06-01"}
ACTIVE = {"passed": True, "status": 200, "company": REGISTERED}
CLEAN = {"passed": True, "max_score": 0.0, "hits": 0, "threshold": 0.85, "backend": "local", "list_version": "t",
         "checked_at": "2026-11-25T12:00:00+00:00", "candidates": []}


def to_registry(registry: Registry, company: dict[str, object] | None = None,
                owners: list[dict[str, object]] = OWNERS) -> Walk:
    journey = registry.get("kyb_business", 3)
    assert journey is not None
    walk = Walk(journey)
    walk.submit(company or COMPANY)
    walk.submit(ADDRESS)
    walk.submit({"certificate_of_incorporation": [FILE]})
    assert walk.state == "check_certificate"
    walk.task_done(passed=True)
    walk.submit({"owners": owners})
    walk.submit({"data_processing": True, "authorised": True})
    assert walk.state == "check_registry"
    return walk


def answered(walk: Walk, registry: dict[str, object] | None, *, company: dict[str, object] | None = None,
             owners: dict[str, object] | None = None, error: str = "") -> None:
    """The registry's answer (None: failed with `error`), then the company's and the owners' screenings (clean
    unless given; `{}`: failed with screening.not_configured)."""
    finish(walk, registry, error)
    assert walk.state == "screen_company"
    finish(walk, CLEAN if company is None else company or None, "screening.not_configured")
    assert walk.state == "screen_owners"
    finish(walk, CLEAN if owners is None else owners or None, "screening.not_configured")
    if walk.state == "verify_owners":
        verified(walk)


def verified(walk: Walk, *outcomes: Outcome) -> StartChildren:
    """The owners' child sessions end (approved unless given), one after the other; the children started."""
    started = next(e for e in walk.effects if isinstance(e, StartChildren))
    for i, child in enumerate(started.children):
        walk.apply(ChildDone(group="owners", key=child.key, session_id=f"s_owner{i}",
                             outcome=outcomes[i] if i < len(outcomes) else "approved"))
    return started


def finish(walk: Walk, result: dict[str, object] | None, code: str) -> None:
    if result is not None:
        walk.task_done(**result)
        return
    assert walk.snapshot.task is not None
    walk.apply(TaskFailed(task_id=walk.snapshot.task.task_id, code=code, message=f"Expected an answer, got {code}"))


def flags(walk: Walk) -> list[str]:
    review = walk.snapshot.context["review"]
    assert isinstance(review, dict)
    return list(review["flags"])


def test_the_registry_task_asks_for_the_declared_number_with_the_secret_base_and_key(registry: Registry) -> None:
    walk = to_registry(registry)
    (run,) = [e for e in walk.effects if isinstance(e, RunTask)]
    assert run.task == "http" and run.input == {"country": "GB", "number": "01234567"}
    assert run.params["url"] == "{secrets.registry_base_url}/v1/companies/{country}/{number}"
    assert run.params["headers.Authorization"] == "Bearer {secrets.registry_api_key}"


def test_a_clean_company_the_registry_confirms_is_approved(registry: Registry) -> None:
    walk = to_registry(registry)
    answered(walk, ACTIVE)
    assert walk.snapshot.outcome == "approved"
    assert walk.snapshot.context["registry"] == ACTIVE


@pytest.mark.parametrize("status", ["dissolved", "inactive", "liquidation"])
def test_a_company_the_registry_says_is_closed_is_rejected(registry: Registry, status: str) -> None:
    walk = to_registry(registry)
    answered(walk, {**ACTIVE, "company": {**REGISTERED, "status": status}})
    assert walk.snapshot.outcome == "rejected"
    assert [e.rule for e in decision_of(walk, "precheck").evaluations if e.result is True] == ["registry_closed"]
    assert not any(isinstance(e, StartChildren) for e in walk.effects)  # no owner is asked to verify


@pytest.mark.parametrize("code", ["http.timeout", "http.connect_failed", "http.circuit_open", "http.invalid_task",
                                  "http.status_5xx", "http.bad_response", "http.status"])
def test_a_registry_that_could_not_be_asked_sends_the_case_to_review_unverified(registry: Registry,
                                                                                 code: str) -> None:
    walk = to_registry(registry)
    answered(walk, None, error=code)
    assert (walk.state, walk.snapshot.status) == ("manual_review", "review")
    assert flags(walk) == ["registry_unverified"]


def test_a_number_the_registry_does_not_know_goes_to_review_flagged_not_found(registry: Registry) -> None:
    walk = to_registry(registry)
    answered(walk, None, error="http.not_found")
    assert walk.state == "manual_review" and flags(walk) == ["registry_not_found"]


@pytest.mark.parametrize(("answer", "flag"), [
    ({"name": "Analytical Engines Holdings Limited"}, "registry_name_mismatch"),
    ({"incorporation_date": "2016-06-01"}, "registry_date_mismatch"),
    ({"status": "administration"}, "registry_not_active"),
])
def test_what_the_registry_disagrees_with_is_a_review_flag(registry: Registry, answer: dict[str, object],
                                                           flag: str) -> None:
    walk = to_registry(registry)
    answered(walk, {**ACTIVE, "company": {**REGISTERED, **answer}})
    assert walk.state == "manual_review" and flags(walk) == [flag]


@pytest.mark.parametrize(("registered", "declared"), [
    ("ANALYTICAL ENGINES LIMITED", "Analytical Engines Ltd."),
    ("Müller Maschinenbau GmbH", "Mueller Maschinenbau G.m.b.H."),
    ("Smith & Sons Ltd", "The Smith and Sons Limited"),
])
def test_a_registered_name_written_differently_is_the_same_name(registry: Registry, registered: str,
                                                                declared: str) -> None:
    walk = to_registry(registry, {**COMPANY, "legal_name": declared})
    answered(walk, {**ACTIVE, "company": {**REGISTERED, "name": registered}})
    assert walk.snapshot.outcome == "approved"


def test_an_owner_at_or_above_the_review_threshold_is_flagged_screening_hit(registry: Registry) -> None:
    walk = to_registry(registry)
    hit = {**CLEAN, "passed": False, "max_score": 0.97, "hits": 1,
           "people": [{"name": "Ada Lovelace", "max_score": 0.97, "hits": 1, "candidates": []}]}
    answered(walk, ACTIVE, owners=hit)
    assert walk.state == "manual_review" and flags(walk) == ["screening_hit"]


def test_a_company_name_hit_is_flagged_screening_hit(registry: Registry) -> None:
    walk = to_registry(registry)
    answered(walk, ACTIVE, company={**CLEAN, "passed": False, "max_score": 0.9, "hits": 1})
    assert walk.state == "manual_review" and flags(walk) == ["screening_hit"]


@pytest.mark.parametrize("which", ["company", "owners"])
def test_a_screening_that_did_not_run_is_flagged_unchecked(registry: Registry, which: str) -> None:
    walk = to_registry(registry)
    answered(walk, ACTIVE, **{which: {}})
    assert walk.state == "manual_review" and flags(walk) == ["screening_unchecked"]


def test_nothing_checked_at_all_raises_both_flags_and_never_approves(registry: Registry) -> None:
    walk = to_registry(registry)
    answered(walk, None, error="http.invalid_task", company={}, owners={})
    assert walk.state == "manual_review"
    assert flags(walk) == ["registry_unverified", "screening_unchecked"]


def test_the_embargo_rule_still_rejects_whatever_the_registry_says(registry: Registry) -> None:
    walk = to_registry(registry, {**COMPANY, "country": "KP"})
    answered(walk, ACTIVE)
    assert walk.snapshot.outcome == "rejected"


def test_owners_with_a_quarter_or_more_and_directors_verify_themselves_prefilled(registry: Registry) -> None:
    owners = [{**OWNERS[0], "share": 55}, OWNERS[1],
              {"first_name": "Small", "last_name": "Holder", "date_of_birth": "1990-01-01", "nationality": "GB",
               "share": 5},
              {"first_name": "Dina", "last_name": "Director", "date_of_birth": "1980-01-01", "nationality": "FR",
               "share": 0, "is_director": True}]
    walk = to_registry(registry, owners=owners)
    for result in (ACTIVE, CLEAN, CLEAN):
        finish(walk, result, "")
    assert (walk.state, walk.snapshot.status) == ("verify_owners", "waiting")
    started = next(e for e in walk.effects if isinstance(e, StartChildren))
    assert (started.journey, [c.label for c in started.children]) == (
        "kyc_individual", ["Ada Lovelace", "Charles Babbage", "Dina Director"])
    assert started.children[2].prefill == {"first_name": "Dina", "last_name": "Director",
                                           "date_of_birth": "1980-01-01", "nationality": "FR"}


def test_an_owner_rejected_rejects_the_business(registry: Registry) -> None:
    walk = to_registry(registry)
    for result in (ACTIVE, CLEAN, CLEAN):
        finish(walk, result, "")
    verified(walk, "approved", "rejected")
    assert walk.snapshot.outcome == "rejected"
    done = decision_of(walk, "verify_owners")
    assert done.event == "children.done" and "s_owner1 (Charles Babbage): rejected" in done.reason


@pytest.mark.parametrize("outcome", ["manual_review", "abandoned", "expired"])
def test_an_owner_not_approved_sends_the_business_to_review(registry: Registry, outcome: Outcome) -> None:
    walk = to_registry(registry)
    for result in (ACTIVE, CLEAN, CLEAN):
        finish(walk, result, "")
    verified(walk, "approved", outcome)
    assert walk.state == "manual_review" and flags(walk) == ["owners_unverified"]


def test_owners_not_done_in_ten_days_are_cancelled_and_the_business_goes_to_review(registry: Registry) -> None:
    walk = to_registry(registry)
    for result in (ACTIVE, CLEAN, CLEAN):
        finish(walk, result, "")
    started = next(e for e in walk.effects if isinstance(e, StartChildren))
    walk.apply(ChildDone(group="owners", key=started.children[0].key, session_id="s_1", outcome="approved"))
    walk.advance(dt.timedelta(days=10, minutes=1))
    assert EndChildren(group="owners", keys=[started.children[1].key]) in walk.effects
    assert walk.state == "manual_review" and flags(walk) == ["owners_unverified"]


def test_a_certificate_that_fails_twice_goes_on_flagged_unreadable(registry: Registry) -> None:
    journey = registry.get("kyb_business", 3)
    assert journey is not None
    walk = Walk(journey)
    walk.submit(COMPANY)
    walk.submit(ADDRESS)
    walk.submit({"certificate_of_incorporation": [FILE]})
    walk.task_done(passed=False, message_key="retake.page_cut_off")
    assert walk.state == "company_documents_retake"
    walk.submit({"certificate_of_incorporation": [FILE]})
    walk.task_done(passed=False, message_key="retake.page_blurry")
    assert walk.state == "owners"
    walk.submit({"owners": OWNERS})
    walk.submit({"data_processing": True, "authorised": True})
    answered(walk, ACTIVE)
    assert walk.state == "manual_review" and flags(walk) == ["certificate_unreadable"]
