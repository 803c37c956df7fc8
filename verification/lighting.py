"""Light on the document, measured on the document (rectified) and not on the room around it:
exposure, backlight (a bright window behind a dark document), specular glare and diffuse sheen.
"""

from __future__ import annotations

import cv2
import numpy as np

SHEEN_WIDTH = 400
TILES = (6, 10)  # rows, columns of the sheen grid on the rectified document
SOLIDITY = 0.8  # share of its convex hull a specular highlight fills
SHEEN_MIN_TILES = 8  # of 60: a sheen is broad; fewer drained tiles are a pale panel of the design
SHEEN_MIN_COLOUR = 12.0  # mean saturation (0-255) a document needs before losing it can be told
SHEEN_DETAIL = 0.9  # mean fine detail (levels) of a tile where print shows through a veil; noise alone is ~0.5


def clipped_share(gray: np.ndarray) -> float:
    """Share of the pixels that are clipped white."""
    return float(np.mean(gray >= 250))


def backlight(frame_gray: np.ndarray, document_mask: np.ndarray, document_gray: np.ndarray) -> float:
    """How much brighter the room is than a dark document (0-1): the surroundings' bright end (90th
    percentile, outside the document) minus the document's mean, over 255. 0 when the document itself is
    well exposed (mean 90 or more), as then a window in the frame does no harm, and when nothing around it
    is clipped (a light source - window, lamp - clips; a pale desk does not)."""
    mean = float(document_gray.mean())
    if mean >= 90:
        return 0.0
    around = frame_gray[document_mask == 0]
    if around.size < 0.05 * frame_gray.size or float(np.mean(around >= 250)) < 0.03:
        return 0.0
    return max(0.0, (float(np.percentile(around, 90)) - mean) / 255.0)


def specular_share(bgr: np.ndarray) -> float:
    """Share of the area covered by compact blobs of clipped, colourless highlight. Specks (text-sized) and
    clipped areas spanning most of the document (overexposure, its own check) do not count."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    clipped = ((hsv[:, :, 2] >= 245) & (hsv[:, :, 1] <= 40)).astype(np.uint8)
    mask = cv2.morphologyEx(clipped, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    height, width = mask.shape
    minimum = 0.0008 * mask.size
    area = 0
    for i in range(1, count):
        blob_area = stats[i, cv2.CC_STAT_AREA]
        spans = stats[i, cv2.CC_STAT_WIDTH] > 0.8 * width and stats[i, cv2.CC_STAT_HEIGHT] > 0.8 * height
        if blob_area >= minimum and not spans and _solid(labels, stats, i):
            area += blob_area
    return float(area) / mask.size


def _solid(labels: np.ndarray, stats: np.ndarray, index: int) -> bool:
    """A highlight is a solid blob; white print that clips is a ragged area holed by the print on it."""
    x, y, w, h = (int(v) for v in stats[index, :4])
    blob = (labels[y:y + h, x:x + w] == index).astype(np.uint8)
    contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(np.vstack(contours))
    return float(stats[index, cv2.CC_STAT_AREA]) >= SOLIDITY * max(1.0, float(cv2.contourArea(hull)))


def sheen_share(bgr: np.ndarray) -> float:
    """Share of the document under a diffuse sheen: tiles brighter than the document's typical tile and
    drained of its colour (reflected light is a colourless veil over the print and the paper alike), with
    their dark end lifted, yet with faint print showing through (a blank pale panel has none). A brightly
    exposed document keeps its colour, so it does not count."""
    if bgr.shape[1] > SHEEN_WIDTH:
        bgr = cv2.resize(bgr, (SHEEN_WIDTH, max(1, round(bgr.shape[0] * SHEEN_WIDTH / bgr.shape[1]))),
                         interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV).astype(np.float32)
    height, width = hsv.shape[:2]
    rows, columns = TILES
    inset_y, inset_x = height // 20, width // 20
    body = hsv[inset_y: height - inset_y, inset_x: width - inset_x]
    th, tw = body.shape[0] // rows, body.shape[1] // columns
    if th < 6 or tw < 6:
        return 0.0
    cut = body[: th * rows, : tw * columns].reshape(rows, th, columns, tw, 3).swapaxes(1, 2)
    tiles = cut.reshape(rows * columns, th * tw, 3)
    lightness = body[:, :, 2]
    fine = np.abs(lightness - cv2.GaussianBlur(lightness, (0, 0), 2.0))[: th * rows, : tw * columns]
    detail = fine.reshape(rows, th, columns, tw).swapaxes(1, 2).reshape(rows * columns, th * tw).mean(axis=1)
    saturation = tiles[:, :, 1].mean(axis=1)
    value = tiles[:, :, 2].mean(axis=1)
    low = np.percentile(tiles[:, :, 2], 5, axis=1)
    typical_saturation = float(np.percentile(saturation, 75))  # a sheen may drain up to half the document
    typical_value = float(np.median(value))
    if typical_saturation < SHEEN_MIN_COLOUR:
        return 0.0  # a grey document: no colour to lose, no claim
    veiled = ((saturation <= 0.5 * typical_saturation) & (value >= typical_value + 5)
              & (low >= 0.85 * typical_value) & (detail >= SHEEN_DETAIL)
              & (detail <= 0.5 * float(np.percentile(detail, 75))))  # faint here, crisp elsewhere: not blur
    if int(veiled.sum()) < SHEEN_MIN_TILES:
        return 0.0
    return float(veiled.sum()) / len(tiles)


def glare(bgr: np.ndarray) -> float:
    """Share of the document covered by glare: specular highlights plus diffuse sheen."""
    return specular_share(bgr) + sheen_share(bgr)


__all__ = ["backlight", "clipped_share", "glare", "sheen_share", "specular_share"]
