"""Quality checks on a photo of an identity document, pure functions over an image.

The document is found by `verification.locate` (a quadrilateral with a confidence); every
measurement of light and sharpness is taken on the document rectified (not on the room around it),
sharpness at a fixed width, so a 12 MP photo and a 2 MP photo of the same card score alike.
Light: `verification.lighting`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import cv2
import msgspec
import numpy as np

from verification import lighting
from verification.contents import PORTRAIT_TYPES, DocumentRead, judge_contents
from verification.locate import Quad, find_document
from verification.results import CheckResult, Limit, Policy, Preset, Report, failed, judge, presets, report, skipped

WORK_SIDE = 1000  # a 4000 px (12 MP) photo decodes at 1/4 straight to this size, with no resize
RECTIFIED_WIDTH = 800
SURE = 0.6  # document_found confidence above which the document alone is judged for sharpness
EDGES_PER_ORIENTATION = 100  # pixels beside edges an orientation needs to be judged
STRONGEST_PERCENTILE = 85.0  # its edges at or above this percentile of gradient are the ones measured
SHARPNESS_WIDTH = 640  # sharpness is measured on the document rectified to this width, whatever its size
ORDER = ("document_found", "cut_off", "low_resolution", "backlight", "too_dark", "overexposed", "sharpness", "glare",
         "occlusion", "document_type", "document_side", "portrait", "mrz")
CONTENT_CHECKS = ("occlusion", "mrz", "document_type", "document_side", "portrait")
MRZ_WIDTH = 1000  # the zone is read on the document rectified this wide (never enlarged)


LIMITS: dict[str, dict[Preset, Limit]] = {
    # edge crispness on the rectified document, its worst orientation (edge_sharpness); normal = the best
    # threshold on the calibration split (sharp and 3 px of shake above, defocus 3 px / motion 14 px below)
    "sharpness": presets("verification.image_blurry", "retake.blurry", "min", 0.18, 0.215, 0.25),
    # how sure we are that the quadrilateral is a document (0-1: edge support, shape, print inside)
    "document_found": presets("verification.no_document", "retake.no_document", "min", 0.12, 0.2, 0.3),
    # share of the document covered by glare: clipped specular highlights plus diffuse sheen
    "glare": presets("verification.glare", "retake.glare", "max", 0.04, 0.02, 0.01),
    # the room's bright end minus a dark document's mean, over 255 (0 when the document is well exposed)
    "backlight": presets("verification.backlit", "retake.backlit", "max", 0.88, 0.8, 0.7),
    # mean luminance (0-255) of the document
    "too_dark": presets("verification.too_dark", "retake.too_dark", "min", 45.0, 60.0, 75.0),
    # share of the document that is clipped white
    "overexposed": presets("verification.overexposed", "retake.overexposed", "max", 0.32, 0.22, 0.14),
    # width of the document in the original photo, in pixels
    "low_resolution": presets("verification.low_resolution", "retake.low_resolution", "min", 450.0, 600.0, 800.0),
    # how far the document is from the frame's edge, as a share of the frame (negative = outside it)
    "cut_off": presets("verification.cut_off", "retake.cut_off", "min", 0.0, 0.005, 0.015),
}


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
    falling towards 1/9 as edges widen past the 9 px window), the median over each gradient orientation's own
    strongest edges, and the worst orientation. The strongest edges are chosen per orientation: motion blur
    widens the edges across its direction only, and chosen over the whole image, its faded edges would all
    lose to the crisp ones along it and never be measured. Independent of contrast and largely of content."""
    image = gray.astype(np.float32)
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0) / 8.0
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1) / 8.0
    window = np.ones((9, 9), np.uint8)
    step = cv2.dilate(image, window) - cv2.erode(image, window)
    near = step >= 24  # beside an edge of real contrast, not noise
    if int(near.sum()) < 200:
        return 0.0
    gx_near, gy_near, steps = gx[near], gy[near], step[near]
    magnitude = np.sqrt(gx_near * gx_near + gy_near * gy_near)
    angle = (np.degrees(np.arctan2(gy_near, gx_near)) + 180.0) % 180.0
    bins = ((angle + 22.5) // 45).astype(int) % 4
    medians = []
    for b in range(4):
        inside = bins == b
        if int(inside.sum()) < EDGES_PER_ORIENTATION:
            continue  # too few edges this way to judge it
        strengths = magnitude[inside]
        strongest = strengths >= np.percentile(strengths, STRONGEST_PERCENTILE)
        if int(strongest.sum()) >= 30:
            medians.append(float(np.median(strengths[strongest] / steps[inside][strongest])))
    return min(medians) if medians else 0.0


def _edge_margin(quad: Quad, shape: tuple[int, ...]) -> float:
    height, width = shape[:2]
    distances = [min(x, y, width - 1 - x, height - 1 - y) / max(width, height) for x, y in quad.points]
    return -1.0 if quad.touches_edge else float(min(distances))


def check_document(bgr: np.ndarray, *, original_width: int, document_type: str | None, side: str = "front",
                   policy: Policy = Policy(), detect_portrait: bool = True,  # noqa: B008 - frozen
                   today: dt.date | None = None) -> Report:
    """Every document check on a decoded photo (`original_width` = the photo's width before any reduction)."""
    return inspect_document(bgr, original_width=original_width, document_type=document_type, side=side,
                            policy=policy, detect_portrait=detect_portrait, today=today)[0]


def inspect_document(bgr: np.ndarray, *, original_width: int, document_type: str | None, side: str = "front",
                     policy: Policy = Policy(), detect_portrait: bool = True,  # noqa: B008 - frozen
                     today: dt.date | None = None) -> tuple[Report, DocumentRead | None]:
    """The checks, and what was read off the document (None when no document was found). `today` is the date
    the MRZ's two-digit years and expiry are judged against: the server passes its own; left out, the machine's."""
    scale = min(1.0, WORK_SIDE / max(bgr.shape[:2]))
    work = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else bgr
    gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY)
    located = find_document(work)
    found = judge("document_found", located.confidence if located else 0.0, LIMITS, policy)
    quad = located if located is not None and found.passed else None
    checks: list[CheckResult] = []
    region, region_gray = work, gray  # without a document, measure what we can on the whole frame
    if quad is not None:
        region = rectify(work, quad)
        region_gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)
    overexposed = judge("overexposed", lighting.clipped_share(region_gray), LIMITS, policy)
    if quad is None:
        if overexposed.status == "failed":  # a washed-out frame hides the document: say what to fix
            checks.append(skipped("document_found", "overexposed"))
        elif located is None:
            checks.append(failed("document_found", "verification.no_document", "retake.no_document", policy))
        else:
            checks.append(found)
        checks.append(skipped("cut_off", "no document"))
        checks.append(_on_frame(judge("low_resolution", float(original_width), LIMITS, policy)))
        checks.append(skipped("backlight", "no document"))
    else:
        checks.append(found)
        checks.append(judge("cut_off", _edge_margin(quad, work.shape), LIMITS, policy))
        document_width = _document_width(quad) * original_width / work.shape[1]
        if quad.touches_edge:  # only part of it is visible: its width is unknown, and cut_off says what to fix
            checks.append(skipped("low_resolution", "document cut off"))
        else:
            checks.append(judge("low_resolution", document_width, LIMITS, policy))
        backlit = lighting.backlight(gray, _mask(quad, gray.shape), region_gray)
        checks.append(judge("backlight", backlit, LIMITS, policy))
    checks.append(judge("too_dark", float(region_gray.mean()), LIMITS, policy))
    checks.append(overexposed)
    # a confident document is judged alone; an uncertain one must not make a blurred frame look sharp
    sure = quad is not None and quad.confidence >= SURE
    sharpness = 1.0 if sure else edge_sharpness(_at_width(gray, RECTIFIED_WIDTH))
    if quad is not None:
        sharpness = min(sharpness, edge_sharpness(_inner(region_gray, SHARPNESS_WIDTH)))
    checks.append(judge("sharpness", sharpness, LIMITS, policy))
    if overexposed.status == "failed":
        checks.append(skipped("glare", "overexposed"))
    else:
        glare = lighting.glare(region)
        if not sure:  # as for sharpness: an uncertain quadrilateral may be a part of a page that fills the frame
            glare = max(glare, lighting.glare(work))
        checks.append(judge("glare", glare, LIMITS, policy))
    if quad is None:
        checks.extend(skipped(name, "no document") for name in CONTENT_CHECKS)
        return report(checks, ORDER), None
    contents, read = judge_contents(rectify(work, quad, MRZ_WIDTH), document_type=document_type, side=side,
                                    policy=policy, today=today or dt.date.today(),
                                    detect_portrait=detect_portrait)
    checks.extend(contents)
    to_photo = original_width / work.shape[1]
    corners = [(round(x * to_photo, 1), round(y * to_photo, 1)) for x, y in quad.points]
    return msgspec.structs.replace(report(checks, ORDER), corners=corners), read


def _on_frame(result: CheckResult) -> CheckResult:
    """Resolution judged on the whole frame when no document was found, saying so."""
    return msgspec.structs.replace(result, reason=result.reason or "no document: judged on the frame")


def _mask(quad: Quad, shape: tuple[int, ...]) -> np.ndarray:
    """The document and a margin around it (its shadow, its edge) in working-image pixels."""
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(np.array(quad.points)).astype(np.int32), 255)
    dilated: np.ndarray = cv2.dilate(mask, np.ones((15, 15), np.uint8))
    return dilated


def _inner(gray: np.ndarray, width: int) -> np.ndarray:
    """The rectified document without its outer 3% (where the desk may show), at `width` (a smaller document
    is not enlarged: enlarging softens every edge, and its resolution is low_resolution's to judge)."""
    height, full = gray.shape
    inset_y, inset_x = max(1, height * 3 // 100), max(1, full * 3 // 100)
    body = gray[inset_y: height - inset_y, inset_x: full - inset_x]
    if body.shape[1] <= width:
        return body
    size = (width, max(1, round(body.shape[0] * width / body.shape[1])))
    resized: np.ndarray = cv2.resize(body, size, interpolation=cv2.INTER_AREA)
    return resized

def _document_width(quad: Quad) -> float:
    tl, tr, br, bl = (np.array(p) for p in quad.points)
    return float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl), np.linalg.norm(bl - tl),
                     np.linalg.norm(br - tr)))


def _at_width(gray: np.ndarray, width: int) -> np.ndarray:
    if gray.shape[1] <= width:
        return gray
    return cv2.resize(gray, (width, round(gray.shape[0] * width / gray.shape[1])), interpolation=cv2.INTER_AREA)


def thresholds(preset: Preset) -> Mapping[str, float]:
    return {name: limits[preset].threshold for name, limits in LIMITS.items()}


__all__ = ["LIMITS", "ORDER", "PORTRAIT_TYPES", "Quad", "check_document", "edge_sharpness", "find_document",
           "rectify", "thresholds"]
