"""REST routes: the integrator API (API key) and the SDK upload endpoint (session token).

Each API route names the permission it needs beside its path (`Guard.route`); a route with a session id
checks that the session is of the caller's tenant first. Handlers decode once, make one call
(server/sessions, files.py, erasure.py), encode; every SdkError is mapped to `{code, message, details}` with
its HTTP status in `error_response`, once.
"""

from __future__ import annotations

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
from server import context
from server.access import Permission, Principal, require
from server.api_types import CreateSession, CreateUpload, FileUrl, SendSignal
from server.auth import Authenticator
from server.erasure import Eraser
from server.files import Files
from server.multipart import file_part
from server.ratelimit import RateLimiter
from server.sessions import Sessions
from verification.formats import normalise_media_type

log = logging.getLogger("arabesque.http")
T = TypeVar("T")
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


async def read_json(request: Request, kind: type[T], limits: p.Limits = p.DEFAULT_LIMITS, *,
                    empty: T | None = None) -> T:
    """Decode a JSON body into `kind`, refusing bodies over the message limit, nesting past the protocol's depth
    and bytes that are not UTF-8; an empty body is `empty` when one is given (a body whose fields all have
    defaults)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limits.max_message_bytes:
            raise p.InvalidRequest(f"Expected a JSON body of at most {limits.max_message_bytes} bytes, got more",
                                   limit=limits.max_message_bytes)
    if not body and empty is not None:
        return empty
    try:
        return msgspec.json.decode(body or b"null", type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        message, path = p.describe_error(exc)
        raise p.InvalidRequest(f"{message} - at {path}", path=path) from None
    except RecursionError:
        raise p.InvalidRequest(f"Expected JSON nested at most {limits.max_depth} levels deep, got deeper",
                               path="$") from None
    except UnicodeError as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise p.InvalidRequest(f"Expected a JSON body in UTF-8, got {reason}", path="$") from None


def read_query(request: Request, kind: type[T]) -> T:
    """The query string as `kind` (a Struct of optional fields): an unknown, repeated or malformed parameter is
    `request.invalid` naming it."""
    params = request.query_params
    fields = getattr(kind, "__struct_fields__", ())
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise p.InvalidRequest(f"Expected query parameters among {', '.join(sorted(fields))}, got "
                               f"{', '.join(unknown)[:200]}", path=f"$.{unknown[0][:40]}")
    repeated = sorted(name for name in params if len(params.getlist(name)) > 1)
    if repeated:
        raise p.InvalidRequest(f"Expected each query parameter once, got {', '.join(repeated)} repeated",
                               path=f"$.{repeated[0]}")
    try:
        return msgspec.convert(dict(params), kind, strict=False)
    except msgspec.ValidationError as exc:
        message, path = p.describe_error(exc)
        raise p.InvalidRequest(f"{message} - at {path}", path=path) from None


Handler = Callable[[Request, Principal], Awaitable[Response]]


class Guard:
    """A REST route's door: who the request acts as (API key or back-office login), its share of the rate, and
    the one permission the route needs (`auth.forbidden` without it)."""

    def __init__(self, auth: Authenticator, limiter: RateLimiter) -> None:
        self.auth = auth
        self.limiter = limiter

    def route(self, method: str, path: str, permission: Permission, handler: Handler) -> Route:
        async def endpoint(request: Request) -> Response:
            principal = await self.auth.principal(request)
            context.bind(tenant=principal.tenant)  # for the log lines of this request
            self.limiter.check(principal.actor)
            return await handler(request, require(principal, permission))

        return Route(path, endpoint, methods=[method])


def build_routes(*, sessions: Sessions, files: Files, eraser: Eraser, auth: Authenticator,
                 readiness: Callable[[], Awaitable[dict[str, str]]], api_limiter: RateLimiter,
                 sdk_limiter: RateLimiter, limits: p.Limits = p.DEFAULT_LIMITS) -> list[Route]:
    integrator_sessions = sessions.integrator
    guard = Guard(auth, api_limiter)

    async def owned(request: Request, principal: Principal) -> str:
        """The session of the path, which must be of the principal's tenant (else `session.not_found`)."""
        session_id = str(request.path_params["session_id"])
        await integrator_sessions.owned(session_id, principal.tenant)
        return session_id

    async def sdk(request: Request) -> str:
        """The session of the path, whose SDK token the request must carry."""
        session_id = str(request.path_params["session_id"])
        await auth.session_token(request.headers.get("authorization"), session_id)
        sdk_limiter.check(session_id)
        return session_id

    async def healthz(request: Request) -> Response:
        return json_response({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = await readiness()
        ready = all(result == "ok" for result in checks.values())
        return json_response({"status": "ready" if ready else "not_ready", "checks": checks}, 200 if ready else 503)

    async def journeys(request: Request, principal: Principal) -> Response:
        return json_response(integrator_sessions.journeys())

    async def create_session(request: Request, principal: Principal) -> Response:
        body = await read_json(request, CreateSession, limits)
        return json_response(await integrator_sessions.create_session(body, by=principal), 201)

    async def get_session(request: Request, principal: Principal) -> Response:
        return json_response(await integrator_sessions.describe(await owned(request, principal)))

    async def new_token(request: Request, principal: Principal) -> Response:
        return json_response(await integrator_sessions.issue_token(await owned(request, principal)), 201)

    async def signal(request: Request, principal: Principal) -> Response:
        session_id = await owned(request, principal)
        body = await read_json(request, SendSignal, limits)
        return json_response(await integrator_sessions.signal(session_id, body.name, body.data))

    async def get_file(request: Request, principal: Principal) -> Response:
        """S3: a redirect to a short-lived presigned GET (never a public object). Local: the bytes, streamed."""
        found = await files.download(await owned(request, principal), request.path_params["file_id"], by=principal)
        if isinstance(found, FileUrl):
            return RedirectResponse(found.url, status_code=307, headers={"Cache-Control": "no-store"})
        row, chunks = found
        return StreamingResponse(chunks, media_type=row.content_type, headers={
            "Content-Disposition": f"attachment; filename=\"{row.id}\"", "X-Content-SHA256": row.sha256,
            "Cache-Control": "no-store"})

    async def get_file_url(request: Request, principal: Principal) -> Response:
        return json_response(await files.link(await owned(request, principal), request.path_params["file_id"],
                                              by=principal))

    async def erase(request: Request, principal: Principal) -> Response:
        return json_response(await eraser.erase(await owned(request, principal), principal))

    async def create_upload(request: Request) -> Response:
        session_id = await sdk(request)
        return json_response(await files.create_upload(session_id, await read_json(request, CreateUpload, limits)), 201)

    async def upload(request: Request) -> Response:
        """A raw body (type from Content-Type, name from ?filename= or Content-Disposition), or multipart/form-data
        with one file part named `file`; either way streamed to the store."""
        session_id = await sdk(request)
        header = request.headers.get("content-type", "")
        length = request.headers.get("content-length")
        body = _body(request)
        if normalise_media_type(header) == "multipart/form-data":
            part = await file_part(body, header)
            declared, name, body = part.content_type, part.filename, part.chunks
        else:
            disposition = _DISPOSITION_NAME.search(request.headers.get("content-disposition", ""))
            declared = header
            name = request.query_params.get("filename") or (disposition[1] if disposition else "upload")
        info = await files.receive(session_id, body, declared=declared, name=name,
                                   length=int(length) if length is not None and length.isdigit() else None)
        return json_response(info, 201)

    P = Permission
    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        guard.route("GET", "/v1/journeys", P.JOURNEYS_READ, journeys),
        guard.route("POST", "/v1/sessions", P.SESSIONS_WRITE, create_session),
        guard.route("GET", "/v1/sessions/{session_id}", P.SESSIONS_READ, get_session),
        guard.route("DELETE", "/v1/sessions/{session_id}", P.SESSIONS_WRITE, erase),
        Route("/v1/sessions/{session_id}/uploads", create_upload, methods=["POST"]),  # the SDK's session token
        guard.route("GET", "/v1/sessions/{session_id}/files/{file_id}/url", P.FILES_READ, get_file_url),
        guard.route("POST", "/v1/sessions/{session_id}/tokens", P.SESSIONS_WRITE, new_token),
        guard.route("POST", "/v1/sessions/{session_id}/signals", P.SESSIONS_WRITE, signal),
        Route("/v1/sessions/{session_id}/files", upload, methods=["POST"]),  # the SDK's session token
        guard.route("GET", "/v1/sessions/{session_id}/files/{file_id}", P.FILES_READ, get_file),
    ]


async def _body(request: Request) -> AsyncIterator[bytes]:
    """The request's bytes; a client that goes away mid-body gets a clear error, not a half-stored file."""
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except ClientDisconnect:
        raise p.InvalidRequest("Expected the whole upload, got a disconnect before its end") from None


__all__ = ["Guard", "Handler", "build_routes", "error_response", "http_error_handler", "internal_error_handler",
           "json_response", "read_json", "read_query", "sdk_error_handler"]
