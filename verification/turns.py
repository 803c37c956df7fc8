"""Active liveness: did the head in a frame sequence turn as the challenge asked, and is it one face throughout?

A challenge (`capture.selfie` `challenge`, e.g. turn_left then turn_right) is answered with a few frames:
the frontal selfie first, then frames taken while the person turns, back to frontal at the end.

The turn is read from the 68 landmarks as a ratio, not an angle: along the eye line, how much farther the
nose tip is from one side of the jaw than from the other, over the sum of both ((left - right) / (left +
right), 0 facing the camera, positive when the subject turns to their left, which on an unmirrored camera
frame puts the nose toward the image's right). A ratio of distances is the same after any shift, scaling or
in-plane rotation of the picture, so a single still replayed, moved, zoomed or tilted shows no turn at all;
a mirrored still shows the opposite turn of the same size, so a challenge always asks for both directions
(server.challenge draws them) and a still and its mirror can answer at most one. A 3D turn changes the ratio
because the nose stands in front of the jaw. (head_pose's PnP yaw was tried first: on LFW faces it jumps
between +30 and -30 degrees for the same face, too unstable to compare frames with.)
"""

from __future__ import annotations

from typing import Literal

import msgspec
import numpy as np

from sdk_protocol import CHALLENGE_MAX_FRAMES, ChallengeMove
from verification.faces import OPERATING_POINTS, descriptor, detect, distance, landmarks68, rgb_for_comparison
from verification.intake import IntakeError

MAX_FRAMES = CHALLENGE_MAX_FRAMES
SIGN: dict[str, float] = {"turn_left": 1.0, "turn_right": -1.0}
JAW_LEFT, JAW_RIGHT, NOSE_TIP = (0, 1, 2), (16, 15, 14), 30

Step = Literal["frames", "unreadable", "face", "frontal", "same_face", "turn_left", "turn_right", "return"]


class TurnLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Frozen with `arabesque bench turns --split calibration` on 2026-11-28 (LFW View 2 folds 1-5, 36 frontal
    photos of 60): the weakest rendered 25-degree move reached 0.184, the strongest move any still made reached
    0.048 (shifted or rotated); `min_turn` is halfway. See README, Active liveness."""

    min_turn: float = 0.12
    """A move counts when the turn ratio moved this far from the first frame's, in the asked direction."""
    frontal: float = 0.30
    """The first frame (the selfie matched against the document) must face the camera this well (a 25-degree
    rendered turn moves the ratio by about 0.2-0.35)."""
    returned: float = 0.08
    """After the last move, a frame must come back this close to the first frame's ratio."""
    same_face: float = OPERATING_POINTS["review"].distance
    """Largest descriptor distance of any frame to the first: the face match's review point."""


class Reading(msgspec.Struct, frozen=True, kw_only=True):
    """One frame: its turn ratio and its distance to the first frame's face (None when no face was found)."""

    turn: float | None
    distance: float | None


class ChallengeResult(msgspec.Struct, frozen=True, kw_only=True):
    """`checks.<capture>.challenge`: `failed_step` names what was missing (a move, the return, the face...)."""

    status: Literal["passed", "failed"]
    passed: bool
    moves: list[ChallengeMove]
    failed_step: Step | None = None
    message_key: str | None = None
    turns: list[float | None] = []
    distances: list[float | None] = []


def turn_ratio(points: np.ndarray) -> float:
    """(left - right) / (left + right): the nose tip's distance along the eye line to each side of the jaw."""
    axis = points[42:48].mean(axis=0) - points[36:42].mean(axis=0)
    norm = float(np.linalg.norm(axis))
    if norm == 0.0:
        return 0.0
    axis = axis / norm
    nose = points[NOSE_TIP]
    left = float(np.mean([(nose - points[i]) @ axis for i in JAW_LEFT]))
    right = float(np.mean([(points[i] - nose) @ axis for i in JAW_RIGHT]))
    total = left + right
    return (left - right) / total if total > 0 else 0.0


def read_frames(frames: list[np.ndarray]) -> list[Reading]:
    """The turn ratio of each frame's largest face, and its descriptor distance to the first frame's face."""
    readings: list[Reading] = []
    first: np.ndarray | None = None
    for rgb in frames:
        faces = detect(rgb)
        if not faces:
            readings.append(Reading(turn=None, distance=None))
            continue
        face = max(faces, key=lambda f: (f.right - f.left) * (f.bottom - f.top))
        points = landmarks68(rgb, face)
        vector = descriptor(rgb, face)
        if first is None:
            first = vector
        readings.append(Reading(turn=round(turn_ratio(points), 4), distance=round(distance(first, vector), 4)))
    return readings


def _failed(moves: list[ChallengeMove], step: Step, readings: list[Reading]) -> ChallengeResult:
    return ChallengeResult(status="failed", passed=False, moves=moves, failed_step=step,
                           message_key="retake.challenge_failed", turns=[r.turn for r in readings],
                           distances=[r.distance for r in readings])


def judge(readings: list[Reading], moves: list[ChallengeMove], limits: TurnLimits = TurnLimits()  # noqa: B008
          ) -> ChallengeResult:
    """Every move in order with enough turn, then a return, one face throughout, the first frame frontal."""
    asked = list(moves)
    if not len(moves) + 2 <= len(readings) <= MAX_FRAMES:
        return _failed(asked, "frames", readings)
    turns = [r.turn for r in readings]
    if any(t is None for t in turns) or readings[0].turn is None:
        return _failed(asked, "face", readings)
    start = readings[0].turn
    if abs(start) > limits.frontal:
        return _failed(asked, "frontal", readings)
    if any(r.distance is None or r.distance > limits.same_face for r in readings):
        return _failed(asked, "same_face", readings)
    at = 1
    for move in moves:
        sign = SIGN[move]
        found = next((i for i in range(at, len(readings)) if sign * (_turn(readings[i]) - start) >= limits.min_turn),
                     None)
        if found is None:
            return _failed(asked, move, readings)
        at = found + 1
    if not any(abs(_turn(r) - start) <= limits.returned for r in readings[at:]):
        return _failed(asked, "return", readings)
    return ChallengeResult(status="passed", passed=True, moves=asked, turns=turns, distances=[
        r.distance for r in readings])


def _turn(reading: Reading) -> float:
    return reading.turn if reading.turn is not None else 0.0


def verify_challenge(frames: list[bytes], moves: list[ChallengeMove],
                     limits: TurnLimits = TurnLimits()) -> ChallengeResult:  # noqa: B008
    """Decode the frames (as the face match does, at most 1000 px a side) and judge the sequence."""
    if not len(moves) + 2 <= len(frames) <= MAX_FRAMES:
        return _failed(list(moves), "frames", [])
    try:
        decoded = [rgb_for_comparison(data) for data in frames]
    except IntakeError:
        return _failed(list(moves), "unreadable", [])
    return judge(read_frames(decoded), moves, limits)


__all__ = ["MAX_FRAMES", "ChallengeResult", "Reading", "TurnLimits", "judge", "read_frames", "turn_ratio",
           "verify_challenge"]
