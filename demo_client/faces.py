"""The faces the demo's people show: NASA's public-domain portrait of astronaut Eileen Collins (inside the
scikit-image wheel), and synthetic people made from it by moving its facial landmarks.

A KYB has several owners, each verifying themselves, and the server searches every new selfie among the
tenant's approved faces (a repeated face under another name goes to review). So each owner needs a face of
their own, and the demo ships no data set: a synthetic face is the portrait with its 68 landmarks (dlib's
predictor from `face-recognition-models`) moved (eyes apart or closer, a longer or shorter nose, a wider or
narrower mouth and jaw) and the face region warped to match (piecewise affine, the face's surroundings fixed).
The server's face matcher puts these faces' selfies at cosine distance 0.078-0.15 from each other and from
the original's, above its duplicate threshold (0.054) with room; the same synthetic face on a card and a
selfie matches as one person (both are cut from the one warped portrait). A face whose features move too far
reads as a tilted head (the selfie's head_pose check): these keep the pitch under the original's.
"""

from __future__ import annotations

import functools

import cv2
import dlib
import msgspec
import numpy as np
from skimage.transform import PiecewiseAffineTransform, warp

FACE_BOX = (110, 10, 340, 260)
"""(left, top, right, bottom) of the part of the 512x512 portrait that is warped; its border stays fixed."""


class Shape(msgspec.Struct, frozen=True, kw_only=True):
    """How far a synthetic face's features move from the portrait's, in the portrait's pixels (or fractions)."""

    eyes: float = 0.0
    """each eye and brow outward (negative: inward)"""
    nose: float = 0.0
    """the nose's tip and the mouth down"""
    mouth: float = 0.0
    """the mouth wider by this fraction"""
    jaw: float = 0.0
    """the jaw wider by this fraction"""
    chin: float = 0.0
    """the chin down"""
    brows: float = 0.0
    """the brows up"""


FACES: dict[str, Shape] = {
    "eileen": Shape(),
    "ada": Shape(eyes=4, nose=-8, mouth=0.2, jaw=-0.1, brows=6),
    "charles": Shape(eyes=-5, nose=-7, mouth=-0.15, jaw=0.15, chin=-8, brows=-4),
}
"""The demo's people by face name (a scenario names one per person)."""


def astronaut() -> np.ndarray:
    """The 512x512 portrait (BGR)."""
    from skimage import data

    rgb: np.ndarray = data.astronaut()  # type: ignore[no-untyped-call]  # skimage's loaders are unannotated
    bgr: np.ndarray = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    return bgr


def _landmarks(rgb: np.ndarray) -> np.ndarray:
    import face_recognition_models

    detector = dlib.get_frontal_face_detector()
    found = list(detector(rgb, 1))
    if not found:
        raise ValueError("Expected a frontal face in the portrait to move its features, got none")
    rect = min(found, key=lambda r: r.top())  # the face; the mission patch below it is found too
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    return np.array([(p.x, p.y) for p in predictor(rgb, rect).parts()], np.float64)


def _moved(marks: np.ndarray, shape: Shape) -> np.ndarray:
    """The 68 landmarks (dlib's order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67) moved."""
    moved = marks.copy()
    centre = marks[27, 0]
    moved[36:42, 0] -= shape.eyes
    moved[42:48, 0] += shape.eyes
    moved[17:22, 0] -= shape.eyes
    moved[22:27, 0] += shape.eyes
    moved[17:27, 1] -= shape.brows
    moved[30:36, 1] += shape.nose
    moved[48:68, 0] = centre + (marks[48:68, 0] - centre) * (1 + shape.mouth)
    moved[48:68, 1] += shape.nose * 0.6
    moved[0:17, 0] = centre + (marks[0:17, 0] - centre) * (1 + shape.jaw)
    moved[4:13, 1] += shape.chin
    return moved


@functools.cache
def portrait(name: str) -> np.ndarray:
    """The 512x512 portrait (BGR) of the face `name` (a key of FACES)."""
    if name not in FACES:
        raise ValueError(f"Expected a face among {', '.join(FACES)}, got {name!r}")
    original = astronaut()
    shape = FACES[name]
    if shape == Shape():
        return original
    rgb = cv2.cvtColor(original, cv2.COLOR_BGR2RGB)
    marks = _landmarks(rgb)
    left, top, right, bottom = FACE_BOX
    border = np.array([(x, y) for x in np.linspace(left, right, 6) for y in (top, bottom)]
                      + [(x, y) for y in np.linspace(top, bottom, 6)[1:-1] for x in (left, right)], np.float64)
    origin = np.array([left, top], np.float64)
    # warp() maps each output pixel back to where it comes from: from the moved landmarks to the portrait's
    inverse = PiecewiseAffineTransform.from_estimate(  # type: ignore[no-untyped-call]  # skimage: unannotated
        np.vstack([_moved(marks, shape), border]) - origin, np.vstack([marks, border]) - origin)
    crop = rgb[top:bottom + 1, left:right + 1]
    warped = warp(crop, inverse, output_shape=crop.shape[:2], preserve_range=True)  # type: ignore[no-untyped-call]
    rgb[top:bottom + 1, left:right + 1] = np.clip(warped, 0, 255).astype(np.uint8)
    face: np.ndarray = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    return face


__all__ = ["FACES", "FACE_BOX", "Shape", "astronaut", "portrait"]
