"""Who answers CompareFaces and DetectFaces: our own analysis (`local`, in the worker pool) or
Amazon Rekognition (`aws_rekognition`, boto3 off the event loop), and the AWS face matcher."""

from __future__ import annotations

import asyncio
from typing import Protocol

import msgspec

from sdk_protocol import ServiceUnavailable
from server.rekognition import mapping
from server.rekognition.shapes import (
    AccessDenied,
    CompareFacesResponse,
    DetectFacesResponse,
    ImageTooLarge,
    InvalidImageFormat,
    InvalidParameter,
    InvalidS3Object,
    QualityFilter,
    RekognitionError,
)
from server.workers import WorkerPool
from verification.faces import FaceComparison


class Rekognition(Protocol):
    """CompareFaces and DetectFaces on image bytes, in Rekognition's shapes."""

    name: str

    async def compare_faces(self, source: bytes, target: bytes, *, threshold: float,
                            quality_filter: QualityFilter) -> CompareFacesResponse: ...

    async def detect_faces(self, image: bytes) -> DetectFacesResponse: ...


def _compare(source: bytes, target: bytes, threshold: float, quality_filter: QualityFilter) -> CompareFacesResponse:
    return mapping.compare_faces(source, target, threshold=threshold, quality_filter=quality_filter)


class LocalRekognition:
    """dlib on this server, in the verification process pool."""

    name = "local"

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool

    async def compare_faces(self, source: bytes, target: bytes, *, threshold: float,
                            quality_filter: QualityFilter) -> CompareFacesResponse:
        return await self.pool.run(_compare, source, target, threshold, quality_filter)

    async def detect_faces(self, image: bytes) -> DetectFacesResponse:
        return await self.pool.run(mapping.detect_faces, image)


_AWS_ERRORS: dict[str, type[RekognitionError]] = {
    "InvalidParameterException": InvalidParameter, "ImageTooLargeException": ImageTooLarge,
    "InvalidImageFormatException": InvalidImageFormat, "InvalidS3ObjectException": InvalidS3Object,
    "AccessDeniedException": AccessDenied,
}


class AwsRekognition:
    """Amazon Rekognition (or any endpoint that speaks it) through boto3, called off the event loop."""

    name = "aws_rekognition"

    def __init__(self, *, region: str, endpoint_url: str | None) -> None:
        import boto3

        self.client = boto3.client("rekognition", region_name=region, endpoint_url=endpoint_url or None)

    async def _call(self, operation: str, **kwargs: object) -> dict[str, object]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response: dict[str, object] = await asyncio.to_thread(getattr(self.client, operation), **kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            kind = _AWS_ERRORS.get(str(error.get("Code", "")))
            message = str(error.get("Message", exc))
            if kind is not None:
                raise kind(message) from None
            raise ServiceUnavailable(f"Expected Rekognition to answer, got {error.get('Code')}: {message}") from None
        except BotoCoreError as exc:
            raise ServiceUnavailable(f"Expected Rekognition to answer, got {type(exc).__name__}: {exc}") from None
        response.pop("ResponseMetadata", None)
        return response

    async def compare_faces(self, source: bytes, target: bytes, *, threshold: float,
                            quality_filter: QualityFilter) -> CompareFacesResponse:
        raw = await self._call("compare_faces", SourceImage={"Bytes": source}, TargetImage={"Bytes": target},
                               SimilarityThreshold=threshold, QualityFilter=quality_filter)
        return msgspec.convert(raw, CompareFacesResponse)

    async def detect_faces(self, image: bytes) -> DetectFacesResponse:
        return msgspec.convert(await self._call("detect_faces", Image={"Bytes": image}), DetectFacesResponse)


class RekognitionFaceMatcher:
    """A FaceMatcher over CompareFaces (Amazon Rekognition): it gives a similarity but no distance."""

    def __init__(self, rekognition: Rekognition) -> None:
        self.rekognition = rekognition

    async def compare(self, reference: bytes, probe: bytes) -> FaceComparison:
        try:
            response = await self.rekognition.compare_faces(reference, probe, threshold=0.0, quality_filter="NONE")
        except InvalidParameter:  # Rekognition's answer to a source image without a face
            return FaceComparison(similarity=0.0, distance=None, reference_faces=0, probe_faces=0)
        best = max((m.similarity for m in response.face_matches), default=0.0)
        return FaceComparison(similarity=best, distance=None, reference_faces=1,
                              probe_faces=len(response.face_matches) + len(response.unmatched_faces))


__all__ = ["AwsRekognition", "LocalRekognition", "Rekognition", "RekognitionFaceMatcher"]
