"""Quality checks on a photo of an identity document, pure functions over an image.

The document is the largest plausible quadrilateral; every measurement that depends on
resolution is taken on the document rectified to a fixed working size, so a 12 MP photo
and a 2 MP photo of the same card score alike.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import msgspec
import numpy as np

from verification.results import CheckResult, Limit, Policy, Preset, Report, failed, judge, presets, report, skipped

WORK_SIDE = 1024
RECTIFIED_WIDTH = 800
PORTRAIT_TYPES = frozenset({"passport", "id_card", "driving_licence", "residence_permit"})
ORDER = ("document_found", "cut_off", "low_resolution", "too_dark", "overexposed", "sharpness", "glare", "portrait")


LIMITS: dict[str, dict[Preset, Limit]] = {
    # edge crispness on the rectified document (see edge_sharpness): ~0.4 sharp, ~0.2 clearly blurred
    "sharpness": presets("verification.image_blurry", "retake.blurry", "min", 0.25, 0.30, 0.34),
    # share of the document covered by clipped, colourless highlights (specular glare)
    "glare": presets("verification.glare", "retake.glare", "max", 0.04, 0.02, 0.01),
    # mean luminance (0-255) of the document
    "too_dark": presets("verification.too_dark", "retake.too_dark", "min", 45.0, 60.0, 75.0),
    # share of the document that is clipped white
    "overexposed": presets("verification.overexposed", "retake.overexposed", "max", 0.32, 0.22, 0.14),
    # width of the document in the original photo, in pixels
    "low_resolution": presets("verification.low_resolution", "retake.low_resolution", "min", 450.0, 600.0, 800.0),
    # how far the document is from the frame's edge, as a share of the frame (negative = outside it)
    "cut_off": presets("verification.cut_off", "retake.cut_off", "min", 0.0, 0.005, 0.015),
}


class Quad(msgspec.Struct, frozen=True, kw_only=True):
    """Document corners (top-left, top-right, bottom-right, bottom-left) in working-image pixels."""

    points: list[tuple[float, float]]
    area_share: float
    touches_edge: bool


def _order(points: np.ndarray) -> np.ndarray:
    s = points.sum(axis=1)
    d = np.diff(points, axis=1).ravel()
    return np.array([points[np.argmin(s)], points[np.argmin(d)], points[np.argmax(s)], points[np.argmax(d)]],
                    dtype=np.float32)


def _candidates(gray: np.ndarray) -> list[np.ndarray]:
    """Outlines that may be the document: closed edges, then (for soft photos) bright or dark regions."""
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    median = float(np.median(blurred))
    edges = cv2.Canny(blurred, max(10.0, 0.5 * median), min(255.0, 1.2 * median + 40))
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8), iterations=2)
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = list(contours)
    small = cv2.GaussianBlur(gray, (0, 0), 4)
    _, mask = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = np.ones((15, 15), np.uint8)
    for polarity in (mask, cv2.bitwise_not(mask)):
        opened = cv2.morphologyEx(polarity, cv2.MORPH_OPEN, kernel)
        contours, _ = cv2.findContours(opened, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        found.extend(contours)
    return found


def find_document(gray: np.ndarray) -> Quad | None:
    """The largest convex, roughly rectangular region of plausible aspect ratio (1.15 to 2.4; a document
    that runs off the frame may have any aspect ratio up to 4)."""
    height, width = gray.shape
    area = float(height * width)
    best: tuple[float, np.ndarray] | None = None
    for contour in _candidates(gray):
        contour_area = cv2.contourArea(contour)
        if contour_area < 0.08 * area:
            continue
        hull = cv2.convexHull(contour)
        if cv2.contourArea(hull) > 0.92 * area:
            continue  # the whole frame (a background region), not a document on it
        x, y, w_box, h_box = cv2.boundingRect(hull)
        edges_touched = sum((x <= 2, y <= 2, x + w_box >= width - 3, y + h_box >= height - 3))
        if edges_touched >= 3:
            continue  # a document cut off by the frame leaves at least two sides inside it
        on_edge = edges_touched > 0
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) == 4:
            corners = approx.reshape(4, 2).astype(np.float32)
        else:
            rect = cv2.minAreaRect(hull)
            if cv2.contourArea(hull) < 0.85 * rect[1][0] * rect[1][1]:
                continue
            corners = cv2.boxPoints(rect).astype(np.float32)
        (_, _), (w, h), _ = cv2.minAreaRect(corners)
        low, high = (0.95, 4.0) if on_edge else (1.15, 2.4)
        if min(w, h) <= 0 or not low <= max(w, h) / min(w, h) <= high:
            continue
        quad_area = cv2.contourArea(corners)
        if best is None or quad_area > best[0]:
            best = (quad_area, corners)
    if best is None:
        return None
    corners = _order(best[1])
    margin = 2.0
    touches = bool(np.any(corners[:, 0] <= margin) or np.any(corners[:, 1] <= margin)
                   or np.any(corners[:, 0] >= width - 1 - margin) or np.any(corners[:, 1] >= height - 1 - margin))
    return Quad(points=[(float(x), float(y)) for x, y in corners], area_share=best[0] / area, touches_edge=touches)


def rectify(image: np.ndarray, quad: Quad, width: int = RECTIFIED_WIDTH) -> np.ndarray:
    """The document warped flat, at most `width` pixels wide (never enlarged), keeping its aspect ratio."""
    tl, tr, br, bl = (np.array(p) for p in quad.points)
    w = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    h = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    if w < h:  # portrait orientation in the photo: turn the document landscape
        tl, tr, br, bl = bl, tl, tr, br
        w, h = h, w
    width = max(16, min(width, round(w)))
    height = max(1, round(width * h / w))
    source = np.array([tl, tr, br, bl], dtype=np.float32)
    target = np.array([(0, 0), (width - 1, 0), (width - 1, height - 1), (0, height - 1)], dtype=np.float32)
    return cv2.warpPerspective(image, cv2.getPerspectiveTransform(source, target), (width, height),
                               flags=cv2.INTER_AREA)


def edge_sharpness(gray: np.ndarray) -> float:
    """How crisp the strongest edges are: gradient over the local intensity step (about 0.5 for a step edge,
    falling as edges widen), the median per gradient orientation, and the worst orientation (motion blur
    widens edges in one direction only). Independent of contrast and largely of content."""
    image = gray.astype(np.float32)
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0) / 8.0
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1) / 8.0
    magnitude = np.sqrt(gx * gx + gy * gy)
    window = np.ones((9, 9), np.uint8)
    step = cv2.dilate(image, window) - cv2.erode(image, window)
    strong = (magnitude >= np.percentile(magnitude, 98.5)) & (step >= 24)
    if int(strong.sum()) < 50:
        return 0.0
    ratio = magnitude[strong] / step[strong]
    angle = (np.degrees(np.arctan2(gy[strong], gx[strong])) + 180.0) % 180.0
    bins = ((angle + 22.5) // 45).astype(int) % 4
    medians = [float(np.median(ratio[bins == b])) for b in range(4) if int((bins == b).sum()) >= 30]
    return min(medians) if medians else float(np.median(ratio))


def glare_share(bgr: np.ndarray) -> float:
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


def _edge_margin(quad: Quad, shape: tuple[int, ...]) -> float:
    height, width = shape[:2]
    distances = [min(x, y, width - 1 - x, height - 1 - y) / max(width, height) for x, y in quad.points]
    return -1.0 if quad.touches_edge else float(min(distances))


def check_document(bgr: np.ndarray, *, original_width: int, document_type: str | None, side: str = "front",
                   policy: Policy = Policy(), detect_portrait: bool = True) -> Report:  # noqa: B008 - frozen
    """Every document check on a decoded photo (`original_width` = the photo's width before any reduction)."""
    scale = min(1.0, WORK_SIDE / max(bgr.shape[:2]))
    work = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else bgr
    gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY)
    quad = find_document(gray)
    checks: list[CheckResult] = []
    region, region_gray = work, gray  # without a document, measure what we can on the whole frame
    if quad is not None:
        region = rectify(work, quad)
        region_gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)
    overexposed = judge("overexposed", float(np.mean(region_gray >= 250)), LIMITS, policy)
    if quad is None:
        if overexposed.status == "failed":  # a washed-out frame hides the document: say what to fix
            checks.append(skipped("document_found", "overexposed"))
        else:
            checks.append(failed("document_found", "verification.no_document", "retake.no_document", policy))
        checks.append(skipped("cut_off", "no document"))
        checks.append(skipped("low_resolution", "no document"))
    else:
        checks.append(judge_found(quad, policy))
        checks.append(judge("cut_off", _edge_margin(quad, work.shape), LIMITS, policy))
        document_width = _document_width(quad) * original_width / work.shape[1]
        if quad.touches_edge:  # only part of it is visible: its width is unknown, and cut_off says what to fix
            checks.append(skipped("low_resolution", "document cut off"))
        else:
            checks.append(judge("low_resolution", document_width, LIMITS, policy))
    checks.append(judge("too_dark", float(region_gray.mean()), LIMITS, policy))
    checks.append(overexposed)
    checks.append(judge("sharpness", edge_sharpness(_at_width(region_gray, RECTIFIED_WIDTH)), LIMITS, policy))
    if overexposed.status == "failed":
        checks.append(skipped("glare", "overexposed"))
    else:
        checks.append(judge("glare", glare_share(region), LIMITS, policy))
    wants_portrait = detect_portrait and side == "front" and (document_type or "") in PORTRAIT_TYPES
    if not wants_portrait or quad is None:
        checks.append(skipped("portrait", "not expected on this side" if quad is not None else "no document"))
    else:
        checks.append(_portrait(region, policy))
    return report(checks, ORDER)


def judge_found(quad: Quad, policy: Policy) -> CheckResult:
    mode = policy.modes.get("document_found", "error")
    return CheckResult(name="document_found", passed=True, status="passed" if mode != "off" else "skipped",
                       score=round(100 * min(1.0, quad.area_share / 0.5), 1), value=round(quad.area_share, 4),
                       threshold=0.08, mode=mode)


def _document_width(quad: Quad) -> float:
    tl, tr, br, bl = (np.array(p) for p in quad.points)
    return float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl), np.linalg.norm(bl - tl),
                     np.linalg.norm(br - tr)))


def _at_width(gray: np.ndarray, width: int) -> np.ndarray:
    if gray.shape[1] <= width:
        return gray
    return cv2.resize(gray, (width, round(gray.shape[0] * width / gray.shape[1])), interpolation=cv2.INTER_AREA)


def _portrait(region: np.ndarray, policy: Policy) -> CheckResult:
    from verification.faces import detect

    small = _at_width(region, 560) if region.shape[1] > 560 else region
    faces = detect(cv2.cvtColor(small, cv2.COLOR_BGR2RGB), fallback=False)
    if faces:
        return CheckResult(name="portrait", passed=True, status="passed", score=faces[0].confidence, value=len(faces),
                           threshold=1, mode=policy.modes.get("portrait", "error"))
    return failed("portrait", "verification.no_portrait", "retake.no_portrait", policy, value=0.0, threshold=1.0)


def thresholds(preset: Preset) -> Mapping[str, float]:
    return {name: limits[preset].threshold for name, limits in LIMITS.items()}


__all__ = ["LIMITS", "ORDER", "PORTRAIT_TYPES", "Quad", "check_document", "edge_sharpness", "find_document",
           "glare_share", "rectify", "thresholds"]
