"""A circuit breaker per host, shared by every session of this process.

After `failures` failed calls in a row to a host (timeouts, connection errors, 5xx) its circuit opens:
calls are refused at once (`http.circuit_open`) for `cooldown` seconds. Then it is half-open: one call
goes through as a probe, the others are still refused; the probe's success closes the circuit, its
failure opens it again for another cool-down.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class _Circuit:
    def __init__(self) -> None:
        self.failures = 0
        self.opened_at: float | None = None
        self.probing = False


class Breakers:
    """Per-host circuits; `clock` is monotonic seconds (a fake in unit tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._circuits: dict[str, _Circuit] = {}

    def state(self, host: str, cooldown: float) -> str:
        """`closed`, `open` or `half-open` (what `admit` would find now)."""
        circuit = self._circuits.get(host)
        if circuit is None or circuit.opened_at is None:
            return "closed"
        return "open" if circuit.probing or self._clock() - circuit.opened_at < cooldown else "half-open"

    def admit(self, host: str, cooldown: float) -> bool:
        """Whether a call to `host` may go now; a half-open circuit admits one probe at a time."""
        state = self.state(host, cooldown)
        if state == "half-open":
            self._circuits[host].probing = True
        return state != "open"

    def record(self, host: str, *, failed: bool, failures: int) -> None:
        """The outcome of an admitted call."""
        circuit = self._circuits.setdefault(host, _Circuit())
        was_probe, circuit.probing = circuit.probing, False
        if not failed:
            circuit.failures, circuit.opened_at = 0, None
            return
        circuit.failures += 1
        if was_probe or circuit.failures >= failures:
            circuit.opened_at = self._clock()

    def release(self, host: str) -> None:
        """An admitted call that ended without an outcome for the host (cancelled, refused before sending)."""
        circuit = self._circuits.get(host)
        if circuit is not None:
            circuit.probing = False


__all__ = ["Breakers"]
