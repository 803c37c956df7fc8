"""Head turns rendered from one frontal photo, for an SDK's challenge (`capture.selfie` `challenge`).

Nobody can be filmed here, so a turn is made: the head is taken as a smooth 3D surface (an
ellipsoid the size of the face box with a nose-shaped bump where the nose is on a frontal face),
every pixel of the photo is lifted onto it, the surface is rotated about the vertical axis and
projected back (orthographically). The background stays where it was. It is a stand-in for a
person turning in front of a camera, not one: ears and the far cheek are not revealed, hair and
glasses are bent like skin, and the nose is the template's, not the person's. Landmarks move as
they would on a turning head, which is what a challenge is judged on.

Imports numpy, OpenCV and dlib only (an SDK has no verification package, but has a face detector);
the face box comes from the caller (the demo client finds it with dlib's HOG detector, `frontal_face`).
"""

from __future__ import annotations

import math
from typing import Literal

import cv2
import dlib
import numpy as np

Move = Literal["turn_left", "turn_right"]

TURN_DEGREES = 25.0
"""How far a rendered turn goes: a person asked to turn shows 20-40 degrees."""

SIGN: dict[Move, float] = {"turn_left": 1.0, "turn_right": -1.0}
"""The subject's left: on an unmirrored camera photo their nose goes to the image's right (+x)."""


def frontal_face(bgr: np.ndarray) -> tuple[int, int, int, int] | None:
    """The largest frontal face as (left, top, width, height), from dlib's HOG detector (no model file)."""
    scale = min(1.0, 640 / max(bgr.shape[:2]))
    small = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else bgr
    found = list(dlib.get_frontal_face_detector()(cv2.cvtColor(small, cv2.COLOR_BGR2RGB), 1))
    if not found:
        return None
    rect = max(found, key=lambda r: r.width() * r.height())
    return (round(rect.left() / scale), round(rect.top() / scale), round(rect.width() / scale),
            round(rect.height() / scale))


def _depth(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Depth toward the camera in head half-widths, at normalised head coordinates (x, y in [-1, 1])."""
    inside = np.clip(1.0 - xs ** 2 - ys ** 2, 0.0, None)
    head = 0.75 * np.sqrt(inside)
    # the nose: a ridge from between the eyes down to its tip, a little above the box centre
    nose = 0.28 * np.exp(-((xs / 0.16) ** 2)) * np.exp(-(((ys - 0.05) / 0.28) ** 2))
    return np.asarray(head + nose * (inside > 0), dtype=np.float32)


def render_turn(image: np.ndarray, box: tuple[float, float, float, float], degrees: float) -> np.ndarray:
    """`image` with the head in `box` (left, top, width, height) turned by `degrees` about the vertical axis.

    Positive degrees turn the subject to their left (nose toward +x). Backward mapping: for each output pixel
    the source pixel is found by a few fixed-point steps of x' = x cos(a) + z(x) sin(a), which converge for
    the turns an SDK asks for (under 45 degrees).
    """
    height, width = image.shape[:2]
    left, top, box_w, box_h = box
    cx, cy = left + box_w / 2, top + box_h * 0.55
    half_w, half_h = box_w * 0.62, box_h * 0.80
    angle = math.radians(degrees)
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    out_x = (grid_x - cx) / half_w
    ys = (grid_y - cy) / half_h
    # blend to no motion outside the head so the background does not stretch
    weight = np.clip((1.15 - np.sqrt(out_x ** 2 + ys ** 2)) / 0.3, 0.0, 1.0).astype(np.float32)
    xs = out_x.copy()
    for _ in range(6):
        moved = xs * math.cos(angle) + _depth(xs, ys) * math.sin(angle)
        xs = xs + (out_x - (xs + weight * (moved - xs)))
    map_x = (xs * half_w + cx).astype(np.float32)
    turned: np.ndarray = cv2.remap(image, map_x, grid_y, interpolation=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE)
    return turned


def challenge_frames(image: np.ndarray, box: tuple[float, float, float, float], moves: list[Move],
                     degrees: float = TURN_DEGREES) -> list[np.ndarray]:
    """The frames an SDK sends for `moves`: the frontal photo, one frame per move, then frontal again.

    Each move is shown at its full turn with a halfway frame before it, as a camera sampling a turn would.
    """
    frames = [image]
    for move in moves:
        target = SIGN[move] * degrees
        frames += [render_turn(image, box, target / 2), render_turn(image, box, target)]
    frames.append(image.copy())
    return frames


def frames_after(photo: bytes, moves: list[Move]) -> list[bytes]:
    """JPEG frames an SDK would send as `<name>_frames` after `photo` (the selfie itself) for `moves`."""
    bgr = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("Expected a photo to render the head turns from, got bytes no decoder reads")
    box = frontal_face(bgr)
    if box is None:
        raise ValueError("Expected a frontal face in the selfie to render the head turns from, got none")
    return [cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
            for frame in challenge_frames(bgr, box, moves)[1:]]


__all__ = ["SIGN", "TURN_DEGREES", "Move", "challenge_frames", "frames_after", "frontal_face", "render_turn"]
