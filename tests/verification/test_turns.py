"""verification/turns.py on head turns rendered from a photo (demo_client/turns.py) and on stills made to look
like a sequence. The photos: the demo's selfie (a public-domain portrait made in code) and two LFW faces of the
calibration folds."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from demo_client.turns import challenge_frames, frames_after, render_turn
from sdk_protocol import ChallengeMove
from verification.faces import detect
from verification.turns import Reading, TurnLimits, judge, read_frames, turn_ratio, verify_challenge

LEFT_RIGHT: list[ChallengeMove] = ["turn_left", "turn_right"]
RIGHT_LEFT: list[ChallengeMove] = ["turn_right", "turn_left"]
Photo = tuple[np.ndarray, tuple[float, float, float, float]]


def _jpeg(rgb: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()


@pytest.fixture(scope="module")
def selfie(images: dict[str, Path]) -> bytes:
    return images["selfie"].read_bytes()


@pytest.fixture(scope="module")
def lfw(shared_data: Path) -> list[Photo]:
    faces = []
    for name in ("Abdel_Madi_Shabneh/Abdel_Madi_Shabneh_0001.jpg", "Abdul_Rahman/Abdul_Rahman_0001.jpg"):
        bgr = cv2.imread(str(shared_data / "faces" / "lfw" / name))
        assert bgr is not None, name
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        box = detect(rgb)[0]
        faces.append((rgb, (box.left, box.top, box.right - box.left, box.bottom - box.top)))
    return faces


@pytest.mark.parametrize("moves", [LEFT_RIGHT, RIGHT_LEFT])
def test_rendered_turns_in_the_asked_order_pass(selfie: bytes, moves: list[ChallengeMove]) -> None:
    result = verify_challenge([selfie, *frames_after(selfie, moves)], moves)
    assert result.passed and result.status == "passed" and result.failed_step is None, result
    assert result.moves == moves and len(result.turns) == 6


def test_turns_in_the_other_order_fail_at_the_move_that_came_out_of_order(selfie: bytes) -> None:
    result = verify_challenge([selfie, *frames_after(selfie, LEFT_RIGHT)], RIGHT_LEFT)
    assert not result.passed and result.failed_step == "turn_left"
    assert result.message_key == "retake.challenge_failed"


def test_a_turn_without_a_return_to_the_camera_fails(lfw: list[Photo]) -> None:
    rgb, box = lfw[0]
    frames = challenge_frames(rgb, box, LEFT_RIGHT)[:-1]  # ends turned to the right
    result = judge(read_frames([*frames, frames[-1]]), LEFT_RIGHT)
    assert result.failed_step == "return"


@pytest.mark.parametrize("attack", ["replayed", "shifted", "scaled", "rotated", "flipped"])
def test_a_single_still_made_into_a_sequence_fails(lfw: list[Photo],
                                                   attack: str) -> None:
    from server.bench.turns import ATTACKS

    for rgb, _ in lfw:
        readings = read_frames([ATTACKS[attack](rgb, i) for i in range(6)])
        for moves in (LEFT_RIGHT, RIGHT_LEFT):
            result = judge(readings, moves)
            assert not result.passed and result.failed_step in {"turn_left", "turn_right"}, (attack, result)


def test_the_turn_ratio_does_not_move_when_the_picture_is_shifted_scaled_or_tilted() -> None:
    rng = np.random.default_rng(3)
    points = rng.uniform(0, 200, (68, 2))
    points[36:42] = np.array([60, 80]) + rng.normal(0, 2, (6, 2))
    points[42:48] = np.array([140, 82]) + rng.normal(0, 2, (6, 2))
    angle = np.radians(17)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (points @ rotation.T) * 1.7 + [40, -25]
    assert turn_ratio(moved) == pytest.approx(turn_ratio(points), abs=1e-9)
    mirrored = points * [-1, 1]
    mirrored = np.concatenate([mirrored[16::-1], mirrored[17:36], mirrored[45:41:-1], mirrored[47:45:-1],
                               mirrored[39:35:-1], mirrored[41:39:-1], mirrored[48:]])
    # a mirror image swaps the jaw sides and the eyes: the same turn, the other way
    assert turn_ratio(mirrored) == pytest.approx(-turn_ratio(points), abs=1e-9)


def test_another_face_in_the_sequence_fails_as_not_the_same_face(
        lfw: list[Photo]) -> None:
    (first, box), (other, _) = lfw
    frames = challenge_frames(first, box, LEFT_RIGHT)
    frames[2] = cv2.resize(other, (first.shape[1], first.shape[0]))
    assert judge(read_frames(frames), LEFT_RIGHT).failed_step == "same_face"


def test_a_frame_without_a_face_fails_and_so_do_too_few_or_unreadable_frames(selfie: bytes) -> None:
    blank = _jpeg(np.full((400, 400, 3), 128, np.uint8))
    frames = [selfie, *frames_after(selfie, LEFT_RIGHT)]
    assert verify_challenge([*frames[:3], blank, *frames[4:]], LEFT_RIGHT).failed_step == "face"
    assert verify_challenge(frames[:3], LEFT_RIGHT).failed_step == "frames"
    assert verify_challenge(frames * 3, LEFT_RIGHT).failed_step == "frames"
    assert verify_challenge([*frames[:5], b"not an image"], LEFT_RIGHT).failed_step == "unreadable"


def test_the_first_frame_must_face_the_camera(lfw: list[Photo]) -> None:
    rgb, box = lfw[0]
    turned = render_turn(rgb, box, 40.0)
    frames = [turned, *challenge_frames(rgb, box, LEFT_RIGHT)[1:]]
    readings = read_frames(frames)
    assert abs(readings[0].turn or 0.0) > TurnLimits().frontal
    assert judge(readings, LEFT_RIGHT).failed_step == "frontal"


def test_the_judge_reads_each_limit() -> None:
    def seq(*turns: float) -> list[Reading]:
        return [Reading(turn=t, distance=0.01) for t in turns]

    limits = TurnLimits(min_turn=0.15, returned=0.05)
    assert judge(seq(0.0, 0.16, -0.16, 0.02), LEFT_RIGHT, limits).passed
    assert judge(seq(0.0, 0.14, -0.16, 0.02), LEFT_RIGHT, limits).failed_step == "turn_left"
    assert judge(seq(0.0, 0.16, -0.14, 0.02), LEFT_RIGHT, limits).failed_step == "turn_right"
    assert judge(seq(0.0, 0.16, -0.16, 0.06), LEFT_RIGHT, limits).failed_step == "return"
    far = [Reading(turn=0.0, distance=0.0), *seq(0.16, -0.16)[:1], Reading(turn=-0.16, distance=0.2),
           *seq(0.0)]
    assert judge(far, LEFT_RIGHT, limits).failed_step == "same_face"
