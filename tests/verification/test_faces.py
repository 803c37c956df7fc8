"""Face matching on real LFW pairs (shared data), the calibration, the one verdict, and `compare`."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import pytest

from verification.faces import (
    OPERATING_POINTS,
    FaceComparison,
    compare,
    descriptor,
    detect,
    distance,
    similarity,
    verdict,
)
from verification.intake import IntakeError


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


def test_the_verdict_is_match_at_approve_review_at_review_and_mismatch_below() -> None:
    approve, review = OPERATING_POINTS["approve"].similarity, OPERATING_POINTS["review"].similarity
    assert [verdict(s) for s in (100.0, approve, approve - 0.001, review, review - 0.001, 0.0)] == \
        ["match", "match", "review", "review", "mismatch", "mismatch"]
    assert FaceComparison(similarity=review, distance=None, reference_faces=1, probe_faces=1).verdict == "review"


def test_compare_gives_the_similarity_and_the_real_distance_behind_it(images: dict[str, Path]) -> None:
    found = compare(images["document_front"].read_bytes(), images["selfie"].read_bytes())
    assert found.reference_faces == 1 and found.probe_faces == 1
    assert found.distance is not None and 0.0 <= found.distance < OPERATING_POINTS["strict"].distance
    assert found.similarity == pytest.approx(similarity(found.distance), abs=0.01)  # distance is rounded
    assert found.verdict == "match"


def test_compare_with_no_face_on_the_reference_compares_nothing(images: dict[str, Path]) -> None:
    found = compare(images["document_back"].read_bytes(), images["selfie"].read_bytes())
    assert found == FaceComparison(similarity=0.0, distance=None, reference_faces=0, probe_faces=0)
    assert found.verdict == "mismatch"


def test_compare_refuses_an_unreadable_reference_with_its_intake_code(images: dict[str, Path]) -> None:
    with pytest.raises(IntakeError) as caught:
        compare(b"not an image at all", images["selfie"].read_bytes())
    assert caught.value.code == "verification.unsupported_format"
