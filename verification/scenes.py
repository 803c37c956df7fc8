"""Scenes a phone camera sees: desks of every brightness and texture, a document placed on them in
perspective under uneven light, hands, windows behind it, and scenes with no document at all.

Every function draws from the `rng` it is handed, so a scene is fixed by its seed. `place` returns
the document's corners in the frame, which is what the labels are computed from.
"""

from __future__ import annotations

import cv2
import msgspec
import numpy as np

SKIN = ((70, 110, 170), (95, 140, 205), (60, 90, 140), (45, 70, 110))  # BGR, light to dark skin tones


class Placed(msgspec.Struct, frozen=True, kw_only=True):
    """A document in a frame: the image, its corners (tl, tr, br, bl) and its mask."""

    image: np.ndarray
    corners: np.ndarray
    mask: np.ndarray


def plain_desk(rng: np.random.Generator, shape: tuple[int, int], level: float) -> np.ndarray:
    """A matte desk of mean grey `level`, slightly tinted, with sensor-like grain."""
    height, width = shape
    tint = rng.uniform(-8, 8, 3)
    image = np.ones((height, width, 3), np.float32) * (level + tint)[None, None, :]
    image += cv2.GaussianBlur(rng.normal(0, 6, (height, width)).astype(np.float32), (0, 0), 6)[:, :, None]
    return np.clip(image, 0, 255).astype(np.uint8)


def wood_desk(rng: np.random.Generator, shape: tuple[int, int], level: float) -> np.ndarray:
    """Wood grain: wavy stripes of varying width around `level`, brown."""
    height, width = shape
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    u = x * np.cos(angle) + y * np.sin(angle)
    v = -x * np.sin(angle) + y * np.cos(angle)
    wave = np.sin(u / rng.uniform(6, 14) + 3 * np.sin(v / rng.uniform(80, 200)))
    grain = level + 14 * wave + cv2.GaussianBlur(rng.normal(0, 10, (height, width)).astype(np.float32), (0, 0), 2)
    colour = np.array([0.75, 0.95, 1.2], np.float32)
    wood: np.ndarray = np.clip(grain[:, :, None] * colour[None, None, :], 0, 255).astype(np.uint8)
    return wood


def clutter(rng: np.random.Generator, desk: np.ndarray, count: int) -> np.ndarray:
    """Paper sheets, a pen, a mug and a phone on the desk (partly off the frame)."""
    image = desk.copy()
    height, width = image.shape[:2]
    for _ in range(count):
        kind = rng.integers(0, 4)
        colour = tuple(float(c) for c in rng.integers(30, 235, 3))
        cx, cy = float(rng.uniform(-0.1, 1.1) * width), float(rng.uniform(-0.1, 1.1) * height)
        if kind == 0:  # a sheet of paper with lines of print
            w, h = rng.uniform(0.2, 0.5) * width, rng.uniform(0.25, 0.6) * height
            box = cv2.boxPoints(((cx, cy), (w, h), float(rng.uniform(0, 90)))).astype(np.int32)
            cv2.fillConvexPoly(image, box, tuple(float(c) for c in rng.integers(180, 240, 1).repeat(3)))
        elif kind == 1:  # a pen
            end = (int(cx + rng.uniform(-250, 250)), int(cy + rng.uniform(-250, 250)))
            cv2.line(image, (int(cx), int(cy)), end, colour, int(rng.integers(8, 18)), cv2.LINE_AA)
        elif kind == 2:  # a mug from above
            cv2.circle(image, (int(cx), int(cy)), int(rng.integers(60, 140)), colour, -1, cv2.LINE_AA)
        else:  # a phone, dark
            box = cv2.boxPoints(((cx, cy), (150, 300), float(rng.uniform(0, 180)))).astype(np.int32)
            cv2.fillConvexPoly(image, box, (25, 25, 28))
    return image


def desk(rng: np.random.Generator, shape: tuple[int, int], level: float, kind: str) -> np.ndarray:
    """`plain`, `wood` or `cluttered` at mean grey `level`."""
    if kind == "wood":
        return wood_desk(rng, shape, level)
    base = plain_desk(rng, shape, level)
    return clutter(rng, base, int(rng.integers(2, 5))) if kind == "cluttered" else base


def corners_for(rng: np.random.Generator, frame: tuple[int, int], size: tuple[float, float], *,
                centre: tuple[float, float], tilt: float, turn: float) -> np.ndarray:
    """Where a document of `size` (w, h) lands: rotated by up to `turn` degrees, its corners pulled by
    up to `tilt` of its width (a camera that is not parallel to the desk)."""
    w, h = size
    angle = np.deg2rad(rng.uniform(-turn, turn))
    box = np.array([(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    side = int(rng.integers(0, 4))  # the far side of a tilted camera looks shorter
    shrink = np.zeros((4, 2))
    pull = rng.uniform(0, tilt) * w
    pairs = ((0, 1), (1, 2), (2, 3), (3, 0))[side]
    for i in pairs:
        shrink[i] = -box[i] * pull / max(w, h)
    jitter = rng.normal(0, 0.012 * w, (4, 2))
    corners: np.ndarray = (box + shrink + jitter) @ rotation.T + (centre[0] * frame[1], centre[1] * frame[0])
    return corners


def place(document: np.ndarray, scene: np.ndarray, corners: np.ndarray, *, gain: float, light: np.ndarray
          ) -> Placed:
    """The document warped onto the scene at `corners`, exposed by `gain` and the light map (0-1.3)."""
    height, width = scene.shape[:2]
    dh, dw = document.shape[:2]
    source = np.array([(0, 0), (dw - 1, 0), (dw - 1, dh - 1), (0, dh - 1)], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    warped = cv2.warpPerspective(document, matrix, (width, height), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((dh, dw), 255, np.uint8), matrix, (width, height), flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255.0)[:, :, None]
    lit = warped.astype(np.float32) * gain * 0.86 + 5
    image = (scene.astype(np.float32) * (1 - alpha) + lit * alpha) * light[:, :, None]
    return Placed(image=np.clip(image, 0, 255).astype(np.uint8), corners=corners, mask=mask)


def light_map(rng: np.random.Generator, shape: tuple[int, int], *, unevenness: float, shadow: bool) -> np.ndarray:
    """Light falling off across the frame, and optionally a soft cast shadow (a head or a phone)."""
    height, width = shape
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (x / width - 0.5) * np.cos(angle) + (y / height - 0.5) * np.sin(angle)
    light = 1.0 + unevenness * ramp
    if shadow:
        shape_ = np.zeros((height, width), np.float32)
        centre = (int(rng.uniform(0.2, 0.8) * width), int(rng.uniform(0, 0.5) * height))
        axes = (int(rng.uniform(0.2, 0.45) * width), int(rng.uniform(0.25, 0.5) * height))
        cv2.ellipse(shape_, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
        blob = cv2.GaussianBlur(shape_, (0, 0), float(rng.uniform(15, 40)))
        light = light * (1 - rng.uniform(0.25, 0.4) * blob)
    result: np.ndarray = light.astype(np.float32)
    return result


def window(rng: np.random.Generator, image: np.ndarray, document_mask: np.ndarray) -> np.ndarray:
    """A bright window behind the document: a clipped band along one side of the frame, glowing
    into the room, never over the document itself."""
    height, width = image.shape[:2]
    region = np.zeros((height, width), np.float32)
    side = int(rng.integers(0, 3))
    share = rng.uniform(0.22, 0.38)
    if side == 0:
        region[: int(share * height), :] = 1
    elif side == 1:
        region[:, : int(share * width)] = 1
    else:
        region[:, width - int(share * width):] = 1
    glow = cv2.GaussianBlur(region, (0, 0), 40)
    outside = 1.0 - document_mask.astype(np.float32) / 255.0
    bright = np.clip(region + 0.6 * glow, 0, 1) * outside
    out = image.astype(np.float32) * (1 - bright[:, :, None]) + 255.0 * bright[:, :, None]
    lit: np.ndarray = np.clip(out, 0, 255).astype(np.uint8)
    return lit


def finger(rng: np.random.Generator, image: np.ndarray, tip: tuple[float, float], direction: float,
           length: float, thickness: float) -> np.ndarray:
    """A finger (a skin-coloured rounded bar, shaded) from `tip` along `direction` (radians), out to the
    frame edge or `length` pixels."""
    out = image.copy()
    colour = SKIN[int(rng.integers(0, len(SKIN)))]
    end = (tip[0] + length * np.cos(direction), tip[1] + length * np.sin(direction))
    layer = np.zeros(image.shape[:2], np.uint8)
    cv2.line(layer, (int(tip[0]), int(tip[1])), (int(end[0]), int(end[1])), 255, int(thickness), cv2.LINE_AA)
    cv2.circle(layer, (int(tip[0]), int(tip[1])), int(thickness / 2), 255, -1, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(layer, (0, 0), 1.5).astype(np.float32)[:, :, None] / 255.0
    shade = cv2.GaussianBlur(layer, (0, 0), thickness / 4).astype(np.float32)[:, :, None] / 255.0
    skin = np.array(colour, np.float32)[None, None, :] * (0.75 + 0.3 * shade)
    covered: np.ndarray = np.clip(out.astype(np.float32) * (1 - alpha) + skin * alpha, 0, 255).astype(np.uint8)
    return covered


def mural(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A painted wall or poster: large colour fields with brush strokes, filling the frame."""
    height, width = shape
    small = rng.uniform(30, 230, (6, 8, 3)).astype(np.float32)
    image = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(40, 90))):
        start = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        end = (start[0] + int(rng.normal(0, 160)), start[1] + int(rng.normal(0, 160)))
        cv2.line(image, start, end, tuple(float(c) for c in rng.uniform(0, 255, 3)), int(rng.integers(4, 30)),
                 cv2.LINE_AA)
    return np.clip(cv2.GaussianBlur(image, (0, 0), 1.5), 0, 255).astype(np.uint8)


def selfie(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A face filling most of the frame (NASA's public-domain astronaut portrait from scikit-image)."""
    from skimage import data

    rgb: np.ndarray = data.astronaut()  # type: ignore[no-untyped-call]  # skimage's loaders are unannotated
    height, width = shape
    face = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    crop = face[0: int(rng.uniform(380, 512)), int(rng.uniform(60, 140)): 460]
    scaled = cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC)
    exposed: np.ndarray = np.clip(scaled.astype(np.float32) * rng.uniform(0.8, 1.1), 0, 255).astype(np.uint8)
    return exposed


def screen(rng: np.random.Generator, base: np.ndarray) -> np.ndarray:
    """A monitor or phone on the desk: a dark bezel around a bright 16:9 (or 19.5:9) display with UI."""
    image = base.copy()
    height, width = image.shape[:2]
    aspect = 16 / 9 if rng.uniform() < 0.6 else 19.5 / 9
    w = rng.uniform(0.5, 0.75) * width
    h = w / aspect
    x0, y0 = int((width - w) / 2 + rng.uniform(-60, 60)), int((height - h) / 2 + rng.uniform(-60, 60))
    cv2.rectangle(image, (x0 - 25, y0 - 25), (int(x0 + w) + 25, int(y0 + h) + 25), (20, 20, 22), -1)
    cv2.rectangle(image, (x0, y0), (int(x0 + w), int(y0 + h)), (245, 240, 235), -1)
    cv2.rectangle(image, (x0, y0), (int(x0 + w), y0 + 60), (200, 120, 40), -1)
    for i in range(int(rng.integers(4, 9))):  # buttons and text rows
        y = y0 + 90 + i * 55
        if y + 30 > y0 + h:
            break
        cv2.rectangle(image, (x0 + 30, y), (x0 + int(rng.uniform(0.3, 0.9) * w), y + 24), (120, 120, 120), -1)
    return image


__all__ = ["SKIN", "Placed", "clutter", "corners_for", "desk", "finger", "light_map", "mural", "place",
           "plain_desk", "screen", "selfie", "window", "wood_desk"]
