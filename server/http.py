"""REST routes: the integrator API (API key) and the SDK upload endpoint (session token).

Handlers decode once, call the service, encode; every SdkError is mapped to
`{code, message, details}` with its HTTP status in `error_response`, once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import sdk_protocol as p
from server.api_types import CreateSession, SendSignal
from server.auth import bearer, new_id
from server.db import FileRow
from server.service import SessionService
from verification.formats import SNIFF_BYTES, normalise_media_type, sniff

log = logging.getLogger("arabesque.http")
T = TypeVar("T")
MAX_JSON_BODY = 256 * 1024
UPLOAD_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/avif", "image/tiff",
                          "application/pdf"})
_DISPOSITION_NAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.I)


def json_response(value: object, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status_code=status, media_type="application/json")


def error_response(exc: p.SdkError) -> Response:
    return json_response(p.error_message(exc), exc.http_status)


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


def safe_name(raw: str) -> str:
    """A display name from a client-supplied file name: no directories, no control characters."""
    base = re.split(r"[\\/]", raw)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return cleaned.encode("utf-8")[:200].decode("utf-8", "ignore") or "upload"


def build_routes(service: SessionService, *, max_upload_bytes: int,
                 readiness: Callable[[], Awaitable[dict[str, str]]]) -> list[Route]:
    async def integrator(request: Request) -> str:
        return await service.authenticate_api_key(bearer(request.headers.get("authorization")))

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
        await integrator(request)
        session_id, file_id = request.path_params["session_id"], request.path_params["file_id"]
        row = await service.file_row(session_id, file_id)
        data = await service.read_file(session_id, file_id)
        return Response(data, media_type=row.content_type, headers={
            "Content-Disposition": f"attachment; filename=\"{row.id}\"", "X-Content-SHA256": row.sha256,
            "Cache-Control": "no-store"})

    async def upload(request: Request) -> Response:
        session_id = request.path_params["session_id"]
        token_session = await service.authenticate_token(bearer(request.headers.get("authorization")))
        if token_session != session_id:
            raise p.InvalidToken("Expected a token for this session, got one for another session")
        declared = normalise_media_type(request.headers.get("content-type", ""))
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > max_upload_bytes:
            raise p.UploadTooLarge(f"Expected at most {max_upload_bytes} bytes, got {length}",
                                   limit=max_upload_bytes, found=int(length))
        disposition = _DISPOSITION_NAME.search(request.headers.get("content-disposition", ""))
        name = safe_name(request.query_params.get("filename") or (disposition[1] if disposition else "upload"))
        file_id = new_id("f")
        hasher = hashlib.sha256()
        facts: dict[str, object] = {"size": 0, "type": None}

        def decide(head: bytes) -> str:
            detected = sniff(head)
            if not head:
                raise p.UnsupportedFileType("Expected a file, got an empty body")
            if detected is None or detected not in UPLOAD_TYPES:
                allowed = ", ".join(sorted(UPLOAD_TYPES))
                raise p.UnsupportedFileType(f"Expected one of {allowed}, got {detected or 'unrecognised bytes'}",
                                            detected=detected or "")
            if declared not in ("", "application/octet-stream") and declared != detected:
                raise p.UploadTypeMismatch(f"Expected the bytes to be {declared} as declared, got {detected}",
                                           declared=declared, detected=detected)
            return detected

        async def chunks() -> AsyncIterator[bytes]:
            head = b""
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_upload_bytes:
                    raise p.UploadTooLarge(f"Expected at most {max_upload_bytes} bytes, got more",
                                           limit=max_upload_bytes)
                if facts["type"] is None:
                    head += chunk
                    if len(head) < SNIFF_BYTES:
                        continue
                    facts["type"] = decide(head)
                    piece, head = head, b""
                else:
                    piece = chunk
                hasher.update(piece)
                yield piece
            if facts["type"] is None:
                facts["type"] = decide(head)
                hasher.update(head)
                yield head
            facts["size"] = size

        key = service.file_key(session_id, file_id)

        async def write() -> None:
            try:
                await service.store.put_stream(key, chunks(), content_type=declared or "application/octet-stream")
            except ClientDisconnect:
                raise p.InvalidRequest("Expected the whole upload, got a disconnect before its end") from None

        await write()
        row = FileRow(id=file_id, session_id=session_id, tenant=service.tenant, storage_key=key,
                      sha256=hasher.hexdigest(), size=int(str(facts["size"])), content_type=str(facts["type"]),
                      original_name=name, created_at=service.clock())
        info = await service.record_file(row)
        return json_response(info, 201)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/v1/journeys", journeys),
        Route("/v1/sessions", create_session, methods=["POST"]),
        Route("/v1/sessions/{session_id}", get_session),
        Route("/v1/sessions/{session_id}/tokens", new_token, methods=["POST"]),
        Route("/v1/sessions/{session_id}/signals", signal, methods=["POST"]),
        Route("/v1/sessions/{session_id}/files", upload, methods=["POST"]),
        Route("/v1/sessions/{session_id}/files/{file_id}", get_file),
    ]


__all__ = ["build_routes", "error_response", "http_error_handler", "internal_error_handler", "json_response",
           "safe_name", "sdk_error_handler"]
