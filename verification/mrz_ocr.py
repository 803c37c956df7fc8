"""Finding and reading the machine-readable zone in an image of a document.

`locate_mrz` is morphology only (a few milliseconds, no OCR), so it also serves to tell a passport data
page (two long lines at the bottom) from the back of an ID card (three) and a front (none). `read_mrz`
OCRs the zone line by line through an injected `LineOcr` (`verification.mrz_glyphs.OcrbLines`: OCR-B template
matching, built once per worker) and hands the lines to `parse_mrz`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Protocol

import cv2
import msgspec
import numpy as np

from verification.mrz import DIGIT_POSITIONS, LENGTHS, LETTER_POSITIONS, MrzFormat, MrzReading, MrzZone, parse_mrz
from verification.mrz_glyphs import without_rules

__all__ = ["LineOcr", "locate_mrz", "read_mrz"]

WORK_WIDTH = 640
# (character height in pixels, shift of Otsu's threshold) for each try at a zone, the usual one first
ATTEMPTS = ((36, 0.0), (36, -20.0), (36, 15.0), (48, 0.0), (28, 0.0))
SKEW_TRY, SKEW_FIRST = 0.15, 0.6  # degrees of slope from which a levelled image is tried, and tried first
SKEW_ONLY = 3.0  # degrees from which the zone's bars break unless levelled: only the levelled image is read
MIN_PASSES = 3  # readings that must agree (where no check digit looks) before one is trusted


class LineOcr(Protocol):
    """Reads MRZ lines (grey, dark ink on even paper) as glyph vectors, one per character, and classifies them;
    `bias` moves the threshold that tells the characters apart."""

    def windows(self, line: np.ndarray, bias: float = 0.0) -> np.ndarray: ...

    def classify(self, windows: np.ndarray, own: dict[str, np.ndarray] | None = None) -> str: ...

    def digits(self, windows: np.ndarray) -> str: ...


def _line_boxes(gray: np.ndarray) -> tuple[list[tuple[int, int, int, int, float]], float]:
    """Boxes of text lines (in working pixels) found by closing the dark characters into bars, each with the
    bar's slope in degrees (positive: the line falls to the right)."""
    scale = WORK_WIDTH / gray.shape[1]
    small = cv2.resize(gray, (WORK_WIDTH, max(1, round(gray.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    blackhat = cv2.morphologyEx(small, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 7)))
    _, ink = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # A frame round the zone (or a page's edge beside it) would close its lines into one box, not bars.
    ink = without_rules(ink, WORK_WIDTH // 10, WORK_WIDTH // 18)
    # Wide enough to bridge a run of fillers (thin chevrons), tall enough to join their two arms.
    bars = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (21, 3)))
    bars = cv2.morphologyEx(bars, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bars)
    boxes = []
    for label in range(1, count):
        x, y, w, h = (int(v) for v in stats[label, :4])
        if w >= 0.3 * WORK_WIDTH and 4 <= h <= 0.06 * WORK_WIDTH and w >= 12 * h:
            moments = cv2.moments((labels[y:y + h, x:x + w] == label).astype(np.uint8), binaryImage=True)
            slope = 0.5 * np.arctan2(2 * moments["mu11"], moments["mu20"] - moments["mu02"])
            boxes.append((x, y, w, h, float(np.degrees(slope))))
    return sorted(boxes, key=lambda b: b[1]), scale


def _group(boxes: list[tuple[int, int, int, int, float]]) -> list[tuple[int, int, int, int, float]]:
    """The lowest run of 2-3 stacked lines of like length, start and height (the MRZ is the last block)."""
    best: list[tuple[int, int, int, int, float]] = []
    for i in range(len(boxes)):
        run = [boxes[i]]
        for box in boxes[i + 1:]:
            last = run[-1]
            if box[1] - last[1] > 2.6 * max(box[3], last[3]):
                break
            alike = abs(box[0] - last[0]) < 0.05 * WORK_WIDTH and abs(box[2] - last[2]) < 0.08 * WORK_WIDTH
            if alike and 0.6 < box[3] / last[3] < 1.6:
                run.append(box)
        if 2 <= len(run) <= 3 and (len(run) > len(best) or (len(run) == len(best) and run[0][1] > best[0][1])):
            best = run
    return best


def _guess(lines: int, width: float, height: float) -> MrzFormat | None:
    if lines == 3:
        return "TD1"
    if lines != 2:
        return None
    # Characters are ~1.1 pitch tall at 10 per inch: a TD3 line is ~44 heights long, a TD2 line ~36.
    return "TD3" if width / height > 37 else "TD2"


def _turn(gray: np.ndarray, rotation: int) -> np.ndarray:
    turns = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(gray, turns[rotation]) if rotation in turns else gray


def _zone(gray: np.ndarray, rotation: int) -> MrzZone | None:
    boxes, scale = _line_boxes(gray)
    group = _group(boxes)
    if not group:
        return None
    height, width = gray.shape
    line_boxes = [(round(x / scale), round(y / scale), round(w / scale), round(h / scale)) for x, y, w, h, _ in group]
    left, top = min(b[0] for b in line_boxes), min(b[1] for b in line_boxes)
    right = max(b[0] + b[2] for b in line_boxes)
    bottom = max(b[1] + b[3] for b in line_boxes)
    mean_width = float(np.mean([b[2] for b in line_boxes]))
    mean_height = float(np.mean([b[3] for b in line_boxes]))
    return MrzZone(left=left / width, top=top / height, right=right / width, bottom=bottom / height,
                   lines=len(group), format=_guess(len(group), mean_width, mean_height), line_boxes=line_boxes,
                   rotation=rotation, skew=float(np.median([b[4] for b in group])))


def _views(gray: np.ndarray, zone: MrzZone) -> list[tuple[np.ndarray, MrzZone]]:
    """The image turned the right way up and, when the zone's lines slope, also levelled (the zone found again
    on it): a line that drifts by part of a character's height across the page is cut apart by its box.
    Levelling resamples the image, so below SKEW_FIRST degrees it is the second choice."""
    turned = _turn(gray, zone.rotation)
    if abs(zone.skew) < SKEW_TRY:
        return [(turned, zone)]
    level, _ = _level(turned, zone.skew)
    again = _zone(level, zone.rotation)
    if again is None:
        return [(turned, zone)]
    if abs(zone.skew) >= SKEW_ONLY:
        return [(level, again)]
    return [(level, again), (turned, zone)] if abs(zone.skew) >= SKEW_FIRST else [(turned, zone), (level, again)]


def _level(turned: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """The image turned by `degrees` (counter-clockwise) about its centre, and the matrix that did it."""
    height, width = turned.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    level = cv2.warpAffine(turned, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return level, matrix


def _text_angle(gray: np.ndarray) -> float | None:
    """The direction of the page's longest text lines at any angle (degrees, -90..90, clockwise from the
    x axis), from bars closed the same in every direction; None without long thin bars."""
    scale = WORK_WIDTH / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    blackhat = cv2.morphologyEx(small, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15)))
    _, ink = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bars = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (11, 11)))
    bars = cv2.morphologyEx(bars, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bars)
    votes = np.zeros(2)
    for label in range(1, count):
        if stats[label, cv2.CC_STAT_AREA] < 0.1 * WORK_WIDTH:
            continue
        moments = cv2.moments((labels == label).astype(np.uint8), binaryImage=True)
        mu20, mu02, mu11 = (moments[k] / moments["m00"] for k in ("mu20", "mu02", "mu11"))
        spread = np.hypot((mu20 - mu02) / 2, mu11)
        # A bar of length L has a variance of L^2/12 along it.
        length, thickness = (np.sqrt(12 * max(1e-6, (mu20 + mu02) / 2 + sign * spread)) for sign in (1, -1))
        if length >= 0.3 * WORK_WIDTH and length >= 12 * thickness:
            doubled = np.arctan2(2 * mu11, mu20 - mu02)  # averaged as doubled angles: -89 and 89 degrees agree
            votes += length * np.array([np.cos(doubled), np.sin(doubled)])
    return float(np.degrees(0.5 * np.arctan2(votes[1], votes[0]))) if votes.any() else None


def _turned_zone(gray: np.ndarray) -> MrzZone | None:
    """The zone of a page that is not rectified: turned by a quarter to lie near level, then levelled by the
    angle of its text lines and found; its boxes are given back on the quarter-turned image."""
    angle = _text_angle(gray)
    if angle is None:
        return None
    rotation = 90 if abs(angle) > 45 else 0
    skew = (angle + rotation + 45) % 90 - 45
    if rotation == 0 and abs(skew) < SKEW_ONLY:
        return None  # the page lies level: the zone would have been found by its bars
    # A quarter turn either way puts the lines level; the zone is the lowest block of long lines on one of the
    # two, and its lines are the longest of the page.
    found = [(matrix, zone) for turn in ((rotation, 270) if rotation else (0,))
             for level, matrix in [_level(_turn(gray, turn), skew)]
             if (zone := _zone(level, turn)) is not None]
    if not found:
        return None
    matrix, zone = max(found, key=lambda f: sum(box[2] for box in f[1].line_boxes))
    turned = _turn(gray, zone.rotation)
    inverse = cv2.invertAffineTransform(matrix)
    boxes = []
    for x, y, w, h in zone.line_boxes:
        corners = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], np.float64) @ inverse.T
        (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
        boxes.append((round(x0), round(y0), round(x1 - x0), round(y1 - y0)))
    height, width = turned.shape
    return msgspec.structs.replace(
        zone, line_boxes=boxes, skew=skew + zone.skew, left=min(b[0] for b in boxes) / width,
        top=min(b[1] for b in boxes) / height, right=max(b[0] + b[2] for b in boxes) / width,
        bottom=max(b[1] + b[3] for b in boxes) / height)


def locate_mrz(gray: np.ndarray) -> MrzZone | None:
    """The box of the machine-readable zone (relative to the image, 0..1), its lines and likely format; no OCR.
    On a rectified document (right way up or upside down: `read_mrz` turns it over) the zone's bars are found
    directly; on a raw photo of a page turned at any angle, the lines' angle is measured first."""
    return _zone(gray, 0) or _turned_zone(gray)


def _crop(gray: np.ndarray, box: tuple[int, int, int, int], height: int) -> np.ndarray:
    """The line scaled to characters `height` pixels tall, its paper flattened to even white."""
    x, y, w, h = box
    pad_x, pad_y = round(0.03 * w), round(0.45 * h)
    region = gray[max(0, y - pad_y):y + h + pad_y, max(0, x - pad_x):x + w + pad_x]
    factor = height / max(1, h)
    line = cv2.resize(region, None, fx=factor, fy=factor,
                      interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)
    # Flatten the paper (guilloches, gradients, shade) so one threshold fits the whole line: closing the strokes
    # away leaves the background, and the line divided by it is ink on even white.
    paper = cv2.morphologyEx(line, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15)))
    flat: np.ndarray = cv2.divide(line, paper, scale=255)
    return flat


def _fit(text: str, width: int) -> str:
    """Bring a line to its length by lengthening or shortening its longest run of fillers, so that a reading
    with a character too many or too few still shows its fields (it is never valid)."""
    while len(text) != width:
        runs = list(re.finditer(r"<+", text))
        if not runs:
            return text
        run = max(runs, key=lambda m: (m.end() - m.start(), m.start()))
        if len(text) < width:
            text = text[:run.end()] + "<" + text[run.end():]
        else:
            text = text[:run.start()] + text[run.start() + 1:]
    return text


def _own_glyphs(ocr: LineOcr, glyphs: list[np.ndarray], text: list[str], fmt: MrzFormat) -> dict[str, np.ndarray]:
    """The characters as this document prints them: digits where ICAO allows only digits (dates, check digits):
    matched against them, a 0 in the document number is told from an O by the issuer's own 0."""
    samples: dict[str, list[np.ndarray]] = {}
    for line, first, end in DIGIT_POSITIONS[fmt]:
        windows = glyphs[line][first:end]
        for char, window, read in zip(ocr.digits(windows), windows, text[line][first:end], strict=True):
            if read != "<":
                samples.setdefault(char, []).append(window)
    # Letters too, where ICAO allows only letters and the font's glyphs read them sure: an E at the end of a name
    # is told from an F by the issuer's own E and F, printed in its weight, blur and scale.
    for line, first, end in LETTER_POSITIONS[fmt]:
        for window, read in zip(glyphs[line][first:end], text[line][first:end], strict=True):
            if read.isupper() and read.isalpha():
                samples.setdefault(read, []).append(window)
    own = {char: np.mean(vectors, axis=0) for char, vectors in samples.items()}
    return {char: vector / max(1e-6, float(np.linalg.norm(vector))) for char, vector in own.items()}


def _attempt(gray: np.ndarray, zone: MrzZone, height: int, bias: float, ocr: LineOcr, today: dt.date
             ) -> MrzReading:
    glyphs = [ocr.windows(_crop(gray, box, height), bias) for box in zone.line_boxes]
    raw = [ocr.classify(windows) for windows in glyphs]
    if zone.format is None:
        return MrzReading(found=True, lines=raw, problems=["shape"])
    fmt: MrzFormat = zone.format
    if fmt != "TD1":
        # The characters' count decides between TD2 and TD3 better than the box's shape.
        fmt = "TD2" if abs(sum(map(len, raw)) - 72) < abs(sum(map(len, raw)) - 88) else "TD3"
    width = LENGTHS[fmt][1]
    if not all(len(windows) == width for windows in glyphs):
        # A character lost or split shifts everything after it; fillers added or dropped to make up the count
        # could hide that in a name, which no check digit covers: such a reading is shown, never valid.
        reading = parse_mrz([_fit(line, width) for line in raw], today=today)
        return msgspec.structs.replace(reading, valid=False, problems=[*reading.problems, "count"])
    own = _own_glyphs(ocr, glyphs, raw, fmt)
    return parse_mrz([ocr.classify(windows, own) for windows in glyphs], today=today)


def _agree(reading: MrzReading, other: MrzReading) -> bool:
    """Both readings give the same characters wherever no check digit would catch a slip (all but the digit
    positions): a confident misread of a name at one threshold rarely repeats at another."""
    if reading.format is None or reading.format != other.format:
        return False
    digits = {(line, j) for line, first, end in DIGIT_POSITIONS[reading.format] for j in range(first, end)}
    return all(a == b or (i, j) in digits for i, (one, two) in enumerate(zip(reading.lines, other.lines, strict=True))
               for j, (a, b) in enumerate(zip(one, two, strict=True)))


def _faults(reading: MrzReading) -> int:
    return len(reading.problems) + sum(not c.valid for c in reading.check_digits)


def _confirmed(gray: np.ndarray, zone: MrzZone, attempts: tuple[tuple[int, float], ...], ocr: LineOcr,
               today: dt.date) -> tuple[MrzReading | None, MrzReading | None]:
    """A valid reading that the other attempts (at least three in all) confirm and none contradicts, and the
    reading with the fewest faults. Attempts that disagree where no check digit looks end the search: one of
    them may be a confident misread (a K read as a filler inside a surname, at two thresholds of five)."""
    readings: list[MrzReading] = []
    for height, bias in attempts:
        readings.append(_attempt(gray, zone, height, bias, ocr, today))
        comparable = [r for r in readings if r.format is not None and not {"count", "shape"} & set(r.problems)]
        if any(not _agree(one, other) for one in comparable for other in comparable):
            break
        if len(readings) >= min(MIN_PASSES, len(attempts)) and len(comparable) >= 2:
            valid = next((r for r in comparable if r.valid), None)
            if valid is not None:
                return valid, valid
    best = min(readings, key=_faults)
    if best.valid:  # valid, but never confirmed or contradicted: not to be trusted
        best = msgspec.structs.replace(best, valid=False, problems=[*best.problems, "unconfirmed"])
    return None, best


def read_mrz(gray: np.ndarray, zone: MrzZone | None = None, *, ocr: LineOcr, today: dt.date) -> MrzReading:
    """OCR the zone (located when not given) and parse it; `today` decides the century of the dates.

    The zone is read at several scales and thresholds until three readings agree wherever no check digit
    covers them and one of them is valid: a clean zone costs three passes. Without that, the reading with the
    fewest faults, not valid. An upside-down zone is turned over."""
    zone = zone or locate_mrz(gray)
    if zone is None:
        return MrzReading(found=False)
    confirmed: MrzReading | None = None
    best: MrzReading | None = None
    for image, where in _views(gray, zone):
        confirmed, fallback = _confirmed(image, where, ATTEMPTS, ocr, today)
        best = best or fallback
        if confirmed is not None:
            break
    if confirmed is None:
        flipped = (zone.rotation + 180) % 360
        turned = _turn(gray, flipped)
        other = _zone(turned, flipped)
        if other is not None:
            confirmed, _ = _confirmed(*_views(gray, other)[0], ATTEMPTS[:2], ocr, today)
    result = confirmed or best
    assert result is not None
    return result
