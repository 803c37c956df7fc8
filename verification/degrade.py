"""Degradations of a captured image at known strengths: blur (defocus, motion), specular glare,
diffuse sheen, exposure; and the simple desk photograph the unit tests start from.

The labelled set built from these and `verification.scenes` is `verification.quality_set`.
"""

from __future__ import annotations

import cv2
import numpy as np

FRAME = (1200, 1600)  # height, width of the simulated phone photo


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


def specular(image: np.ndarray, rng: np.random.Generator, mask: np.ndarray, share: float) -> np.ndarray:
    """A clipped highlight covering about `share` of the document given by `mask`, with a soft halo."""
    ys, xs = np.nonzero(mask > 127)
    i = int(rng.integers(0, len(xs)))
    centre = (int(xs[i] * 0.6 + xs.mean() * 0.4), int(ys[i] * 0.6 + ys.mean() * 0.4))
    ry = np.sqrt(share * len(xs) / (np.pi * 1.8))
    core = np.zeros(mask.shape, np.float32)
    cv2.ellipse(core, centre, (int(1.8 * ry), int(ry)), float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    halo = cv2.GaussianBlur(core, (0, 0), ry * 0.5 + 1) * 0.6
    light = (np.clip(cv2.GaussianBlur(core, (0, 0), 2) + halo, 0, 1) * (mask > 127))[:, :, None]
    lit: np.ndarray = np.clip(image * (1 - light) + 255 * light, 0, 255).astype(np.uint8)
    return lit


def sheen(image: np.ndarray, rng: np.random.Generator, mask: np.ndarray, strength: float) -> np.ndarray:
    """Diffuse sheen over part of the document: brightness lifted towards a veil and contrast lost by
    `strength` (0-1), never clipped (the veil stays under 240)."""
    ys, xs = np.nonzero(mask > 127)
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    centre = (int(rng.uniform(x0 + 0.3 * (x1 - x0), x1 - 0.3 * (x1 - x0))),
              int(rng.uniform(y0 + 0.3 * (y1 - y0), y1 - 0.3 * (y1 - y0))))
    axes = (int(rng.uniform(0.25, 0.4) * (x1 - x0)), int(rng.uniform(0.3, 0.5) * (y1 - y0)))
    drawn = np.zeros(mask.shape, np.float32)
    cv2.ellipse(drawn, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    veil = cv2.GaussianBlur(drawn, (0, 0), max(axes) * 0.25) * (mask > 127)
    alpha = (strength * veil)[:, :, None]
    level = float(rng.uniform(215, 232))
    out: np.ndarray = np.clip(image * (1 - alpha) + level * alpha, 0, 239).astype(np.uint8)
    return np.where(alpha > 0.01, out, image).astype(np.uint8)


def exposure(image: np.ndarray, gain: float) -> np.ndarray:
    exposed: np.ndarray = np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return exposed


__all__ = ["add_glare", "exposure", "gaussian_blur", "motion_blur", "photograph", "sheen", "specular"]
