"""Timers as data: delays (`45s`, `30m`, `12h`, `7d`), the timers a state or the journey starts, and which
`after` entry a timer stands for."""

from __future__ import annotations

import datetime as dt
import re

from server.workflow.journey import CompiledJourney
from server.workflow.snapshot import Timer
from ui_schemas.model import Delayed

_DELAY = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_delay(text: str) -> dt.timedelta:
    """`45s`, `30m`, `12h`, `7d` -> a timedelta."""
    match = _DELAY.match(text)
    if match is None:
        raise ValueError(f"Expected a delay like 30m or 7d, got {text!r}")
    return dt.timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def timers_for(scope: str, entries: list[Delayed], since: dt.datetime) -> list[Timer]:
    """One timer per `after` entry, keyed `<scope>:<index>`."""
    return [Timer(key=f"{scope}:{i}", due_at=since + parse_delay(entry.delay)) for i, entry in enumerate(entries)]


def timer_entry(journey: CompiledJourney, key: str) -> Delayed | None:
    """The `after` entry a timer key names (None when the definition no longer has it)."""
    scope, _, rest = key.partition(":")
    if scope == "journey":
        entries = journey.journey.after
        index = rest
    else:
        state_id, _, index = rest.rpartition(":")
        state = journey.journey.states.get(state_id)
        entries = state.after if state is not None else []
    i = int(index)
    return entries[i] if i < len(entries) else None


__all__ = ["parse_delay", "timer_entry", "timers_for"]
