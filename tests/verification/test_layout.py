"""The document's kind and side from what is printed on it, and the checks that hold them against the journey."""

from __future__ import annotations

import pytest

from verification.layout import Cues, classify, judge_side, judge_type
from verification.results import Policy

PASSPORT_PAGE = Cues(aspect=1.42, portrait=True, mrz_lines=2, mrz_format="TD3", mrz_code="P<")
CARD_FRONT = Cues(aspect=1.58, portrait=True)
CARD_BACK = Cues(aspect=1.58, portrait=False, mrz_lines=3, mrz_format="TD1", mrz_code="ID")
LICENCE_BACK = Cues(aspect=1.59, portrait=False, barcode=True)


@pytest.mark.parametrize(("cues", "kind", "side"), [
    (PASSPORT_PAGE, "passport", "front"),
    (CARD_FRONT, "id_card", "front"),
    (CARD_BACK, "id_card", "back"),
    (LICENCE_BACK, "id_card", "back"),
    (Cues(aspect=1.58, portrait=True, mrz_lines=2, mrz_format="TD2", mrz_code="ID"), "id_card", "front"),
    (Cues(aspect=1.42, portrait=True, mrz_lines=2, mrz_format="TD2", mrz_code="I<"), "other", "front"),  # ID-2
    (Cues(aspect=1.42, portrait=False, mrz_lines=2, mrz_format="TD3", mrz_code="V<"), "other", "unknown"),
    (Cues(aspect=1.58, portrait=False, mrz_lines=3), "id_card", "back"),     # located, not read
    (Cues(aspect=1.45, portrait=True, mrz_lines=2), "unknown", "front"),    # two lines, unread: TD2 or TD3
    (Cues(aspect=1.44, portrait=None), "unknown", "unknown"),
])
def test_the_kind_and_side_come_from_the_mrz_the_barcode_the_portrait_and_the_shape(cues: Cues, kind: str,
                                                                                     side: str) -> None:
    layout = classify(cues)
    assert (layout.kind, layout.side) == (kind, side), layout.evidence


@pytest.mark.parametrize(("cues", "declared", "status"), [
    (PASSPORT_PAGE, "passport", "passed"),
    (PASSPORT_PAGE, "id_card", "failed"),          # a passport declared as an ID card
    (PASSPORT_PAGE, "driving_licence", "failed"),
    (CARD_BACK, "passport", "failed"),
    (CARD_FRONT, "passport", "failed"),           # the ID-1 shape without a TD3 zone
    (CARD_BACK, "residence_permit", "passed"),
    (Cues(aspect=1.44), "passport", "skipped"),   # nothing decides: no claim
    (CARD_FRONT, None, "skipped"),
])
def test_a_document_of_another_kind_than_the_journey_asked_for_fails_document_type(cues: Cues, declared: str | None,
                                                                                   status: str) -> None:
    check = judge_type(classify(cues), declared, Policy())
    assert check.status == status
    if status == "failed":
        assert (check.reason, check.message_key) == ("verification.wrong_type", "retake.wrong_type")


@pytest.mark.parametrize(("cues", "side", "status"), [
    (CARD_FRONT, "front", "passed"),
    (CARD_FRONT, "back", "failed"),     # the front sent as the back
    (CARD_BACK, "front", "failed"),     # the back sent as the front
    (LICENCE_BACK, "back", "passed"),
    (CARD_BACK, "back", "passed"),
    (Cues(aspect=1.58, portrait=False), "back", "skipped"),
])
def test_a_card_side_other_than_the_one_asked_for_fails_document_side(cues: Cues, side: str, status: str) -> None:
    check = judge_side(classify(cues), "id_card", side, Policy())
    assert check.status == status
    if status == "failed":
        assert (check.reason, check.message_key) == ("verification.wrong_side", "retake.wrong_side")


def test_a_passport_is_not_judged_for_its_side_and_the_checks_honour_their_modes() -> None:
    assert judge_side(classify(PASSPORT_PAGE), "passport", "front", Policy()).status == "skipped"
    warn = Policy(modes={"document_type": "warn", "document_side": "warn"})
    assert judge_type(classify(PASSPORT_PAGE), "id_card", warn).status == "warning"
    assert judge_side(classify(CARD_BACK), "id_card", "front", warn).status == "warning"
    off = Policy(modes={"document_type": "off"})
    assert judge_type(classify(PASSPORT_PAGE), "id_card", off).status == "skipped"
