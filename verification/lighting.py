"""Light on the document, measured on the document (rectified) and not on the room around it:
exposure, backlight (a bright window behind a dark document), specular glare and diffuse sheen.
"""

from __future__ import annotations

import cv2
import numpy as np

SHEEN_WIDTH = 400
TILES = (6, 10)  # rows, columns of the sheen grid on the rectified document


def clipped_share(gray: np.ndarray) -> float:
    """Share of the pixels that are clipped white."""
    return float(np.mean(gray >= 250))


def backlight(frame_gray: np.ndarray, document_mask: np.ndarray, document_gray: np.ndarray) -> float:
    """How much brighter the room is than a dark document (0-1): the surroundings' bright end (90th
    percentile, outside the document) minus the document's mean, over 255; 0 when the document itself is
    well exposed (mean 90 or more), as then a window in the frame does no harm."""
    mean = float(document_gray.mean())
    if mean >= 90:
        return 0.0
    around = frame_gray[document_mask == 0]
    if around.size < 0.05 * frame_gray.size:
        return 0.0
    return max(0.0, (float(np.percentile(around, 90)) - mean) / 255.0)


def specular_share(bgr: np.ndarray) -> float:
    """Share of the area covered by compact blobs of clipped, colourless highlight. Specks (text-sized) and
    clipped areas spanning most of the document (overexposure, its own check) do not count."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    clipped = ((hsv[:, :, 2] >= 245) & (hsv[:, :, 1] <= 40)).astype(np.uint8)
    mask = cv2.morphologyEx(clipped, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    height, width = mask.shape
    minimum = 0.0008 * mask.size
    area = 0
    for i in range(1, count):
        blob_area = stats[i, cv2.CC_STAT_AREA]
        spans = stats[i, cv2.CC_STAT_WIDTH] > 0.8 * width and stats[i, cv2.CC_STAT_HEIGHT] > 0.8 * height
        if blob_area >= minimum and not spans:
            area += blob_area
    return float(area) / mask.size


def sheen_share(gray: np.ndarray) -> float:
    """Share of the document under a diffuse sheen: tiles that hold print (edges) whose dark end is lifted
    far above the document's own typical dark end while their middle is no darker than the document's
    typical middle (a veil of reflected light: brighter, less contrast). Blank white areas hold no print and
    a brightly exposed document is lifted everywhere alike, so neither counts."""
    if gray.shape[1] > SHEEN_WIDTH:
        gray = cv2.resize(gray, (SHEEN_WIDTH, max(1, round(gray.shape[0] * SHEEN_WIDTH / gray.shape[1]))),
                          interpolation=cv2.INTER_AREA)
    height, width = gray.shape
    rows, columns = TILES
    inset_y, inset_x = height // 20, width // 20
    body = gray[inset_y: height - inset_y, inset_x: width - inset_x]
    th, tw = body.shape[0] // rows, body.shape[1] // columns
    if th < 6 or tw < 6:
        return 0.0
    tiles = body[: th * rows, : tw * columns].reshape(rows, th, columns, tw).swapaxes(1, 2).reshape(rows * columns,
                                                                                                   th * tw)
    low = np.percentile(tiles, 5, axis=1)
    middle = np.percentile(tiles, 50, axis=1)
    spread = np.percentile(tiles, 95, axis=1) - low
    printed = spread >= 12
    if int(printed.sum()) < 8:
        return 0.0
    typical_low = float(np.median(low[printed]))
    typical_middle = float(np.median(middle))
    lifted = printed & (low >= typical_low + 55) & (middle >= typical_middle - 5) & (spread <= 110)
    return float(lifted.sum()) / len(tiles)


def glare(bgr: np.ndarray) -> float:
    """Share of the document covered by glare: specular highlights plus diffuse sheen."""
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    return specular_share(bgr) + sheen_share(gray)


__all__ = ["backlight", "clipped_share", "glare", "sheen_share", "specular_share"]
