"""Document-to-selfie pairs: the left image of a face pair printed as the portrait of a synthetic ID
card and photographed, the right image kept as the selfie.

What a KYC match really compares is not two photos but a print of a photo against a photo. The
print is small (ID cards hold portraits of about 100-140 px of real detail), either in colour with
the printer's colour shift or grey with the high contrast of laser engraving, screened by a
halftone, crossed by guilloche lines, and then photographed at 1600x1200 in perspective, with
noise and JPEG. Every step draws from the generator seeded by the pair, so a pair's document is
the same bytes on every run and in every process.
"""

from __future__ import annotations

from typing import Literal

import cv2
import msgspec
import numpy as np

from verification.cards import card
from verification.degrade import photograph

PortraitStyle = Literal["colour", "grey"]
PORTRAIT_BOX = (160, 520, 300)
"""Where `verification.cards.card` puts the front's portrait: rows 160-520, 300 px wide."""


class PrintedPortrait(msgspec.Struct, frozen=True, kw_only=True):
    """One generated document photo: its JPEG bytes and how its portrait was printed."""

    jpeg: bytes
    style: PortraitStyle
    printed_width: int
    """The portrait's real resolution on the card, in pixels across (before it is printed larger)."""


def _crop_portrait(bgr: np.ndarray) -> np.ndarray:
    """The 5:6 head-and-shoulders crop a document uses, centred on the (LFW-centred) face."""
    height, width = bgr.shape[:2]
    crop_width = min(width, round(height * 5 / 6))
    left = (width - crop_width) // 2
    return bgr[:, left:left + crop_width]


def _halftone(channel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An ordered-dither screen, softened as ink spreads on the card: the dots a print shows up close."""
    bayer = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32) / 16.0 - 0.5
    height, width = channel.shape
    screen = np.tile(bayer, (height // 4 + 1, width // 4 + 1))[:height, :width]
    strength = float(rng.uniform(40, 70))
    dotted = channel.astype(np.float32) + strength * screen
    levels = np.round(dotted / 255 * 5) / 5 * 255
    softened = cv2.GaussianBlur(np.clip(levels, 0, 255), (0, 0), 0.9)
    mixed: np.ndarray = np.clip(0.45 * softened + 0.55 * channel, 0, 255).astype(np.uint8)
    return mixed


def _print(face: np.ndarray, rng: np.random.Generator, style: PortraitStyle, printed_width: int) -> np.ndarray:
    """The portrait as printed: reduced to its real resolution, colour-shifted or laser-grey, screened."""
    height = round(printed_width * 6 / 5)
    small = cv2.resize(face, (printed_width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    if style == "grey":
        grey = cv2.cvtColor(small.astype(np.uint8), cv2.COLOR_BGR2GRAY).astype(np.float32)
        contrast = float(rng.uniform(1.2, 1.6))  # engraving burns dark and bright apart
        grey = (grey - grey.mean()) * contrast + float(rng.uniform(110, 150))
        tint = np.array([rng.uniform(0.9, 1.0), rng.uniform(0.92, 1.0), rng.uniform(0.95, 1.05)], np.float32)
        small = np.clip(grey, 0, 255)[:, :, None] * tint[None, None, :]
    else:
        shift = rng.uniform(-18, 18, 3).astype(np.float32)  # the printer's cast
        gain = rng.uniform(0.85, 1.1, 3).astype(np.float32)
        small = small * gain[None, None, :] + shift[None, None, :]
        mean = small.mean(axis=2, keepdims=True)
        small = mean + (small - mean) * float(rng.uniform(0.6, 1.0))  # washed-out print saturation
    small = np.clip(small, 0, 255).astype(np.uint8)
    screened = np.dstack([_halftone(small[:, :, c], rng) for c in range(3)])
    return screened


def _guilloche(portrait: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fine security waves printed over the portrait (they cross the face, as on real cards)."""
    height, width = portrait.shape[:2]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    period = float(rng.uniform(7, 12))
    phase = float(rng.uniform(0, 2 * np.pi))
    wave = np.sin((y + 6 * np.sin(x / float(rng.uniform(18, 30)) + phase)) / period * 2 * np.pi)
    lines = (wave > 0.93).astype(np.float32) * float(rng.uniform(0.12, 0.25))
    colour = rng.uniform(60, 200, 3).astype(np.float32)
    mixed = portrait.astype(np.float32) * (1 - lines[:, :, None]) + colour[None, None, :] * lines[:, :, None]
    out: np.ndarray = np.clip(mixed, 0, 255).astype(np.uint8)
    return out


def printed_portrait(face_bgr: np.ndarray, seed: int, style: PortraitStyle | None = None) -> PrintedPortrait:
    """The photo of an ID card whose portrait is `face_bgr`, for the pair numbered `seed`.

    Without `style`, half the seeds print grey (laser engraving), half colour."""
    rng = np.random.default_rng(seed)
    chosen: PortraitStyle = style or ("grey" if rng.random() < 0.5 else "colour")
    printed_width = int(rng.integers(100, 141))
    portrait = _print(_crop_portrait(face_bgr), rng, chosen, printed_width)
    top, bottom, width = PORTRAIT_BOX
    design = int(rng.integers(0, 2))
    front = card("front", design)
    left = 50 if design == 0 else 850
    enlarged = cv2.resize(portrait, (width, bottom - top), interpolation=cv2.INTER_LINEAR)
    front[top:bottom, left:left + width] = _guilloche(enlarged, rng)
    scene = photograph(front, rng, doc_width=int(rng.integers(1000, 1300)))
    ok, encoded = cv2.imencode(".jpg", scene, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 92))])
    if not ok:
        raise ValueError("Expected OpenCV to encode the document photo as JPEG, got a failure")
    return PrintedPortrait(jpeg=encoded.tobytes(), style=chosen, printed_width=printed_width)


__all__ = ["PORTRAIT_BOX", "PortraitStyle", "PrintedPortrait", "printed_portrait"]
