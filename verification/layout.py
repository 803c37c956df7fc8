"""What kind of document a capture shows, and which side, from what is printed on it.

The strongest cue is the machine-readable zone: its first character says what the
document is (P passport, I/A/C identity or residence card, V visa) and its format how
big it is (TD3 on a passport's data page, TD1 on the back of an ID-1 card). A PDF417
barcode marks the back of a card (driving licences, many ID cards); a portrait marks
the front. Without any of these only the aspect ratio is left, which separates an ID-1
card (85.6 x 54 mm, 1.586) from a passport page (125 x 88 mm, 1.42) only when the
photo is taken square on, so the answer is then "unknown" and nothing is claimed.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from verification.results import CheckResult, Policy, failed

Kind = Literal["passport", "id_card", "other", "unknown"]
Side = Literal["front", "back", "unknown"]

CARD_TYPES = frozenset({"id_card", "driving_licence", "residence_permit"})
"""Journey document types printed on an ID-1 card."""

CARD_ASPECT = 1.586
BOOKLET_ASPECT = 1.42


class Cues(msgspec.Struct, frozen=True, kw_only=True):
    """What the other checks found on the rectified document."""

    aspect: float
    """Width over height of the rectified document (landscape, so at least 1)."""
    portrait: bool | None = None
    """A face on the document; None when nobody looked."""
    mrz_lines: int = 0
    """Text lines of a machine-readable zone located on it (0 = none)."""
    mrz_format: str = ""
    """TD1, TD2 or TD3 when the zone was read."""
    mrz_code: str = ""
    """The zone's document code (its first characters, e.g. "P<", "ID", "I<", "V<") when read."""
    barcode: bool = False
    """A PDF417 barcode (the back of a card)."""


class Layout(msgspec.Struct, frozen=True, kw_only=True):
    kind: Kind
    side: Side
    evidence: str
    """The cue that decided, in words (for reviewers and the bench's details)."""


def _kind_from_mrz(cues: Cues) -> tuple[Kind, str] | None:
    code = cues.mrz_code[:1].upper()
    if code == "P":
        return "passport", f"MRZ document code {cues.mrz_code!r}"
    if code in ("I", "A", "C"):
        if cues.mrz_format == "TD3":  # an ID booklet or a card printed at passport size
            return "other", f"MRZ code {cues.mrz_code!r} in TD3 format"
        if cues.mrz_format == "TD2" and cues.aspect < 0.5 * (CARD_ASPECT + BOOKLET_ASPECT) + 0.03:
            return "other", f"MRZ code {cues.mrz_code!r} in TD2 format on an ID-2 sized document"
        return "id_card", f"MRZ document code {cues.mrz_code!r}"
    if code == "V":
        return "other", f"MRZ document code {cues.mrz_code!r} (a visa)"
    if cues.mrz_format == "TD1" or (not cues.mrz_format and cues.mrz_lines == 3):
        return "id_card", "a three-line MRZ (TD1)"
    if cues.mrz_format == "TD3":
        return "passport", "a TD3 MRZ"
    return None


def classify(cues: Cues) -> Layout:
    """The document's kind and side from the cues, "unknown" where they do not decide it."""
    from_mrz = _kind_from_mrz(cues)
    if from_mrz is not None:
        kind, evidence = from_mrz
    elif cues.barcode:
        kind, evidence = "id_card", "a PDF417 barcode"
    elif cues.aspect >= 0.5 * (CARD_ASPECT + BOOKLET_ASPECT) + 0.03:
        kind, evidence = "id_card", f"aspect ratio {cues.aspect:.2f} with no MRZ"
    else:
        kind, evidence = "unknown", f"aspect ratio {cues.aspect:.2f} with no MRZ"
    side: Side
    if kind == "passport":
        side = "front"  # the data page is the only page asked for
    elif cues.portrait:
        side = "front"
    elif cues.barcode or cues.mrz_format == "TD1" or (not cues.mrz_format and cues.mrz_lines == 3):
        side = "back"
    else:
        side = "unknown"
    return Layout(kind=kind, side=side, evidence=evidence)


def _expected_kind(document_type: str | None) -> Kind | None:
    if document_type == "passport":
        return "passport"
    if document_type in CARD_TYPES:
        return "id_card"
    return None


def judge_type(layout: Layout, document_type: str | None, policy: Policy) -> CheckResult:
    """`document_type`: fails when the capture is surely another kind of document than the journey asked for."""
    expected = _expected_kind(document_type)
    mode = policy.modes.get("document_type", "error")
    if expected is None or layout.kind == "unknown" or mode == "off":
        return CheckResult(name="document_type", passed=True, status="skipped", score=0.0, value=0.0,
                           threshold=1.0, mode="off" if mode == "off" else mode,
                           reason="no expectation" if expected is None else "kind not decided: " + layout.evidence)
    if layout.kind == expected:
        return CheckResult(name="document_type", passed=True, status="passed", score=100.0, value=1.0, threshold=1.0,
                           mode=mode)
    return failed("document_type", "verification.wrong_type", "retake.wrong_type", policy, value=0.0, threshold=1.0)


def judge_side(layout: Layout, document_type: str | None, side: str, policy: Policy) -> CheckResult:
    """`document_side`: fails when a card's front was sent for its back, or its back for its front."""
    mode = policy.modes.get("document_side", "error")
    if document_type not in CARD_TYPES or layout.kind not in ("id_card", "unknown") or layout.side == "unknown" \
            or mode == "off":
        return CheckResult(name="document_side", passed=True, status="skipped", score=0.0, value=0.0, threshold=1.0,
                           mode="off" if mode == "off" else mode, reason="side not decided")
    if layout.side == side:
        return CheckResult(name="document_side", passed=True, status="passed", score=100.0, value=1.0,
                           threshold=1.0, mode=mode)
    return failed("document_side", "verification.wrong_side", "retake.wrong_side", policy, value=0.0, threshold=1.0)


__all__ = ["CARD_TYPES", "Cues", "Kind", "Layout", "Side", "classify", "judge_side", "judge_type"]
