"""Document-to-selfie pairs: the generated card photos, and matching their printed portraits."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from verification.cards import card
from verification.degrade import photograph
from verification.faces import VARIANTS, compare, detect, rgb_for_comparison
from verification.portraits import printed_portrait


def rows(shared_data: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((shared_data / "faces" / "pairs_folds.csv").open()))


def face(shared_data: Path, name: str) -> np.ndarray:
    image = cv2.imread(str(shared_data / "faces" / name))
    assert image is not None
    return image


def test_a_pair_prints_the_same_card_every_time_in_its_style(shared_data: Path) -> None:
    left = face(shared_data, rows(shared_data)[0]["left"])
    first, again = printed_portrait(left, 7), printed_portrait(left, 7)
    assert first == again and printed_portrait(left, 8).jpeg != first.jpeg
    photo = cv2.imdecode(np.frombuffer(first.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert photo is not None and photo.shape == (1200, 1600, 3) and 100 <= first.printed_width <= 140
    grey = printed_portrait(left, 7, style="grey")
    assert grey.style == "grey" and printed_portrait(left, 7, style="colour").style == "colour"
    styles = {printed_portrait(left, seed).style for seed in range(12)}
    assert styles == {"grey", "colour"}


@pytest.mark.parametrize("row", [0, 2])
def test_a_printed_portrait_matches_its_selfie_and_not_another_person(shared_data: Path, row: int) -> None:
    pairs = rows(shared_data)
    genuine = pairs[row]
    assert genuine["same"] == "1"
    impostor = next(r for r in pairs if r["same"] == "0")
    document = printed_portrait(face(shared_data, genuine["left"]), row).jpeg
    same = compare(document, (shared_data / "faces" / genuine["right"]).read_bytes())
    other = compare(document, (shared_data / "faces" / impostor["right"]).read_bytes())
    assert same.reference_faces == 1 and same.verdict == "match"
    assert other.reference_faces == 1 and other.verdict == "mismatch"


def test_a_near_miss_on_a_printed_portrait_is_confirmed_close_up(shared_data: Path) -> None:
    # Row 876's grey portrait scores just below HOG's threshold and is too small for the CNN in the frame.
    document = printed_portrait(face(shared_data, rows(shared_data)[876]["left"]), 876)
    rgb = rgb_for_comparison(document.jpeg)
    assert detect(rgb) == []
    found = detect(rgb, confirm_weak=True)
    assert len(found) == 1 and 100 <= found[0].width <= 220
    back = photograph(card("back"), np.random.default_rng(3))
    assert detect(cv2.cvtColor(back, cv2.COLOR_BGR2RGB), confirm_weak=True) == []


def test_a_grey_portrait_is_compared_in_grey_when_the_variant_says_so(shared_data: Path) -> None:
    pair = rows(shared_data)[2]
    document = printed_portrait(face(shared_data, pair["left"]), 2, style="grey").jpeg
    selfie = (shared_data / "faces" / pair["right"]).read_bytes()
    colour, grey = compare(document, selfie, variant=VARIANTS["v1"]), compare(document, selfie, variant=VARIANTS["grey"])
    assert colour.distance is not None and grey.distance is not None and colour.distance != grey.distance
    assert grey.verdict == "match"
