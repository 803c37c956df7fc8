"""Amazon Rekognition's collection shapes (CreateCollection, IndexFaces, SearchFacesByImage, SearchFaces,
ListFaces, DeleteFaces, DeleteCollection), field for field, as boto3 sends and reads them."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

import msgspec

from server.rekognition.shapes import BoundingBox, FaceDetail, Image, QualityFilter, Shape

# Rekognition's patterns are checked in __post_init__, not by a msgspec Meta pattern, which makes interpreter
# shutdown crash at random (msgspec #717; tests/sdk_protocol/test_negotiation.py keeps it out).
CollectionId = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
ExternalImageId = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
FaceId = str
PATTERNS = {
    "collection_id": ("CollectionId", re.compile(r"[a-zA-Z0-9_.\-]+")),
    "external_image_id": ("ExternalImageId", re.compile(r"[a-zA-Z0-9_.\-:]+")),
    "face_id": ("FaceId", re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")),
}
Threshold = Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]
SearchLimit = Annotated[int, msgspec.Meta(ge=1, le=4096)]


def _matches(field: str, value: str) -> None:
    name, pattern = PATTERNS[field]
    if not pattern.fullmatch(value):
        raise ValueError(f"Expected {name} to match {pattern.pattern}, got {value!r}")


class Checked(Shape, frozen=True, kw_only=True):
    """A request whose identifiers must match Rekognition's patterns (a failure decodes as a ValidationError)."""

    checked: ClassVar[tuple[str, ...]] = ("collection_id",)

    def __post_init__(self) -> None:
        for field in self.checked:
            value = getattr(self, field)
            for one in value if isinstance(value, list) else [value]:
                if one is not None:
                    _matches("face_id" if field == "face_ids" else field, one)


class CreateCollectionRequest(Checked, frozen=True, kw_only=True):
    collection_id: CollectionId
    tags: dict[str, str] = {}


class CreateCollectionResponse(Shape, frozen=True, kw_only=True):
    status_code: int
    collection_arn: str
    face_model_version: str


class CollectionRequest(Checked, frozen=True, kw_only=True):
    """DeleteCollection's request (DescribeCollection's too)."""

    collection_id: CollectionId


class DeleteCollectionResponse(Shape, frozen=True, kw_only=True):
    status_code: int


class IndexFacesRequest(Checked, frozen=True, kw_only=True):
    checked = ("collection_id", "external_image_id")
    collection_id: CollectionId
    image: Image
    external_image_id: ExternalImageId | None = None
    detection_attributes: list[str] = []
    max_faces: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    quality_filter: QualityFilter = "AUTO"


class Face(Shape, frozen=True, kw_only=True):
    face_id: str
    bounding_box: BoundingBox
    image_id: str
    external_image_id: str | None = None
    confidence: float
    index_faces_model_version: str | None = None


class FaceRecord(Shape, frozen=True, kw_only=True):
    face: Face
    face_detail: FaceDetail


class UnindexedFace(Shape, frozen=True, kw_only=True):
    reasons: list[str]
    face_detail: FaceDetail


class IndexFacesResponse(Shape, frozen=True, kw_only=True):
    face_records: list[FaceRecord]
    face_model_version: str
    unindexed_faces: list[UnindexedFace]


class SearchFacesByImageRequest(Checked, frozen=True, kw_only=True):
    collection_id: CollectionId
    image: Image
    max_faces: SearchLimit = 4096
    face_match_threshold: Threshold = 80.0
    quality_filter: QualityFilter = "NONE"


class FaceMatch(Shape, frozen=True, kw_only=True):
    similarity: float
    face: Face


class SearchFacesByImageResponse(Shape, frozen=True, kw_only=True):
    searched_face_bounding_box: BoundingBox
    searched_face_confidence: float
    face_matches: list[FaceMatch]
    face_model_version: str


class SearchFacesRequest(Checked, frozen=True, kw_only=True):
    checked = ("collection_id", "face_id")
    collection_id: CollectionId
    face_id: FaceId
    max_faces: SearchLimit = 4096
    face_match_threshold: Threshold = 80.0


class SearchFacesResponse(Shape, frozen=True, kw_only=True):
    searched_face_id: str
    face_matches: list[FaceMatch]
    face_model_version: str


class ListFacesRequest(Checked, frozen=True, kw_only=True):
    collection_id: CollectionId
    next_token: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    max_results: Annotated[int, msgspec.Meta(ge=0, le=4096)] = 1000


class ListFacesResponse(Shape, frozen=True, kw_only=True):
    faces: list[Face]
    face_model_version: str
    next_token: str | None = None


class DeleteFacesRequest(Checked, frozen=True, kw_only=True):
    checked = ("collection_id", "face_ids")
    collection_id: CollectionId
    face_ids: Annotated[list[FaceId], msgspec.Meta(min_length=1, max_length=4096)]


class DeleteFacesResponse(Shape, frozen=True, kw_only=True):
    deleted_faces: list[str]


__all__ = ["CollectionRequest", "CreateCollectionRequest", "CreateCollectionResponse", "DeleteCollectionResponse",
           "DeleteFacesRequest", "DeleteFacesResponse", "Face", "FaceMatch", "FaceRecord", "IndexFacesRequest",
           "IndexFacesResponse", "ListFacesRequest", "ListFacesResponse", "SearchFacesByImageRequest",
           "SearchFacesByImageResponse", "SearchFacesRequest", "SearchFacesResponse", "UnindexedFace"]
