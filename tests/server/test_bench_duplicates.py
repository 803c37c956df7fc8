"""`bench duplicates` runs on a small LFW subset and prints its figures (the full run's are in the README)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.server.live import ROOT

TWICE = ("Abdullah_Gul", "Aaron_Peirsol", "Abel_Pacheco", "Abdullah", "Abid_Hamid_Mahmud_Al-Tikriti")


def test_bench_duplicates_identifies_enrolled_people_and_times_search(tmp_path: Path, shared_data: Path) -> None:
    lfw = shared_data / "faces" / "lfw"
    once = [p.name for p in sorted(lfw.iterdir()) if len(list(p.glob("*.jpg"))) == 1][:4]
    for name in (*TWICE, *once):
        (tmp_path / "lfw" / name).mkdir(parents=True)
        for image in sorted((lfw / name).glob("*.jpg"))[:2]:
            (tmp_path / "lfw" / name / image.name).symlink_to(image)
    done = subprocess.run([sys.executable, "-m", "server.cli", "bench", "duplicates", str(tmp_path), "--sizes",
                           "2000,20000", "--workers", "2"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    found = result["identification"]
    assert (found["enrolled"], found["probes"], found["strangers"], found["no_face"]) == (5, 5, 4, 0)
    assert found["rank1"] == 1.0  # five people are told apart by the production matcher
    assert set(found["at"]) == {"review", "approve", "strict"}
    for point in found["at"].values():
        assert point["identification_rate"] + point["wrong_identity_rate"] <= 1.0
        assert 0.0 <= point["false_match_rate"] <= 1.0
    frozen = result["duplicates_threshold"]
    assert frozen["target_false_match_rate"] == 0.01 and 0 < frozen["distance"] <= 2.0
    assert set(result["search"]) == {"2000", "20000"}
    small, large = result["search"]["2000"], result["search"]["20000"]
    assert 0 < small["search_cpu_ms"]["p50"] <= large["search_cpu_ms"]["p50"] * 2
    assert large["memory_mb"] == round(20000 * 128 * 4 / 2**20, 1) and large["build_ms"] > 0
    assert result["one_thread"] is True
