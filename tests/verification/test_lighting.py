"""Light and sharpness judged on the document, not the room (captures from verification.captures)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from demo_client.images import degraded, identity_card
from verification import degrade, scenes
from verification.captures import Shooter, finish
from verification.cards import card
from verification.document import check_document
from verification.results import Report


def shooter(seed: int) -> Shooter:
    return Shooter(card("front", 0), np.random.default_rng(seed), sharp_base=True)


def checks(image: np.ndarray) -> Report:
    return check_document(image, original_width=image.shape[1], document_type="id_card", side="front",
                          detect_portrait=False)


def backlit(seed: int, target: float) -> np.ndarray:
    camera = shooter(seed)
    image, placed = camera.shoot(gap=(40, 120), centre=(0.5, 0.5), tilt=0.08)
    inner = placed.mask > 200
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    dark = degrade.exposure(image, target / float(gray[inner].mean()))
    lit = scenes.window(camera.rng, dark, cv2.dilate(placed.mask, np.ones((15, 15), np.uint8)))
    return finish(lit, camera.rng)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_backlit_card_asks_to_move_away_from_the_window_and_is_not_called_overexposed_or_cut_off(seed: int
                                                                                                  ) -> None:
    report = checks(backlit(seed, 34.0))
    assert report.checks["backlight"].status == "failed"
    assert report.message_key == "retake.backlit"
    assert report.checks["backlight"].reason == "verification.backlit"
    assert report.checks["overexposed"].status == "passed"
    assert report.checks["cut_off"].status == "passed"
    assert report.checks["too_dark"].status == "failed"  # measured on the card (about 34), not the room


def test_a_window_beside_a_well_exposed_card_is_no_backlight() -> None:
    camera = shooter(3)
    image, placed = camera.shoot(gap=(40, 120), centre=(0.5, 0.5), tilt=0.08)
    lit = scenes.window(camera.rng, image, cv2.dilate(placed.mask, np.ones((15, 15), np.uint8)))
    report = checks(finish(lit, camera.rng))
    assert report.passed, report.failed


def test_a_specular_highlight_on_the_card_is_glare() -> None:
    camera = shooter(4)
    image, placed = camera.shoot(gap=(60, 160))
    report = checks(finish(degrade.specular(image, camera.rng, placed.mask, 0.08), camera.rng))
    assert report.checks["glare"].status == "failed" and report.message_key == "retake.glare"


@pytest.mark.parametrize("seed", [5, 10, 12])
def test_a_strong_diffuse_sheen_on_a_passport_is_glare_though_nothing_is_clipped(shared_data: Path, seed: int
                                                                                 ) -> None:
    # On a colourful passport page; the synthetic card's pale design hides the drained colour (see the bench).
    page = cv2.imread(str(shared_data / "documents" / "passporteye" / "100_pass-bdr.jpg"))
    camera = Shooter(page, np.random.default_rng(seed), sharp_base=True)
    image, placed = camera.shoot(gap=(60, 160))
    sheened = degrade.sheen(image, camera.rng, placed.mask, 0.85)
    assert int(cv2.cvtColor(sheened, cv2.COLOR_BGR2GRAY)[placed.mask > 200].max()) < 245
    report = checks(finish(sheened, camera.rng))
    assert report.checks["glare"].status == "failed"
    assert report.checks["overexposed"].status == "passed"


def test_a_brightly_exposed_unclipped_card_has_no_glare() -> None:
    camera = shooter(6)
    image, _ = camera.shoot(gap=(60, 160))
    report = checks(finish(degrade.exposure(image, 1.15), camera.rng))
    assert report.checks["glare"].status == "passed" and report.checks["overexposed"].status == "passed"


@pytest.mark.parametrize("seed", [7, 8])
def test_three_pixels_of_hand_shake_pass_and_real_blur_fails(seed: int) -> None:
    camera = shooter(seed)
    image, _ = camera.shoot(width=1000, gap=(60, 160))
    shaken = checks(finish(degrade.motion_blur(image, 3, 30.0), camera.rng))
    assert shaken.checks["sharpness"].status == "passed", shaken.checks["sharpness"].value
    assert checks(finish(degrade.gaussian_blur(image, 3.0), camera.rng)).checks["sharpness"].status == "failed"
    assert checks(finish(degrade.motion_blur(image, 14, 30.0), camera.rng)).checks["sharpness"].status == "failed"


def test_sharpness_does_not_depend_on_the_photo_resolution() -> None:
    camera = shooter(9)
    image, _ = camera.shoot(width=1000, gap=(60, 160), turn=5.0)
    image = finish(image, camera.rng)
    big = cv2.resize(image, (3200, 2400), interpolation=cv2.INTER_CUBIC)
    scores = [checks(im).checks["sharpness"].value for im in (image, big)]
    assert abs(scores[0] - scores[1]) < 0.05, scores


def test_the_demo_cards_pass_every_check_and_the_degraded_front_is_blurred() -> None:
    for side in ("front", "back"):
        photo = identity_card(side)
        report = check_document(photo, original_width=photo.shape[1], document_type="id_card", side=side)
        assert report.passed, (side, report.failed)
    blurred = degraded(identity_card("front"))
    report = check_document(blurred, original_width=blurred.shape[1], document_type="id_card", side="front")
    assert report.checks["sharpness"].status == "failed"
