"""`arabesque bench liveness DIR`: presentation-attack error rates of the selfie's passive `liveness` check.

DIR is the faces data set (`pairs_folds.csv`, LFW View 2). Each same-person pair gives one
person two photos: the first is the portrait on their ID card (verification.attacks.id_card) and
what the attacks show the camera; the second is their genuine selfie. Every image goes through
the production path: JPEG bytes into `analyse_selfie`, the face match against the card
(`verification.faces.compare`) and `verification.liveness.recheck`, as `verify_selfie` runs them.

LFW folds share no identity: folds 1 and 2 are the calibration split (the thresholds in
verification/liveness.py were frozen on its cues), folds 3 and 6 the report split. APCER is the
share of attacks the check let through (a face found, `liveness` passed); BPCER the share of
genuine selfies it failed. A capture with no face found is counted apart: the selfie fails anyway.
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
from verification.attacks import KINDS, Kind, capture, id_card
from verification.faces import compare, detect, models
from verification.intake import Limits, decode
from verification.liveness import cues, recheck
from verification.pipeline import analyse_selfie
from verification.results import Policy
from verification.selfie import SELFIE_SIDE

SPLITS = {"calibration": (1, 2), "report": (3, 6)}


def _jpeg(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise ValueError("Expected OpenCV to encode the generated capture as JPEG, it could not")
    return encoded.tobytes()


def _warm() -> None:
    models()


def _liveness_ms(probe: bytes) -> float:
    """The liveness cues alone, on the image and face the selfie checks had."""
    bgr, _ = decode(probe, limits=Limits(), max_side=SELFIE_SIDE)
    faces = detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), min_relative=0.05)
    start = time.perf_counter()
    cues(bgr, faces[0])
    return (time.perf_counter() - start) * 1000


def _measure(job: tuple[str, str, Kind, int]) -> dict[str, object]:
    """One capture through the selfie checks, the face match and the liveness re-check."""
    portrait_path, selfie_path, kind, seed = job
    portrait, selfie = cv2.imread(portrait_path), cv2.imread(selfie_path)
    if portrait is None or selfie is None:
        raise ValueError(f"Expected LFW images at {portrait_path} and {selfie_path}, OpenCV read nothing")
    shown = selfie if kind == "genuine" else portrait
    probe = _jpeg(capture(kind, shown, seed))
    reference = _jpeg(id_card(portrait, seed % 2))
    start = time.perf_counter()
    result = analyse_selfie(probe, policy=Policy())
    selfie_ms = (time.perf_counter() - start) * 1000
    context = result.to_context()
    live = context.get("liveness")
    if not isinstance(live, dict) or live.get("status") == "skipped":
        return {"kind": kind, "face": False, "ms": selfie_ms}
    comparison = compare(reference, probe)
    context = recheck(context, comparison.distance, Policy())
    live = context["liveness"]
    assert isinstance(live, dict)
    return {"kind": kind, "face": True, "failed": live["status"] == "failed", "value": live["value"],
            "cues": context["liveness_cues"], "ms": selfie_ms, "liveness_ms": _liveness_ms(probe)}


def same_person_pairs(directory: Path, folds: tuple[int, ...], limit: int) -> list[tuple[str, str]]:
    with (directory / "pairs_folds.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["same"] == "1" and int(r["lfw_fold"]) in folds]
    step = max(1, len(rows) // limit) if limit else 1
    chosen = rows[::step][:limit] if limit else rows
    return [(str(directory / r["left"]), str(directory / r["right"])) for r in chosen]


def _summary(results: list[dict[str, object]]) -> dict[str, object]:
    by_kind: dict[str, object] = {}
    for kind in KINDS:
        mine = [r for r in results if r["kind"] == kind]
        judged = [r for r in mine if r["face"]]
        failed = sum(1 for r in judged if r["failed"])
        rate = (failed if kind == "genuine" else len(judged) - failed) / len(judged) if judged else 0.0
        values = sorted(float(str(r["value"])) for r in judged)
        by_kind[kind] = {"captures": len(mine), "no_face": len(mine) - len(judged),
                         "bpcer" if kind == "genuine" else "apcer": round(rate, 4),
                         "value_p05_p50_p95": [round(float(np.percentile(values, q)), 3) for q in (5, 50, 95)]
                         if values else []}
    return by_kind


def run(directory: Path, *, pairs: int = 40, workers: int = 2, cues: bool = False) -> dict[str, object]:
    """`pairs` same-person pairs per split, four captures each (genuine and the three attacks)."""
    output: dict[str, object] = {}
    timings: list[float] = []
    liveness: list[float] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_warm) as pool:
        for split, folds in SPLITS.items():
            jobs = [(left, right, kind, 10_000 * index + k) for index, (left, right) in
                    enumerate(same_person_pairs(directory, folds, pairs)) for k, kind in enumerate(KINDS)]
            results = list(pool.map(_measure, jobs, chunksize=4))
            timings += [float(str(r["ms"])) for r in results]
            liveness += [float(str(r["liveness_ms"])) for r in results if r["face"]]
            output[split] = _summary(results)
            output[f"{split}_cues"] = [{"kind": r["kind"], "cues": r["cues"], "passed": not r["failed"]}
                                       for r in results if r["face"]]
    calibration = output.pop("calibration_cues")
    output.pop("report_cues")
    passive = {"folds": {name: list(folds) for name, folds in SPLITS.items()}, "pairs_per_split": pairs, **output,
               "ms_per_selfie_checks": percentiles(timings), "ms_per_liveness_check": percentiles(liveness),
               "workers": workers}
    return {"passive": {**passive, "calibration_cues": calibration} if cues else passive}


__all__ = ["SPLITS", "run", "same_person_pairs"]
