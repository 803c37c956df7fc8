"""Our face analysis answered in Rekognition's shapes and errors (what the compatible API serves)."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from server.rekognition.mapping import compare_faces, detect_faces
from server.rekognition.shapes import ImageTooLarge, InvalidImageFormat, InvalidParameter


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

    selfie = cv2.imread(str(images["selfie"]))
    assert selfie is not None
    small = cv2.resize(selfie, (480, 640))
    ok, encoded = cv2.imencode(".jpg", np.hstack([small, small, small]))
    assert ok
    details = detect_faces(encoded.tobytes()).face_details
    strong = [d for d in details if d.confidence >= 90]
    assert len(strong) == 3
