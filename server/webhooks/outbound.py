"""The one way webhooks reach out: only http(s), only to checked destinations, with bounded time and size.

Which destinations are allowed (ARABESQUE_WEBHOOK_ALLOWED_HOSTS) and how a request is pinned to the checked
address is server/outbound.py, shared with the journeys' `http` task. Redirects are not followed: a 3xx
answer is a failed attempt.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import msgspec

import sdk_protocol as p
from server.outbound import Allowlist, HostRefused, pinned_request, read_capped, refusal, resolve

EXCERPT_CHARS = 200
USER_AGENT = "Arabesque-Webhooks/1"


class DestinationRefused(p.SdkError):
    """A webhook URL that is not http(s), does not resolve, or reaches a private, loopback, link-local,
    multicast or reserved address not allowed by ARABESQUE_WEBHOOK_ALLOWED_HOSTS."""

    code = "webhook.destination_refused"
    http_status = 422


class AttemptResult(msgspec.Struct, frozen=True, kw_only=True):
    """How one delivery attempt went; `excerpt` is at most the first 200 characters of the answer."""

    ok: bool
    status_code: int | None = None
    latency_ms: int
    error_code: str | None = None
    error_message: str | None = None
    excerpt: str | None = None


class Sender:
    """Built once in server/app.py; `close` at shutdown."""

    def __init__(self, *, allowed_hosts: str, connect_timeout: float, total_timeout: float,
                 max_response_bytes: int) -> None:
        self.allow = Allowlist(allowed_hosts)
        self.total_timeout = total_timeout
        self.max_response_bytes = max_response_bytes
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(total_timeout, connect=connect_timeout),
                                        follow_redirects=False, trust_env=False)

    async def close(self) -> None:
        await self.client.aclose()

    async def check(self, url: str) -> tuple[httpx.URL, str]:
        """The parsed URL and the address to connect to; DestinationRefused says what was expected."""
        expected = "Expected an http(s) URL of a public host (or one in ARABESQUE_WEBHOOK_ALLOWED_HOSTS)"
        try:
            return await resolve(url, self.allow)
        except HostRefused as exc:
            details = {"address": exc.address} if exc.address else {}
            raise DestinationRefused(f"{expected}, got {exc.got}", path="$.url", **details) from None

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
        """POST `body` once; never raises for what the receiver or the network did."""
        started = time.monotonic()

        def result(**fields: object) -> AttemptResult:
            latency = int((time.monotonic() - started) * 1000)
            return msgspec.convert({"latency_ms": latency, "ok": False, **fields}, AttemptResult)

        try:
            target, address = await self.check(url)
        except DestinationRefused as exc:
            return result(error_code=exc.code, error_message=exc.message[:300])
        request = pinned_request(self.client, "POST", target, address, content=body,
                                 headers={**headers, "content-type": "application/json", "user-agent": USER_AGENT})
        try:
            async with asyncio.timeout(self.total_timeout):
                response = await self.client.send(request, stream=True)
                try:
                    kept, _ = await read_capped(response, self.max_response_bytes)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return result(error_code="webhook.timeout", error_message=f"Expected an answer within "
                          f"{self.total_timeout:g} s, got none")
        except httpx.ConnectError as exc:
            return result(error_code="webhook.connect_failed",
                          error_message=f"Expected to connect to {request.headers['host']}, got {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return result(error_code="webhook.request_failed",
                          error_message=f"Expected an HTTP answer, got {type(exc).__name__}: {exc}"[:300])
        status = response.status_code
        excerpt = bytes(kept[:EXCERPT_CHARS * 4]).decode(errors="replace")[:EXCERPT_CHARS]
        if 200 <= status < 300:
            return result(ok=True, status_code=status, excerpt=excerpt)
        if 300 <= status < 400:
            return result(status_code=status, excerpt=excerpt, error_code="webhook.redirect_not_followed",
                          error_message=f"Expected a 2xx answer, got {status} (redirects are not followed)")
        return result(status_code=status, excerpt=excerpt, error_code="webhook.http_status",
                      error_message=f"Expected a 2xx answer, got {status}")


__all__ = ["Allowlist", "AttemptResult", "DestinationRefused", "Sender", "refusal"]
