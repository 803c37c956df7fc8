"""Amazon Rekognition's CompareFaces and DetectFaces shapes (the subset we serve), field for field, and its errors.

Names are Rekognition's PascalCase on the wire; `Bytes` is base64 in JSON, as boto3 sends it.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import msgspec

from sdk_protocol import SdkError

QualityFilter = Literal["NONE", "AUTO", "LOW", "MEDIUM", "HIGH"]
LandmarkType = Literal["eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"]


class Shape(msgspec.Struct, rename="pascal", frozen=True, kw_only=True, omit_defaults=True):
    """Base: PascalCase on the wire, unknown fields ignored (Rekognition adds fields over time)."""


class S3Object(Shape, frozen=True, kw_only=True):
    bucket: str = ""
    name: str
    version: str | None = None


class Image(Shape, frozen=True, kw_only=True):
    bytes: str | None = None  # base64
    s3_object: S3Object | None = msgspec.field(default=None, name="S3Object")


class CompareFacesRequest(Shape, frozen=True, kw_only=True):
    source_image: Image
    target_image: Image
    similarity_threshold: float = 80.0
    quality_filter: QualityFilter = "NONE"


class DetectFacesRequest(Shape, frozen=True, kw_only=True):
    image: Image
    attributes: list[str] = msgspec.field(default_factory=lambda: ["DEFAULT"])


class BoundingBox(Shape, frozen=True, kw_only=True):
    width: float
    height: float
    left: float
    top: float


class Landmark(Shape, frozen=True, kw_only=True):
    type: str  # one of LandmarkType for DEFAULT attributes; Rekognition adds more with ALL
    x: float = msgspec.field(name="X")
    y: float = msgspec.field(name="Y")


class Pose(Shape, frozen=True, kw_only=True):
    roll: float
    yaw: float
    pitch: float


class ImageQuality(Shape, frozen=True, kw_only=True):
    brightness: float
    sharpness: float


class ComparedFace(Shape, frozen=True, kw_only=True):
    bounding_box: BoundingBox
    confidence: float
    landmarks: list[Landmark] = []
    pose: Pose | None = None
    quality: ImageQuality | None = None


class ComparedSourceImageFace(Shape, frozen=True, kw_only=True):
    bounding_box: BoundingBox
    confidence: float


class CompareFacesMatch(Shape, frozen=True, kw_only=True):
    similarity: float
    face: ComparedFace


class CompareFacesResponse(Shape, frozen=True, kw_only=True):
    source_image_face: ComparedSourceImageFace
    face_matches: list[CompareFacesMatch]
    unmatched_faces: list[ComparedFace]


class FaceDetail(Shape, frozen=True, kw_only=True):
    bounding_box: BoundingBox
    confidence: float
    landmarks: list[Landmark] = []
    pose: Pose | None = None
    quality: ImageQuality | None = None


class DetectFacesResponse(Shape, frozen=True, kw_only=True):
    face_details: list[FaceDetail]


class RekognitionError(SdkError):
    """An error in Rekognition's terms: `aws_type` is its exception name; `code` is ours."""

    aws_type: ClassVar[str] = "InvalidParameterException"
    http_status = 400


class InvalidParameter(RekognitionError):
    """A Rekognition-compatible request with a missing or malformed parameter."""

    code = "rekognition.invalid_parameter"
    aws_type = "InvalidParameterException"


class ImageTooLarge(RekognitionError):
    """A Rekognition-compatible request with an image over the size limit."""

    code = "rekognition.image_too_large"
    aws_type = "ImageTooLargeException"


class InvalidImageFormat(RekognitionError):
    """A Rekognition-compatible request whose image is not JPEG or PNG."""

    code = "rekognition.invalid_image_format"
    aws_type = "InvalidImageFormatException"


class InvalidS3Object(RekognitionError):
    """A Rekognition-compatible request naming an S3 object that cannot be read."""

    code = "rekognition.invalid_s3_object"
    aws_type = "InvalidS3ObjectException"


class AccessDenied(RekognitionError):
    """A Rekognition-compatible request the credentials may not make."""

    code = "rekognition.access_denied"
    aws_type = "AccessDeniedException"


class ResourceNotFound(RekognitionError):
    """A Rekognition-compatible request naming a collection (or face) the tenant does not have."""

    code = "rekognition.resource_not_found"
    aws_type = "ResourceNotFoundException"


class ResourceAlreadyExists(RekognitionError):
    """CreateCollection with the id of a collection the tenant already has."""

    code = "rekognition.resource_already_exists"
    aws_type = "ResourceAlreadyExistsException"


class InvalidSignature(RekognitionError):
    """A Rekognition-compatible request whose SigV4 signature does not verify."""

    code = "rekognition.invalid_signature"
    aws_type = "InvalidSignatureException"


class UnrecognizedClient(RekognitionError):
    """A Rekognition-compatible request with an unknown access key."""

    code = "rekognition.unrecognized_client"
    aws_type = "UnrecognizedClientException"


__all__ = ["AccessDenied", "BoundingBox", "CompareFacesMatch", "CompareFacesRequest", "CompareFacesResponse",
           "ComparedFace", "ComparedSourceImageFace", "DetectFacesRequest", "DetectFacesResponse", "FaceDetail",
           "Image", "ImageQuality", "ImageTooLarge", "InvalidImageFormat", "InvalidParameter", "InvalidS3Object",
           "InvalidSignature", "Landmark", "LandmarkType", "Pose", "QualityFilter", "RekognitionError",
           "ResourceAlreadyExists", "ResourceNotFound", "S3Object", "Shape", "UnrecognizedClient"]
