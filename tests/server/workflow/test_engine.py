from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sdk_protocol as p
from server.journeys import Registry
from server.workflow import (
    AnyEvent,
    CancelTask,
    CompiledJourney,
    Complete,
    Decision,
    Notify,
    RejectInput,
    Result,
    RunTask,
    ShowScreen,
    Snapshot,
    Submit,
    TaskDone,
    TaskFailed,
    Tick,
    UserAction,
    next_due,
    start,
    transition,
)
from verification.faces import verdict

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
ADA = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB",
       "email": "ada@example.com", "pep": "no"}
ADDRESS = {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4LB", "country": "GB"}
FILE = "f_0123456789abcdef"


def decision_of(walk: Walk, state: str) -> Decision:
    """The last step the journey took out of `state`."""
    return next(d for d in reversed(walk.snapshot.trace) if d.state == state)


class Walk:
    """Drives one journey through the pure engine, as the service would."""

    def __init__(self, journey: CompiledJourney, context: dict[str, object] | None = None) -> None:
        self.journey = journey
        self.now = NOW
        result = start(journey, now=self.now, context=context)
        self.snapshot = result.snapshot
        self.effects = result.effects

    def apply(self, event: AnyEvent) -> Result:
        result = transition(self.journey, self.snapshot, event, self.now)
        # Every snapshot must survive JSON and come back equal: that is how it is persisted.
        assert msgspec.json.decode(msgspec.json.encode(result.snapshot), type=Snapshot) == result.snapshot
        self.snapshot, self.effects = result.snapshot, result.effects
        return result

    def submit(self, values: dict[str, object] | None = None, *, allow_errors: bool = False) -> Result:
        result = self.apply(Submit(screen_id=self.snapshot.state, revision=self.snapshot.revision,
                                   values=values or {}))
        refused = [e for e in result.effects if isinstance(e, RejectInput)]
        assert allow_errors or not refused, f"{self.snapshot.state} refused: {refused}"
        return result

    def action(self, name: str) -> Result:
        return self.apply(UserAction(screen_id=self.snapshot.state, revision=self.snapshot.revision, action=name))

    def task_done(self, **result: object) -> Result:
        assert self.snapshot.task is not None, f"no task running in {self.snapshot.state}"
        return self.apply(TaskDone(task_id=self.snapshot.task.task_id, result=dict(result)))

    def advance(self, delta: dt.timedelta) -> Result:
        self.now += delta
        return self.apply(Tick())

    @property
    def state(self) -> str:
        return self.snapshot.state


def kyc(registry: Registry) -> Walk:
    journey = registry.get("kyc_individual")
    assert journey is not None
    return Walk(journey)


def consent(walk: Walk, *, duplicates: list[dict[str, object]] | None = None) -> Result:
    """The consent screen, then (version 5) the search for the same face under another identity: none found
    unless `duplicates` are given, as search_duplicates writes them."""
    walk.submit({"data_processing": True})
    assert walk.state == "search_duplicates"
    found = duplicates or []
    return walk.task_done(matches=found, duplicates=found, duplicate_count=len(found))


def face_match(similarity: float) -> dict[str, object]:
    """`checks.selfie.face_match` as verify_selfie records it."""
    return {"verdict": verdict(similarity), "similarity": similarity, "distance": 0.05, "reference_faces": 1,
            "probe_faces": 1}


def to_documents(walk: Walk, person: dict[str, object] | None = None, *, document: str = "passport") -> None:
    walk.submit()
    walk.submit(person or ADA)
    walk.submit(ADDRESS)
    walk.submit({"type": document, "issuing_country": "GB"})


def through_selfie(walk: Walk, similarity: float = 97.0) -> None:
    walk.submit({"file": FILE})
    walk.task_done(passed=True)
    if walk.state == "document_back":
        walk.submit({"file": FILE})
        walk.task_done(passed=True)
    assert walk.state == "selfie"
    walk.submit({"file": FILE})
    walk.task_done(passed=True, face_match=face_match(similarity))


def test_kyc_individual_reaches_approved(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk)
    through_selfie(walk)
    assert walk.state == "consent"
    result = consent(walk)
    assert walk.snapshot.status == "final" and walk.snapshot.outcome == "approved"
    assert result.effects == [Complete(outcome="approved")]
    assert walk.snapshot.context["person"] == ADA
    assert walk.snapshot.timers == []


def test_kyc_individual_rejects_a_minor_right_after_the_address(registry: Registry) -> None:
    walk = kyc(registry)
    walk.submit()
    walk.submit({**ADA, "date_of_birth": "2010-05-01"})
    walk.submit(ADDRESS)
    assert (walk.state, walk.snapshot.outcome) == ("rejected_minor", "rejected")
    decision = walk.snapshot.trace[-1]
    assert decision.target == "rejected_minor"
    (evaluation,) = decision.evaluations
    assert (evaluation.rule, evaluation.inputs, evaluation.result) == ("is_minor", {"person.date_of_birth":
                                                                                    "2010-05-01"}, True)


def test_kyc_individual_rejects_a_face_that_does_not_match(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk)
    through_selfie(walk, similarity=20)
    consent(walk)
    assert walk.snapshot.outcome == "rejected"


@pytest.mark.parametrize(("person", "address", "similarity"), [
    ({**ADA, "pep": "yes", "pep_role": "Member of Parliament"}, ADDRESS, 97.0),
    (ADA, {**ADDRESS, "country": "IR"}, 97.0),
    (ADA, ADDRESS, 70.0),
])
def test_kyc_individual_sends_risky_cases_to_manual_review(registry: Registry, person: dict[str, object],
                                                           address: dict[str, object], similarity: float) -> None:
    walk = kyc(registry)
    walk.submit()
    walk.submit(person)
    walk.submit(address)
    walk.submit({"type": "passport", "issuing_country": "GB"})
    through_selfie(walk, similarity)
    consent(walk)
    assert (walk.state, walk.snapshot.status, walk.snapshot.outcome) == ("manual_review", "review", None)
    reasons = [e.rule for e in decision_of(walk, "decide").evaluations if e.result is True]
    assert len(reasons) == 1


def mrz(**fields: object) -> dict[str, object]:
    """`checks.<capture>.read.mrz` as verify_document records it, for Ada's passport."""
    return {"found": True, "valid": True, "format": "TD3", "surname": "LOVELACE", "given_names": "ADA",
            "birth_date": "1990-12-10", "expiry_date": "2031-06-30", **fields}


@pytest.mark.parametrize(("reading", "document", "state", "outcome", "rule"), [
    (mrz(), "passport", "approved", "approved", None),
    (mrz(given_names="ADA<AUGUSTA"), "passport", "approved", "approved", None),   # a middle name left off the form
    (mrz(surname="BYRON"), "passport", "manual_review", None, "mrz_front_disagrees"),
    (mrz(birth_date="1990-12-01"), "passport", "manual_review", None, "mrz_front_disagrees"),
    (mrz(expiry_date="2026-11-24"), "passport", "rejected", "rejected", "document_expired"),
    (mrz(surname="BYRON", valid=False), "passport", "approved", "approved", None),  # a misread is not evidence
    (mrz(surname="BYRON"), "id_card", "manual_review", None, "mrz_back_disagrees"),
    (mrz(expiry_date="2020-01-31"), "id_card", "rejected", "rejected", "document_expired"),
])
def test_the_machine_readable_zone_is_held_against_the_form(registry: Registry, reading: dict[str, object],
                                                            document: str, state: str, outcome: str | None,
                                                            rule: str | None) -> None:
    walk = kyc(registry)
    to_documents(walk, document=document)
    walk.submit({"file": FILE})
    walk.task_done(passed=True, read={"mrz": reading} if document == "passport" else {})
    if document == "id_card":
        walk.submit({"file": FILE})
        walk.task_done(passed=True, read={"mrz": {**reading, "format": "TD1"}})
    walk.submit({"file": FILE})
    walk.task_done(passed=True, face_match=face_match(97))
    consent(walk)
    assert (walk.state, walk.snapshot.outcome) == (state, outcome)
    decided = [e.rule for e in decision_of(walk, "decide").evaluations if e.result is True]
    assert decided == ([rule] if rule else [])


def not_live(*, passed: bool = False) -> dict[str, object]:
    """`checks.selfie.liveness` as verify_selfie records a photo of the document taken as the selfie."""
    return {"name": "liveness", "passed": passed, "status": "passed" if passed else "failed", "score": 20.0,
            "value": 4.0, "threshold": 1.0, "mode": "error", "reason": "" if passed else "selfie.not_live",
            "message_key": "" if passed else "retake.not_live"}


@pytest.mark.parametrize("other_failures", [[], ["face_size"]])
def test_a_selfie_that_is_not_live_goes_to_review_without_a_retake(registry: Registry,
                                                                  other_failures: list[str]) -> None:
    walk = kyc(registry)
    to_documents(walk)
    walk.submit({"file": FILE})
    walk.task_done(passed=True)
    walk.submit({"file": FILE})
    walk.task_done(passed=False, message_key="retake.not_live", failed=["liveness", *other_failures],
                   liveness=not_live(), face_match=face_match(100.0))
    assert walk.state == "consent"  # no retake: an attacker would learn what gave the photo away
    assert "retakes" not in walk.snapshot.context
    consent(walk)
    assert (walk.state, walk.snapshot.status) == ("manual_review", "review")
    decided = [e.rule for e in decision_of(walk, "decide").evaluations if e.result is True]
    assert decided == ["selfie_not_live"]
    review = walk.snapshot.context["review"]
    assert isinstance(review, dict) and "not_live" in review["flags"]


def test_the_same_face_under_another_identity_goes_to_review_flagged(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk)
    through_selfie(walk)
    search = walk.snapshot.task
    consent(walk, duplicates=[{"session_id": "s_earlier", "similarity": 97.5, "same_name": False,
                               "same_birth_date": True}])
    assert search is None  # the search starts on consent, not before
    assert (walk.state, walk.snapshot.status) == ("manual_review", "review")
    decided = [e.rule for e in decision_of(walk, "decide").evaluations if e.result is True]
    assert decided == ["duplicate_identity"]
    assert walk.snapshot.context["review"] == {"round": 1, "flags": ["duplicate_identity"]}
    assert walk.snapshot.context["faces"]["duplicates"][0]["session_id"] == "s_earlier"  # type: ignore[index]


def test_a_duplicate_search_that_could_not_run_goes_to_review_flagged(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk)
    through_selfie(walk)
    walk.submit({"data_processing": True})
    assert walk.snapshot.task is not None and walk.snapshot.task.task_id.startswith("search_duplicates")
    walk.apply(TaskFailed(task_id=walk.snapshot.task.task_id, code="verification.timeout", message="took too long"))
    assert (walk.state, walk.snapshot.status) == ("manual_review", "review")
    assert walk.snapshot.context["review"] == {"round": 1, "flags": ["duplicates_unchecked"]}


def test_a_live_selfie_that_failed_another_check_is_still_offered_a_retake(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk)
    walk.submit({"file": FILE})
    walk.task_done(passed=True)
    walk.submit({"file": FILE})
    walk.task_done(passed=False, message_key="retake.blurry", failed=["face_sharpness"], liveness=not_live(passed=True))
    assert walk.state == "retake_selfie"


def test_an_identity_card_asks_for_its_back(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk, document="id_card")
    walk.submit({"file": FILE})
    walk.task_done(passed=True)
    assert walk.state == "document_back"


def test_a_failed_check_offers_two_retakes_then_continues_to_review(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk)
    walk.submit({"file": FILE})
    for attempt in (1, 2):
        walk.task_done(passed=False, message_key="retake.glare")
        assert walk.state == "retake_document_front"
        assert walk.snapshot.context["retakes"] == {"document_front": attempt}
        walk.submit({"file": FILE})
    walk.task_done(passed=False, message_key="retake.glare")
    assert walk.state == "selfie"
    assert walk.snapshot.context["flags"] == {"document_front_unverified": True}
    walk.submit({"file": FILE})
    walk.task_done(passed=True, face_match=face_match(99))
    consent(walk)
    assert (walk.state, walk.snapshot.status) == ("manual_review", "review")
    assert walk.snapshot.context["review"] == {"round": 1, "flags": ["document_unverified"]}


def test_a_task_that_errors_is_recorded_and_the_journey_goes_on(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk)
    walk.submit({"file": FILE})
    assert walk.snapshot.task is not None
    walk.apply(TaskFailed(task_id=walk.snapshot.task.task_id, code="verification.timeout", message="took too long"))
    assert walk.state == "selfie"
    assert walk.snapshot.context["checks"] == {"document_front": {"error": {"code": "verification.timeout",
                                                                            "message": "took too long"}}}


def test_entering_a_task_requests_it_with_its_inputs(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk, document="id_card")
    result = walk.submit({"file": FILE})
    run, show = result.effects
    assert isinstance(run, RunTask) and isinstance(show, ShowScreen)
    assert run.task == "verify_document"
    assert run.input == {"file": FILE, "document_type": "id_card"}
    assert run.params == {"side": "front", "capture": "document_front"}
    assert walk.snapshot.status == "waiting"


def test_invalid_values_are_rejected_with_pointers_and_the_snapshot_is_unchanged(registry: Registry) -> None:
    walk = kyc(registry)
    walk.submit()
    before = walk.snapshot
    result = walk.submit({**ADA, "email": "not-an-email", "pep": "yes", "extra": 1}, allow_errors=True)
    assert walk.snapshot == before
    (reject,) = result.effects
    assert isinstance(reject, RejectInput)
    assert sorted((e.pointer, e.code) for e in reject.errors) == [
        ("/email", "validation.email"), ("/extra", "validation.unknown_field"), ("/pep_role", "validation.required")]


def test_hidden_fields_are_not_stored(registry: Registry) -> None:
    walk = kyc(registry)
    walk.submit()
    walk.submit({**ADA, "pep": "no", "pep_role": "ignored because hidden"})
    assert "pep_role" not in walk.snapshot.context["person"]  # type: ignore[operator]


def test_a_submit_for_an_old_revision_is_stale(registry: Registry) -> None:
    walk = kyc(registry)
    walk.submit()
    stale = Submit(screen_id="welcome", revision=1, values={})
    with pytest.raises(p.StaleScreen) as caught:
        transition(walk.journey, walk.snapshot, stale, NOW)
    assert caught.value.details == {"screen_id": "personal", "revision": walk.snapshot.revision}


def test_back_goes_to_the_previous_screen_and_keeps_what_was_entered(registry: Registry) -> None:
    walk = kyc(registry)
    walk.submit()
    walk.submit(ADA)
    walk.action("back")
    assert walk.state == "personal"
    assert walk.snapshot.context["person"] == ADA


def test_an_action_the_screen_does_not_offer_is_refused(registry: Registry) -> None:
    walk = kyc(registry)
    with pytest.raises(p.UnknownAction) as caught:
        walk.action("teleport")
    assert caught.value.details["allowed"] == []
    walk.submit()
    with pytest.raises(p.UnknownAction, match="back"):
        walk.action("submit")


def test_a_result_for_another_task_is_refused(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk)
    walk.submit({"file": FILE})
    with pytest.raises(p.EventNotAllowed):
        transition(walk.journey, walk.snapshot, TaskDone(task_id="check_document_front.1", result={}), NOW)


def test_a_finished_journey_refuses_events(registry: Registry) -> None:
    walk = kyc(registry)
    walk.submit()
    walk.submit({**ADA, "date_of_birth": "2012-01-01"})
    walk.submit(ADDRESS)
    with pytest.raises(p.JourneyFinished):
        walk.apply(Tick())


def test_inactivity_sends_a_reminder_then_abandons_at_the_right_time(registry: Registry) -> None:
    walk = kyc(registry)
    walk.submit()
    assert next_due(walk.snapshot) == NOW + dt.timedelta(hours=1)
    assert walk.advance(dt.timedelta(minutes=59)).effects == []
    assert walk.advance(dt.timedelta(minutes=1)).effects == [Notify(name="reminder", state="personal")]
    assert walk.state == "personal"
    walk.advance(dt.timedelta(hours=22, minutes=59, seconds=59))
    assert walk.state == "personal"
    walk.advance(dt.timedelta(seconds=1))
    assert (walk.state, walk.snapshot.outcome) == ("abandoned", "abandoned")


def test_activity_restarts_the_inactivity_timers(registry: Registry) -> None:
    walk = kyc(registry)
    walk.advance(dt.timedelta(hours=23))
    walk.submit()
    walk.advance(dt.timedelta(hours=23))
    assert walk.state == "personal"


def test_the_journey_expires_after_seven_days_even_while_a_task_runs(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk)
    walk.submit({"file": FILE})
    task = walk.snapshot.task
    assert task is not None
    result = walk.advance(dt.timedelta(days=7))
    assert walk.snapshot.outcome == "expired"
    assert CancelTask(task_id=task.task_id) in result.effects


def test_a_late_tick_fires_only_what_is_due_in_order(registry: Registry) -> None:
    walk = kyc(registry)
    walk.submit()
    result = walk.advance(dt.timedelta(days=30))
    assert result.effects == [Notify(name="reminder", state="personal"), Complete(outcome="abandoned")]


def test_a_snapshot_resumes_in_a_fresh_process_from_its_json(registry: Registry) -> None:
    walk = kyc(registry)
    to_documents(walk)
    wire = msgspec.json.encode(walk.snapshot)
    resumed = msgspec.json.decode(wire, type=Snapshot)
    result = transition(walk.journey, resumed, Submit(screen_id="document_front", revision=resumed.revision,
                                                      values={"file": FILE}), NOW)
    assert result.snapshot.state == "check_document_front"


def test_kyb_business_approves_a_clean_company(registry: Registry) -> None:
    journey = registry.get("kyb_business", 2)  # version 3 (registry, screening): test_kyb_rules.py
    assert journey is not None
    walk = Walk(journey)
    walk.submit({"legal_name": "Analytical Engines Ltd", "country": "GB", "registration_number": "01234567",
                 "legal_form": "limited", "incorporation_date": "2019-04-01"})
    walk.submit(ADDRESS)
    walk.submit({"certificate_of_incorporation": [FILE]})
    owners = [{"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB",
               "share": 60, "is_director": True},
              {"first_name": "Charles", "last_name": "Babbage", "date_of_birth": "1985-12-26", "nationality": "GB",
               "share": 40}]
    walk.submit({"owners": owners})
    assert walk.snapshot.context["computed"] == {"ownership_total": 100}
    walk.submit({"data_processing": True, "authorised": True})
    assert walk.snapshot.outcome == "approved"


def test_kyb_business_asks_again_when_shares_exceed_100_and_reviews_incomplete_ownership(registry: Registry) -> None:
    journey = registry.get("kyb_business", 2)  # version 3 (registry, screening): test_kyb_rules.py
    assert journey is not None
    walk = Walk(journey)
    walk.submit({"legal_name": "Young Co", "country": "DE", "registration_number": "HRB 12345",
                 "legal_form": "other", "legal_form_other": "eG", "incorporation_date": "2026-06-01"})
    walk.submit(ADDRESS)
    walk.submit({"certificate_of_incorporation": [FILE]})
    owner = {"first_name": "A", "last_name": "B", "date_of_birth": "1980-01-01", "nationality": "DE",
             "is_director": True}
    walk.submit({"owners": [{**owner, "share": 70}, {**owner, "share": 70}]})
    assert walk.state == "owners_over_100"
    walk.submit({"owners": [{**owner, "share": 50}]})
    walk.submit({"data_processing": True, "authorised": True})
    assert (walk.state, walk.snapshot.status) == ("manual_review", "review")
    fired = [e.rule for e in decision_of(walk, "decide").evaluations if e.result is True]
    assert fired == ["ownership_incomplete"]


def test_kyb_business_rejects_a_sanctioned_country(registry: Registry) -> None:
    journey = registry.get("kyb_business", 2)  # version 3 (registry, screening): test_kyb_rules.py
    assert journey is not None
    walk = Walk(journey)
    walk.submit({"legal_name": "Xylo", "country": "KP", "registration_number": "1234", "legal_form": "limited",
                 "incorporation_date": "2001-01-01"})
    walk.submit(ADDRESS)
    walk.submit({"certificate_of_incorporation": [FILE]})
    walk.submit({"owners": [{"first_name": "A", "last_name": "B", "date_of_birth": "1980-01-01",
                             "nationality": "GB", "share": 100, "is_director": True}]})
    walk.submit({"data_processing": True, "authorised": True})
    assert walk.snapshot.outcome == "rejected"


@pytest.mark.parametrize(("similarity", "outcome"), [(95.0, "approved"), (70.0, None), (10.0, "rejected")])
def test_selfie_reverification_outcomes_follow_the_similarity(registry: Registry, similarity: float,
                                                              outcome: str | None) -> None:
    journey = registry.get("selfie_reverification")
    assert journey is not None
    walk = Walk(journey, context={"prefill": {"enrolled_face": FILE}})
    walk.submit()
    result = walk.submit({"file": FILE})
    run = result.effects[0]
    assert isinstance(run, RunTask) and run.input == {"file": FILE, "reference": FILE}
    walk.task_done(passed=True, face_match=face_match(similarity))
    assert walk.snapshot.outcome == outcome
    assert (walk.state == "manual_review") == (outcome is None)


@pytest.mark.parametrize(("similarity", "outcome"), [(95.0, "approved"), (70.0, "manual_review"), (10.0, "rejected")])
def test_sessions_pinned_to_selfie_reverification_v1_still_judge_the_similarity(
        registry: Registry, similarity: float, outcome: str) -> None:
    journey = registry.get("selfie_reverification", 1)
    assert journey is not None
    walk = Walk(journey, context={"prefill": {"enrolled_face": FILE}})
    walk.submit()
    walk.submit({"file": FILE})
    walk.task_done(passed=True, face_match={"similarity": similarity},
                   thresholds={"review": 60.0, "approve": 80.0, "strict": 90.0})
    assert walk.snapshot.outcome == outcome


def test_the_shipped_journeys_guard_on_the_verdict_not_on_a_similarity(registry: Registry) -> None:
    for name, version in (("kyc_individual", 5), ("selfie_reverification", 3)):
        journey = registry.get(name)
        assert journey is not None and journey.journey.version == version
        text = msgspec.json.encode(journey.journey.rules).decode()
        assert "face_match.verdict" in text and "face_match.similarity" not in text


def test_selfie_reverification_without_an_enrolled_face_goes_to_review(registry: Registry) -> None:
    journey = registry.get("selfie_reverification")
    assert journey is not None
    walk = Walk(journey)
    walk.submit()
    assert (walk.state, walk.snapshot.status) == ("manual_review", "review")
    assert walk.snapshot.context["review"] == {"round": 1, "flags": ["no_reference", "selfie_unverified"]}


def test_selfie_reverification_is_abandoned_after_15_minutes_idle(registry: Registry) -> None:
    journey = registry.get("selfie_reverification")
    assert journey is not None
    walk = Walk(journey, context={"prefill": {"enrolled_face": FILE}})
    walk.advance(dt.timedelta(minutes=15))
    assert walk.snapshot.outcome == "abandoned"


EVENTS = st.one_of(
    st.builds(lambda v: ("submit", v), st.dictionaries(st.sampled_from(sorted({*ADA, *ADDRESS, "type", "file"})),
                                                       st.one_of(st.text(max_size=12), st.integers(), st.booleans(),
                                                                 st.sampled_from([*ADA.values(), FILE, "passport"])),
                                                       max_size=8)),
    st.builds(lambda a: ("action", a), st.sampled_from(["back", "retake", "nope"])),
    st.builds(lambda ok: ("done", ok), st.booleans()),
    st.builds(lambda m: ("tick", m), st.integers(0, 60 * 24 * 8)),
    st.just(("stale", None)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(EVENTS, max_size=25))
def test_random_event_streams_only_ever_raise_sdk_errors(registry: Registry, events: list[tuple[str, object]]) -> None:
    walk = kyc(registry)
    for kind, arg in events:
        before = walk.snapshot
        try:
            if kind == "submit":
                assert isinstance(arg, dict)
                walk.submit(arg, allow_errors=True)
            elif kind == "action":
                walk.action(str(arg))
            elif kind == "done":
                walk.task_done(passed=arg) if walk.snapshot.task else walk.apply(
                    TaskDone(task_id="x.1", result={"passed": arg}))
            elif kind == "tick":
                assert isinstance(arg, int)
                walk.advance(dt.timedelta(minutes=arg))
            else:
                walk.apply(Submit(screen_id="welcome", revision=0, values={}))
        except p.SdkError as exc:
            assert exc.code.startswith(("workflow.", "validation."))
            assert walk.snapshot == before
        assert walk.snapshot.revision >= before.revision
        assert walk.snapshot.state in walk.journey.journey.states
        assert (walk.snapshot.status == "final") == (walk.snapshot.outcome is not None)
