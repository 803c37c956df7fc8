"""Finding the document in a photo: candidate quadrilaterals from edges (on the lightness and both
colour channels, so a desk as bright as the paper still differs in colour or leaves a faint step)
and from bright/dark regions, each scored by how much of its outline lies on a real edge, how
rectangular it is, whether its aspect ratio is a document's, and whether it holds print.

Works on a small copy (`LOCATE_SIDE`), returns corners in the caller's pixels.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import msgspec
import numpy as np

from verification.lines import line_quads, order
from verification.screen import bezel

LOCATE_SIDE = 512
MAX_CANDIDATES = 40
OFFSETS = np.arange(-3, 4, dtype=np.float32)
BORDER_SUPPORT = 0.6  # a side along the frame's border: maybe the document runs out there, maybe it is no side at all
PRINT_EDGE = 12.0  # gradient (levels per pixel) of a printed stroke on white paper; scaled by the paper's level
MIN_AREA = 0.012  # share of the frame: a document down to ~3% of the frame is found with room to spare
OVERRUN = 0.5  # share of the stretch past a corner on an edge above which the corner sits mid-edge
INSIDE_NEAR = 0.6  # share of a top candidate that runs off the frame which one wholly inside it must reach
PANEL_NEAR, PANEL_AREA = 0.5, 3.0  # an outline this sure and this much larger around the top one: that is a panel
SPREAD = 0.35  # share of a 3 x 3 grid over a document with print in it (a card's blank band leaves 3 cells bare)
ASPECTS = (1.586, 1.42, 1.41)  # ID-1 card, passport page (TD3), TD2


class Quad(msgspec.Struct, frozen=True, kw_only=True):
    """Document corners (top-left, top-right, bottom-right, bottom-left) in working-image pixels, the
    share of the frame it covers, whether it runs into the frame's edge, and how sure we are (0-1)."""

    points: list[tuple[float, float]]
    area_share: float
    touches_edge: bool
    confidence: float = 1.0


class Gradients(msgspec.Struct, frozen=True, kw_only=True):
    """Per channel (L, a, b) derivatives, colour ones amplified, and the strongest magnitude."""

    gx: np.ndarray
    gy: np.ndarray
    strength: np.ndarray


def gradients(lab: np.ndarray) -> Gradients:
    """Edge strength: the strongest of the lightness gradient and the (amplified) colour gradients."""
    planes = lab.astype(np.float32) * np.array([1 / 8.0, 2 / 8.0, 2 / 8.0], np.float32)
    gx = cv2.Sobel(planes, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(planes, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.magnitude(gx.reshape(-1), gy.reshape(-1)).reshape(gx.shape)
    strength = cv2.max(cv2.max(magnitude[:, :, 0], magnitude[:, :, 1]), magnitude[:, :, 2])
    return Gradients(gx=gx, gy=gy, strength=strength)


def _contours(lab: np.ndarray, strength: np.ndarray, thin: np.ndarray) -> list[np.ndarray]:
    """Outlines that may be the document: loops of edges (on every channel; and thin ones, which keep the
    outline apart from the print) and bright/dark regions."""
    found: list[np.ndarray] = []
    floor = float(np.percentile(strength[::3, ::3], 60))
    sources = [thin]
    for low in (max(1.2, 1.5 * floor), max(2.5, 3.0 * floor)):
        edges = ((strength >= low) * 255).astype(np.uint8)
        opened = cv2.morphologyEx(edges, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
        sources.append(cv2.dilate(opened, np.ones((3, 3), np.uint8)))
    for source in sources:
        contours, _ = cv2.findContours(source, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        found.extend(contours)
    lightness = cv2.GaussianBlur(lab[:, :, 0], (0, 0), 2)
    _, mask = cv2.threshold(lightness, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    for polarity in (mask, cv2.bitwise_not(mask)):
        for size in (7, 21):  # the larger opening parts a document from a sheet of paper it touches
            opened = cv2.morphologyEx(polarity, cv2.MORPH_OPEN, np.ones((size, size), np.uint8))
            contours, _ = cv2.findContours(opened, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            found.extend(contours)
    return found


def thin_edges(grads: Gradients, threshold: float) -> np.ndarray:
    """One-pixel edges (Canny's non-maximum suppression and hysteresis) on the strongest channel's gradient."""
    strongest = np.argmax(np.abs(grads.gx) + np.abs(grads.gy), axis=2)[:, :, None]
    dx = np.clip(np.take_along_axis(grads.gx, strongest, axis=2)[:, :, 0] * 8, -32000, 32000).astype(np.int16)
    dy = np.clip(np.take_along_axis(grads.gy, strongest, axis=2)[:, :, 0] * 8, -32000, 32000).astype(np.int16)
    low = max(threshold, 2.5) * 8
    edges: np.ndarray = cv2.Canny(dx, dy, low, 2 * low, L2gradient=True)
    return edges


def _quad_of(contour: np.ndarray) -> np.ndarray | None:
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for epsilon in (0.02, 0.035, 0.05):
        approx = cv2.approxPolyDP(hull, epsilon * perimeter, True)
        if len(approx) == 4:
            return order(approx.reshape(4, 2).astype(np.float32))
        if len(approx) < 4:
            break
    rect = cv2.minAreaRect(hull)
    if cv2.contourArea(hull) < 0.9 * rect[1][0] * rect[1][1]:
        return None
    return order(cv2.boxPoints(rect).astype(np.float32))


def _on_border(a: np.ndarray, b: np.ndarray, shape: tuple[int, ...]) -> bool:
    height, width = shape[:2]
    near = 3.0
    return bool((a[0] <= near and b[0] <= near) or (a[1] <= near and b[1] <= near)
                or (a[0] >= width - 1 - near and b[0] >= width - 1 - near)
                or (a[1] >= height - 1 - near and b[1] >= height - 1 - near))


def _across(a: np.ndarray, b: np.ndarray, t: np.ndarray, grads: Gradients) -> np.ndarray:
    """How strong a straight edge the line through a and b lies on at each parameter t (0 at a, 1 at b;
    beyond them too): the strongest gradient across the line within 3 px that points across it (a curved
    contour or texture points every way); 0 outside the frame."""
    height, width = grads.strength.shape
    direction = (b - a) / max(1e-6, float(np.linalg.norm(b - a)))
    normal = np.array([-direction[1], direction[0]], np.float32)
    points = (a + (b - a) * t[:, None])[None, :, :] + OFFSETS[:, None, None] * normal[None, None, :]
    inside = ((points[3, :, 0] >= 0) & (points[3, :, 0] <= width - 1) & (points[3, :, 1] >= 0)
              & (points[3, :, 1] <= height - 1))
    x = np.clip(np.round(points[:, :, 0]).astype(int), 0, width - 1)
    y = np.clip(np.round(points[:, :, 1]).astype(int), 0, height - 1)
    gx, gy = grads.gx[y, x], grads.gy[y, x]  # offsets x points x channels
    across = np.abs(gx * normal[0] + gy * normal[1]).max(axis=2)
    along = np.abs(gx * direction[0] + gy * direction[1]).max(axis=2)
    best: np.ndarray = np.where(across >= 2.0 * along, across, 0.0).max(axis=0) * inside
    return best


def edge_support(corners: np.ndarray, grads: Gradients, threshold: float) -> tuple[float, float, int, float]:
    """Share of the outline (and of its weakest side) that lies on a straight edge, every side sampled at
    32 points. Sides along the frame's border (a document running out of the photo) count as partly
    supported; how many there are comes third. Fourth, how far an edge runs on past a corner (the share of
    the stretch beyond it, 3-15% of the side, on an edge half as strong as the side's): a document's corner
    ends its sides, where a quadrilateral that joins one object's side to another's has a corner in the
    middle of an edge."""
    shares = []
    border = 0
    overrun = 0.0
    t = np.linspace(0.08, 0.92, 32)
    beyond = np.linspace(0.03, 0.15, 8)
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        if _on_border(a, b, grads.strength.shape):
            shares.append(BORDER_SUPPORT)
            border += 1
            continue
        along = _across(a, b, t, grads)
        shares.append(float(np.mean(along >= threshold)))
        strong = max(threshold, 0.5 * float(np.median(along)))  # texture on the desk is fainter than the outline
        for stretch in (-beyond, 1.0 + beyond):
            overrun = max(overrun, float(np.mean(_across(a, b, stretch, grads) >= strong)))
    return float(np.mean(shares)), float(min(shares)), border, overrun


def _angles_fit(corners: np.ndarray) -> bool:
    """Every inside angle between 55 and 125 degrees: a rectangle seen in perspective, not a sliver."""
    for i in range(4):
        a, b, c = corners[i - 1], corners[i], corners[(i + 1) % 4]
        u, v = a - b, c - b
        cosine = float(np.dot(u, v) / max(1e-6, float(np.linalg.norm(u) * np.linalg.norm(v))))
        if abs(cosine) > 0.574:  # cos 55 degrees
            return False
    return True


def _aspect(corners: np.ndarray) -> float:
    sides = [float(np.linalg.norm(corners[i] - corners[(i + 1) % 4])) for i in range(4)]
    across, down = (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2
    return max(across, down) / max(1.0, min(across, down))


def _print_inside(corners: np.ndarray, strength: np.ndarray, lightness: np.ndarray, cells: int = 1) -> float:
    """Share of the inside (away from the outline) covered by strokes: print, a portrait, a pattern. A stroke
    is a gradient of at least 5% of the inside's brightness (so a dark, underexposed document still has print).
    With `cells` > 1: the share of a cells x cells grid over the inside with strokes on at least 1.5% of it."""
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    x0, y0 = max(0, x0), max(0, y0)
    strength = strength[y0:y1, x0:x1]
    corners = corners - np.array([x0, y0], np.float32)
    mask = np.zeros(strength.shape, np.uint8)
    centre = corners.mean(axis=0)
    inner = centre + (corners - centre) * 0.85
    cv2.fillConvexPoly(mask, np.round(inner).astype(np.int32), 1)
    inside = strength[mask > 0]
    if not inside.size:
        return 0.0
    bright = float(np.percentile(lightness[y0:y1, x0:x1][mask > 0], 90))
    strokes = inside >= max(2.0, PRINT_EDGE * bright / 255.0)
    if cells == 1:
        return float(np.mean(strokes))
    ys, xs = np.nonzero(mask)
    square = np.array([(0, 0), (cells, 0), (cells, cells), (0, cells)], np.float32)
    where = cv2.perspectiveTransform(np.stack([xs, ys], axis=1).astype(np.float32)[None],
                                     cv2.getPerspectiveTransform(inner.astype(np.float32), square))[0]
    cell = np.clip(where.astype(int), 0, cells - 1)
    index = cell[:, 1] * cells + cell[:, 0]
    counts = np.bincount(index, minlength=cells * cells)
    printed = np.bincount(index, weights=strokes.astype(np.float32), minlength=cells * cells)
    return float(np.mean(printed >= 0.015 * np.maximum(counts, 1)))


def print_spread(corners: np.ndarray, strength: np.ndarray, lightness: np.ndarray) -> float:
    """Share of a 3 x 3 grid over the quadrilateral's inside with print in it (see _print_inside)."""
    return _print_inside(corners, strength, lightness, cells=3)


def score(corners: np.ndarray, grads: Gradients, lightness: np.ndarray, threshold: float, touches: bool
          ) -> tuple[float, float]:
    """Confidence (0-1) that the quadrilateral is a document, and how far an edge runs on past one of its
    corners (see edge_support)."""
    if not _angles_fit(corners):
        return 0.0, 0.0
    aspect = _aspect(corners)
    if touches:
        shape_fit = 1.0 if 0.9 <= aspect <= 4.0 else 0.0
    else:
        nearest = min(abs(np.log(aspect / a)) for a in ASPECTS)
        shape_fit = float(np.clip(1.0 - (nearest - 0.12) / 0.15, 0.0, 1.0))
    if shape_fit == 0.0:
        return 0.0, 0.0
    support, weakest, border, overrun = edge_support(corners, grads, threshold)
    if border > 2 or support < 0.3:
        return 0.0, 0.0
    printed = float(np.clip(_print_inside(corners, grads.strength, lightness) / 0.04, 0.0, 1.0))
    confidence = float(support * (0.6 + 0.4 * weakest) * shape_fit * (0.1 + 0.9 * printed))
    return confidence, overrun


def colourful(bgr: np.ndarray, corners: np.ndarray) -> float:
    """Share of the quadrilateral in strong colour. Documents are mostly pale paper (a portrait, a band or a
    pattern cover a small part); a mural or a painted poster is strong colour all over."""
    mask = np.zeros(bgr.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(corners).astype(np.int32), 1)
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    strong = (hsv[:, :, 1] >= 110) & (hsv[:, :, 2] >= 60) & (mask > 0)
    return float(strong.sum()) / max(1.0, float(mask.sum()))


class Candidate(NamedTuple):
    """A scored quadrilateral in working pixels: confidence, how far an edge runs past a corner, area."""

    confidence: float
    overrun: float
    area: float
    corners: np.ndarray
    touches: bool


def _inside(outer: Candidate, inner: Candidate) -> bool:
    centre = tuple(float(v) for v in inner.corners.mean(axis=0))
    return bool(cv2.pointPolygonTest(outer.corners.reshape(-1, 1, 2), centre, False) > 0)


def _borrowed(candidate: Candidate, others: list[Candidate]) -> bool:
    """A quadrilateral with a corner in the middle of an edge around another of at least half its size, with
    clean corners: it joins that one's sides to a larger object's (a card's sides to the top of the page it is
    printed on). A panel on a passport's page is smaller, and does not make the page's outline a mix."""
    return candidate.overrun >= OVERRUN and any(
        o.overrun < OVERRUN and 0.5 * candidate.area <= o.area < candidate.area and _inside(candidate, o)
        for o in others)


def choose(candidates: list[Candidate]) -> Candidate:
    """The document among the candidates: the largest of those near the most confident (the outline, not a
    panel on it), where one running off the frame (a dark box, a sheet) is a weaker claim than one wholly
    inside it, a mix of two objects' sides yields to the clean outline inside it, and an outline much larger
    than the most confident one around it is near enough (that one is a portrait or a panel on it)."""
    top = max(candidates, key=lambda c: c.confidence)
    near = [c for c in candidates if c.confidence >= (INSIDE_NEAR if top.touches and not c.touches else 0.8)
            * top.confidence]
    clean = [c for c in near if not _borrowed(c, near)] or near
    clean += [c for c in candidates if c.confidence >= PANEL_NEAR * top.confidence and c.area >= PANEL_AREA * top.area
              and _inside(c, top)]
    return max(clean, key=lambda c: c.area)


def find_document(bgr: np.ndarray) -> Quad | None:
    """The largest confident document-like quadrilateral (else the most confident one), or None."""
    height, width = bgr.shape[:2]
    scale = min(1.0, LOCATE_SIDE / max(height, width))
    small = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else bgr
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (0, 0), 1.2), cv2.COLOR_BGR2LAB)
    grads = gradients(lab)
    strength = grads.strength
    threshold = max(2.0, 1.2 * float(np.median(strength[::3, ::3])))
    sh, sw = small.shape[:2]
    area = float(sh * sw)
    scored: list[Candidate] = []
    seen: list[np.ndarray] = []
    thin = thin_edges(grads, threshold)
    contours = [c for c in _contours(lab, strength, thin) if len(c) >= 4]
    sized = sorted(((cv2.contourArea(c), c) for c in contours), key=lambda item: -item[0])
    kept = [c for a, c in sized if a >= MIN_AREA * area][:MAX_CANDIDATES]
    quads = [q for q in (_quad_of(c) for c in kept) if q is not None] + line_quads(thin)
    for corners in quads:
        quad_area = float(cv2.contourArea(corners))
        if not MIN_AREA * area <= quad_area <= 0.95 * area:
            continue
        if any(float(np.abs(corners - s).max()) < 4 for s in seen):
            continue
        seen.append(corners)
        margin = 2.0
        touches = bool(np.any(corners <= margin) or np.any(corners[:, 0] >= sw - 1 - margin)
                       or np.any(corners[:, 1] >= sh - 1 - margin))
        confidence, overrun = score(corners, grads, lab[:, :, 0], threshold, touches)
        scored.append(Candidate(confidence, overrun, quad_area, corners, touches))
    if not scored:
        return None
    confidence, _, quad_area, corners, touches = choose(scored)
    confidence *= 1.0 - float(np.clip((colourful(small, corners) - 0.35) / 0.15, 0.0, 1.0))
    # print spreads over a document; a blank sheet or a box on the desk has strokes along one line at most
    confidence *= float(np.clip(print_spread(corners, strength, lab[:, :, 0]) / SPREAD, 0.0, 1.0))
    if bezel(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), corners):
        confidence = 0.0  # a photo of a screen, not of a document
    points = [(float(x) / scale, float(y) / scale) for x, y in corners]
    return Quad(points=points, area_share=quad_area / area, touches_edge=touches, confidence=round(confidence, 4))


__all__ = ["ASPECTS", "LOCATE_SIDE", "MIN_AREA", "Candidate", "Gradients", "Quad", "choose", "colourful",
           "edge_support", "find_document", "gradients", "order", "print_spread", "score"]
