"""Every capture of one document the quality set holds, with its labels.

A capture is a scene (`verification.scenes`) with the document placed in it and then degraded
(`verification.degrade`). Labels that depend on geometry or exposure are computed from what was
drawn (the document's corners and mask), not from any detector: cut off when a corner lies outside
the frame, low resolution when the document is under 480 px wide (over 720 px = fine, between = no
claim), too dark when the document's mean grey is under 45 (over 72 = fine), overexposed when over
35% of it is clipped (under 12% = fine). Family labels (blur, glare, sheen, backlight, fingers) come
from the transform applied. Mild strengths are labelled 0, strong ones 1; the middle is not drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import cv2
import numpy as np

from verification import degrade, scenes

COLUMNS = ("blurred", "glare", "cut_off", "too_dark", "backlit", "overexposed", "no_document", "low_resolution",
           "occluded", "wrong_type", "wrong_side", "mrz_invalid")
NONE = -1  # no claim
FRAME = (1200, 1600)
Labels = dict[str, int]
Capture = tuple[str, np.ndarray, Labels]
Shot = dict[str, Any]  # keyword arguments of Shooter.shoot
Transform = Callable[[np.ndarray, scenes.Placed], np.ndarray]


def _grey(image: np.ndarray) -> np.ndarray:
    grey: np.ndarray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return grey


def measured(image: np.ndarray, placed: scenes.Placed) -> Labels:
    """The labels that follow from the drawing: cut_off, low_resolution, too_dark, overexposed."""
    height, width = image.shape[:2]
    corners = placed.corners
    sides = [float(np.linalg.norm(corners[i] - corners[(i + 1) % 4])) for i in range(4)]
    doc_width = max(sides)
    outside = max(float(np.max(-corners[:, 0])), float(np.max(-corners[:, 1])),
                  float(np.max(corners[:, 0] - width)), float(np.max(corners[:, 1] - height)))
    margin = -outside / max(height, width)
    cut = 1 if outside > 0.01 * doc_width else 0 if margin >= 0.01 else NONE
    inner = cv2.erode(placed.mask, np.ones((9, 9), np.uint8)) > 200
    grey = _grey(image)[inner]
    mean = float(grey.mean()) if grey.size else 0.0
    clipped = float(np.mean(grey >= 250)) if grey.size else 0.0
    return {
        "cut_off": cut,
        "low_resolution": NONE if cut != 0 else 1 if doc_width < 480 else 0 if doc_width > 720 else NONE,
        "too_dark": 1 if mean < 45 else 0 if mean > 72 else NONE,
        "overexposed": 1 if clipped > 0.35 else 0 if clipped < 0.12 else NONE,
    }


def finish(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise, as the last step of every capture."""
    noisy = image.astype(np.float32) + rng.normal(0, rng.uniform(1.5, 3.5), image.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


class Shooter:
    """Draws captures of one document: holds the document, its paper level and the random stream."""

    def __init__(self, document: np.ndarray, rng: np.random.Generator, *, sharp_base: bool) -> None:
        self.rng = rng
        self.sharp_base = sharp_base
        native = document.shape[1]
        self.width = min(1000, native) if sharp_base else 1000
        self.document = document
        self.paper = float(np.percentile(_grey(document), 75)) * 0.86 + 5

    def shoot(self, *, width: float | None = None, frame: tuple[int, int] = FRAME,
              gap: tuple[float, float] | None = None, kind: str | None = None, tilt: float = 0.12, turn: float = 20.0,
              centre: tuple[float, float] | None = None, shadow: bool | None = None, gain: float = 1.0
              ) -> tuple[np.ndarray, scenes.Placed]:
        rng = self.rng
        doc_width = float(width if width is not None else rng.uniform(0.85, 1.0) * self.width)
        if gap is None:
            gap = ((8, 19), (20, 40), (60, 160))[int(rng.integers(0, 3))]
        level = self.paper * gain - rng.uniform(*gap)
        if rng.uniform() < 0.3 and self.paper * gain + gap[1] < 235:
            level = self.paper * gain + rng.uniform(*gap)
        kind = kind or ("plain", "wood", "cluttered")[int(rng.integers(0, 3))]
        base = scenes.desk(rng, frame, float(np.clip(level, 12, 235)), kind)
        h, w = self.document.shape[:2]
        size = (doc_width, doc_width * h / w)
        where = centre or (0.5 + rng.uniform(-0.08, 0.08), 0.5 + rng.uniform(-0.08, 0.08))
        corners = scenes.corners_for(rng, frame, size, centre=where, tilt=tilt, turn=turn)
        light = scenes.light_map(rng, frame, unevenness=float(rng.uniform(0.05, 0.3)),
                                 shadow=bool(rng.uniform() < 0.3) if shadow is None else shadow)
        document = cv2.resize(self.document, (round(size[0]), round(size[1])), interpolation=cv2.INTER_AREA)
        placed = scenes.place(document, base, corners, gain=gain, light=light)
        return placed.image, placed

    def point(self, placed: scenes.Placed, u: float, v: float) -> tuple[float, float]:
        """A point of the document (u, v in 0-1 across and down it) in the frame."""
        tl, tr, br, bl = placed.corners
        top = tl + (tr - tl) * u
        bottom = bl + (br - bl) * u
        x, y = top + (bottom - top) * v
        return float(x), float(y)

    def labels(self, image: np.ndarray, placed: scenes.Placed, **family: int) -> Labels:
        labels = {c: 0 for c in COLUMNS} | {"mrz_invalid": NONE} | measured(image, placed) | family
        if not self.sharp_base and "blurred" not in family:
            labels["blurred"] = NONE  # an enlarged small scan is soft already: no claim about its sharpness
        return labels


GOOD_FOR_MRZ = frozenset({"clean", "clean_b", "mid_gap", "wood", "cluttered", "shadow"})
"""Families whose zone a good reader must read as printed (mrz_invalid labelled from the specimen)."""


def captures(shooter: Shooter, *, portrait_u: float, mrz: int) -> Iterator[Capture]:
    """Every family of captures of one document (see the module docstring of `verification.quality_set`)."""
    rng = shooter.rng
    scale = shooter.width / 1000
    scenery: tuple[tuple[str, Shot], ...] = (
        ("clean", {}), ("clean_b", {}), ("low_gap", {"gap": (8, 19), "kind": "plain"}), ("mid_gap", {"gap": (20, 40)}),
        ("wood", {"kind": "wood"}), ("cluttered", {"kind": "cluttered"}), ("shadow", {"shadow": True}),
        ("perspective", {"tilt": 0.28, "turn": 35.0}),
        ("fills_frame", {"width": 0.86 * FRAME[1], "tilt": 0.04, "turn": 2.0, "centre": (0.5, 0.5)}))
    for name, options in scenery:
        image, placed = shooter.shoot(**options)
        labels = shooter.labels(image, placed, mrz_invalid=mrz if name in GOOD_FOR_MRZ else NONE)
        yield name, finish(image, rng), labels
    image, placed = shooter.shoot()
    tip = shooter.point(placed, float(rng.uniform(0.3, 0.7)), 1.03)
    held = scenes.finger(rng, image, tip, np.pi / 2 + rng.uniform(-0.3, 0.3), 400, 0.08 * shooter.width)
    yield "hand_holding", finish(held, rng), shooter.labels(held, placed, occluded=NONE)

    def motion(length: float) -> Transform:
        return lambda im, _: degrade.motion_blur(im, max(3, round(length)), float(rng.uniform(0, 180)))

    def defocus(sigma: float) -> Transform:
        return lambda im, _: degrade.gaussian_blur(im, sigma)

    def sheen(low: float, high: float) -> Transform:
        return lambda im, p: degrade.sheen(im, rng, p.mask, float(rng.uniform(low, high)))

    def specular(share: float) -> Transform:
        return lambda im, p: degrade.specular(im, rng, p.mask, share)

    unclaimed_kind = {"wrong_type": NONE, "wrong_side": NONE}
    families: tuple[tuple[str, Transform, Labels, Shot], ...] = (
        ("defocus_mild", defocus(0.7 * scale), {"blurred": 0}, {}),
        ("shake_3px", motion(3), {"blurred": 0}, {}),
        ("defocus_strong", defocus(3.0 * scale), {"blurred": 1}, {}),
        ("defocus_severe", defocus(6.0 * scale), {"blurred": 1}, {}),
        ("motion_14px", motion(14 * scale), {"blurred": 1}, {}),
        ("motion_25px", motion(25 * scale), {"blurred": 1}, {}),
        ("specular_small", specular(0.002), {"glare": 0}, {"gap": (60, 160)}),
        ("specular_strong", specular(0.07), {"glare": 1}, {"gap": (60, 160)}),
        ("specular_severe", specular(0.14), {"glare": 1}, {"gap": (60, 160)}),
        ("sheen", sheen(0.6, 0.75), {"glare": 1}, {"gap": (60, 160)}),
        ("sheen_strong", sheen(0.8, 0.9), {"glare": 1}, {"gap": (60, 160)}),
        ("bright_unclipped", lambda im, _: degrade.exposure(im, 1.18), {"glare": 0}, {"gap": (60, 160)}),
        ("dark_mild", lambda im, _: degrade.exposure(im, 0.75), {}, {}),
        ("dark_strong", lambda im, _: degrade.exposure(im, 0.25), unclaimed_kind, {}),
        ("overexposed", lambda im, _: degrade.exposure(im, 3.0), unclaimed_kind | {"glare": NONE}, {}))
    for name, transform, family, options in families:
        if family.get("blurred") == 0 and not shooter.sharp_base:
            continue
        image, placed = shooter.shoot(**options)
        changed = transform(image, placed)
        yield name, finish(changed, rng), shooter.labels(changed, placed, **family)
    yield from _backlight(shooter)
    for name, (u, v) in (("finger_portrait", (portrait_u, 0.55)), ("finger_data", (0.62, 0.5)),
                         ("finger_corner", (0.05, 0.92))):
        image, placed = shooter.shoot()
        tip = shooter.point(placed, u, v)
        covered = scenes.finger(rng, image, tip, np.pi / 2 + rng.uniform(-0.5, 0.5), 900, 0.1 * shooter.width)
        yield name, finish(covered, rng), shooter.labels(covered, placed, occluded=1)
    left_or_right = float(rng.choice([-1, 1]))
    up_or_down = float(rng.choice([-1, 1]))
    framing: tuple[tuple[str, Shot], ...] = (
        ("far", {"width": float(rng.uniform(260, 440))}),
        ("far_fine", {"width": float(rng.uniform(760, 860)), "frame": (2400, 3200)}),
        ("cut_side", {"centre": (0.5 + left_or_right * float(rng.uniform(0.33, 0.4)), 0.5)}),
        ("cut_corner", {"centre": (0.5 + left_or_right * 0.3, 0.5 + up_or_down * 0.3)}),
        ("near_edge", {"centre": (0.5 + left_or_right * 0.12, 0.5), "turn": 5.0}))
    for name, options in framing:
        image, placed = shooter.shoot(**options)
        yield name, finish(image, rng), shooter.labels(image, placed)


def _backlight(shooter: Shooter) -> Iterator[Capture]:
    """A window behind the document: the room bright, the document underexposed but never clipped;
    and a window in the frame with the document well exposed (not backlit)."""
    rng = shooter.rng
    for name, target, label in (("backlit", float(rng.uniform(28, 40)), 1), ("window_fine", 0.0, 0)):
        image, placed = shooter.shoot(gap=(40, 120), centre=(0.5, 0.5 + rng.uniform(-0.05, 0.05)), tilt=0.08)
        if target:
            inner = placed.mask > 200
            image = degrade.exposure(image, target / max(1.0, float(_grey(image)[inner].mean())))
        lit = scenes.window(rng, image, cv2.dilate(placed.mask, np.ones((15, 15), np.uint8)))
        yield name, finish(lit, rng), shooter.labels(lit, placed, backlit=label)


def empty_scenes(rng: np.random.Generator) -> Iterator[tuple[str, np.ndarray]]:
    """Scenes without a document: desks of each kind, murals, selfies, screens."""
    for i in range(9):
        kind = ("plain", "wood", "cluttered")[i % 3]
        yield f"desk_{kind}_{i}", finish(scenes.desk(rng, FRAME, float(rng.uniform(30, 200)), kind), rng)
    for i in range(4):
        yield f"mural_{i}", finish(scenes.mural(rng, FRAME), rng)
        yield f"selfie_{i}", finish(scenes.selfie(rng, FRAME), rng)
        base = scenes.desk(rng, FRAME, float(rng.uniform(30, 120)), "plain")
        yield f"screen_{i}", finish(scenes.screen(rng, base), rng)


__all__ = ["COLUMNS", "FRAME", "NONE", "Capture", "Labels", "Shooter", "captures", "empty_scenes", "finish",
           "measured"]
