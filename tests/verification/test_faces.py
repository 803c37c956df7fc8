"""Face matching on real LFW pairs (shared data), the calibration, and the Rekognition shapes."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import pytest

from sdk_protocol.rekognition import ImageTooLarge, InvalidImageFormat, InvalidParameter
from verification.faces import OPERATING_POINTS, descriptor, detect, distance, similarity
from verification.rekognition import compare_faces, detect_faces


def embed(path: Path):  # type: ignore[no-untyped-def]
    rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    return descriptor(rgb, detect(rgb)[0])


def test_operating_points_are_ordered_and_anchor_the_similarity_scale() -> None:
    points = OPERATING_POINTS
    assert points["strict"].distance < points["approve"].distance < points["review"].distance
    assert points["strict"].far <= points["approve"].far <= 0.001 <= points["review"].far
    for point in points.values():
        assert similarity(point.distance) == pytest.approx(point.similarity)
    assert similarity(0.0) == 100.0 and similarity(1.0) == 0.0
    assert all(similarity(d / 100) >= similarity((d + 1) / 100) for d in range(100))


def test_the_same_person_matches_and_different_people_do_not(shared_data: Path) -> None:
    rows = list(csv.DictReader((shared_data / "faces" / "pairs.csv").open()))
    root = shared_data / "faces"
    same = [r for r in rows if r["same"] == "1"][:4]
    different = [r for r in rows if r["same"] == "0"][:4]
    same_scores = [similarity(distance(embed(root / r["left"]), embed(root / r["right"]))) for r in same]
    other_scores = [similarity(distance(embed(root / r["left"]), embed(root / r["right"]))) for r in different]
    assert min(same_scores) > max(other_scores)
    assert sum(s >= 60 for s in same_scores) >= 3 and all(s < 60 for s in other_scores)


def test_compare_faces_answers_in_rekognitions_shapes(images: dict[str, Path]) -> None:
    response = compare_faces(images["selfie"].read_bytes(), images["document_front"].read_bytes())
    (match,) = response.face_matches
    assert match.similarity >= 90 and response.unmatched_faces == []
    assert 0 < match.face.bounding_box.width < 0.2  # the card's portrait is small in the photo
    assert [lm.type for lm in match.face.landmarks] == ["eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"]


def test_a_source_without_a_face_is_an_invalid_parameter(images: dict[str, Path]) -> None:
    with pytest.raises(InvalidParameter) as caught:
        compare_faces(images["document_back"].read_bytes(), images["selfie"].read_bytes())
    assert caught.value.aws_type == "InvalidParameterException"
    assert caught.value.details["reason"] == "verification.no_face"


def test_unreadable_and_oversized_images_get_rekognitions_errors() -> None:
    with pytest.raises(InvalidImageFormat):
        detect_faces(b"not an image at all")
    from tests.verification.test_intake import png_header

    with pytest.raises(ImageTooLarge):
        detect_faces(png_header(100_000, 100_000))


def test_three_faces_are_three_face_details(images: dict[str, Path]) -> None:
    import numpy as np

    small = cv2.resize(cv2.imread(str(images["selfie"])), (480, 640))
    ok, encoded = cv2.imencode(".jpg", np.hstack([small, small, small]))
    assert ok
    details = detect_faces(encoded.tobytes()).face_details
    strong = [d for d in details if d.confidence >= 90]
    assert len(strong) == 3
