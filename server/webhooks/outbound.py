"""The one way webhooks reach out: only http(s), only to checked destinations, with bounded time and size.

A destination is refused when its host resolves to a private, loopback, link-local, multicast, reserved,
unspecified or otherwise non-global address (IPv4 or IPv6, IPv4-mapped ones by the address they map),
unless ARABESQUE_WEBHOOK_ALLOWED_HOSTS names the host or a network holding the address. The request then
goes to the very address that was checked (the Host header and TLS server name stay the URL's host), so a
second DNS answer cannot point it elsewhere. Redirects are not followed: a 3xx answer is a failed attempt.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time

import httpx
import msgspec

import sdk_protocol as p

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
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


class Allowlist:
    """Hosts and networks (ARABESQUE_WEBHOOK_ALLOWED_HOSTS) a webhook may reach although not public."""

    def __init__(self, spec: str) -> None:
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for part in (x.strip() for x in spec.split(",")):
            if not part:
                continue
            try:
                self.networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                self.hosts.add(part.lower().rstrip("."))

    def allows(self, host: str, address: IPAddress) -> bool:
        return host.lower().rstrip(".") in self.hosts or any(address in n for n in self.networks)


def refusal(address: IPAddress) -> str | None:
    """Why an address is not public, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for name in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
        if getattr(address, f"is_{name}"):
            return name.replace("_", "-")
    return None if address.is_global else "not-global"


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
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            raise DestinationRefused(f"{expected}, got an invalid URL", path="$.url") from None
        if target.scheme not in ("http", "https") or not target.host:
            raise DestinationRefused(f"{expected}, got scheme {target.scheme!r}", path="$.url")
        host = target.host
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, target.port or 443,
                                                                     type=socket.SOCK_STREAM)
            except OSError:
                raise DestinationRefused(f"{expected}, got host {host!r}, which does not resolve",
                                         path="$.url") from None
            addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
        for address in addresses:
            why = refusal(address)
            if why is not None and not self.allow.allows(host, address):
                raise DestinationRefused(f"{expected}, got host {host!r} at {address} ({why})", path="$.url",
                                         address=str(address))
        if not addresses:
            raise DestinationRefused(f"{expected}, got host {host!r} without addresses", path="$.url")
        return target, str(addresses[0])

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
        host_header = target.host if target.port is None else f"{target.host}:{target.port}"
        if ":" in target.host:
            host_header = f"[{target.host}]" if target.port is None else f"[{target.host}]:{target.port}"
        request = self.client.build_request(
            "POST", target.copy_with(host=address), content=body,
            headers={**headers, "content-type": "application/json", "host": host_header, "user-agent": USER_AGENT},
            extensions={"sni_hostname": target.host} if target.scheme == "https" else {})
        try:
            async with asyncio.timeout(self.total_timeout):
                response = await self.client.send(request, stream=True)
                try:
                    kept = bytearray()
                    async for chunk in response.aiter_raw():
                        kept += chunk[:self.max_response_bytes - len(kept)]
                        if len(kept) >= self.max_response_bytes:
                            break  # the rest is not read: a receiver cannot make us hold more
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return result(error_code="webhook.timeout", error_message=f"Expected an answer within "
                          f"{self.total_timeout:g} s, got none")
        except httpx.ConnectError as exc:
            return result(error_code="webhook.connect_failed",
                          error_message=f"Expected to connect to {host_header}, got {type(exc).__name__}")
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


__all__ = ["AttemptResult", "DestinationRefused", "Sender", "refusal"]
