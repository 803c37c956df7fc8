"""`arabesque bench screening [--entities N]`: precision and recall of the screening matcher at its review
threshold, and the time per query against a list of N entities (100,000 by default) on one core.

The labelled set is `screening_set.build`'s, half of its targets in each split. The review threshold is
the one with the best F1 on the calibration split (ties: the higher threshold); the report split is
scored at that frozen threshold. A query counts a true positive when its listed entity scores at or
above the threshold, a false negative when it does not, and one false positive per other entity that does.
"""

from __future__ import annotations

import os
import statistics
import time

from server.bench.screening_set import Labelled, build
from server.bench.stats import percentiles
from verification.screening import Candidate, ScreeningIndex

THRESHOLDS = [round(0.6 + k / 100, 2) for k in range(40)]
FLOOR = 0.5


def _counts(rows: list[tuple[Labelled, list[Candidate]]], threshold: float) -> dict[str, int]:
    tp = fp = fn = 0
    for labelled, candidates in rows:
        hits = {c.id for c in candidates if c.score >= threshold}
        found = bool(labelled.expected) and labelled.expected in hits
        tp += found
        fn += bool(labelled.expected) and not found
        fp += len(hits - {labelled.expected})
    return {"tp": tp, "fp": fp, "fn": fn}


def _rates(counts: dict[str, int]) -> dict[str, float]:
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _misses(rows: list[tuple[Labelled, list[Candidate]]], threshold: float) -> dict[str, int]:
    """How many errors each kind of query made at the threshold (where to look next)."""
    by_kind: dict[str, int] = {}
    for labelled, candidates in rows:
        hits = {c.id for c in candidates if c.score >= threshold}
        wrong = (bool(labelled.expected) and labelled.expected not in hits) or bool(hits - {labelled.expected})
        if wrong:
            by_kind[labelled.kind] = by_kind.get(labelled.kind, 0) + 1
    return dict(sorted(by_kind.items()))


def _one_core() -> int:
    """Pin the process to one core, so the figure is per core whatever numpy or rapidfuzz would spread."""
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return core
    return -1


def run(*, entities: int = 100_000, targets: int = 400, repeats: int = 3) -> dict[str, object]:
    """Every figure of the screening bench (see the module's docstring)."""
    core = _one_core()
    started = time.perf_counter()
    listed, labelled = build(targets=targets, entities=entities)
    built_set = time.perf_counter() - started
    started = time.perf_counter()
    index = ScreeningIndex(listed)
    build_seconds = time.perf_counter() - started
    p50s: list[float] = []
    p95s: list[float] = []
    rows: list[tuple[Labelled, list[Candidate]]] = []
    for repeat in range(repeats):
        samples: list[float] = []
        rows = []
        for item in labelled:
            start = time.perf_counter()
            candidates = index.screen(item.query, floor=FLOOR)
            samples.append((time.perf_counter() - start) * 1000)
            rows.append((item, candidates))
        figures = percentiles(samples)
        p50s.append(figures["p50"])
        p95s.append(figures["p95"])
        del repeat
    calibration = [r for r in rows if r[0].split == "calibration"]
    report = [r for r in rows if r[0].split == "report"]
    threshold = max(THRESHOLDS, key=lambda t: (_rates(_counts(calibration, t))["f1"], t))
    return {
        "entities": len(index), "queries": len(labelled), "true_match_queries": sum(bool(x.expected) for x in labelled),
        "review_threshold": threshold,
        "calibration": {**_counts(calibration, threshold), **_rates(_counts(calibration, threshold))},
        "report": {**_counts(report, threshold), **_rates(_counts(report, threshold))},
        "report_errors_by_kind": _misses(report, threshold),
        "ms_per_query": {"p50": round(statistics.median(p50s), 2), "p95": round(statistics.median(p95s), 2),
                         "repeats": repeats, "core": core},
        "index_build_seconds": round(build_seconds, 2), "list_build_seconds": round(built_set, 2),
    }


__all__ = ["THRESHOLDS", "run"]
