"""Active-liveness challenges on `capture.selfie` screens whose journey sets `challenge_moves`.

The moves are drawn by the server, never chosen by the client: a hash of the session's start time (to the
microsecond, never sent to an SDK), the screen and its revision picks the first direction, and the moves then
alternate, so every challenge asks for both directions (a still and its mirror image can answer only one, see
verification/turns.py). The same inputs give the same moves when the screen is rendered (to every device of
the session, on any node) and when its submit is stored: `<name>_challenge` is written next to the frames, by
the server, for the task to check. A retake is a new revision, and may start the other way.

Clients of protocol 1.3 and later are sent `challenge`; older ones get the screen without it, send one selfie,
and the task records that no challenge was done (`checks.<capture>.challenge.status: not_done`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import msgspec

from sdk_protocol import AnyComponent, ChallengeMove, SelfieCapture
from sdk_protocol.validation import frames_field
from server.workflow.snapshot import Snapshot

FIRST_VERSION = (1, 3, 0)
"""The protocol version that added challenges."""

_ORDER: tuple[ChallengeMove, ChallengeMove] = ("turn_left", "turn_right")


def draw_moves(snapshot: Snapshot, screen_id: str, count: int) -> list[ChallengeMove]:
    """`count` alternating moves (at least two: both directions), the first one drawn for this screen revision."""
    seed = f"{snapshot.started_at.isoformat()}|{snapshot.journey}|{screen_id}|{snapshot.revision}"
    first = hashlib.sha256(seed.encode()).digest()[0] & 1
    return [_ORDER[(first + i) % 2] for i in range(max(2, count))]


def challenged(components: list[AnyComponent], snapshot: Snapshot, *, speaks_challenge: bool) -> list[AnyComponent]:
    """The screen's components for one client: challenge selfies get their moves, or lose `challenge_moves`."""
    return [_for_client(c, snapshot, speaks_challenge) for c in components]


def _for_client(component: AnyComponent, snapshot: Snapshot, speaks_challenge: bool) -> AnyComponent:
    if not isinstance(component, SelfieCapture) or not component.challenge_moves:
        return component
    if not speaks_challenge:
        return msgspec.structs.replace(component, challenge_moves=0, challenge=None)
    return msgspec.structs.replace(component, challenge=draw_moves(snapshot, snapshot.state,
                                                                   component.challenge_moves))


def store_challenge(components: list[AnyComponent], values: Mapping[str, object],
                    snapshot: Snapshot) -> dict[str, object]:
    """`values` with `<name>_challenge` (the moves this revision asked for) next to each submitted `<name>_frames`."""
    stored = dict(values)
    for component in components:
        frames = frames_field(component) if isinstance(component, SelfieCapture) else None
        if frames is not None and isinstance(component, SelfieCapture) and frames in values:
            stored[f"{component.name}_challenge"] = draw_moves(snapshot, snapshot.state, component.challenge_moves)
    return stored


__all__ = ["FIRST_VERSION", "challenged", "draw_moves", "store_challenge"]
