"""What a step does to its session's case (pure: snapshots in, a case write or nothing out)."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.db import SessionRow
from server.sessions.review import case_audit, case_change
from server.workflow import Snapshot

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
ROW = SessionRow(id="s_1", tenant="acme", journey="kyc_individual", journey_version=3, reference="r-1", locale="en",
                 state="consent", status="active", outcome=None, version=3, snapshot="{}", next_due_at=None,
                 created_at=NOW, updated_at=NOW, completed_at=None)
ACTIVE = Snapshot(journey="kyc_individual", version=3, state="consent", status="active", revision=3,
                  context={"person": {"first_name": "Ada", "last_name": "Lovelace"}}, started_at=NOW,
                  state_entered_at=NOW)


def step(before: Snapshot, state: str, status: str, outcome: str | None = None, **context: object) -> Snapshot:
    return msgspec.structs.replace(before, state=state, status=status, outcome=outcome,  # type: ignore[arg-type]
                                   context={**before.context, **context})


def test_a_session_that_never_needed_a_person_has_no_case_to_write() -> None:
    assert case_change(ROW, ACTIVE, step(ACTIVE, "approved", "final", "approved"), NOW) is None
    assert case_change(ROW, ACTIVE, step(ACTIVE, "selfie", "active"), NOW) is None


def test_entering_review_opens_the_case_with_its_name_round_and_flags() -> None:
    waiting = step(ACTIVE, "manual_review", "review", review={"round": 1, "flags": ["pep"]})
    write = case_change(ROW, ACTIVE, waiting, NOW)
    assert write is not None
    assert (write.kind, write.name, write.round, write.flags, write.tenant) == ("review", "Ada Lovelace", 1, ["pep"],
                                                                                "acme")
    assert [(a.actor, a.action, a.after) for a in case_audit(write)] == [
        ("system", "case.opened", {"round": 1, "flags": ["pep"]})]


def test_leaving_review_to_redo_and_ending_later_move_the_case() -> None:
    waiting = step(ACTIVE, "manual_review", "review", review={"round": 1, "flags": []})
    redo = step(waiting, "redo_address", "active")
    changed = case_change(ROW, waiting, redo, NOW)
    assert changed is not None and changed.kind == "changes_requested" and case_audit(changed) == []
    abandoned = case_change(ROW, redo, step(redo, "abandoned", "final", "abandoned"), NOW)
    assert abandoned is not None and (abandoned.kind, abandoned.outcome) == ("closed", "abandoned")
