"""`arabesque bench liveness` runs on a small subset and prints its JSON (the figures are in the README)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from server.bench.liveness import SPLITS, same_person_pairs
from tests.server.live import ROOT


def test_bench_liveness_prints_passive_error_rates_per_attack_kind_and_the_active_part(shared_data: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "server.cli", "bench", "liveness", str(shared_data / "faces"),
                           "--pairs", "1", "--workers", "1", "--cues", "--photos", "2"], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"passive", "active"}
    active = result["active"]  # head-turn challenges on the report split (tests/server/test_bench_turns.py)
    assert active["split"] == "report" and active["frames_per_sequence"] == 6
    assert active["photos"] + active["no_face"] + active["not_frontal"] == 2
    assert active["false_accept"]["all"]["sequences"] == 10 * active["photos"]
    passive = result["passive"]
    assert passive["folds"] == {"calibration": [1, 2], "report": [3, 6]} and passive["pairs_per_split"] == 1
    for split in ("calibration", "report"):
        kinds = passive[split]
        assert set(kinds) == {"genuine", "document", "print", "screen"}
        assert all(kind["captures"] == 1 for kind in kinds.values())
        assert kinds["genuine"]["bpcer"] == 0.0  # a genuine selfie of this subset is not flagged
        assert all(kinds[attack]["apcer"] == 0.0 for attack in ("document", "print", "screen"))
    assert passive["ms_per_liveness_check"]["p50"] > 0 and passive["ms_per_selfie_checks"]["p50"] > 0
    cues = passive["calibration_cues"]
    assert len(cues) == 4 and {"frame", "grid", "distance"} == set(cues[0]["cues"])


def test_the_splits_share_no_identity(shared_data: Path) -> None:
    names = {split: {Path(left).parent.name for left, _ in same_person_pairs(shared_data / "faces", folds, 0)}
             for split, folds in SPLITS.items()}
    assert names["calibration"] and names["report"] and not names["calibration"] & names["report"]
