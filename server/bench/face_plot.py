"""The ROC curve of `bench faces` as a PNG: TAR against FAR on a log axis."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def plot_roc(path: Path, genuine: np.ndarray, impostor: np.ndarray) -> None:
    size, pad = 600, 60
    canvas = np.full((size + 2 * pad, size + 2 * pad, 3), 255, np.uint8)
    cv2.rectangle(canvas, (pad, pad), (pad + size, pad + size), (0, 0, 0), 1)
    thresholds = np.unique(np.concatenate([genuine, impostor, [np.inf]]))
    points = []
    for t in thresholds:
        far = float(np.mean(impostor <= t))
        tar = float(np.mean(genuine <= t))
        x = pad + int(np.clip((np.log10(max(far, 1e-4)) + 4) / 4, 0, 1) * size)
        points.append((x, pad + size - int(tar * size)))
    cv2.polylines(canvas, [np.array(points, np.int32)], False, (180, 60, 20), 2, cv2.LINE_AA)
    for exponent in range(-4, 1):
        x = pad + int((exponent + 4) / 4 * size)
        cv2.line(canvas, (x, pad + size), (x, pad + size + 6), (0, 0, 0), 1)
        cv2.putText(canvas, f"1e{exponent}", (x - 18, pad + size + 22), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
    for tar in (0.9, 0.95, 1.0):
        y = pad + size - int(tar * size)
        cv2.putText(canvas, f"{tar:.2f}", (8, y + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
    cv2.putText(canvas, "ROC: TAR vs FAR (log)", (pad, pad - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
    cv2.imwrite(str(path), canvas)


__all__ = ["plot_roc"]
