"""Small statistics shared by the benchmarks."""

from __future__ import annotations

import numpy as np


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    if not samples_ms:
        return {"p50": 0.0, "p95": 0.0}
    values = np.asarray(samples_ms)
    return {"p50": round(float(np.percentile(values, 50)), 2), "p95": round(float(np.percentile(values, 95)), 2)}


def latency_figures(samples_ms: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max of latencies in milliseconds (zeros when there are none)."""
    if not samples_ms:
        return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0, "n": 0}
    values = np.asarray(samples_ms)
    return {"p50": round(float(np.percentile(values, 50)), 2), "p90": round(float(np.percentile(values, 90)), 2),
            "p99": round(float(np.percentile(values, 99)), 2), "max": round(float(values.max()), 2),
            "n": len(samples_ms)}


def confusion(expected: list[int], failed: list[bool]) -> dict[str, float]:
    """tp = the check failed an image labelled 1; balanced accuracy = mean of both recalls."""
    tp = sum(1 for e, f in zip(expected, failed, strict=True) if e == 1 and f)
    fn = sum(1 for e, f in zip(expected, failed, strict=True) if e == 1 and not f)
    tn = sum(1 for e, f in zip(expected, failed, strict=True) if e == 0 and not f)
    fp = sum(1 for e, f in zip(expected, failed, strict=True) if e == 0 and f)
    recalls = [r for r in (tp / (tp + fn) if tp + fn else None, tn / (tn + fp) if tn + fp else None) if r is not None]
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn,
            "balanced_accuracy": round(sum(recalls) / len(recalls), 4) if recalls else 0.0}


__all__ = ["confusion", "latency_figures", "percentiles"]
