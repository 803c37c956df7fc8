"""The `challenge` check of `verify_selfie`: the frames of an active-liveness challenge, judged in a worker.

The selfie (`file`) is the sequence's first frame: the one the face match compares with the document, so
the face that turned is the face that matched. The moves come from the session (`<name>_challenge`, written
by the server when the frames were submitted, server/workflow/challenge.py), never from the client.

`checks.<capture>.challenge.status` is `passed`, `failed` (with `failed_step`) or `not_done`: no frames came
(an SDK older than protocol 1.3, or a journey that asks for none), which rules can tell apart from a pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from sdk_protocol import ChallengeMove
from verification.turns import ChallengeResult, verify_challenge

if TYPE_CHECKING:
    from server.tasks import TaskTools

NOT_DONE: dict[str, object] = {"status": "not_done", "passed": None}
"""Neither passed nor failed: the case view shows it as a neutral check, rules read `status`."""


def _verify(frames: list[bytes], moves: list[ChallengeMove]) -> ChallengeResult:
    return verify_challenge(frames, moves)


async def check_challenge(tools: TaskTools, capture: str, selfie: bytes, frames: list[str] | None,
                          moves: list[ChallengeMove] | None) -> dict[str, object]:
    """`checks.<capture>.challenge`, reporting `<capture>.challenge` progress when there is something to judge."""
    if not frames or not moves:
        return dict(NOT_DONE)
    await tools.progress.report(f"{capture}.challenge", "running")
    data = [selfie, *[await tools.files.read(frame) for frame in frames]]
    result: ChallengeResult = await tools.pool.run(_verify, data, moves)
    await tools.progress.report(f"{capture}.challenge", result.status)
    return msgspec.to_builtins(result)  # type: ignore[no-any-return]


def apply_challenge(output: dict[str, object], challenge: dict[str, object]) -> None:
    """Record the check; a failed challenge fails the selfie (a retake) unless something failed it already."""
    output["challenge"] = challenge
    if challenge["status"] == "failed" and output.get("passed"):
        output["passed"] = False
        output["message_key"] = "retake.challenge_failed"


__all__ = ["NOT_DONE", "apply_challenge", "check_challenge"]
