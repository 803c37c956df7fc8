"""Build a labelled quality set: document specimens photographed synthetically, then degraded
by known transforms at graded strengths (blur, glare, crop, exposure, resolution).

Each generated image carries a label per check: 1 = the check should fail, 0 = it should
pass. Mild strengths are labelled 0 (a good capture is not perfect), strong ones 1; the
ambiguous middle is not generated. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import cv2
import msgspec
import numpy as np

COLUMNS = ("blurred", "glare", "cut_off", "too_dark", "overexposed", "no_document", "low_resolution")
FRAME = (1200, 1600)  # height, width of the simulated phone photo


class Sample(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    labels: dict[str, int]


def _background(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    height, width = shape
    base = rng.integers(20, 90, 3)
    gradient = np.linspace(0.8, 1.2, width)[None, :, None]
    image = np.ones((height, width, 3)) * base[None, None, :] * gradient
    image += rng.normal(0, 4, (height, width, 1))
    for _ in range(int(rng.integers(0, 4))):  # a few out-of-focus objects on the desk
        center = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(image, center, int(rng.integers(20, 90)), tuple(float(c) for c in rng.integers(30, 120, 3)), -1)
    return np.clip(cv2.GaussianBlur(image, (0, 0), 3), 0, 255).astype(np.uint8)


def photograph(document: np.ndarray, rng: np.random.Generator, *, doc_width: int = 1000,
               frame: tuple[int, int] = FRAME, offset: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The document lying on a desk, slightly rotated and in perspective, as a phone would capture it."""
    height, width = frame
    scene = _background(rng, frame)
    h, w = document.shape[:2]
    doc = cv2.resize(document, (doc_width, round(doc_width * h / w)), interpolation=cv2.INTER_AREA)
    # A camera exposes matte paper well below clipping, under light that falls off across the card.
    light = np.linspace(rng.uniform(0.9, 0.97), rng.uniform(0.97, 1.04), doc.shape[1])[None, :, None]
    doc = np.clip(doc.astype(np.float32) * 0.84 * light + 6, 0, 255).astype(np.uint8)
    dh, dw = doc.shape[:2]
    cx = width / 2 + offset[0] * width
    cy = height / 2 + offset[1] * height
    angle = np.deg2rad(rng.uniform(-6, 6))
    corners = np.array([(-dw / 2, -dh / 2), (dw / 2, -dh / 2), (dw / 2, dh / 2), (-dw / 2, dh / 2)])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target = corners @ rotation.T + (cx, cy) + rng.normal(0, dw * 0.01, (4, 2))
    source = np.array([(0, 0), (dw, 0), (dw, dh), (0, dh)], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, target.astype(np.float32))
    warped = cv2.warpPerspective(doc, matrix, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((dh, dw), 255, np.uint8), matrix, (width, height))
    scene[mask > 127] = warped[mask > 127]
    noisy = scene.astype(np.float32) + rng.normal(0, 2.0, scene.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma)


def motion_blur(image: np.ndarray, length: int, angle: float) -> np.ndarray:
    line = np.zeros((length, length), np.float32)
    line[length // 2, :] = 1.0
    rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    kernel = cv2.warpAffine(line, rotation, (length, length))
    return cv2.filter2D(image, -1, kernel / kernel.sum())


def add_glare(image: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """A specular highlight covering about `share` of the document (the central 60% of the frame)."""
    height, width = image.shape[:2]
    area = share * 0.45 * height * width
    ry = np.sqrt(area / (np.pi * 1.8))
    rx = 1.8 * ry
    center = (int(width * rng.uniform(0.4, 0.6)), int(height * rng.uniform(0.4, 0.6)))
    outer = np.zeros((height, width), np.float32)
    cv2.ellipse(outer, center, (int(rx * 1.6), int(ry * 1.6)), float(rng.uniform(0, 180)), 0, 360, 0.55, -1)
    glow = cv2.GaussianBlur(outer, (0, 0), ry * 0.6 + 1)
    inner = np.zeros((height, width), np.float32)
    cv2.ellipse(inner, center, (int(rx), int(ry)), float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    core = cv2.GaussianBlur(inner, (0, 0), 2)
    light = np.clip(glow + core, 0, 1)[:, :, None]
    lit: np.ndarray = np.clip(image * (1 - light) + 255 * light, 0, 255).astype(np.uint8)
    return lit


def exposure(image: np.ndarray, gain: float) -> np.ndarray:
    exposed: np.ndarray = np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return exposed


UNLABELLED = -1


def _labels(sharp_base: bool = True, **positive: int) -> dict[str, int]:
    labels = {column: positive.get(column, 0) for column in COLUMNS}
    if not sharp_base and "blurred" not in positive:
        labels["blurred"] = UNLABELLED  # an upscaled small scan is soft already: no claim about its sharpness
    return labels


def variants(document: np.ndarray, rng: np.random.Generator) -> Iterator[tuple[str, np.ndarray, dict[str, int]]]:
    """Every degradation of one document, with its labels (-1 = not labelled)."""
    native = document.shape[1]
    sharp_base = native >= 700  # photographed without enlarging it, so the clean capture is really sharp
    width = min(1000, native) if sharp_base else 1000

    def _labels_here(**positive: int) -> dict[str, int]:
        return _labels(sharp_base, **positive)

    clean = photograph(document, rng, doc_width=width)
    yield "clean", clean, _labels_here()
    yield "blur_mild", gaussian_blur(clean, 0.7), _labels_here()
    yield "blur_strong", gaussian_blur(clean, 3.0), _labels_here(blurred=1)
    yield "blur_severe", gaussian_blur(clean, 6.0), _labels_here(blurred=1)
    yield "motion_strong", motion_blur(clean, 25, float(rng.uniform(0, 180))), _labels_here(blurred=1)
    yield "glare_small", add_glare(clean, rng, 0.002), _labels_here()
    yield "glare_strong", add_glare(clean, rng, 0.06), _labels_here(glare=1)
    yield "glare_severe", add_glare(clean, rng, 0.15), _labels_here(glare=1)
    yield "dark_mild", exposure(clean, 0.8), _labels_here()
    yield "dark_strong", exposure(clean, 0.25), _labels_here(too_dark=1)
    yield "bright_mild", exposure(clean, 1.1), _labels_here()
    yield "bright_strong", exposure(clean, 3.0), _labels_here(overexposed=1)
    yield "near_edge", photograph(document, rng, doc_width=width, offset=(0.1, 0.0)), _labels_here()
    yield "cut_side", photograph(document, rng, doc_width=width, offset=(0.36, 0.0)), _labels_here(cut_off=1)
    yield "cut_corner", photograph(document, rng, doc_width=width, offset=(0.3, 0.3)), _labels_here(cut_off=1)
    yield "small_ok", photograph(document, rng, doc_width=min(width, 700)), _labels_here()
    small = photograph(document, rng, doc_width=340, frame=(480, 640))
    yield "low_resolution", small, _labels_here(low_resolution=1)
    yield "no_document", _background(rng, FRAME), {c: (1 if c == "no_document" else UNLABELLED) for c in COLUMNS}


def build(documents: list[Path], out: Path, *, seed: int = 20261125) -> list[Sample]:
    """Write every variant of every document into `out` with a labels.csv (`path` + one column per check)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    samples: list[Sample] = []
    for source in documents:
        document = cv2.imread(str(source), cv2.IMREAD_COLOR)
        if document is None:
            continue
        for kind, image, labels in variants(document, rng):
            name = f"{source.stem}__{kind}.jpg"
            cv2.imwrite(str(out / name), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            samples.append(Sample(name=name, labels=labels))
    with (out / "labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", *COLUMNS])
        for sample in samples:
            writer.writerow([sample.name, *("" if sample.labels[c] == UNLABELLED else sample.labels[c]
                                            for c in COLUMNS)])
    return samples


def usable_documents(root: Path) -> list[Path]:
    """Specimens from documents/labels.csv that are whole documents (scans and figures, one page)."""
    chosen: list[Path] = []
    with (root / "labels.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["capture"] not in ("scan", "graphic"):
                continue
            image = cv2.imread(str(root / row["path"]), cv2.IMREAD_REDUCED_GRAYSCALE_2)
            if image is None:
                continue
            ratio = max(image.shape) / min(image.shape)
            if 1.25 <= ratio <= 1.8:
                chosen.append(root / row["path"])
    return chosen


__all__ = ["COLUMNS", "Sample", "add_glare", "build", "exposure", "gaussian_blur", "motion_blur", "photograph",
           "usable_documents", "variants"]
