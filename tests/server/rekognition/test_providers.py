"""The Rekognition face matcher: CompareFaces answers as a FaceComparison, with no made-up distance."""

from __future__ import annotations

import pytest

from server.rekognition.providers import RekognitionFaceMatcher
from server.rekognition.shapes import (
    BoundingBox,
    ComparedFace,
    ComparedSourceImageFace,
    CompareFacesMatch,
    CompareFacesResponse,
    DetectFacesResponse,
    InvalidImageFormat,
    InvalidParameter,
    QualityFilter,
)
from verification.faces import FaceComparison

BOX = BoundingBox(width=0.2, height=0.3, left=0.1, top=0.1)


class FakeRekognition:
    """CompareFaces that answers one response, or raises."""

    name = "fake"

    def __init__(self, answer: CompareFacesResponse | Exception) -> None:
        self.answer = answer
        self.calls: list[tuple[float, QualityFilter]] = []

    async def compare_faces(self, source: bytes, target: bytes, *, threshold: float,
                            quality_filter: QualityFilter) -> CompareFacesResponse:
        self.calls.append((threshold, quality_filter))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    async def detect_faces(self, image: bytes) -> DetectFacesResponse:
        raise AssertionError("not used")


async def test_the_best_match_is_the_similarity_and_there_is_no_distance() -> None:
    face = ComparedFace(bounding_box=BOX, confidence=99.0)
    rekognition = FakeRekognition(CompareFacesResponse(
        source_image_face=ComparedSourceImageFace(bounding_box=BOX, confidence=99.0),
        face_matches=[CompareFacesMatch(similarity=71.5, face=face), CompareFacesMatch(similarity=93.25, face=face)],
        unmatched_faces=[face]))
    found = await RekognitionFaceMatcher(rekognition).compare(b"reference", b"probe")
    assert found == FaceComparison(similarity=93.25, distance=None, reference_faces=1, probe_faces=3)
    assert found.verdict == "match"
    assert rekognition.calls == [(0.0, "NONE")]  # every face comes back with its similarity


async def test_no_face_on_the_reference_compares_nothing() -> None:
    rekognition = FakeRekognition(InvalidParameter("Request has invalid parameters"))
    found = await RekognitionFaceMatcher(rekognition).compare(b"reference", b"probe")
    assert found == FaceComparison(similarity=0.0, distance=None, reference_faces=0, probe_faces=0)


async def test_other_rekognition_errors_keep_their_code() -> None:
    rekognition = FakeRekognition(InvalidImageFormat("Request has unsupported image format"))
    with pytest.raises(InvalidImageFormat) as caught:
        await RekognitionFaceMatcher(rekognition).compare(b"reference", b"probe")
    assert caught.value.code == "rekognition.invalid_image_format"
