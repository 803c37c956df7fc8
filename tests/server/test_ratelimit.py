"""Token buckets: a burst, then the rate; refusals say when to come back."""

from __future__ import annotations

import pytest

import sdk_protocol as p
from server.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_the_rate_applies_with_a_retry_hint() -> None:
    clock = Clock()
    limiter = RateLimiter(10, 3, what="SDK connection", clock=clock)
    for _ in range(3):
        limiter.check("a")
    with pytest.raises(p.RateLimited) as caught:
        limiter.check("a")
    assert caught.value.code == "request.rate_limited" and caught.value.http_status == 429
    assert caught.value.details["retry_after"] == pytest.approx(0.1)
    assert "10 requests per second" in caught.value.message and "SDK connection" in caught.value.message
    clock.now += 0.1
    limiter.check("a")


def test_each_key_has_its_own_bucket() -> None:
    limiter = RateLimiter(1, 1, what="API key", clock=Clock())
    limiter.check("a")
    limiter.check("b")
    with pytest.raises(p.RateLimited):
        limiter.check("a")


def test_idle_buckets_are_forgotten_when_there_are_too_many() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 1, what="SDK connection", clock=clock, max_keys=4)
    for key in "abcd":
        limiter.check(key)
    clock.now += 10  # all refilled: their owners are idle
    limiter.check("e")
    assert len(limiter._buckets) == 1


def test_a_rate_below_zero_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        RateLimiter(0, 1, what="x")
