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

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Match, Route

import sdk_protocol as p
from server import context
from server.access import Permission, Principal, require
from server.api_types import (
    CreateSession,
    CreateUpload,
    FileInfo,
    FileUrl,
    Health,
    JourneyInfo,
    Readiness,
    SendSignal,
    SessionCreated,
    SessionPage,
    SessionQuery,
    SessionView,
    TokenIssued,
    UploadCreated,
    UploadQuery,
)
from server.auth import Authenticator
from server.db import ErasureRecord
from server.erasure import Eraser
from server.files import Files
from server.http_input import read_json, read_query
from server.idempotency import Idempotency
from server.multipart import file_part
from server.openapi.spec import Binary, Doc, DocumentedRoute
from server.ratelimit import RateLimiter
from server.sessions import Sessions, SignalApplied
from server.storage import StorageError
from verification.formats import normalise_media_type

log = logging.getLogger("arabesque.http")
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
    headers = exc.headers
    if exc.status_code == 405:  # Allow: every method of the path's template, not only its first route's
        routes = [r for r in request.app.router.routes if isinstance(r, Route)]
        template = next((r.path for r in routes if r.matches(request.scope)[0] != Match.NONE), None)
        allowed = {method for r in routes if r.path == template for method in r.methods or ()}
        headers = {"Allow": ", ".join(sorted(allowed))}
    code = {404: "request.not_found", 405: "request.method_not_allowed"}.get(exc.status_code, "request.invalid")
    return JSONResponse({"type": "error", "code": code, "message": f"Expected a documented route and method, got "
                         f"{request.method} {request.url.path}", "details": {}}, exc.status_code,
                        headers=headers)


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(p.InternalError("Expected to answer the request, got an internal error"))


Handler = Callable[[Request, Principal], Awaitable[Response]]


class Guard:
    """A REST route's door: who the request acts as (API key or back-office login), its share of the rate, the
    one permission the route needs (`auth.forbidden` without it), and on POST its Idempotency-Key."""

    def __init__(self, auth: Authenticator, limiter: RateLimiter, idempotency: Idempotency | None = None) -> None:
        self.auth = auth
        self.limiter = limiter
        self.idempotency = idempotency

    def route(self, method: str, path: str, permission: Permission, handler: Handler, doc: Doc) -> Route:
        keyed = self.idempotency if method == "POST" else None

        async def endpoint(request: Request) -> Response:
            principal = await self.admit(request, permission)
            if keyed is None:
                return await handler(request, principal)
            return await keyed.run(request, principal.tenant, principal.actor, lambda again: handler(again, principal))

        doc = msgspec.structs.replace(doc, permission=permission.value, idempotent=keyed is not None)
        return DocumentedRoute(path, endpoint, methods=[method], doc=doc)

    async def admit(self, request: Request, permission: Permission) -> Principal:
        """The request's principal, counted against its rate, when it holds `permission` (else `auth.forbidden`)."""
        return require(await self._principal(request), permission)

    async def _principal(self, request: Request) -> Principal:
        principal = await self.auth.principal(request)
        context.bind(tenant=principal.tenant)  # for the log lines of this request
        self.limiter.check(principal.actor)
        return principal


def build_routes(*, sessions: Sessions, files: Files, eraser: Eraser, auth: Authenticator,
                 readiness: Callable[[], Awaitable[dict[str, str]]], api_limiter: RateLimiter,
                 sdk_limiter: RateLimiter, idempotency: Idempotency | None = None,
                 limits: p.Limits = p.DEFAULT_LIMITS) -> list[Route]:
    integrator_sessions = sessions.integrator
    guard = Guard(auth, api_limiter, idempotency)

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
        return json_response(Health())

    async def readyz(request: Request) -> Response:
        checks = await readiness()
        ready = all(result == "ok" for result in checks.values())
        return json_response(Readiness(status="ready" if ready else "not_ready", checks=checks),
                             200 if ready else 503)

    async def journeys(request: Request, principal: Principal) -> Response:
        return json_response(integrator_sessions.journeys())

    async def create_session(request: Request, principal: Principal) -> Response:
        body = await read_json(request, CreateSession, limits)
        return json_response(await integrator_sessions.create_session(body, by=principal), 201)

    async def list_sessions(request: Request, principal: Principal) -> Response:
        return json_response(await integrator_sessions.list_sessions(principal.tenant,
                                                                     read_query(request, SessionQuery)))

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

        async def call(again: Request) -> Response:
            return json_response(await files.create_upload(session_id, await read_json(again, CreateUpload, limits)),
                                 201)

        if idempotency is None:
            return await call(request)
        return await idempotency.run(request, "", f"session:{session_id}", call)

    async def upload(request: Request) -> Response:
        """A raw body (type from Content-Type, name from ?filename= or Content-Disposition), or multipart/form-data
        with one file part named `file`; either way streamed to the store."""
        session_id = await sdk(request)
        query = read_query(request, UploadQuery)
        header = request.headers.get("content-type", "")
        length = request.headers.get("content-length")
        body = _body(request)
        if normalise_media_type(header) == "multipart/form-data":
            part = await file_part(body, header)
            declared, name, body = part.content_type, part.filename, part.chunks
        else:
            disposition = _DISPOSITION_NAME.search(request.headers.get("content-disposition", ""))
            declared = header
            name = query.filename or (disposition[1] if disposition else "upload")
        info = await files.receive(session_id, body, declared=declared, name=name,
                                   length=int(length) if length is not None and length.isdigit() else None)
        return json_response(info, 201)

    P = Permission
    gone = (p.SessionNotFound, p.SessionErased)
    changes = (p.SessionNotFound, p.SessionErased, p.EventNotAllowed, p.JourneyFinished, p.StaleScreen,
               p.MessageTooLarge, p.RuleFailed)
    file_errors = (*gone, p.FileNotFound, StorageError)
    sdk_upload = (p.SessionErased, p.JourneyFinished, p.UploadTooLarge, p.UploadTypeMismatch, p.UnsupportedFileType,
                  p.InvalidMultipart, StorageError)
    one = "/v1/sessions/{session_id}"
    return [
        DocumentedRoute("/healthz", healthz, methods=["GET"], doc=Doc(
            summary="Liveness: the process answers", ok={200: (Health,)}, auth="none", tag="health")),
        DocumentedRoute("/readyz", readyz, methods=["GET"], doc=Doc(
            summary="Readiness: the database and the document store answer", ok={200: (Readiness,),
                                                                                503: (Readiness,)},
            auth="none", tag="health")),
        guard.route("GET", "/v1/journeys", P.JOURNEYS_READ, journeys, Doc(
            summary="The journeys a session can follow (latest versions, and every version loaded)",
            ok={200: (list[JourneyInfo],)}, tag="journeys")),
        guard.route("POST", "/v1/sessions", P.SESSIONS_WRITE, create_session, Doc(
            summary="Open a session on a journey; the token opens the SDK channel", body=CreateSession,
            ok={201: (SessionCreated,)}, errors=(p.JourneyNotFound, p.MessageTooLarge))),
        guard.route("GET", "/v1/sessions", P.SESSIONS_READ, list_sessions, Doc(
            summary="The caller's tenant's sessions, newest first, a page at a time", query=SessionQuery,
            ok={200: (SessionPage,)})),
        guard.route("GET", one, P.SESSIONS_READ, get_session, Doc(
            summary="One session: state, outcome, collected data, checks, decision trace, timeline, files; the "
                    "erasure record once erased", ok={200: (SessionView, ErasureRecord)}, errors=gone)),
        guard.route("DELETE", one, P.SESSIONS_WRITE, erase, Doc(
            summary="Erase a session's documents and data (verified); the erasure record remains",
            ok={200: (ErasureRecord,)}, errors=(*gone, StorageError))),
        DocumentedRoute(f"{one}/uploads", create_upload, methods=["POST"], doc=Doc(
            summary="A presigned POST for a direct upload to S3 (the SDK, with the session's token)",
            body=CreateUpload, ok={201: (UploadCreated,)}, auth="session_token", idempotent=idempotency is not None,
            errors=(p.SessionErased, p.DirectUploadUnsupported, p.UnsupportedFileType, StorageError),
            tag="sdk")),
        guard.route("GET", f"{one}/files/{{file_id}}/url", P.FILES_READ, get_file_url, Doc(
            summary="A short-lived presigned URL of a file (S3 storage only)", ok={200: (FileUrl,)},
            errors=(*file_errors, p.DirectUploadUnsupported), tag="files")),
        guard.route("POST", f"{one}/tokens", P.SESSIONS_WRITE, new_token, Doc(
            summary="Another SDK token for the session (another device)", ok={201: (TokenIssued,)}, errors=gone)),
        guard.route("POST", f"{one}/signals", P.SESSIONS_WRITE, signal, Doc(
            summary="Send the journey an event from outside (a webhook of yours, a back-office decision)",
            body=SendSignal, ok={200: (SignalApplied,)}, errors=changes)),
        DocumentedRoute(f"{one}/files", upload, methods=["POST"], doc=Doc(
            summary="Upload a file (the SDK, with the session's token): a raw body, or multipart/form-data with "
                    "one part named `file`; streamed, typed by its magic bytes", body=Binary, query=UploadQuery,
            ok={201: (FileInfo,)}, auth="session_token", errors=sdk_upload, tag="sdk")),
        guard.route("GET", f"{one}/files/{{file_id}}", P.FILES_READ, get_file, Doc(
            summary="A file's bytes (local storage), or a redirect to a presigned GET (S3)",
            ok={200: (Binary,), 307: ()}, errors=file_errors, tag="files")),
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
