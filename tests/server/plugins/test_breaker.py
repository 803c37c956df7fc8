"""The per-host circuit breaker, on a clock the test moves."""

from __future__ import annotations

from server.plugins.breaker import Breakers


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_circuit_opens_after_the_failures_in_a_row_and_a_success_between_resets_the_count() -> None:
    clock = Clock()
    breakers = Breakers(clock)
    for failed in (True, False, True):
        assert breakers.admit("a:1", 10)
        breakers.record("a:1", failed=failed, failures=2)
    assert breakers.state("a:1", 10) == "closed"
    assert breakers.admit("a:1", 10)
    breakers.record("a:1", failed=True, failures=2)
    assert breakers.state("a:1", 10) == "open" and not breakers.admit("a:1", 10)
    assert breakers.admit("b:1", 10)  # another host has its own circuit


def test_after_the_cool_down_one_probe_goes_through_and_its_outcome_closes_or_reopens() -> None:
    clock = Clock()
    breakers = Breakers(clock)
    for _ in range(2):
        breakers.admit("a:1", 10)
        breakers.record("a:1", failed=True, failures=2)
    clock.now += 10
    assert breakers.state("a:1", 10) == "half-open"
    assert breakers.admit("a:1", 10)
    assert not breakers.admit("a:1", 10)  # the probe is out: the others still wait
    breakers.record("a:1", failed=True, failures=2)
    assert breakers.state("a:1", 10) == "open"  # one failed probe opens it again, for a whole cool-down
    clock.now += 9.9
    assert not breakers.admit("a:1", 10)
    clock.now += 0.1
    assert breakers.admit("a:1", 10)
    breakers.record("a:1", failed=False, failures=2)
    assert breakers.state("a:1", 10) == "closed" and breakers.admit("a:1", 10)


def test_a_probe_that_ended_without_an_outcome_lets_the_next_one_through() -> None:
    clock = Clock()
    breakers = Breakers(clock)
    breakers.admit("a:1", 1)
    breakers.record("a:1", failed=True, failures=1)
    clock.now += 1
    assert breakers.admit("a:1", 1)
    breakers.release("a:1")
    assert breakers.admit("a:1", 1)
