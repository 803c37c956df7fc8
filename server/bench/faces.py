"""`arabesque bench faces DIR`: face verification error rates and speed on a pairs list.

DIR holds `pairs.csv` (`left,right,same`, paths relative to DIR). Every image goes through
the production path (intake decode, detection with fallbacks, mirrored descriptor); a pair
with an undetected face is an error at every threshold, never skipped.
"""

from __future__ import annotations

import csv
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from server.bench.stats import percentiles
from verification.faces import OPERATING_POINTS, descriptor, detect, distance, models, similarity
from verification.intake import decode


def _embed(path: str) -> tuple[str, np.ndarray | None, float]:
    """The descriptor of the labelled person: LFW centres them, so the face nearest the centre."""
    start = time.perf_counter()
    bgr, _ = decode(Path(path).read_bytes(), max_side=1600)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    height, width = rgb.shape[:2]
    faces = sorted(detect(rgb), key=lambda b: ((b.left + b.right - width) ** 2 + (b.top + b.bottom - height) ** 2))
    vector = descriptor(rgb, faces[0]) if faces else None
    return path, vector, (time.perf_counter() - start) * 1000


def twelve_megapixel(path: str) -> bytes:
    """A 4000x3000 JPEG with the image enlarged into it, a face the size a phone selfie has."""
    image = cv2.imread(path)
    if image is None:
        raise ValueError(f"Expected an image at {path}, got nothing OpenCV can read")
    canvas = np.full((3000, 4000, 3), 90, np.uint8)
    face = cv2.resize(image, (2400, 2400), interpolation=cv2.INTER_CUBIC)
    canvas[300:2700, 800:3200] = face[:2400, :2400]
    ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return encoded.tobytes()


def _compare_12mp(pairs: list[tuple[Path, Path, int]], count: int) -> list[float]:
    """CompareFaces (the production path) on two 12 MP photos, timed in this process."""
    from server.rekognition.mapping import compare_faces

    timings = []
    for left, right, _ in pairs[:count]:
        source, target = twelve_megapixel(str(left)), twelve_megapixel(str(right))
        start = time.perf_counter()
        compare_faces(source, target, threshold=0.0)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def _compare(left: str, right: str) -> float:
    """One full comparison from bytes, as CompareFaces does it."""
    start = time.perf_counter()
    _, a, _ = _embed(left)
    _, b, _ = _embed(right)
    if a is not None and b is not None:
        distance(a, b)
    return (time.perf_counter() - start) * 1000


def _warm() -> None:
    models()


def roc_auc(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Probability that a genuine pair is closer than an impostor pair (Mann-Whitney U)."""
    scores = np.concatenate([-genuine, -impostor])
    order = scores.argsort().argsort() + 1.0
    rank_sum = order[: len(genuine)].sum()
    return float((rank_sum - len(genuine) * (len(genuine) + 1) / 2) / (len(genuine) * len(impostor)))


def _plot(path: Path, genuine: np.ndarray, impostor: np.ndarray) -> None:
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


def run(directory: Path, *, workers: int = 2, timing_pairs: int = 40, plot: Path | None = None) -> dict[str, object]:
    with (directory / "pairs.csv").open(newline="") as handle:
        pairs = [(directory / r["left"], directory / r["right"], int(r["same"])) for r in csv.DictReader(handle)]
    images = sorted({str(p) for left, right, _ in pairs for p in (left, right)})
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_warm) as pool:
        embedded = {path: vector for path, vector, _ in pool.map(_embed, images, chunksize=8)}
        step = max(1, len(pairs) // timing_pairs)
        sample = pairs[::step][:timing_pairs]
        start = time.perf_counter()
        list(pool.map(_compare, [str(a) for a, _, _ in sample], [str(b) for _, b, _ in sample]))
        throughput = len(sample) / (time.perf_counter() - start)
    _warm()
    single = [_compare(str(a), str(b)) for a, b, _ in sample[: max(10, timing_pairs // 2)]]
    large = _compare_12mp(sample, 10)
    failures = sum(1 for vector in embedded.values() if vector is None)
    def pair_distance(left: np.ndarray | None, right: np.ndarray | None) -> float:
        return distance(left, right) if left is not None and right is not None else np.inf

    dist = np.array([pair_distance(embedded[str(a)], embedded[str(b)]) for a, b, _ in pairs])
    same = np.array([s for _, _, s in pairs]) == 1
    genuine, impostor = dist[same], dist[~same]
    points = {}
    for name, point in OPERATING_POINTS.items():
        accept = dist <= point.distance
        points[name] = {"threshold": point.similarity, "distance": point.distance,
                        "accuracy": round(float(np.mean(accept == same)), 4),
                        "far": round(float(np.mean(impostor <= point.distance)), 4),
                        "frr": round(float(np.mean(genuine > point.distance)), 4)}
    finite = np.unique(dist[np.isfinite(dist)])
    best = max(((float(np.mean((dist <= t) == same)), float(t)) for t in finite), default=(0.0, 0.0))
    tar_at_far = {}
    for far in (0.01, 0.001):
        allowed = int(np.floor(far * len(impostor)))
        ordered = np.sort(impostor)
        threshold = ordered[allowed] if allowed < len(ordered) else np.inf
        tar_at_far[str(far)] = round(float(np.mean(genuine < threshold)), 4)
    if plot is not None:
        _plot(plot, genuine, impostor)
    return {
        "pairs": len(pairs),
        "failures_to_detect": failures,
        "operating_points": points,
        "tar_at_far": tar_at_far,
        "roc_auc": round(roc_auc(genuine, impostor), 5),
        "ms_per_compare": percentiles(single),
        "ms_per_compare_12mp": percentiles(large),
        "compares_per_second": {f"{workers}_workers": round(throughput, 2)},
        "best_accuracy": {"accuracy": round(best[0], 4), "distance": round(best[1], 5),
                          "similarity": similarity(best[1])},
    }


__all__ = ["roc_auc", "run"]
