"""Faces with dlib: HOG detection (CNN fallback), 5-point alignment, 128-d ResNet descriptors.

The models ship inside `face-recognition-models` (public domain); nothing is
downloaded. A descriptor is the mean of the aligned face chip and its mirror image,
normalised; faces compare by cosine distance, mapped to a 0-100 similarity whose
anchors are the operating points measured on LFW (see OPERATING_POINTS).
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


def detect(rgb: np.ndarray, *, fallback: bool = True, min_relative: float = 0.0,
           working_side: int = DETECT_SIDE) -> list[Box]:
    """Faces in an RGB image, largest first. HOG at a working size, then upsampled, then the CNN detector."""
    m = models()
    height, width = rgb.shape[:2]
    longest = max(height, width)
    attempts: list[tuple[float, int]] = []
    if longest > working_side:
        attempts.append((working_side / longest, 0))
        attempts.append((min(1.0, 2 * working_side / longest), 0))
    else:
        attempts += [(1.0, 1 if longest <= 500 else 0), (1.0, 2 if longest <= 500 else 1)]
    for scale, upsample in attempts:
        image = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        rects, scores, _ = m.hog.run(image, upsample, 0.0)  # dlib's own decision threshold
        boxes = [Box(left=r.left() / scale, top=r.top() / scale, right=r.right() / scale, bottom=r.bottom() / scale,
                     confidence=_confidence(s)) for r, s in zip(rects, scores, strict=True)]
        if boxes:
            break
    else:
        boxes = []
        if fallback:
            scale = math.sqrt(CNN_PIXELS / (height * width))
            image = cv2.resize(rgb, None, fx=scale, fy=scale,
                               interpolation=cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR)
            found = m.cnn(image, 0)
            boxes = [Box(left=d.rect.left() / scale, top=d.rect.top() / scale, right=d.rect.right() / scale,
                         bottom=d.rect.bottom() / scale, confidence=_confidence(d.confidence))
                     for d in found if d.confidence > 0.0]
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


def descriptor(rgb: np.ndarray, box: Box) -> np.ndarray:
    """The unit-length mean of the face's descriptor and its mirror image's."""
    m = models()
    shape = m.sp5(rgb, box.rect())
    chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
    plain, mirrored = m.recognizer.compute_face_descriptor([chip, np.ascontiguousarray(chip[:, ::-1])])
    mean: np.ndarray = (np.asarray(plain, dtype=np.float64) + np.asarray(mirrored, dtype=np.float64)) / 2.0
    unit: np.ndarray = mean / np.linalg.norm(mean)
    return unit


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


# Measured with `arabesque bench faces ../shared/data/faces` on 2026-11-25 (LFW View 2 folds 1-3 and part of 6:
# 1,000 genuine and 1,000 impostor pairs, 0 failures to detect). review: the distance with the highest accuracy
# (99.15%); approve: the largest distance with FAR <= 0.1% (1 impostor in 1,000); strict: below every impostor.
OPERATING_POINTS: dict[str, OperatingPoint] = {
    "review": OperatingPoint(name="review", distance=0.0865, similarity=60.0, far=0.0050, frr=0.0120),
    "approve": OperatingPoint(name="approve", distance=0.0789, similarity=80.0, far=0.0010, frr=0.0240),
    "strict": OperatingPoint(name="strict", distance=0.0763, similarity=90.0, far=0.0000, frr=0.0340),
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


def compare(reference: bytes, probe: bytes) -> FaceComparison:
    """The largest face of `reference` (a document or an enrolled selfie) against every face of `probe`."""
    reference_rgb = rgb_for_comparison(reference)
    reference_boxes = detect(reference_rgb)
    if not reference_boxes:
        return FaceComparison(similarity=0.0, distance=None, reference_faces=0, probe_faces=0)
    anchor = descriptor(reference_rgb, reference_boxes[0])
    probe_rgb = rgb_for_comparison(probe)
    probe_boxes = detect(probe_rgb)
    if not probe_boxes:
        return FaceComparison(similarity=0.0, distance=None, reference_faces=len(reference_boxes), probe_faces=0)
    best = min(distance(anchor, descriptor(probe_rgb, box)) for box in probe_boxes)
    return FaceComparison(similarity=similarity(best), distance=round(best, 5), reference_faces=len(reference_boxes),
                          probe_faces=len(probe_boxes))


__all__ = ["COMPARE_LIMITS", "COMPARE_SIDE", "DETECT_SIDE", "OPERATING_POINTS", "Box", "FaceComparison",
           "FaceModels", "FaceVerdict", "OperatingPoint", "compare", "descriptor", "detect", "distance",
           "landmarks5", "landmarks68", "models", "rgb_for_comparison", "similarity", "verdict"]
