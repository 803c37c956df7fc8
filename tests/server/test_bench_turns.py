"""server/bench/turns.py run_active on a few LFW photos: JSON that says what it measured (the figures are in the
README), and `bench turns` printing it."""

from __future__ import annotations

import json
from pathlib import Path

from server.bench.turns import ATTACKS, photos, run_active


def test_run_active_counts_false_rejects_and_false_accepts_per_challenge_and_attack(shared_data: Path) -> None:
    result = run_active(shared_data / "faces", limit=2, split="calibration", repeats=1)
    assert json.loads(json.dumps(result)) == result
    assert result["photos"] + result["no_face"] + result["not_frontal"] == 2  # type: ignore[operator]
    assert result["photos"] >= 1
    rejects, accepts = result["false_reject"], result["false_accept"]
    assert isinstance(rejects, dict) and isinstance(accepts, dict)
    assert set(rejects) == {"all", "turn_left,turn_right", "turn_right,turn_left"}
    assert set(accepts) == {"all"} | {f"{a}:{m}" for a in ATTACKS for m in ("turn_left,turn_right",
                                                                             "turn_right,turn_left")}
    assert accepts["all"]["sequences"] == 10 * result["photos"]  # type: ignore[operator]
    assert rejects["all"]["sequences"] == 2 * result["photos"]  # type: ignore[operator]
    # the limits hold their margin on these photos: every still refused, every rendered turn accepted
    assert accepts["all"]["errors"] == 0 and rejects["all"]["errors"] == 0
    strength = result["move_strength"]
    assert isinstance(strength, dict) and strength["genuine_min"] > max(
        v for k, v in strength.items() if k != "genuine_min")
    assert isinstance(result["seconds_per_sequence"], float) and result["seconds_per_sequence"] > 0


def test_the_splits_take_different_identities(shared_data: Path) -> None:
    calibration = {p.parent.name for p in photos(shared_data / "faces", "calibration", 300)}
    report = {p.parent.name for p in photos(shared_data / "faces", "report", 300)}
    assert len(calibration) == 300 and len(report) == 91 and not calibration & report
