"""`bench liveness` (active part): false accepts on sequences made from one still, false rejects on rendered turns.

Faces are LFW's (the left images of View 2's pairs, one per identity): folds 1-5 are the calibration split the
limits in verification.turns were frozen on, folds 6-10 the report split. A genuine sequence is the photo then
turns rendered from it (demo_client.turns: a 3D head template, not a filmed person, see README); an attack
sequence is the photo replayed, shifted, scaled, rotated in the image plane, or alternated with its mirror
image. Photos that do not face the camera (the first frame's limit) are counted and left out, as an SDK
would have asked the person to face it.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from demo_client.turns import challenge_frames
from sdk_protocol import ChallengeMove
from verification.faces import detect
from verification.turns import SIGN, Reading, TurnLimits, judge, read_frames, verify_challenge

SPLITS: dict[str, frozenset[int]] = {"calibration": frozenset(range(1, 6)), "report": frozenset(range(6, 11))}
CHALLENGES: list[list[ChallengeMove]] = [["turn_left", "turn_right"], ["turn_right", "turn_left"]]
FRAMES = 6  # what a two-move challenge sends: frontal, halfway and full turn per move, frontal


def _shift(rgb: np.ndarray, i: int) -> np.ndarray:
    matrix = np.array([[1, 0, 6 * i], [0, 1, -3 * i]], dtype=np.float32)
    shifted: np.ndarray = cv2.warpAffine(rgb, matrix, (rgb.shape[1], rgb.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    return shifted


def _affine(rgb: np.ndarray, angle: float, scale: float) -> np.ndarray:
    centre = (rgb.shape[1] / 2, rgb.shape[0] / 2)
    matrix = cv2.getRotationMatrix2D(centre, angle, scale)
    moved: np.ndarray = cv2.warpAffine(rgb, matrix, (rgb.shape[1], rgb.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    return moved


ATTACKS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "replayed": lambda rgb, i: rgb.copy(),
    "shifted": _shift,
    "scaled": lambda rgb, i: _affine(rgb, 0.0, 1.0 + 0.08 * i),
    "rotated": lambda rgb, i: _affine(rgb, (-1) ** i * 4.0 * i, 1.0),
    "flipped": lambda rgb, i: cv2.flip(rgb, 1) if i % 2 else rgb.copy(),
}


def photos(faces_dir: Path, split: str, limit: int) -> list[Path]:
    """One photo per identity from the split's folds, in the pair list's order."""
    seen: set[str] = set()
    chosen: list[Path] = []
    with (faces_dir / "pairs_folds.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            identity = row["left"].split("/")[1]
            if int(row["lfw_fold"]) in SPLITS[split] and identity not in seen:
                seen.add(identity)
                chosen.append(faces_dir / row["left"])
            if len(chosen) >= limit:
                break
    return chosen


def _rate(failures: int, total: int) -> dict[str, object]:
    return {"errors": failures, "sequences": total, "rate": round(failures / total, 4) if total else None}


def strength(readings: list[Reading], moves: list[ChallengeMove]) -> float:
    """The weakest move's largest turn from the first frame, in its direction: what `min_turn` is compared with."""
    start = readings[0].turn or 0.0
    return min(max((SIGN[m] * ((r.turn if r.turn is not None else start) - start) for r in readings[1:]),
                   default=0.0) for m in moves)


def _one(rgb: np.ndarray, limits: TurnLimits, tally: dict[str, list[int]], strengths: dict[str, list[float]]) -> None:
    """Judge one photo's genuine and attack sequences for every challenge; tally [errors, sequences] per key."""
    found = detect(rgb)
    face = found[0]
    box = (face.left, face.top, face.right - face.left, face.bottom - face.top)
    for moves in CHALLENGES:
        readings = read_frames(challenge_frames(rgb, box, moves))
        genuine = judge(readings, moves, limits)
        key = "genuine:" + ",".join(moves)
        tally.setdefault(key, [0, 0])
        tally[key][0] += 0 if genuine.passed else 1
        tally[key][1] += 1
        strengths.setdefault("genuine", []).append(strength(readings, moves))
    for attack, make in ATTACKS.items():
        readings = read_frames([make(rgb, i) for i in range(FRAMES)])
        for moves in CHALLENGES:
            key = f"attack:{attack}:" + ",".join(moves)
            tally.setdefault(key, [0, 0])
            tally[key][0] += 1 if judge(readings, moves, limits).passed else 0
            tally[key][1] += 1
            strengths.setdefault(attack, []).append(strength(readings, moves))


def _lowest(values: list[float]) -> float | None:
    return round(min(values), 4) if values else None


def _highest(values: list[float]) -> float | None:
    return round(max(values), 4) if values else None


def _timing(rgb: np.ndarray, repeats: int) -> float:
    """Median seconds to verify one encoded two-move sequence (decode, detect, landmarks, descriptors)."""
    face = detect(rgb)[0]
    box = (face.left, face.top, face.right - face.left, face.bottom - face.top)
    frames = [cv2.imencode(".jpg", cv2.cvtColor(f, cv2.COLOR_RGB2BGR))[1].tobytes()
              for f in challenge_frames(rgb, box, CHALLENGES[0])]
    times: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        verify_challenge(frames, CHALLENGES[0])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_active(faces_dir: Path, *, limit: int = 60, split: str = "report", limits: TurnLimits | None = None,
               repeats: int = 5) -> dict[str, object]:
    """False rejects per challenge on rendered turns, false accepts per attack kind, and time per sequence."""
    limits = limits or TurnLimits()
    tally: dict[str, list[int]] = {}
    strengths: dict[str, list[float]] = {}
    no_face = not_frontal = 0
    used: list[np.ndarray] = []
    for path in photos(faces_dir, split, limit):
        bgr = cv2.imread(str(path))
        if bgr is None:
            raise FileNotFoundError(f"Expected an image at {path}, got nothing readable")
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        first = read_frames([rgb])[0]
        if first.turn is None:
            no_face += 1
            continue
        if abs(first.turn) > limits.frontal:
            not_frontal += 1
            continue
        used.append(rgb)
        _one(rgb, limits, tally, strengths)
    genuine = {k.split(":", 1)[1]: _rate(*v) for k, v in tally.items() if k.startswith("genuine:")}
    attacks = {k.split(":", 1)[1]: _rate(*v) for k, v in tally.items() if k.startswith("attack:")}
    all_genuine = [sum(v[i] for k, v in tally.items() if k.startswith("genuine:")) for i in (0, 1)]
    all_attacks = [sum(v[i] for k, v in tally.items() if k.startswith("attack:")) for i in (0, 1)]
    return {
        "split": split, "photos": len(used), "no_face": no_face, "not_frontal": not_frontal,
        "limits": {"min_turn": limits.min_turn, "frontal": limits.frontal, "returned": limits.returned,
                   "same_face": limits.same_face},
        "false_reject": {"all": _rate(*all_genuine), **genuine},
        "false_accept": {"all": _rate(*all_attacks), **attacks},
        # the weakest genuine sequence and the strongest attack, against min_turn (limits were frozen between them)
        "move_strength": {"genuine_min": _lowest(strengths.get("genuine", [])),
                          **{f"{k}_max": _highest(v) for k, v in strengths.items() if k != "genuine"}},
        "seconds_per_sequence": round(_timing(used[0], repeats), 4) if used else None,
        "frames_per_sequence": FRAMES,
    }


__all__ = ["ATTACKS", "CHALLENGES", "SPLITS", "photos", "run_active"]
