"""`Idempotency-Key` on the REST API's POST routes: a retried request gets the first one's answer, once.

The first request with a key (per tenant and caller) claims it in the database, runs, and stores its answer;
the same key with the same request (method, path, query and body, by SHA-256) replays that answer with
`Idempotent-Replayed: true`; with another request it is `request.idempotency_key_reused` (422); while the
first still runs, `request.idempotency_key_in_progress` (409, retry shortly). Keys are kept 24 hours. Answers
that say "nothing happened, try again" (5xx, 429) are not kept: the key is free again for the retry.
`Guard.route` applies this to every POST it builds (server/http.py), so no route does it itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Protocol

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

import sdk_protocol as p
from server.db.request_keys import KeyClaim, StoredAnswer

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:~+/=-]{1,255}")
"""UUIDs, ULIDs, base64 and most keys clients make; no spaces or control characters"""
TTL = dt.timedelta(hours=24)
STALE_AFTER = dt.timedelta(minutes=2)
"""a key still in progress after this is taken over: its request died with its node"""
PURGE_EVERY = dt.timedelta(minutes=1)


class IdempotencyKeyReused(p.SdkError):
    """The Idempotency-Key was used before with another request (method, path or body); use a new key."""

    code = "request.idempotency_key_reused"
    http_status = 422


class IdempotencyKeyInProgress(p.SdkError):
    """A request with this Idempotency-Key is still running; retry after `details.retry_after` seconds."""

    code = "request.idempotency_key_in_progress"
    http_status = 409


class KeyStore(Protocol):
    async def claim_key(self, claim: KeyClaim, *, stale_before: dt.datetime,
                        purge: bool = False) -> StoredAnswer | None: ...

    async def complete_key(self, claim: KeyClaim, *, status: int, media_type: str | None, body: bytes) -> None: ...

    async def release_key(self, claim: KeyClaim) -> None: ...


Call = Callable[[Request], Awaitable[Response]]


class Idempotency:
    """Runs POST handlers under their Idempotency-Key; one per process, built in server/app.py."""

    def __init__(self, store: KeyStore, clock: Callable[[], dt.datetime], *,
                 limits: p.Limits = p.DEFAULT_LIMITS) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits
        self._purged_at: dt.datetime | None = None

    async def run(self, request: Request, tenant: str, actor: str, call: Call) -> Response:
        """`call(request)`, or the stored answer of the first request with the same key from (tenant, actor)."""
        key = request.headers.get(KEY_HEADER)
        if key is None:
            return await call(request)
        if not KEY_PATTERN.fullmatch(key):
            raise p.InvalidRequest(f"Expected an {KEY_HEADER} of 1 to 255 letters, digits or _.:~+/=-, got "
                                   f"{key[:60]!r}{'...' if len(key) > 60 else ''} ({len(key)} characters)",
                                   path=f"header:{KEY_HEADER}")
        body = await self._body(request)
        line = f"{request.method} {request.url.path}" + (f"?{request.url.query}" if request.url.query else "")
        fingerprint = hashlib.sha256(line.encode() + b"\n" + body).hexdigest()
        now = self.clock()
        claim = KeyClaim(tenant=tenant, actor=actor, key=key, request=line[:400], fingerprint=fingerprint,
                         created_at=now, expires_at=now + TTL)
        purge = self._purged_at is None or now - self._purged_at >= PURGE_EVERY
        if purge:
            self._purged_at = now
        found = await self.store.claim_key(claim, stale_before=now - STALE_AFTER, purge=purge)
        if found is not None:
            return self._answer(found, claim)
        return await self._first(claim, call, Request(request.scope, _replaying(body)))

    async def _first(self, claim: KeyClaim, call: Call, request: Request) -> Response:
        try:
            response = await call(request)
        except p.SdkError as exc:
            if _kept(exc.http_status):
                await self.store.complete_key(claim, status=exc.http_status, media_type="application/json",
                                              body=msgspec.json.encode(p.error_message(exc)))
            else:
                await self.store.release_key(claim)
            raise
        except BaseException:
            await self.store.release_key(claim)
            raise
        body = getattr(response, "body", None)
        if isinstance(body, bytes) and _kept(response.status_code):
            await self.store.complete_key(claim, status=response.status_code,
                                          media_type=response.headers.get("content-type"), body=body)
        else:
            await self.store.release_key(claim)
        return response

    def _answer(self, found: StoredAnswer, claim: KeyClaim) -> Response:
        if found.fingerprint != claim.fingerprint:
            raise IdempotencyKeyReused(
                f"Expected the request first sent with this {KEY_HEADER} ({found.request}, body SHA-256 "
                f"{found.fingerprint[:12]}...), got {claim.request} with body SHA-256 {claim.fingerprint[:12]}...; "
                "use a new key for a new request", first_request=found.request)
        if found.status is None:
            raise IdempotencyKeyInProgress(
                f"Expected the first request with this {KEY_HEADER} ({found.request}) to have finished, got it "
                "still running; retry shortly", retry_after=1)
        headers = {REPLAYED_HEADER: "true"}
        if found.media_type:
            headers["Content-Type"] = found.media_type
        return Response(found.body or b"", status_code=found.status, headers=headers)

    async def _body(self, request: Request) -> bytes:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.limits.max_message_bytes:
                raise p.InvalidRequest(f"Expected a body of at most {self.limits.max_message_bytes} bytes, got more",
                                       limit=self.limits.max_message_bytes)
        return body


def _kept(status: int) -> bool:
    """Whether an answer is the request's result (replayed) or a "nothing happened, retry" (not kept)."""
    return status < 500 and status != 429


def _replaying(body: bytes) -> Callable[[], Awaitable[Message]]:
    """An ASGI receive that hands the handler the body read already (the first request reads it once)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


__all__ = ["KEY_HEADER", "KEY_PATTERN", "REPLAYED_HEADER", "TTL", "Idempotency", "IdempotencyKeyInProgress",
           "IdempotencyKeyReused", "KeyStore"]
