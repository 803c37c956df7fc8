"""Straight-edge candidates for `verification.locate`: the longest straight edges of a photo, paired into
quadrilaterals (a document whose outline merges with a shadow or a sheet of paper into one contour still
has four straight sides).
"""

from __future__ import annotations

import cv2
import numpy as np

MAX_LINES = 12
MAX_LINE_QUADS = 25


def order(points: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ring = points[np.argsort(angles)]  # clockwise in image coordinates, starting anywhere
    start = int(np.argmin(ring.sum(axis=1)))
    return np.roll(ring, -start, axis=0).astype(np.float32)


def _lines(edges: np.ndarray) -> list[tuple[float, float, float]]:
    """The longest straight edges as (angle, offset, length): a line's normal angle in [0, pi) and its
    distance from the origin along it."""
    height, width = edges.shape
    found = cv2.HoughLinesP(edges, 1, np.pi / 180, 30, minLineLength=0.1 * min(height, width), maxLineGap=6)
    if found is None:
        return []
    lines: list[tuple[float, float, float]] = []
    segments = found.reshape(-1, 4).astype(np.float32)
    lengths = np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1])
    for x1, y1, x2, y2 in segments[np.argsort(-lengths)]:
        angle = float(np.arctan2(x2 - x1, -(y2 - y1)) % np.pi)  # of the normal
        offset = float(x1 * np.cos(angle) + y1 * np.sin(angle))
        length = float(np.hypot(x2 - x1, y2 - y1))
        if any(_close(angle, offset, a, o) for a, o, _ in lines):
            continue
        lines.append((angle, offset, length))
        if len(lines) == MAX_LINES:
            break
    return lines


def _close(angle: float, offset: float, other_angle: float, other_offset: float) -> bool:
    turn = abs(angle - other_angle)
    if turn > np.pi / 2:  # the same line with its normal flipped
        turn, other_offset = np.pi - turn, -other_offset
    return turn < 0.05 and abs(offset - other_offset) < 6


def _meet(first: tuple[float, float, float], second: tuple[float, float, float]) -> np.ndarray | None:
    a = np.array([[np.cos(first[0]), np.sin(first[0])], [np.cos(second[0]), np.sin(second[0])]])
    if abs(np.linalg.det(a)) < 0.3:
        return None
    point: np.ndarray = np.linalg.solve(a, np.array([first[1], second[1]]))
    return point


def line_quads(edges: np.ndarray) -> list[np.ndarray]:
    """Quadrilaterals from two pairs of nearly parallel straight edges, the longest edges first: a document
    whose outline merges with a shadow or a sheet of paper into one contour still has four straight sides."""
    height, width = edges.shape
    lines = _lines(edges)
    pairs = []
    for i, first in enumerate(lines):
        for second in lines[i + 1:]:
            turn = abs(first[0] - second[0])
            turn = min(turn, np.pi - turn)
            if turn < 0.35:
                pairs.append((first, second, first[2] + second[2]))
    quads: list[tuple[float, np.ndarray]] = []
    for i, (a, b, ab) in enumerate(pairs):
        for c, d, cd in pairs[i + 1:]:
            turn = abs(a[0] - c[0])
            turn = min(turn, np.pi - turn)
            if turn < 0.9:
                continue
            corners = [_meet(a, c), _meet(c, b), _meet(b, d), _meet(d, a)]
            if any(p is None for p in corners):
                continue
            quad = np.array(corners, np.float32)
            if (quad[:, 0].min() < -2 or quad[:, 1].min() < -2 or quad[:, 0].max() > width + 1
                    or quad[:, 1].max() > height + 1):
                continue
            quads.append((ab + cd, order(quad)))
    quads.sort(key=lambda q: -q[0])
    return [q for _, q in quads[:MAX_LINE_QUADS]]


__all__ = ["line_quads", "order"]
