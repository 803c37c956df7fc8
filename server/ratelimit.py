"""Fair sharing: a token bucket per SDK connection and per API key, refusing with `request.rate_limited`.

A bucket holds up to `burst` tokens and refills at `rate` per second; each request takes one. The
refusal carries `retry_after`, the seconds until a token is back. Settings:
`ARABESQUE_SDK_RATE_PER_SECOND` / `_BURST` and `ARABESQUE_API_RATE_PER_SECOND` / `_BURST`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sdk_protocol import RateLimited


class TokenBucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class RateLimiter:
    """Buckets by key (a connection id, an API key id); idle full buckets are forgotten."""

    def __init__(self, rate: float, burst: int, *, what: str, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"Expected a positive rate and a burst of at least 1, got {rate} and {burst}")
        self.rate = rate
        self.burst = float(burst)
        self.what = what
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, TokenBucket] = {}

    def check(self, key: str) -> None:
        """Take a token for `key`, or raise RateLimited saying when one will be there."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            bucket = self._buckets[key] = TokenBucket(self.burst, now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
        if bucket.tokens >= 1.0 - 1e-9:  # a token refilled to 0.9999999 by float arithmetic is a token
            bucket.tokens = max(0.0, bucket.tokens - 1.0)
            return
        retry_after = max(0.001, round((1.0 - bucket.tokens) / self.rate, 3))
        raise RateLimited(f"Expected at most {self.rate:g} requests per second (bursts of {self.burst:g}) per "
                          f"{self.what}, got more; retry in {retry_after:g}s", retry_after=retry_after,
                          limit=self.rate, burst=int(self.burst))

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)

    def _prune(self, now: float) -> None:
        """Drop buckets that have refilled (their owners are idle); if none has, the oldest half."""
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.stamp) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            for key in sorted(self._buckets, key=lambda k: self._buckets[k].stamp)[: self.max_keys // 2]:
                del self._buckets[key]


__all__ = ["RateLimiter", "TokenBucket"]
