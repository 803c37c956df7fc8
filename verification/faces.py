"""Faces with dlib: HOG detection (near misses confirmed by the CNN close up, the CNN on the whole image as
the last fallback), 5-point alignment, 128-d ResNet descriptors.

The models ship inside `face-recognition-models` (public domain); nothing is downloaded, and no stronger
recognition model ships inside a registry package under a licence we could verify allows this use. A
descriptor is the mean of the aligned face chip's and its mirror image's, normalised; faces compare by
cosine distance, mapped to a 0-100 similarity whose anchors are the operating points (OPERATING_POINTS),
derived on calibration folds of LFW and of document-to-selfie pairs (`verification.portraits`) and
reported on the others by `arabesque bench faces --docs`.
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path
from typing import Literal

import cv2
import dlib
import msgspec
import numpy as np

from verification.intake import Limits, decode

COMPARE_SIDE = 1000
"""Both images of a comparison are decoded with their long side at most this (the operating points were
measured so)."""
COMPARE_LIMITS = Limits(max_bytes=15 * 1024 * 1024, min_side=80)
DETECT_SIDE = 640
"""Faces are first looked for with the image's long side at this size (upsampling 0)."""
GREY_CHROMA = 3.5
"""A face chip whose centre's Cr and Cb standard deviations add up to less than this is grey: tinted grey
prints measured 1.0-2.7, washed-out colour prints 4.2 and up, LFW's colour photos 5.0 and up."""
WEAK_MARGIN = -0.6
"""HOG margins from this up to 0 are near misses, looked at again by the CNN detector (`confirm_weak`)."""
CONFIRM_PIXELS = 90_000
"""The CNN detector sees a near miss's neighbourhood (2.4 face widths square) at about this many pixels."""
CNN_PIXELS = 120_000
"""The CNN detector (the fallback) sees the image scaled to about this many pixels. Its memory grows with
the area, about 1.2 KB a pixel: 0.16 MP keeps a worker near 350 MB, where 500 px upsampled once (the
earlier setting, 1 MP) took it to 1.1 GB."""


class FaceModels:
    """The four dlib models; load once per process (they are read-only and thread-safe to read)."""

    def __init__(self, directory: Path | None = None) -> None:
        if directory is None:
            import face_recognition_models

            directory = Path(os.path.dirname(face_recognition_models.__file__)) / "models"
        self.hog = dlib.get_frontal_face_detector()
        self._cnn_path = str(directory / "mmod_human_face_detector.dat")
        self._cnn: dlib.cnn_face_detection_model_v1 | None = None
        self.sp5 = dlib.shape_predictor(str(directory / "shape_predictor_5_face_landmarks.dat"))
        self.sp68 = dlib.shape_predictor(str(directory / "shape_predictor_68_face_landmarks.dat"))
        self.recognizer = dlib.face_recognition_model_v1(str(directory / "dlib_face_recognition_resnet_model_v1.dat"))

    @property
    def cnn(self) -> dlib.cnn_face_detection_model_v1:
        if self._cnn is None:
            self._cnn = dlib.cnn_face_detection_model_v1(self._cnn_path)
        return self._cnn


@functools.cache
def models() -> FaceModels:
    """The per-process copy (a worker process loads them on its first face job, or in warm-up)."""
    return FaceModels()


class Box(msgspec.Struct, frozen=True, kw_only=True):
    """A face rectangle in pixels of the image it was found in, and the detector's confidence (0-100)."""

    left: float
    top: float
    right: float
    bottom: float
    confidence: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def rect(self) -> dlib.rectangle:
        return dlib.rectangle(round(self.left), round(self.top), round(self.right), round(self.bottom))


def _confidence(score: float) -> float:
    """HOG/CNN detector margins (around 0 to 3) as a 0-100 confidence."""
    return round(100.0 / (1.0 + math.exp(-2.5 * (score + 0.5))), 3)


def _hog(rgb: np.ndarray, scale: float, upsample: int, threshold: float) -> list[Box]:
    image = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    rects, scores, _ = models().hog.run(image, upsample, threshold)
    return [Box(left=r.left() / scale, top=r.top() / scale, right=r.right() / scale, bottom=r.bottom() / scale,
                confidence=_confidence(s)) for r, s in zip(rects, scores, strict=True)]


def _cnn(rgb: np.ndarray, pixels: int, offset: tuple[float, float] = (0.0, 0.0)) -> list[Box]:
    """The CNN detector on the image scaled to about `pixels`, boxes in the image's (plus offset) pixels."""
    height, width = rgb.shape[:2]
    scale = math.sqrt(pixels / (height * width))
    image = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR)
    return [Box(left=d.rect.left() / scale + offset[0], top=d.rect.top() / scale + offset[1],
                right=d.rect.right() / scale + offset[0], bottom=d.rect.bottom() / scale + offset[1],
                confidence=_confidence(d.confidence)) for d in models().cnn(image, 0) if d.confidence > 0.0]


def _confirmed(rgb: np.ndarray, attempts: list[tuple[float, int]]) -> list[Box]:
    """HOG's near misses (margin down to WEAK_MARGIN), each kept only if the CNN detector finds a face in
    its neighbourhood seen closely. A printed portrait under halftone and guilloche scores just below
    HOG's threshold, and is too small in the whole frame for the CNN at the pixels it can afford."""
    height, width = rgb.shape[:2]
    candidates = sorted((b for scale, upsample in attempts for b in _hog(rgb, scale, upsample, WEAK_MARGIN)),
                        key=lambda b: b.confidence, reverse=True)
    for box in candidates[:2]:
        half = 1.2 * box.width
        cx, cy = (box.left + box.right) / 2, (box.top + box.bottom) / 2
        x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
        x1, y1 = int(min(width, cx + half)), int(min(height, cy + half))
        if x1 - x0 < 20 or y1 - y0 < 20:
            continue
        found = _cnn(rgb[y0:y1, x0:x1], CONFIRM_PIXELS, offset=(x0, y0))
        if found:
            return found[:1]
    return []


def detect(rgb: np.ndarray, *, fallback: bool = True, min_relative: float = 0.0,
           working_side: int = DETECT_SIDE, confirm_weak: bool = False) -> list[Box]:
    """Faces in an RGB image, largest first. HOG at a working size, then larger; with `confirm_weak`, HOG's
    near misses confirmed by the CNN detector close up; then the CNN detector on the whole image."""
    height, width = rgb.shape[:2]
    longest = max(height, width)
    attempts: list[tuple[float, int]] = []
    if longest > working_side:
        attempts.append((working_side / longest, 0))
        attempts.append((min(1.0, 2 * working_side / longest), 0))
    else:
        attempts += [(1.0, 1 if longest <= 500 else 0), (1.0, 2 if longest <= 500 else 1)]
    boxes: list[Box] = []
    for scale, upsample in attempts:
        boxes = _hog(rgb, scale, upsample, 0.0)  # dlib's own decision threshold
        if boxes:
            break
    if not boxes and confirm_weak:
        boxes = _confirmed(rgb, attempts[-1:] + ([(1.0, 0)] if attempts[-1][0] < 1.0 else []))
    if not boxes and fallback:
        boxes = _cnn(rgb, CNN_PIXELS)
    boxes = [b for b in boxes if b.width >= min_relative * width]
    return sorted(boxes, key=lambda b: b.width * b.height, reverse=True)


def landmarks5(rgb: np.ndarray, box: Box) -> np.ndarray:
    """(5, 2): left eye outer/inner corners, right eye corners, nose base (dlib's 5-point model order)."""
    shape = models().sp5(rgb, box.rect())
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def landmarks68(rgb: np.ndarray, box: Box) -> np.ndarray:
    """(68, 2): the iBUG 300-W points (jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67)."""
    shape = models().sp68(rgb, box.rect())
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


class Variant(msgspec.Struct, frozen=True, kw_only=True):
    """How a found face becomes a descriptor. `VARIANT` is production's; `bench faces --variant NAME`
    measures the others of `VARIANTS` on the same pairs, so a change is chosen by the numbers."""

    name: str
    grey_pairs: bool = False
    """When either image of a pair is grey (a laser-engraved portrait, a black-and-white photo), both sides
    are described in grey: colour the other side has and the portrait cannot have stops counting."""
    equalise: bool = False
    """CLAHE on the aligned chip's lightness: low-contrast prints and dark selfies spread to a common range."""


VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant(name="v1"),
    Variant(name="grey", grey_pairs=True),
    Variant(name="equalise", equalise=True),
    Variant(name="grey_equalise", grey_pairs=True, equalise=True),
)}
VARIANT = VARIANTS["v1"]


def face_chip(rgb: np.ndarray, box: Box) -> np.ndarray:
    """The face aligned on its 5 landmarks: 150x150 with a quarter of padding, what the ResNet reads."""
    shape = models().sp5(rgb, box.rect())
    chip: np.ndarray = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
    return chip


def _equalised(chip: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(chip, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(lab[:, :, 0])
    out: np.ndarray = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    return out


def chip_descriptor(chip: np.ndarray, *, variant: Variant = VARIANT, grey: bool = False) -> np.ndarray:
    """The unit-length mean of the chip's descriptor and its mirror image's (in grey when `grey`)."""
    if grey:
        chip = cv2.cvtColor(cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    if variant.equalise:
        chip = _equalised(chip)
    chips = [np.ascontiguousarray(chip), np.ascontiguousarray(chip[:, ::-1])]
    vectors = list(models().recognizer.compute_face_descriptor(chips))
    mean: np.ndarray = (np.asarray(vectors[0], dtype=np.float64) + np.asarray(vectors[1], dtype=np.float64)) / 2.0
    unit: np.ndarray = mean / np.linalg.norm(mean)
    return unit


def is_grey(chip: np.ndarray) -> bool:
    """No colour in the face beyond a uniform tint: the chroma of the chip's centre barely varies."""
    centre = cv2.cvtColor(chip[30:120, 30:120], cv2.COLOR_RGB2YCrCb).astype(np.float32)
    return float(np.std(centre[:, :, 1]) + np.std(centre[:, :, 2])) < GREY_CHROMA


def descriptor(rgb: np.ndarray, box: Box) -> np.ndarray:
    """The unit-length mean of the face's descriptor and its mirror image's (production's variant)."""
    return chip_descriptor(face_chip(rgb, box))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine distance of two unit descriptors (0 = identical, 2 = opposite)."""
    return float(max(0.0, 1.0 - float(np.dot(a, b))))


class OperatingPoint(msgspec.Struct, frozen=True, kw_only=True):
    """A decision threshold, as cosine distance and as similarity, with its measured error rates."""

    name: str
    distance: float
    similarity: float
    far: float
    frr: float


# Derived with `arabesque bench faces ../shared/data/faces --docs` on 2026-11-28 on the calibration folds only
# (LFW View 2 folds 1 and 2: 600 genuine and 600 impostor pairs as photos, and the same pairs as
# document-to-selfie pairs, pooled: 1,200 genuine, 1,200 impostor; 10 document photos without a face found,
# counted as errors). far/frr are those pooled calibration figures; the report folds' (3 and 6) are in the
# README. review: the distance of highest accuracy; approve: the largest distance with FAR <= 0.1% (1 impostor
# of 1,200, a grey printed portrait); strict: below every calibration impostor.
OPERATING_POINTS: dict[str, OperatingPoint] = {
    "review": OperatingPoint(name="review", distance=0.0893, similarity=60.0, far=0.0108, frr=0.0342),
    "approve": OperatingPoint(name="approve", distance=0.0714, similarity=80.0, far=0.0008, frr=0.1158),
    "strict": OperatingPoint(name="strict", distance=0.0669, similarity=90.0, far=0.0000, frr=0.1567),
}
_ANCHORS = sorted([(0.0, 100.0), *((p.distance, p.similarity) for p in OPERATING_POINTS.values()),
                   (2 * OPERATING_POINTS["review"].distance, 0.0)])


def similarity(dist: float) -> float:
    """Cosine distance as a 0-100 similarity: piecewise linear through the operating points, so that
    similarity 60 is the review point, 80 the approve point (Rekognition's default threshold) and 90 strict."""
    xs = [a for a, _ in _ANCHORS]
    ys = [b for _, b in _ANCHORS]
    return round(float(np.interp(dist, xs, ys)), 3)


FaceVerdict = Literal["match", "review", "mismatch"]


def verdict(score: float) -> FaceVerdict:
    """The one face-match decision: `match` at or above the approve point, `review` at or above the
    review point, `mismatch` below it."""
    if score >= OPERATING_POINTS["approve"].similarity:
        return "match"
    if score >= OPERATING_POINTS["review"].similarity:
        return "review"
    return "mismatch"


class FaceComparison(msgspec.Struct, frozen=True, kw_only=True):
    """The largest face of a reference image against the faces of a probe, best first.

    `reference_faces == 0` means nothing was compared (similarity 0). `distance` is the cosine distance
    when the matcher computes one (dlib), None when it does not (Amazon Rekognition).
    """

    similarity: float
    distance: float | None
    reference_faces: int
    probe_faces: int

    @property
    def verdict(self) -> FaceVerdict:
        return verdict(self.similarity)


def rgb_for_comparison(data: bytes) -> np.ndarray:
    """Decode an image as comparisons do (IntakeError if it cannot be)."""
    bgr, _ = decode(data, limits=COMPARE_LIMITS, max_side=COMPARE_SIDE)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def in_grey(variant: Variant, reference_grey: bool, probe_grey: bool) -> bool:
    """Whether a pair is compared in grey: the variant says so and either face is grey."""
    return variant.grey_pairs and (reference_grey or probe_grey)


def compare(reference: bytes, probe: bytes, *, variant: Variant = VARIANT) -> FaceComparison:
    """The largest face of `reference` (a document or an enrolled selfie) against every face of `probe`."""
    reference_rgb = rgb_for_comparison(reference)
    reference_boxes = detect(reference_rgb, confirm_weak=True)
    if not reference_boxes:
        return FaceComparison(similarity=0.0, distance=None, reference_faces=0, probe_faces=0)
    anchor = face_chip(reference_rgb, reference_boxes[0])
    probe_rgb = rgb_for_comparison(probe)
    probe_boxes = detect(probe_rgb, confirm_weak=True)
    if not probe_boxes:
        return FaceComparison(similarity=0.0, distance=None, reference_faces=len(reference_boxes), probe_faces=0)
    # Only the descriptors the pair uses (each is two ResNet passes).
    anchor_grey = variant.grey_pairs and is_grey(anchor)
    anchors: dict[bool, np.ndarray] = {}
    best = math.inf
    for box in probe_boxes:
        chip = face_chip(probe_rgb, box)
        grey = in_grey(variant, anchor_grey, variant.grey_pairs and is_grey(chip))
        if grey not in anchors:
            anchors[grey] = chip_descriptor(anchor, variant=variant, grey=grey)
        best = min(best, distance(anchors[grey], chip_descriptor(chip, variant=variant, grey=grey)))
    return FaceComparison(similarity=similarity(best), distance=round(best, 5), reference_faces=len(reference_boxes),
                          probe_faces=len(probe_boxes))


__all__ = ["COMPARE_LIMITS", "COMPARE_SIDE", "DETECT_SIDE", "OPERATING_POINTS", "VARIANT", "VARIANTS", "Box",
           "FaceComparison", "FaceModels", "FaceVerdict", "OperatingPoint", "Variant", "chip_descriptor",
           "compare", "descriptor", "detect", "distance", "face_chip", "in_grey", "is_grey", "landmarks5",
           "landmarks68", "models", "rgb_for_comparison", "similarity", "verdict"]
