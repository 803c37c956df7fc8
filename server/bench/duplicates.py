"""`arabesque bench duplicates DIR`: duplicate-identity search on LFW identities, and search time as
enrolment grows.

Identification: every identity of DIR/lfw with two images or more is enrolled with its first image and
searched with its second; identities with one image are never enrolled and are searched as strangers.
Each probe goes through the production path (intake decode, detection, mirrored descriptor) and the
production index (server/faces_index.py). The thresholds are the face matcher's operating points, fixed
elsewhere (`bench faces`), so nothing here is tuned on what it reports.

Timing: synthetic unit descriptors (10k, 100k, 1M), build and search timed in a child process whose
numerical libraries run on one thread.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from server.bench.stats import percentiles
from server.faces_index import Shelf
from verification.faces import OPERATING_POINTS, descriptor, detect, models, similarity
from verification.intake import decode

ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "NUMEXPR_NUM_THREADS")}
SIZES = (10_000, 100_000, 1_000_000)


def _embed(path: str) -> tuple[str, np.ndarray | None]:
    """The descriptor of the labelled person: LFW centres them, so the face nearest the centre."""
    bgr, _ = decode(Path(path).read_bytes(), max_side=1600)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    height, width = rgb.shape[:2]
    faces = sorted(detect(rgb), key=lambda b: ((b.left + b.right - width) ** 2 + (b.top + b.bottom - height) ** 2))
    return path, descriptor(rgb, faces[0]) if faces else None


def _warm() -> None:
    models()


Twice = list[tuple[str, Path, Path]]


def identities(directory: Path, limit: int | None = None) -> tuple[Twice, list[tuple[str, Path]]]:
    """(name, enrolled image, probe image) of identities with two images or more, and (name, image) of those
    with one; sorted by name, at most `limit` of each."""
    twice: Twice = []
    once: list[tuple[str, Path]] = []
    for person in sorted(p for p in (directory / "lfw").iterdir() if p.is_dir()):
        images = sorted(person.glob("*.jpg"))
        if len(images) >= 2:
            twice.append((person.name, images[0], images[1]))
        elif images:
            once.append((person.name, images[0]))
    return twice[:limit], once[:limit]


def _gallery(enrolled: dict[str, np.ndarray]) -> Shelf:
    names = sorted(enrolled)
    return Shelf(0, names, np.stack([enrolled[n] for n in names]) if names else np.zeros((0, 0), np.float32))


def _nearest(shelf: Shelf, vector: np.ndarray | None) -> tuple[str, float]:
    hits = shelf.search(vector, limit=1, max_distance=2.0) if vector is not None else []
    return (hits[0].face_id, hits[0].distance) if hits else ("", np.inf)


def _rates(nearest: list[tuple[str, tuple[str, float]]], strangers: list[tuple[str, float]],
           distance: float) -> dict[str, float]:
    found = sum(1 for name, (hit, d) in nearest if hit == name and d <= distance)
    wrong = sum(1 for name, (hit, d) in nearest if hit and hit != name and d <= distance)
    false = sum(1 for _, d in strangers if d <= distance)
    return {"identification_rate": round(found / max(1, len(nearest)), 4),
            "wrong_identity_rate": round(wrong / max(1, len(nearest)), 4),
            "false_match_rate": round(false / max(1, len(strangers)), 4)}


def identification(enrolled: dict[str, np.ndarray], probes: list[tuple[str, np.ndarray | None]],
                   strangers: list[np.ndarray | None]) -> dict[str, object]:
    """Rank-1 identification, and identification and false matches at each operating point of the 1:1
    matcher (a false match: a stranger's nearest enrolled face within the threshold)."""
    shelf = _gallery(enrolled)
    nearest = [(name, _nearest(shelf, v)) for name, v in probes]
    far = [_nearest(shelf, v) for v in strangers]
    points: dict[str, object] = {
        label: {"similarity": point.similarity, "distance": point.distance, **_rates(nearest, far, point.distance)}
        for label, point in OPERATING_POINTS.items()}
    return {"enrolled": len(enrolled), "probes": len(probes), "strangers": len(strangers),
            "no_face": sum(1 for _, v in probes if v is None) + sum(1 for v in strangers if v is None),
            "rank1": round(sum(1 for name, (hit, _) in nearest if hit == name) / max(1, len(probes)), 4),
            "at": points}


def frozen_threshold(enrolled: dict[str, np.ndarray], strangers: list[np.ndarray | None],
                     false_match_rate: float) -> float:
    """The largest distance at which at most `false_match_rate` of the strangers match anyone enrolled."""
    shelf = _gallery(enrolled)
    nearest = np.sort([d for _, d in (_nearest(shelf, v) for v in strangers)])
    allowed = int(np.floor(false_match_rate * len(nearest)))
    return float(nearest[allowed]) - 1e-6 if allowed < len(nearest) else 2.0


def _half(name: str) -> str:
    """A stable split of identities by name: `freeze` (thresholds are chosen on it) or `report`."""
    return "freeze" if zlib.crc32(name.encode()) % 2 == 0 else "report"


def split_identification(twice: Twice, once: list[tuple[str, Path]], embedded: dict[str, np.ndarray | None],
                         false_match_rate: float = 0.01) -> dict[str, object]:
    """A duplicates threshold frozen on one half of the identities (at most `false_match_rate` strangers
    matched), and the rates it gives on the other half."""
    def half_of(half: str) -> tuple[dict[str, np.ndarray], list[tuple[str, np.ndarray | None]],
                                    list[np.ndarray | None]]:
        mine = [t for t in twice if _half(t[0]) == half]
        return ({name: v for name, a, _ in mine if (v := embedded[str(a)]) is not None},
                [(name, embedded[str(b)]) for name, _, b in mine],
                [embedded[str(path)] for name, path in once if _half(name) == half])

    freeze_enrolled, _, freeze_strangers = half_of("freeze")
    distance = frozen_threshold(freeze_enrolled, freeze_strangers, false_match_rate)
    enrolled, probes, strangers = half_of("report")
    shelf = _gallery(enrolled)
    nearest = [(name, _nearest(shelf, v)) for name, v in probes]
    far = [_nearest(shelf, v) for v in strangers]
    return {"target_false_match_rate": false_match_rate, "distance": round(distance, 4),
            "similarity": similarity(distance), "report_enrolled": len(enrolled),
            "report_strangers": len(far), **_rates(nearest, far, distance)}


def time_search(sizes: tuple[int, ...], searches: int, dimension: int = 128) -> dict[str, object]:
    """Build and search time of the index at each size, on synthetic unit descriptors (runs on one thread
    when started by `run`)."""
    rng = np.random.default_rng(7)
    figures: dict[str, object] = {}
    for size in sizes:
        vectors = rng.standard_normal((size, dimension), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = [f"face{i:07d}" for i in range(size)]
        start = time.perf_counter()
        shelf = Shelf(0, ids, vectors)
        build_ms = (time.perf_counter() - start) * 1000
        probes = vectors[rng.integers(0, size, searches)] + rng.normal(0, 0.02, (searches, dimension))
        timings, cpu = [], []
        for probe in probes:
            start, start_cpu = time.perf_counter(), time.thread_time()
            shelf.search(probe / np.linalg.norm(probe), limit=10, max_distance=OPERATING_POINTS["review"].distance)
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
        figures[str(size)] = {"build_ms": round(build_ms, 1), "search_ms": percentiles(timings),
                              "search_cpu_ms": percentiles(cpu), "memory_mb": round(size * dimension * 4 / 2**20, 1)}
        del shelf, vectors
    return figures


def run(directory: Path, *, workers: int = 2, limit: int | None = None, sizes: tuple[int, ...] = SIZES,
        searches: int = 200) -> dict[str, object]:
    started = time.perf_counter()
    twice, once = identities(directory, limit)
    paths = [str(p) for _, a, b in twice for p in (a, b)] + [str(p) for _, p in once]
    os.environ.update(ONE_THREAD)  # inherited by the spawned children, read when they import numpy
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as timer:
        timing = timer.submit(time_search, sizes, searches)
        with ProcessPoolExecutor(max(1, workers - 1), mp_context=context, initializer=_warm) as pool:
            embedded = dict(pool.map(_embed, paths, chunksize=8))
        search = timing.result()
    enrolled = {name: v for name, a, _ in twice if (v := embedded[str(a)]) is not None}
    probes = [(name, embedded[str(b)]) for name, _, b in twice]
    result = identification(enrolled, probes, [embedded[str(p)] for _, p in once])
    return {"identification": result, "duplicates_threshold": split_identification(twice, once, embedded),
            "search": search, "one_thread": True, "load_average": [round(x, 2) for x in os.getloadavg()],
            "seconds": round(time.perf_counter() - started, 1)}


__all__ = ["identification", "identities", "run", "time_search"]
