"""A finger (or a hand) over the document: skin that reaches in from the document's edge.

A finger holding a card enters from outside, so on the rectified document it is a region
connected to the border. It is told from the document's own print by three things at once:
its colour is skin's (YCrCb, Chai and Ngan's box, widened for cool and warm light), it is
unlike the document's own background (a beige or pink page is skin-coloured too), and it
is smooth (no print, guilloche or text inside it). A portrait is skin-coloured and smooth
as well, but it sits inside the document's margin, not on its edge.
"""

from __future__ import annotations

import cv2
import numpy as np

from verification.results import CheckResult, Limit, Policy, Preset, judge, presets

WIDTH = 400
"""The rectified document is judged at this width: the check looks at blobs, not detail."""

LIMITS: dict[str, dict[Preset, Limit]] = {
    # share of the document covered by skin-coloured, print-free regions reaching in from its edge; normal = the
    # best threshold on the calibration split
    "occlusion": presets("verification.occluded", "retake.occluded", "max", 0.015, 0.0075, 0.004),
}


def _skin(ycrcb: np.ndarray) -> np.ndarray:
    cr = ycrcb[:, :, 1].astype(np.int16)
    cb = ycrcb[:, :, 2].astype(np.int16)
    y = ycrcb[:, :, 0].astype(np.int16)
    return (cr >= 136) & (cr <= 180) & (cb >= 77) & (cb <= 130) & (y >= 40) & (y <= 245)


def _unlike_background(lab: np.ndarray) -> np.ndarray:
    """Pixels whose colour is far from the document's own background (its most common colours)."""
    ring = np.concatenate([lab[:6].reshape(-1, 3), lab[-6:].reshape(-1, 3), lab[:, :6].reshape(-1, 3),
                           lab[:, -6:].reshape(-1, 3), lab.reshape(-1, 3)[:: 37]]).astype(np.float32)
    background = np.median(ring, axis=0)
    distance = np.linalg.norm(lab.astype(np.float32) - background[None, None, :], axis=2)
    unlike: np.ndarray = distance > 18.0
    return unlike


def _smooth(gray: np.ndarray) -> np.ndarray:
    """No print inside: the local spread of a 9 px window stays small."""
    image = gray.astype(np.float32)
    mean = cv2.blur(image, (9, 9))
    spread = cv2.blur(image * image, (9, 9)) - mean * mean
    smooth: np.ndarray = spread < 60.0
    return smooth


def occlusion_share(region: np.ndarray) -> float:
    """Share of the rectified document (BGR) covered by skin reaching in from its edge."""
    height, width = region.shape[:2]
    if width > WIDTH:
        region = cv2.resize(region, (WIDTH, max(1, round(height * WIDTH / width))), interpolation=cv2.INTER_AREA)
    ycrcb = cv2.cvtColor(region, cv2.COLOR_BGR2YCrCb)
    lab = cv2.cvtColor(region, cv2.COLOR_BGR2Lab)
    gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)
    mask = (_skin(ycrcb) & _unlike_background(lab) & _smooth(gray)).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h, w = mask.shape
    border = np.zeros_like(mask, dtype=bool)
    border[:3], border[-3:], border[:, :3], border[:, -3:] = True, True, True, True
    covered = 0
    for i in range(1, count):
        area = int(stats[i, cv2.CC_STAT_AREA])
        if area < 0.004 * h * w:
            continue
        on_border = int(np.count_nonzero(border & (labels == i)))
        reach = max(int(stats[i, cv2.CC_STAT_WIDTH]), int(stats[i, cv2.CC_STAT_HEIGHT]))
        if on_border >= 6 and reach >= 0.06 * min(h, w):
            covered += area
    return covered / float(h * w)


def judge_occlusion(region: np.ndarray, policy: Policy) -> CheckResult:
    return judge("occlusion", occlusion_share(region), LIMITS, policy)


__all__ = ["LIMITS", "judge_occlusion", "occlusion_share"]
