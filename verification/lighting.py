"""Light on the document, measured on the document (rectified) and not on the room around it:
exposure, backlight (a bright window behind a dark document), specular glare and diffuse sheen.
"""

from __future__ import annotations

import cv2
import numpy as np

SHEEN_WIDTH = 400
TILES = (6, 10)  # rows, columns of the sheen grid on the rectified document
SHEEN_DETAIL = 1.6  # mean absolute fine detail (grey levels) of a tile that holds print


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
    """Share of the printed part of the document under a diffuse sheen: tiles with print (fine detail above
    the noise) whose dark end is lifted far above the document's typical dark end while their detail lost
    more than half its strength (a veil of reflected light: brighter, less contrast). Blank white areas
    hold no print, and a brightly exposed document is lifted everywhere alike, so neither counts."""
    if gray.shape[1] > SHEEN_WIDTH:
        gray = cv2.resize(gray, (SHEEN_WIDTH, max(1, round(gray.shape[0] * SHEEN_WIDTH / gray.shape[1]))),
                          interpolation=cv2.INTER_AREA)
    height, width = gray.shape
    rows, columns = TILES
    inset_y, inset_x = height // 20, width // 20
    body = gray[inset_y: height - inset_y, inset_x: width - inset_x].astype(np.float32)
    th, tw = body.shape[0] // rows, body.shape[1] // columns
    if th < 6 or tw < 6:
        return 0.0
    detail = np.abs(body - cv2.GaussianBlur(body, (0, 0), 2.0))

    def per_tile(image: np.ndarray) -> np.ndarray:
        cut = image[: th * rows, : tw * columns].reshape(rows, th, columns, tw).swapaxes(1, 2)
        tiles: np.ndarray = cut.reshape(rows * columns, th * tw)
        return tiles

    tiles = per_tile(body)
    low, middle, high = np.percentile(tiles, (1, 50, 90), axis=1)
    strength = per_tile(detail).mean(axis=1)
    printed = strength >= SHEEN_DETAIL
    if int(printed.sum()) < 6:
        return 0.0
    # the references come from the unveiled part: a sheen covers at most about half of the document
    typical_low = float(np.percentile(low[printed], 25))
    typical_strength = float(np.percentile(strength[printed], 75))
    paper = float(np.percentile(high, 25))
    veiled = (printed & (low >= typical_low + 80) & (strength <= 0.5 * typical_strength)
              & (low >= 0.8 * high) & (middle >= paper))
    if int(veiled.sum()) < 3:
        return 0.0
    return float(veiled.sum()) / float(printed.sum())


def glare(bgr: np.ndarray) -> float:
    """Share of the document covered by glare: specular highlights plus diffuse sheen."""
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    return specular_share(bgr) + sheen_share(gray)


__all__ = ["backlight", "clipped_share", "glare", "sheen_share", "specular_share"]
