"""`arabesque bench screening` runs on a small list and prints every figure (the 100k figures are in the README)."""

from __future__ import annotations

import json
import subprocess
import sys

from server.bench.screening import THRESHOLDS
from server.bench.screening_set import build
from tests.server.live import ROOT


def test_bench_screening_prints_precision_recall_and_time_per_query() -> None:
    done = subprocess.run([sys.executable, "-m", "server.cli", "bench", "screening", "--entities", "2000",
                           "--targets", "60", "--repeats", "1"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["entities"] == 2000 and result["queries"] > result["true_match_queries"] > 100
    assert result["review_threshold"] in THRESHOLDS
    for split in ("calibration", "report"):
        figures = result[split]
        assert set(figures) == {"tp", "fp", "fn", "precision", "recall", "f1"}
        assert figures["recall"] >= 0.85 and figures["precision"] >= 0.85, figures
    assert set(result["ms_per_query"]) == {"p50", "p95", "repeats", "core"} and result["ms_per_query"]["p50"] > 0
    assert result["index_build_seconds"] > 0


def test_the_labelled_set_is_the_same_for_a_seed_and_splits_its_targets() -> None:
    listed, labelled = build(targets=40, entities=500, seed=7)
    again = build(targets=40, entities=500, seed=7)
    assert (listed, labelled) == again
    assert len(listed) == 500 and len({e.id for e in listed}) == 500
    ids = {e.id for e in listed}
    assert all(item.expected in ids for item in labelled if item.expected)
    kinds = {item.kind for item in labelled}
    assert {"typo", "swapped", "transliterated", "script", "initial", "no_middle", "accents", "shared_name_part",
            "other_birth_date", "near_company"} <= kinds
    by_target: dict[str, set[str]] = {}
    for item in labelled:
        if item.expected:
            by_target.setdefault(item.expected, set()).add(item.split)
    assert all(len(splits) == 1 for splits in by_target.values())  # a target's queries stay in one split
    assert {item.split for item in labelled} == {"calibration", "report"}
