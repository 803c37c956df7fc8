"""A photo of a screen held up as a document: a display sits in a dark frame (its bezel), where a document's
margin is its paper. Measured on the lightness of `verification.locate`'s working image.
"""

from __future__ import annotations

import cv2
import numpy as np

BEZEL_DARK, BEZEL_STEP = 90.0, 60.0  # a screen's frame: its median lightness at most, and how far below the panel


def _band(lightness: np.ndarray, a: np.ndarray, b: np.ndarray, inward: np.ndarray, depths: np.ndarray) -> np.ndarray:
    """Lightness along the middle 70% of side a-b, at `depths` (pixels) inside it."""
    t = np.linspace(0.15, 0.85, 24)[:, None, None]
    points = np.round((a + (b - a) * t) + depths[None, :, None] * inward[None, None, :]).reshape(-1, 2).astype(int)
    height, width = lightness.shape
    inside = (points[:, 0] >= 0) & (points[:, 0] < width) & (points[:, 1] >= 0) & (points[:, 1] < height)
    values: np.ndarray = lightness[points[inside, 1], points[inside, 0]].astype(np.float32)
    return values


def bezel(lightness: np.ndarray, corners: np.ndarray) -> bool:
    """A screen's frame: every side lined by a dark band (1.5-3% of the outline's size across) well below the
    bright panel it holds (6-12% inside), the band inside the outline (found around the frame) or outside it
    (found around the panel, and then lighter again beyond: a band, not a dark desk). A document's margin is
    its paper, as light as the rest of it."""
    size = float(np.sqrt(max(1.0, cv2.contourArea(corners))))
    centre = corners.mean(axis=0)
    inner, outer = True, True
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        normal = np.array([-(b - a)[1], (b - a)[0]], np.float32) / max(1e-6, float(np.linalg.norm(b - a)))
        inward = normal if float(np.dot(centre - (a + b) / 2, normal)) > 0 else -normal
        panel = float(np.median(_band(lightness, a, b, inward, np.linspace(0.06, 0.12, 4) * size)))
        band = _band(lightness, a, b, inward, np.linspace(0.015, 0.03, 4) * size)
        inner = inner and _dark_band(band, panel)
        outside = _band(lightness, a, b, inward, -np.linspace(0.015, 0.03, 4) * size)
        beyond = _band(lightness, a, b, inward, -np.linspace(0.06, 0.12, 4) * size)
        outer = outer and _dark_band(outside, panel) and beyond.size >= 10 and \
            float(np.median(beyond) - np.median(outside)) >= BEZEL_STEP / 2
    return inner or outer


def _dark_band(band: np.ndarray, panel: float) -> bool:
    return band.size >= 10 and float(np.median(band)) <= BEZEL_DARK and panel - float(np.median(band)) >= BEZEL_STEP


__all__ = ["bezel"]
