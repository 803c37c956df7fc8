"""Reaching out to other hosts: which destinations are allowed, and requests pinned to the checked address.

Webhooks and the journeys' `http` task share this. A destination is refused when its host resolves to a
private, loopback, link-local, multicast, reserved, unspecified or otherwise non-global address (IPv4 or
IPv6, IPv4-mapped ones by the address they map), unless the operator's allowlist names the host or a network
holding the address. The request then goes to the very address that was checked (the Host header and TLS
server name stay the URL's host), so a second DNS answer cannot point it elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class HostRefused(Exception):
    """A URL that is not http(s), does not resolve, or reaches an address the allowlist does not allow.

    The caller turns it into its own coded error (`webhook.destination_refused`, `http.blocked_host`)."""

    def __init__(self, got: str, address: str = "") -> None:
        super().__init__(got)
        self.got = got
        self.address = address


class Allowlist:
    """Hosts and networks (comma-separated) that may be reached although not public."""

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


async def resolve(url: str, allow: Allowlist) -> tuple[httpx.URL, str]:
    """The parsed URL and the address to connect to; HostRefused says what came instead."""
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise HostRefused("an invalid URL") from None
    if target.scheme not in ("http", "https") or not target.host:
        raise HostRefused(f"scheme {target.scheme!r}")
    host = target.host
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, target.port or 443, type=socket.SOCK_STREAM)
        except OSError:
            raise HostRefused(f"host {host!r}, which does not resolve") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
    for address in addresses:
        why = refusal(address)
        if why is not None and not allow.allows(host, address):
            raise HostRefused(f"host {host!r} at {address} ({why})", address=str(address))
    if not addresses:
        raise HostRefused(f"host {host!r} without addresses")
    return target, str(addresses[0])


def host_header(target: httpx.URL) -> str:
    """`host[:port]`, IPv6 literals in brackets."""
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port is None else f"{host}:{target.port}"


def pinned_request(client: httpx.AsyncClient, method: str, target: httpx.URL, address: str, *,
                   content: bytes | None, headers: dict[str, str],
                   timeout: httpx.Timeout | None = None) -> httpx.Request:
    """A request to `address` that still names `target`'s host (Host header, TLS server name); `timeout`
    replaces the client's for this request."""
    request = client.build_request(method, target.copy_with(host=address), content=content,
                                   headers={**headers, "host": host_header(target)},
                                   extensions={"sni_hostname": target.host} if target.scheme == "https" else {})
    if timeout is not None:
        request.extensions["timeout"] = timeout.as_dict()
    return request


async def read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of the answer, and whether it had more; the rest is never read, so a receiver
    cannot make us hold more."""
    kept = bytearray()
    async for chunk in response.aiter_raw():
        room = limit - len(kept)
        if len(chunk) > room:
            kept += chunk[:room]
            return bytes(kept), True
        kept += chunk
    return bytes(kept), False


__all__ = ["Allowlist", "HostRefused", "IPAddress", "host_header", "pinned_request", "read_capped", "refusal",
           "resolve"]
