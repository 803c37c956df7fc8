"""Rekognition-compatible face API: REST (`/v1/faces/*`, API key) and Rekognition's own JSON
protocol (`POST /` with `X-Amz-Target`, SigV4), so an unmodified boto3 client works."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import sdk_protocol as p
from server.auth import Authenticator, bearer
from server.files import Files
from server.rekognition.collection_api import collection_operations
from server.rekognition.collection_api import decode as _decode
from server.rekognition.collections import Collections
from server.rekognition.providers import Rekognition
from server.rekognition.shapes import (
    CompareFacesRequest,
    DetectFacesRequest,
    Image,
    ImageTooLarge,
    InvalidParameter,
    InvalidS3Object,
    RekognitionError,
)
from server.rekognition.sigv4 import verify
from server.storage.keys import split_file_key

MAX_BYTES_IMAGE = 5 * 1024 * 1024  # Rekognition's limit for Image.Bytes
MAX_BODY = 16 * 1024 * 1024
TARGET_PREFIX = "RekognitionService."
COLLECTION_OPERATIONS = ("CreateCollection", "DeleteCollection", "IndexFaces", "SearchFacesByImage", "SearchFaces",
                         "ListFaces", "DeleteFaces")
"""served at `/v1/faces/collections/<operation>` with an API key as well"""


def rekognition_error(exc: RekognitionError | p.SdkError, *, amz: bool) -> Response:
    aws_type = exc.aws_type if isinstance(exc, RekognitionError) else "InvalidParameterException"
    reason = str(exc.details.get("reason", exc.code))
    body = {"__type": aws_type, "message": exc.message, "code": exc.code, "reason": reason}
    return Response(msgspec.json.encode(body), status_code=exc.http_status if exc.http_status >= 500 else 400,
                    media_type="application/x-amz-json-1.1" if amz else "application/json",
                    headers={"x-amzn-ErrorType": aws_type})


def build_rekognition_routes(files: Files, auth: Authenticator, provider: Rekognition,
                             secret_for: Callable[[str], str | None], collections: Collections) -> list[Route]:
    """The SigV4 protocol acts for the server's tenant; the REST form for the API key's."""
    async def image_bytes(image: Image, field: str) -> bytes:
        if (image.bytes is None) == (image.s3_object is None):
            raise InvalidParameter(f"Expected {field} to have exactly one of Bytes or S3Object")
        if image.bytes is not None:
            if len(image.bytes) > MAX_BYTES_IMAGE * 4 // 3 + 4:
                raise ImageTooLarge(f"Expected {field}.Bytes of at most {MAX_BYTES_IMAGE} bytes")
            try:
                data = base64.b64decode(image.bytes, validate=True)
            except (binascii.Error, ValueError):
                raise InvalidParameter(f"Expected {field}.Bytes to be base64") from None
            if len(data) > MAX_BYTES_IMAGE:
                raise ImageTooLarge(f"Expected {field}.Bytes of at most {MAX_BYTES_IMAGE} bytes, got {len(data)}")
            return data
        assert image.s3_object is not None
        located = split_file_key(image.s3_object.name, files.default_tenant)
        if located is None:
            raise InvalidS3Object(f"Expected {field}.S3Object.Name like <session_id>/<file_id>, got "
                                  f"{image.s3_object.name[:80]!r}")
        try:
            return await files.read(*located)
        except p.SdkError:
            raise InvalidS3Object("Unable to get object metadata from S3. Check object key, region and/or access "
                                  "permissions.") from None

    async def compare(_tenant: str, body: bytes) -> bytes:
        request = _decode(body, CompareFacesRequest)
        source = await image_bytes(request.source_image, "SourceImage")
        target = await image_bytes(request.target_image, "TargetImage")
        response = await provider.compare_faces(source, target, threshold=request.similarity_threshold,
                                                quality_filter=request.quality_filter)
        return msgspec.json.encode(response)

    async def detect(_tenant: str, body: bytes) -> bytes:
        request = _decode(body, DetectFacesRequest)
        return msgspec.json.encode(await provider.detect_faces(await image_bytes(request.image, "Image")))

    operations = {"CompareFaces": compare, "DetectFaces": detect, **collection_operations(collections, image_bytes)}

    async def read_body(request: Request) -> bytes:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise ImageTooLarge(f"Expected a request body of at most {MAX_BODY} bytes")
        return body

    def rest(operation: str) -> Callable[[Request], object]:
        async def handler(request: Request) -> Response:
            try:
                grant = await auth.api_key(bearer(request.headers.get("authorization")))
            except p.SdkError as exc:
                return Response(msgspec.json.encode(p.error_message(exc)), status_code=exc.http_status,
                                media_type="application/json")
            try:
                payload = await operations[operation](grant.tenant, await read_body(request))
            except (RekognitionError, p.SdkError) as exc:
                return rekognition_error(exc, amz=False)
            return Response(payload, media_type="application/json")

        return handler

    async def amz_json(request: Request) -> Response:
        target = request.headers.get("x-amz-target", "")
        try:
            body = await read_body(request)
            url = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}{request.url.path}"
            if request.url.query:
                url += f"?{request.url.query}"
            verify(method=request.method, url=url, headers={k.lower(): v for k, v in request.headers.items()},
                   body=body, secret_for=secret_for, now=files.clock())
            operation = operations.get(target.removeprefix(TARGET_PREFIX)) if target.startswith(TARGET_PREFIX) \
                else None
            if operation is None:
                raise InvalidParameter(f"Expected X-Amz-Target {TARGET_PREFIX}<one of {', '.join(operations)}>, "
                                       f"got {target[:80]!r}")
            payload = await operation(files.default_tenant, body)
        except (RekognitionError, p.SdkError) as exc:
            return rekognition_error(exc, amz=True)
        return Response(payload, media_type="application/x-amz-json-1.1")

    return [
        Route("/v1/faces/compare", rest("CompareFaces"), methods=["POST"]),
        Route("/v1/faces/detect", rest("DetectFaces"), methods=["POST"]),
        *(Route(f"/v1/faces/collections/{name}", rest(name), methods=["POST"]) for name in COLLECTION_OPERATIONS),
        Route("/", amz_json, methods=["POST"]),
    ]


__all__ = ["build_rekognition_routes", "rekognition_error"]
