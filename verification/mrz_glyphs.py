"""Reading an MRZ line by matching its characters against the OCR-B font (Debian's fonts-ocr-b).

Every MRZ is printed in OCR-B at a fixed pitch, so a line splits into one connected blob per character and
each blob is matched against the 37 glyphs of the alphabet rendered from the font, placed in the line's
band the same way (digits stand taller than letters in OCR-B, the filler `<` lower: the band keeps that).
Tesseract's English model reads the filler as K, E or R and loses count of it; this does not.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["OCRB_FONT", "OcrbLines", "segment", "without_rules"]

OCRB_FONT = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
SIZE = 24  # side of the square a glyph is compared in, pixels
CAP_PER_PITCH = 0.99  # an OCR-B capital is about as tall as the characters are spaced
MIN_SCORE = 0.7  # cosine similarity to the best glyph
# Offsets (window pixels, x and y) at which each glyph is matched; a window scores its best. Up and down only:
# the band places a character within ~1/24 of its height (a bolder face sits differently: T read as Y), while
# sideways offsets let an F pass for an E (measured: sideways 12 specimens of 19, up and down 14, both 13).
SHIFTS = tuple((0.0, dy) for dy in (-1.0, -0.5, 0.0, 0.5, 1.0))
MIN_MARGIN = 0.07  # over the second best, per unit of distance between the two glyphs
# Fits of the characters' middle line (degree, tolerance in cap heights): straight twice, then bent.
BAND_FITS = ((1, 0.12), (1, 0.12), (2, 0.15), (2, 0.12))
Blob = tuple[int, int, int, int, int]  # label, left, top, right, bottom (exclusive)
Band = tuple[float, float, float, float]  # the characters' middle line (a parabola: x^2, x, 1), cap height


def _window(dark: np.ndarray, labels: np.ndarray, blob: Blob, top: float, bottom: float) -> np.ndarray:
    """The blob's grey ink (`dark`: 0 paper .. 1 ink, within a pixel of the blob: anti-aliased edges keep the
    detail a threshold loses at small sizes) in a square centred on it, spanning the line's band."""
    label, left, _, right, _ = blob
    cap = bottom - top
    half = 0.6 * cap
    centre = (left + right) / 2
    y0, y1 = round(top - 0.2 * cap), round(bottom + 0.2 * cap)
    x0, x1 = round(centre - half - 0.1 * cap), round(centre + half + 0.1 * cap)
    canvas = np.zeros((y1 - y0, x1 - x0), np.float32)
    sy0, sy1, sx0, sx1 = max(0, y0), min(labels.shape[0], y1), max(0, x0), min(labels.shape[1], x1)
    near = cv2.dilate((labels[sy0:sy1, sx0:sx1] == label).astype(np.uint8), np.ones((3, 3), np.uint8))
    canvas[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = dark[sy0:sy1, sx0:sx1] * near
    small = cv2.GaussianBlur(cv2.resize(canvas, (SIZE, SIZE), interpolation=cv2.INTER_AREA), (3, 3), 0).ravel()
    small -= small.mean()
    norm = float(np.linalg.norm(small))
    return small / norm if norm > 0 else small


def segment(ink: np.ndarray) -> tuple[np.ndarray, list[Blob], Band]:
    """Connected blobs of a binarised line (ink = nonzero), left to right, with fragments of one character
    merged and touching characters split; plus the line's band (its baseline may slope)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats((ink > 0).astype(np.uint8), connectivity=8)
    if count < 2:
        return labels, [], (0.0, 0.0, 0.0, 0.0)
    tall = float(np.percentile(stats[1:, cv2.CC_STAT_HEIGHT], 75))
    blobs: list[Blob] = []
    for label in np.argsort(stats[1:, cv2.CC_STAT_LEFT]) + 1:
        x, y, w, h = (int(v) for v in stats[label, :4])
        if h < 0.3 * tall and w < 0.3 * tall:
            continue  # a speck of noise
        if blobs and x < blobs[-1][3] - 0.4 * min(w, blobs[-1][3] - blobs[-1][1]):
            last = blobs.pop()  # overlaps the previous blob: a broken character, one label for both
            labels[labels == label] = last[0]
            blobs.append((last[0], min(last[1], x), min(last[2], y), max(last[3], x + w), max(last[4], y + h)))
            continue
        blobs.append((int(label), x, y, x + w, y + h))
    main = [b for b in blobs if b[4] - b[2] >= 0.6 * tall]
    centres = np.array([(b[1] + b[3]) / 2 for b in main])
    # The band's height follows from the pitch (fixed in OCR-B: a capital is ~0.99 pitch tall), so a line of
    # digits (taller than capitals) and a line of letters are scaled alike.
    pitch = float(np.median(np.diff(centres))) if len(main) >= 8 else tall
    cap = CAP_PER_PITCH * pitch
    # The band follows the characters' middles: fillers sit higher than capitals on the baseline, so a line of
    # letters then fillers would tilt a fitted baseline; their middles differ by a few percent of the height.
    middles = np.array([(b[2] + b[4]) / 2 for b in main], np.float64)
    fit = np.array([0.0, 0.0, float(np.median(middles))])
    # A slanted line: fit, then again without the blobs that sit off it; a line bent with its page (a photo
    # of a booklet) then as a parabola, which the blobs at its ends pull into place one pass after another.
    for degree, tolerance in BAND_FITS:
        near = np.abs(middles - np.polyval(fit, centres)) < tolerance * cap
        if near.sum() >= 8 * degree:
            fit = np.concatenate([np.zeros(2 - degree), np.polyfit(centres[near], middles[near], degree)])
    band = (float(fit[0]), float(fit[1]), float(fit[2]), cap)
    # Parts of the lines above and below that the crop caught lie outside the band.
    kept = [b for b in blobs if _band(band, b)[0] - 0.2 * cap <= (b[2] + b[4]) / 2 <= _band(band, b)[1]]
    kept = _merge_fragments(labels, kept, pitch)
    # A mark apart from the line's ends (a card's edge, a frame) is no character: the pitch leaves no gap.
    while len(kept) > 2 and (kept[1][1] + kept[1][3] - kept[0][1] - kept[0][3]) / 2 > 1.7 * pitch:
        kept.pop(0)
    while len(kept) > 2 and (kept[-1][1] + kept[-1][3] - kept[-2][1] - kept[-2][3]) / 2 > 1.7 * pitch:
        kept.pop()
    return labels, _split_wide(labels, kept, pitch), band


def without_rules(ink: np.ndarray, across: int, down: int) -> np.ndarray:
    """The ink (nonzero) as 0/1 without straight rules at least `across` pixels long or `down` pixels tall: a
    frame drawn round the zone or a card's edge would join the characters it touches into one blob (or the
    zone's lines into one bar). The ink is thickened across a rule first, so one that leans a little counts."""
    mask = (ink > 0).astype(np.uint8)
    rules = _long_runs(cv2.dilate(mask, np.ones((5, 1), np.uint8)), (across | 1, 1))
    rules |= _long_runs(cv2.dilate(mask, np.ones((1, 5), np.uint8)), (1, down | 1))
    out: np.ndarray = mask * ~rules
    return out


def _long_runs(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Where `mask` (0/1) has runs filling a line of `size` (width, height: odd), as booleans: an opening by
    that line, made of two running sums (cv2's opening by a long line costs ~1 ms a line crop). As in cv2's
    opening, ink is taken to go on beyond the image: a rule the crop cuts off still counts."""
    pad_x, pad_y = size[0] // 2, size[1] // 2
    padded = cv2.copyMakeBorder(mask, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_CONSTANT, value=1)
    sums = cv2.boxFilter(padded, cv2.CV_16U, size, normalize=False, borderType=cv2.BORDER_CONSTANT)
    sums = sums[pad_y:pad_y + mask.shape[0], pad_x:pad_x + mask.shape[1]]
    full = (sums >= size[0] * size[1]).astype(np.uint8)
    if not full.any():
        return np.zeros(mask.shape, bool)
    runs: np.ndarray = cv2.boxFilter(full, cv2.CV_16U, size, normalize=False, borderType=cv2.BORDER_CONSTANT) > 0
    return runs


def _band(band: Band, blob: Blob) -> tuple[float, float]:
    bend, slope, intercept, cap = band
    centre = (blob[1] + blob[3]) / 2
    middle = (bend * centre + slope) * centre + intercept
    return middle - cap / 2, middle + cap / 2


def _merge_fragments(labels: np.ndarray, blobs: list[Blob], pitch: float) -> list[Blob]:
    """Neighbours that fit in one pitch together are one character broken in two (a W's thin joins); two
    characters, even narrow ones (I1), span more than a pitch."""
    out: list[Blob] = []
    for blob in blobs:
        if out and blob[3] - out[-1][1] <= 0.95 * pitch:
            last = out.pop()
            labels[labels == blob[0]] = last[0]
            out.append((last[0], last[1], min(last[2], blob[2]), blob[3], max(last[4], blob[4])))
        else:
            out.append(blob)
    return out


def _split_wide(labels: np.ndarray, blobs: list[Blob], pitch: float) -> list[Blob]:
    """Characters that touch (fillers, mostly, at low resolution) split at the pitch."""
    out: list[Blob] = []
    fresh = int(labels.max()) + 1
    for label, left, top, right, bottom in blobs:
        parts = round((right - left) / pitch) if right - left > 1.4 * pitch else 1
        if parts <= 1:
            out.append((label, left, top, right, bottom))
            continue
        step = (right - left) / parts
        for k in range(parts):
            x0, x1 = round(left + k * step), round(left + (k + 1) * step)
            block = labels[:, x0:x1]
            block[block == label] = fresh
            out.append((fresh, x0, top, x1, bottom))
            fresh += 1
    return out


def _templates(font_path: str) -> np.ndarray:
    font = ImageFont.truetype(font_path, 64)
    line = Image.new("L", (60 * len(ALPHABET), 110), 0)
    ImageDraw.Draw(line).text((20, 10), ALPHABET, font=font, fill=255)
    _, _, band = segment(np.asarray(line) > 127)  # the band as a printed line gives it
    vectors = []
    for char in ALPHABET:
        image = Image.new("L", (110, 110), 0)
        ImageDraw.Draw(image).text((20, 10), char, font=font, fill=255)
        dark = np.asarray(image, np.float32) / 255
        labels, blobs, _ = segment(dark > 0.5)
        for label, *_ in blobs[1:]:
            labels[labels == label] = blobs[0][0]
        left, right = min(b[1] for b in blobs), max(b[3] for b in blobs)
        blob = (blobs[0][0], left, min(b[2] for b in blobs), right, max(b[4] for b in blobs))
        vectors.append(_window(dark, labels, blob, *_band(band, blob)))
    return np.stack(vectors)


def _shifted(templates: np.ndarray) -> np.ndarray:
    """The glyphs moved by each of SHIFTS (a fraction of a pixel of the window: where the band puts a
    character is uncertain by about that much), normalised again: shifts x glyphs x SIZE*SIZE."""
    out = []
    for dx, dy in SHIFTS:
        move = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
        glyphs = np.stack([cv2.warpAffine(t.reshape(SIZE, SIZE), move, (SIZE, SIZE), flags=cv2.INTER_LINEAR).ravel()
                           for t in templates])
        glyphs -= glyphs.mean(axis=1, keepdims=True)
        out.append(glyphs / np.maximum(1e-6, np.linalg.norm(glyphs, axis=1, keepdims=True)))
    return np.stack(out)


class OcrbLines:
    """Reads MRZ lines (grey, dark ink on even paper) by template matching; holds the 37 rendered glyphs."""

    def __init__(self, font_path: str = OCRB_FONT) -> None:
        # Kept transposed and contiguous, one small matrix per offset: a product with a transposed view, or one
        # with all the offsets at once, takes OpenBLAS's threaded path (~8-30 ms instead of ~0.02 ms).
        templates = _templates(font_path)
        shifted = _shifted(templates)
        self._columns = [np.ascontiguousarray(glyphs.T) for glyphs in shifted]
        self._digit_columns = [np.ascontiguousarray(glyphs[26:36].T) for glyphs in shifted]
        self._distances = np.maximum(1e-6, np.linalg.norm(templates[:, None] - templates[None], axis=2))

    def _scores(self, windows: np.ndarray, columns: list[np.ndarray]) -> np.ndarray:
        """Each window's similarity to each glyph at the best of the glyph's sub-pixel offsets."""
        scores: np.ndarray = windows @ columns[0]
        for more in columns[1:]:
            np.maximum(scores, windows @ more, out=scores)
        return scores

    def windows(self, line: np.ndarray, bias: float = 0.0) -> np.ndarray:
        """One normalised glyph vector per character of a grey line (dark ink on even paper), left to right
        (n x SIZE*SIZE); characters are told apart at Otsu's threshold moved by `bias` grey levels."""
        otsu, _ = cv2.threshold(line, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        # A line crop is ~1.9 characters tall: a run 1.6 crop heights long spans three characters (no OCR-B stroke
        # does), and one 0.9 crop heights tall is taller than any character.
        height = line.shape[0]
        labels, blobs, band = segment(without_rules(line < otsu + bias, round(1.6 * height), round(0.9 * height)))
        if not blobs:
            return np.zeros((0, SIZE * SIZE), np.float32)
        dark = np.clip((255.0 - line.astype(np.float32)) / 255.0, 0.0, 1.0)
        return np.stack([_window(dark, labels, blob, *_band(band, blob)) for blob in blobs])

    def classify(self, windows: np.ndarray, own: dict[str, np.ndarray] | None = None) -> str:
        """The characters of the glyph vectors; `own` adds templates taken from the document itself (a class
        scores its better match). An unsure character comes back in lower case."""
        scores = self._scores(windows, self._columns)
        for char, template in (own or {}).items():
            column = ALPHABET.index(char)
            scores[:, column] = np.maximum(scores[:, column], windows @ template)
        order = np.argsort(scores, axis=1)
        best, second = order[:, -1], order[:, -2]
        rows = np.arange(len(scores))
        # The margin is weighed by how far apart the two glyphs are: T and Y differ in few pixels, so a small
        # margin between them means more than the same margin between T and O.
        margin = (scores[rows, best] - scores[rows, second]) / self._distances[best, second]
        sure = (scores[rows, best] >= MIN_SCORE) & (margin >= MIN_MARGIN)
        return "".join(ALPHABET[i] if ok else ALPHABET[i].lower() for i, ok in zip(best, sure, strict=True))

    def digits(self, windows: np.ndarray) -> str:
        """The best digit for each glyph vector (for positions ICAO fixes as digits)."""
        return "".join(ALPHABET[26 + i] for i in np.argmax(self._scores(windows, self._digit_columns), axis=1))

    def __call__(self, line: np.ndarray) -> str:
        return self.classify(self.windows(line))
