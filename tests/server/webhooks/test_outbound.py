"""Destination filtering, as pure functions and through `Sender.check` (no network: literal addresses)."""

from __future__ import annotations

import ipaddress

import pytest

from server.webhooks.outbound import DestinationRefused, Sender, refusal


@pytest.mark.parametrize(("address", "why"), [
    ("127.0.0.1", "loopback"), ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"), ("100.64.0.1", "not-global"), ("::1", "loopback"), ("::", "unspecified"),
    ("fe80::1", "link-local"), ("fc00::1", "private"), ("ff02::1", "multicast"), ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.1.2.3", "private"), ("93.184.215.14", None), ("2606:4700::6810:84e5", None),
])
def test_every_non_public_address_is_named_for_what_it_is(address: str, why: str | None) -> None:
    assert refusal(ipaddress.ip_address(address)) == why


def sender(allowed: str = "") -> Sender:
    return Sender(allowed_hosts=allowed, connect_timeout=1.0, total_timeout=1.0, max_response_bytes=1024)


async def test_a_private_address_passes_only_when_allowed_by_address_or_network() -> None:
    with pytest.raises(DestinationRefused) as refused:
        await sender().check("http://10.1.2.3:8080/hook")
    assert refused.value.code == "webhook.destination_refused"
    assert "got host '10.1.2.3' at 10.1.2.3 (private)" in refused.value.message
    assert (await sender("10.0.0.0/8").check("http://10.1.2.3:8080/hook"))[1] == "10.1.2.3"
    assert (await sender("127.0.0.1").check("http://127.0.0.1/hook"))[1] == "127.0.0.1"
    with pytest.raises(DestinationRefused):
        await sender("127.0.0.1").check("http://[::ffff:127.0.0.2]/hook")


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http:///nohost", "gopher://a/"])
async def test_only_http_and_https_urls_are_taken(url: str) -> None:
    with pytest.raises(DestinationRefused):
        await sender("0.0.0.0/0").check(url)


async def test_a_refused_destination_is_a_failed_attempt_at_delivery_not_an_exception() -> None:
    result = await sender().post("http://127.0.0.1:9/hook", b"{}", {})
    assert (result.ok, result.error_code, result.status_code) == (False, "webhook.destination_refused", None)
