"""The passive liveness check on generated captures: each attack kind is caught by its own cue, genuine selfies
pass, and the face match's distance makes the check stricter, never looser."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from demo_client.images import identity_card, selfie, selfie_of_document
from verification.attacks import Kind, capture, halftone, id_card
from verification.faces import Box, compare, detect
from verification.liveness import FRAME_CONFIDENCE, GRID_PEAK, REUSED_DISTANCE, Cues, check, cues, grid_cue, recheck
from verification.pipeline import analyse_selfie
from verification.results import Policy


def jpeg(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return encoded.tobytes()


def pairs(shared_data: Path, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Same-person pairs of LFW fold 3 (the bench's report split): the card's portrait, then the selfie."""
    folder = shared_data / "faces"
    with (folder / "pairs_folds.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["same"] == "1" and r["lfw_fold"] == "3"][:count]
    loaded = []
    for row in rows:
        portrait, own = cv2.imread(str(folder / row["left"])), cv2.imread(str(folder / row["right"]))
        assert portrait is not None and own is not None
        loaded.append((portrait, own))
    return loaded


def liveness_of(image: np.ndarray, reference: np.ndarray | None = None) -> dict[str, object]:
    """`checks.selfie` as verify_selfie leaves it (with the face match's re-check when there is a reference)."""
    probe = jpeg(image)
    context = analyse_selfie(probe, policy=Policy()).to_context()
    if reference is not None:
        context = recheck(context, compare(jpeg(reference), probe).distance, Policy())
    return context


@pytest.mark.parametrize("kind", ["genuine", "document", "print", "screen"])
def test_each_attack_kind_fails_and_a_genuine_selfie_passes(shared_data: Path, kind: Kind) -> None:
    for index, (portrait, own) in enumerate(pairs(shared_data, 3)):
        shown = own if kind == "genuine" else portrait
        context = liveness_of(capture(kind, shown, 7 + index), id_card(portrait, index % 2))
        live = context["liveness"]
        assert isinstance(live, dict)
        if kind == "genuine":
            assert live["status"] == "passed", (index, context["liveness_cues"])
        else:
            assert live["status"] == "failed", (index, context["liveness_cues"])
            assert live["reason"] == "selfie.not_live" and context["message_key"] == "retake.not_live"
            assert context["passed"] is False and context["failed"][0] == "liveness"  # type: ignore[index]


def test_the_cues_each_catch_their_own_attack(shared_data: Path) -> None:
    portrait, _ = pairs(shared_data, 1)[0]
    found = {}
    for kind in ("document", "print", "screen"):
        image = cv2.imdecode(np.frombuffer(jpeg(capture(kind, portrait, 11)), np.uint8), cv2.IMREAD_COLOR)
        assert image is not None
        face = detect(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), min_relative=0.05)[0]
        found[kind] = cues(image, face)
    assert found["document"].frame >= FRAME_CONFIDENCE  # the card around the portrait
    assert found["print"].grid >= GRID_PEAK and found["screen"].grid >= GRID_PEAK  # halftone dots, pixel grid


def test_halftone_dots_make_a_spectral_peak_and_the_same_face_unprinted_does_not(shared_data: Path) -> None:
    portrait, _ = pairs(shared_data, 1)[0]
    smooth = cv2.resize(portrait, (600, 600), interpolation=cv2.INTER_CUBIC)
    printed = halftone(smooth, 4.0, 20.0)
    box = Box(left=150, top=150, right=450, bottom=450, confidence=99.0)
    assert grid_cue(smooth, box) < GRID_PEAK <= grid_cue(printed, box)


def test_the_demo_selfie_passes_even_against_its_own_card_and_the_card_photographed_fails() -> None:
    card = identity_card("front")
    genuine = liveness_of(selfie(), card)
    assert genuine["liveness"]["status"] == "passed", genuine["liveness_cues"]  # type: ignore[index]
    cues_found = genuine["liveness_cues"]
    assert isinstance(cues_found, dict) and cues_found["distance"] < REUSED_DISTANCE  # the same NASA photo
    attack = liveness_of(selfie_of_document(), card)
    assert attack["liveness"]["status"] == "failed" and attack["message_key"] == "retake.not_live"  # type: ignore[index]


def test_a_reused_face_makes_the_check_stricter_never_looser() -> None:
    near = Cues(frame=0.6 * FRAME_CONFIDENCE, grid=0.8 * GRID_PEAK)
    assert check(near, Policy()).passed
    reused = recheck({"passed": True, "message_key": "", "failed": [], "warnings": [],
                      "liveness_cues": {"frame": near.frame, "grid": near.grid}}, REUSED_DISTANCE / 2, Policy())
    assert reused["liveness"]["status"] == "failed" and reused["passed"] is False  # type: ignore[index]
    assert reused["failed"] == ["liveness"]
    other = recheck({"passed": True, "message_key": "", "failed": [], "warnings": [],
                     "liveness_cues": {"frame": 0.0, "grid": 0.5 * GRID_PEAK}}, 0.3, Policy())
    assert other["liveness"]["status"] == "passed" and other["passed"] is True  # type: ignore[index]


def test_the_check_honours_the_policy_mode_and_preset() -> None:
    attack = Cues(frame=1.0, grid=0.0)
    assert check(attack, Policy(modes={"liveness": "warn"})).status == "warning"
    assert check(attack, Policy(modes={"liveness": "off"})).status == "skipped"
    borderline = Cues(frame=0.9 * FRAME_CONFIDENCE)
    assert check(borderline, Policy(preset="normal")).passed and not check(borderline, Policy(preset="strict")).passed
