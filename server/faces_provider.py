"""Face comparison providers: `local` (dlib, in the worker pool) or `aws_rekognition` (boto3)."""

from __future__ import annotations

import asyncio
from typing import Protocol

import msgspec

from sdk_protocol import ServiceUnavailable
from sdk_protocol.rekognition import (
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
from server.tasks import WorkerPool
from verification import rekognition


class FaceProvider(Protocol):
    """CompareFaces and DetectFaces on image bytes, in Rekognition's shapes."""

    name: str

    async def compare_faces(self, source: bytes, target: bytes, *, threshold: float,
                            quality_filter: QualityFilter) -> CompareFacesResponse: ...

    async def detect_faces(self, image: bytes) -> DetectFacesResponse: ...


def _compare(source: bytes, target: bytes, threshold: float, quality_filter: QualityFilter) -> CompareFacesResponse:
    return rekognition.compare_faces(source, target, threshold=threshold, quality_filter=quality_filter)


class LocalProvider:
    """dlib on this server, in the verification process pool."""

    name = "local"

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool

    async def compare_faces(self, source: bytes, target: bytes, *, threshold: float,
                            quality_filter: QualityFilter) -> CompareFacesResponse:
        return await self.pool.run(_compare, source, target, threshold, quality_filter)

    async def detect_faces(self, image: bytes) -> DetectFacesResponse:
        return await self.pool.run(rekognition.detect_faces, image)


_AWS_ERRORS: dict[str, type[RekognitionError]] = {
    "InvalidParameterException": InvalidParameter, "ImageTooLargeException": ImageTooLarge,
    "InvalidImageFormatException": InvalidImageFormat, "InvalidS3ObjectException": InvalidS3Object,
    "AccessDeniedException": AccessDenied,
}


class AwsRekognitionProvider:
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


__all__ = ["AwsRekognitionProvider", "FaceProvider", "LocalProvider"]
