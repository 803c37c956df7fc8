"""One outward call of an `http` task: checked destination, per-call timeouts, a capped answer.

`send` never raises for what the host or the network did; it says how the call went (`Attempt`), and the
task decides whether to try again. Destinations are filtered as webhooks' are (server/outbound.py), with
ARABESQUE_HTTP_ALLOWED_HOSTS as the allowlist.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import time
from typing import Literal

import httpx
import msgspec

from server.outbound import Allowlist, HostRefused, pinned_request, read_capped, resolve

USER_AGENT = "Arabesque-Tasks/1"
Outcome = Literal["ok", "status", "timeout", "connect_failed", "too_large", "blocked_host"]


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    """How one call went; `detail` says what came (never a header or a secret)."""

    outcome: Outcome
    latency_ms: int
    status: int | None = None
    body: bytes = b""
    retry_after: float | None = None
    detail: str = ""


def retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


class Outbound:
    """The http task's client, built once per process (server/app.py); `close` at shutdown."""

    def __init__(self, *, allowed_hosts: str, max_response_bytes: int) -> None:
        self.allow = Allowlist(allowed_hosts)
        self.max_response_bytes = max_response_bytes
        self.client = httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, method: str, url: str, *, headers: dict[str, str], content: bytes | None,
                   connect_timeout: float, total_timeout: float, max_bytes: int) -> Attempt:
        """One call; `max_bytes` is capped by ARABESQUE_HTTP_MAX_RESPONSE_BYTES."""
        started = time.monotonic()

        def attempt(outcome: Outcome, **fields: object) -> Attempt:
            latency = int((time.monotonic() - started) * 1000)
            return msgspec.convert({"outcome": outcome, "latency_ms": latency, **fields}, Attempt)

        try:
            target, address = await resolve(url, self.allow)
        except HostRefused as exc:
            return attempt("blocked_host", detail=exc.got)
        limit = min(max_bytes, self.max_response_bytes) if max_bytes > 0 else self.max_response_bytes
        request = pinned_request(self.client, method, target, address, content=content,
                                 headers={**headers, "user-agent": USER_AGENT},
                                 timeout=httpx.Timeout(total_timeout, connect=connect_timeout))
        try:
            async with asyncio.timeout(total_timeout):
                response = await self.client.send(request, stream=True)
                try:
                    body, more = await read_capped(response, limit)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return attempt("timeout", detail=f"no answer within {total_timeout:g} s")
        except httpx.TransportError as exc:
            return attempt("connect_failed", detail=type(exc).__name__)
        status = response.status_code
        if more:
            return attempt("too_large", status=status, detail=f"more than {limit} bytes")
        if 200 <= status < 300:
            return attempt("ok", status=status, body=body)
        wait = retry_after_seconds(response.headers.get("retry-after"), dt.datetime.now(dt.UTC))
        return attempt("status", status=status, retry_after=wait, detail=f"status {status}")


__all__ = ["Attempt", "Outbound", "Outcome", "retry_after_seconds"]
