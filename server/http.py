"""REST routes: the integrator API (API key) and the SDK upload endpoint (session token).

Handlers decode once, call the service, encode; every SdkError is mapped to
`{code, message, details}` with its HTTP status in `error_response`, once.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

import sdk_protocol as p
from server.api_types import CreateSession, CreateUpload, SendSignal
from server.auth import bearer, new_id
from server.db import FileRow
from server.ratelimit import RateLimiter
from server.service import SessionService
from server.storage.base import safe_name
from verification.formats import SNIFF_BYTES, UPLOAD_TYPES, normalise_media_type, sniff

log = logging.getLogger("arabesque.http")
T = TypeVar("T")
MAX_JSON_BODY = 256 * 1024
_DISPOSITION_NAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.I)


def json_response(value: object, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status_code=status, media_type="application/json")


def error_response(exc: p.SdkError) -> Response:
    response = json_response(p.error_message(exc), exc.http_status)
    retry_after = exc.details.get("retry_after")
    if isinstance(retry_after, int | float):  # server.busy, request.rate_limited: whole seconds, at least 1
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


async def sdk_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, p.SdkError)
    return error_response(exc)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "request.not_found", 405: "request.method_not_allowed"}.get(exc.status_code, "request.invalid")
    return JSONResponse({"type": "error", "code": code, "message": f"Expected a documented route and method, got "
                         f"{request.method} {request.url.path}", "details": {}}, exc.status_code)


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(p.InternalError("Expected to answer the request, got an internal error"))


async def read_json(request: Request, kind: type[T]) -> T:
    """Decode a JSON body into `kind`, refusing bodies over 256 KiB."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BODY:
            raise p.InvalidRequest(f"Expected a JSON body of at most {MAX_JSON_BODY} bytes, got more",
                                   limit=MAX_JSON_BODY)
    try:
        return msgspec.json.decode(body or b"null", type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        text = str(exc)
        path = text.rsplit(" - at `", 1)[-1].rstrip("`") if " - at `" in text else "$"
        raise p.InvalidRequest(f"{text.split(' - at ', maxsplit=1)[0]} - at {path}", path=path) from None


def _decide_type(head: bytes, declared: str) -> str:
    """The upload's type from its first bytes; the declared type, when given, must agree."""
    if not head:
        raise p.UnsupportedFileType("Expected a file, got an empty body")
    detected = sniff(head)
    if detected is None or detected not in UPLOAD_TYPES:
        allowed = ", ".join(sorted(UPLOAD_TYPES))
        raise p.UnsupportedFileType(f"Expected one of {allowed}, got {detected or 'unrecognised bytes'}",
                                    detected=detected or "")
    if declared not in ("", "application/octet-stream") and declared != detected:
        raise p.UploadTypeMismatch(f"Expected the bytes to be {declared} as declared, got {detected}",
                                   declared=declared, detected=detected)
    return detected


def build_routes(service: SessionService, *, max_upload_bytes: int,
                 readiness: Callable[[], Awaitable[dict[str, str]]], api_limiter: RateLimiter,
                 sdk_limiter: RateLimiter) -> list[Route]:
    async def integrator(request: Request) -> str:
        key_id = await service.authenticate_api_key(bearer(request.headers.get("authorization")))
        api_limiter.check(key_id)
        return key_id

    async def sdk(request: Request) -> str:
        """The session of the request's SDK token, which must be the session of the path."""
        session_id = request.path_params["session_id"]
        if await service.authenticate_token(bearer(request.headers.get("authorization"))) != session_id:
            raise p.InvalidToken("Expected a token for this session, got one for another session")
        sdk_limiter.check(session_id)
        return str(session_id)

    async def healthz(request: Request) -> Response:
        return json_response({"status": "ok"})

    async def readyz(request: Request) -> Response:
        problems = await readiness()
        return json_response({"status": "ready" if not problems else "not_ready", "checks": problems or {}},
                             200 if not problems else 503)

    async def journeys(request: Request) -> Response:
        await integrator(request)
        return json_response(service.journeys())

    async def create_session(request: Request) -> Response:
        key_id = await integrator(request)
        body = await read_json(request, CreateSession)
        return json_response(await service.create_session(body, api_key_id=key_id), 201)

    async def get_session(request: Request) -> Response:
        await integrator(request)
        return json_response(await service.describe(request.path_params["session_id"]))

    async def new_token(request: Request) -> Response:
        await integrator(request)
        return json_response(await service.issue_token(request.path_params["session_id"]), 201)

    async def signal(request: Request) -> Response:
        await integrator(request)
        body = await read_json(request, SendSignal)
        snapshot = await service.signal(request.path_params["session_id"], body.name, body.data)
        return json_response({"state": snapshot.state, "status": snapshot.status, "outcome": snapshot.outcome})

    async def get_file(request: Request) -> Response:
        """S3: a redirect to a short-lived presigned GET (never a public object). Local: the bytes, streamed."""
        await integrator(request)
        session_id, file_id = request.path_params["session_id"], request.path_params["file_id"]
        row = await service.file_row(session_id, file_id)
        presigned = service.file_url(row)
        if presigned is not None:
            return RedirectResponse(presigned.url, status_code=307, headers={"Cache-Control": "no-store"})
        await service.store.head(row.storage_key)  # a clear 404 before the stream starts
        return StreamingResponse(service.store.stream(row.storage_key), media_type=row.content_type, headers={
            "Content-Disposition": f"attachment; filename=\"{row.id}\"", "X-Content-SHA256": row.sha256,
            "Cache-Control": "no-store"})

    async def get_file_url(request: Request) -> Response:
        await integrator(request)
        row = await service.file_row(request.path_params["session_id"], request.path_params["file_id"])
        presigned = service.file_url(row)
        if presigned is None:
            raise p.DirectUploadUnsupported("Expected S3 storage for presigned URLs, got a local folder; GET the "
                                            "file itself instead")
        return json_response(presigned)

    async def erase(request: Request) -> Response:
        key_id = await integrator(request)
        return json_response(await service.erase(request.path_params["session_id"], f"api_key:{key_id}"))

    async def create_upload(request: Request) -> Response:
        session_id = await sdk(request)
        return json_response(await service.create_upload(session_id, await read_json(request, CreateUpload)), 201)

    async def upload(request: Request) -> Response:
        session_id = await sdk(request)
        await service.ensure_live(session_id)
        declared = normalise_media_type(request.headers.get("content-type", ""))
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > max_upload_bytes:
            raise p.UploadTooLarge(f"Expected at most {max_upload_bytes} bytes, got {length}",
                                   limit=max_upload_bytes, found=int(length))
        disposition = _DISPOSITION_NAME.search(request.headers.get("content-disposition", ""))
        name = safe_name(request.query_params.get("filename") or (disposition[1] if disposition else "upload"))
        stream = request.stream().__aiter__()
        head = b""
        try:
            while len(head) < SNIFF_BYTES:
                head += await anext(stream)
        except StopAsyncIteration:
            pass
        except ClientDisconnect:
            raise p.InvalidRequest("Expected the whole upload, got a disconnect before its end") from None
        content_type = _decide_type(head, declared)
        hasher = hashlib.sha256()
        received = 0

        async def body() -> AsyncIterator[bytes]:
            """The bytes as they arrive, hashed and counted; over the limit, the store drops what it has."""
            nonlocal received
            piece = head
            while True:
                received += len(piece)
                if received > max_upload_bytes:
                    raise p.UploadTooLarge(f"Expected at most {max_upload_bytes} bytes, got more",
                                           limit=max_upload_bytes)
                hasher.update(piece)
                yield piece
                try:
                    piece = await anext(stream)
                except StopAsyncIteration:
                    return

        file_id = new_id("f")
        key = service.file_key(session_id, file_id)
        try:
            await service.store.put_stream(key, body(), content_type=content_type)
        except ClientDisconnect:
            raise p.InvalidRequest("Expected the whole upload, got a disconnect before its end") from None
        row = FileRow(id=file_id, session_id=session_id, tenant=service.tenant, storage_key=key,
                      sha256=hasher.hexdigest(), size=received, content_type=content_type, original_name=name,
                      created_at=service.clock())
        info = await service.record_file(row)
        return json_response(info, 201)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/v1/journeys", journeys),
        Route("/v1/sessions", create_session, methods=["POST"]),
        Route("/v1/sessions/{session_id}", get_session, methods=["GET"]),
        Route("/v1/sessions/{session_id}", erase, methods=["DELETE"]),
        Route("/v1/sessions/{session_id}/uploads", create_upload, methods=["POST"]),
        Route("/v1/sessions/{session_id}/files/{file_id}/url", get_file_url),
        Route("/v1/sessions/{session_id}/tokens", new_token, methods=["POST"]),
        Route("/v1/sessions/{session_id}/signals", signal, methods=["POST"]),
        Route("/v1/sessions/{session_id}/files", upload, methods=["POST"]),
        Route("/v1/sessions/{session_id}/files/{file_id}", get_file),
    ]


__all__ = ["build_routes", "error_response", "http_error_handler", "internal_error_handler", "json_response",
           "sdk_error_handler"]
