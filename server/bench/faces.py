"""`arabesque bench faces DIR [--docs]`: face verification error rates and speed on LFW pairs, and with
`--docs` on the document-to-selfie pairs generated from them (`verification.portraits`).

Every image goes through the production path (intake decode, detection with fallbacks, the chosen
variant's descriptors). Operating points are derived on the calibration folds (pooled over both sets)
and reported on the other folds; the operating points in `verification.faces` are reported beside
them. Descriptors are cached per variant in `--cache`, so trying a variant costs one pass.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import msgspec
import numpy as np

from server.bench.face_pairs import (
    Chips,
    Embedded,
    Pair,
    calibrate,
    distances,
    doc_key,
    embed,
    figures,
    find_chips,
    load_pairs,
)
from server.bench.stats import percentiles
from verification.faces import OPERATING_POINTS, VARIANTS, compare, models
from verification.portraits import printed_portrait


def _image(path: str) -> np.ndarray:
    image = cv2.imread(path)
    if image is None:
        raise ValueError(f"Expected an image at {path}, got nothing OpenCV can read")
    found: np.ndarray = image
    return found


def twelve_megapixel(path: str) -> bytes:
    """A 4000x3000 JPEG with the image enlarged into it, a face the size a phone selfie has."""
    image = _image(path)
    canvas = np.full((3000, 4000, 3), 90, np.uint8)
    face = cv2.resize(image, (2400, 2400), interpolation=cv2.INTER_CUBIC)
    canvas[300:2700, 800:3200] = face[:2400, :2400]
    ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return encoded.tobytes()


def _compare_12mp(pairs: list[Pair], count: int) -> list[float]:
    """CompareFaces (the production path) on two 12 MP photos, timed in this process."""
    from server.rekognition.mapping import compare_faces

    timings = []
    for pair in pairs[:count]:
        source, target = twelve_megapixel(pair.left), twelve_megapixel(pair.right)
        start = time.perf_counter()
        compare_faces(source, target, threshold=0.0)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def _timed_compare(reference: bytes, probe: bytes, variant_name: str) -> tuple[float, float]:
    """Wall and CPU milliseconds of one compare (CPU time is what a shared machine distorts least)."""
    start, cpu = time.perf_counter(), time.process_time()
    compare(reference, probe, variant=VARIANTS[variant_name])
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def _warm() -> None:
    models()


def _median_of_repeats(inputs: list[tuple[bytes, bytes]], variant: str, repeats: int) -> dict[str, dict[str, float]]:
    """Per pair the median of `repeats` compares (one core, this process), wall and CPU time: a shared
    machine's noise is mostly slow outliers."""
    runs = [[_timed_compare(a, b, variant) for _ in range(repeats)] for a, b in inputs]
    return {"wall": percentiles([statistics.median(w for w, _ in r) for r in runs]),
            "cpu": percentiles([statistics.median(c for _, c in r) for r in runs])}


def _cached(path: Path | None, kind: type[dict[str, Chips]] | type[dict[str, Embedded]]) -> dict[str, object]:
    if path is None or not path.exists():
        return {}
    found: dict[str, object] = msgspec.msgpack.decode(path.read_bytes(), type=kind)
    return found


def _embed_all(pool: ProcessPoolExecutor, jobs: dict[str, str], variant: str,
               cache: Path | None) -> dict[str, Embedded]:
    """Chips once (cached), then the variant's descriptors of them (cached per variant). An image cached
    without a face is looked at again: detection only ever finds more, and those are the few that matter.
    Clear the cache when alignment changes."""
    chips_path = cache / "chips.msgpack" if cache is not None else None
    chips: dict[str, Chips] = _cached(chips_path, dict[str, Chips])  # type: ignore[assignment]
    missing = sorted(k for k in jobs if k not in chips or not chips[k].chips)
    for found in pool.map(find_chips, missing, [jobs[k] for k in missing], chunksize=4):
        chips[found.key] = found
    vectors_path = cache / f"{variant}.msgpack" if cache is not None else None
    known: dict[str, Embedded] = _cached(vectors_path, dict[str, Embedded])  # type: ignore[assignment]
    todo = sorted(k for k in jobs if k not in known or k in missing)
    for embedded in pool.map(embed, [chips[k] for k in todo], [variant] * len(todo), chunksize=8):
        known[embedded.key] = embedded
    if cache is not None and chips_path is not None and vectors_path is not None:
        cache.mkdir(parents=True, exist_ok=True)
        if missing:
            chips_path.write_bytes(msgspec.msgpack.encode(chips))
        if todo:
            vectors_path.write_bytes(msgspec.msgpack.encode(known))
    return known


def _speed(pool: ProcessPoolExecutor, pairs: list[Pair], variant: str, count: int, workers: int) -> dict[str, object]:
    sample = pairs[:: max(1, len(pairs) // count)][:count]
    lfw = [(Path(p.left).read_bytes(), Path(p.right).read_bytes()) for p in sample]
    docs = [(printed_portrait(_image(p.left), p.row).jpeg, Path(p.right).read_bytes()) for p in sample]
    start = time.perf_counter()
    list(pool.map(_timed_compare, [a for a, _ in lfw * 2], [b for _, b in lfw * 2], [variant] * 2 * len(lfw)))
    throughput = 2 * len(lfw) / (time.perf_counter() - start)
    _warm()
    return {"ms_per_compare": _median_of_repeats(lfw, variant, 3),
            "ms_per_compare_docs": _median_of_repeats(docs, variant, 3),
            "ms_per_compare_12mp": percentiles(_compare_12mp(sample, min(5, len(sample)))),
            "compares_per_second": {f"{workers}_workers": round(throughput, 2)}}


def _split(dist: np.ndarray, same: np.ndarray, mask: np.ndarray, points: dict[str, float]) -> dict[str, object]:
    return figures(dist[mask], same[mask], points) if mask.any() else {}


def run(directory: Path, *, docs: bool = False, variant: str = "v1", workers: int = 2, limit: int | None = None,
        calibration_folds: tuple[int, ...] = (1, 2), cache: Path | None = None, speed_pairs: int = 20,
        plot: Path | None = None) -> dict[str, object]:
    if variant not in VARIANTS:
        raise ValueError(f"Expected a variant among {sorted(VARIANTS)}, got {variant!r}")
    pairs = load_pairs(directory, limit)
    jobs = {path: path for p in pairs for path in (p.left, p.right)}
    if docs:
        jobs |= {doc_key(p): p.left for p in pairs}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_warm) as pool:
        embedded = _embed_all(pool, jobs, variant, cache)
        speed = _speed(pool, pairs, variant, speed_pairs, workers) if speed_pairs else {}
    same = np.array([p.same for p in pairs])
    folds = np.array([p.fold for p in pairs])
    # Without folds (a plain pairs.csv) there is one split: calibrated and reported on the same pairs.
    calibration = np.isin(folds, calibration_folds) if folds.any() else np.ones(len(pairs), bool)
    report = ~calibration if folds.any() else calibration
    sets = {"lfw": distances(pairs, embedded, embedded, "lfw", variant)}
    if docs:
        sets["docs"] = distances(pairs, embedded, embedded, "doc", variant)
    pooled = np.concatenate([d[calibration] for d in sets.values()])
    derived = calibrate(pooled, np.concatenate([same[calibration]] * len(sets)))
    production = {name: point.distance for name, point in OPERATING_POINTS.items()}
    result: dict[str, object] = {
        "variant": variant, "calibration_folds": list(calibration_folds) if folds.any() else "all",
        "report_folds": sorted({int(f) for f in folds[report]}) if folds.any() else "all",
        "derived_operating_points": derived,
        "failures_to_detect_images": sum(1 for e in embedded.values() if not e.faces)}
    for name, dist in sets.items():
        result[name] = {"calibration": _split(dist, same, calibration, derived),
                        "report": _split(dist, same, report, derived),
                        "report_at_current_points": _split(dist, same, report, production)}
    if docs:
        styles = np.array([embedded[doc_key(p)].style for p in pairs])
        result["docs_report_by_style"] = {style: _split(sets["docs"], same, report & (styles == style), derived)
                                          for style in ("colour", "grey")}
    result["speed"] = speed
    if plot is not None:
        from server.bench.face_plot import plot_roc

        plot_roc(plot, sets["lfw"][same & report], sets["lfw"][~same & report])
    return result


__all__ = ["run", "twelve_megapixel"]
