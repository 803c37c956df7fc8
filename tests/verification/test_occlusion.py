"""A finger over the document: skin reaching in from its edge, told from the document's own print."""

from __future__ import annotations

import numpy as np
import pytest

from verification import scenes
from verification.captures import Shooter, finish
from verification.cards import card
from verification.document import check_document
from verification.occlusion import occlusion_share
from verification.results import Report


def checks(image: np.ndarray, side: str = "front") -> Report:
    return check_document(image, original_width=image.shape[1], document_type="id_card", side=side)


# Examples, not the rate: `arabesque bench quality` gives the rate on the quality set (misses there follow a
# wrong quadrilateral when the finger crosses the card's outline).
@pytest.mark.parametrize(("seed", "u", "v"), [(1, 0.2, 0.55), (3, 0.62, 0.5), (4, 0.2, 0.55), (6, 0.62, 0.5)])
def test_a_finger_over_the_portrait_or_the_data_fails_occlusion_with_its_guidance(seed: int, u: float,
                                                                                  v: float) -> None:
    camera = Shooter(card("front", 0), np.random.default_rng(seed), sharp_base=True)
    image, placed = camera.shoot()
    tip = camera.point(placed, u, v)
    covered = scenes.finger(camera.rng, image, tip, np.pi / 2, 900, 0.1 * camera.width)
    report = checks(finish(covered, camera.rng))
    assert report.checks["occlusion"].status == "failed"
    assert report.checks["occlusion"].message_key == "retake.occluded"


@pytest.mark.parametrize("seed", [3, 4, 6])
def test_the_same_cards_without_a_finger_pass_occlusion(seed: int) -> None:
    for side in ("front", "back"):
        camera = Shooter(card(side, 0), np.random.default_rng(seed), sharp_base=True)
        image, _ = camera.shoot()
        assert checks(finish(image, camera.rng), side).checks["occlusion"].status == "passed"


def test_a_skin_coloured_page_is_its_own_background_not_a_finger() -> None:
    page = np.full((500, 800, 3), (150, 170, 215), np.uint8)  # a pink-beige page, skin's colour all over
    page[100:140, 60:740] = 40  # a line of print
    assert occlusion_share(page) == 0.0
