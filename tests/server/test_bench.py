"""The bench commands run and print their JSON (on small inputs; the figures are in the README)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from tests.server.live import ROOT


def test_bench_quality_on_a_generated_degradation_set(tmp_path: Path, shared_data: Path) -> None:
    subset = tmp_path / "set"
    built = subprocess.run([sys.executable, "-m", "server.cli", "bench", "quality-set",
                            str(shared_data / "documents"), str(subset), "--only", "100_pass-bdr"],
                           capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert built.returncode == 0, built.stderr
    rows = list(csv.DictReader((subset / "labels.csv").open()))
    captures = [r for r in rows if r["path"].startswith("100_pass-bdr__")]
    scenes = [r for r in rows if r not in captures]
    assert len(captures) == 36 and {r["split"] for r in captures} == {"calibration"}  # 35 + declared as id_card
    assert len(scenes) == 42 and all(r["no_document"] == "1" and r["true_type"] == "none" for r in scenes)
    assert {"path", "split", "document_type", "side", "true_type", "true_side", "blurred", "glare", "cut_off",
            "backlit", "no_document", "occluded", "wrong_type", "wrong_side", "mrz_invalid"} <= set(rows[0])
    assert all((subset / r["path"]).is_file() for r in rows)
    # the whole set and its report split alone, side by side (each is one core's work)
    with subprocess.Popen([sys.executable, "-m", "server.cli", "bench", "quality", str(subset), "--split", "report"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT) as only_report:
        done = subprocess.run([sys.executable, "-m", "server.cli", "bench", "quality", str(subset)],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)
        report_out, report_err = only_report.communicate(timeout=300)
    assert done.returncode == 0 and only_report.returncode == 0, (done.stderr, report_err)
    result = json.loads(done.stdout)
    assert set(result) == {"images", "rows", "splits", "ms_per_image", "ms_per_12mp_image", "ms_full_decode_12mp"}
    calibration, report = result["splits"]["calibration"], result["splits"]["report"]
    assert calibration["blurred"]["tp"] >= 2 and calibration["backlit"]["tp"] == 1
    assert calibration["no_document"]["tp"] >= 12 and report["no_document"]["tp"] >= 12
    assert set(calibration["glare"]) == {"tp", "fp", "tn", "fn", "balanced_accuracy"}
    assert calibration["occluded"]["tp"] >= 1 and calibration["wrong_type"] == {**calibration["wrong_type"], "tp": 1,
                                                                                "fn": 0}
    assert calibration["mrz_invalid"]["tp"] >= 4  # 100_pass-bdr's zone names an issuer ICAO does not have
    assert set(json.loads(report_out)["splits"]) == {"report"}


def test_bench_quality_separates_the_real_sharp_and_blurred_photos(shared_data: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "server.cli", "bench", "quality", str(shared_data / "quality")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    blurred = json.loads(done.stdout)["splits"]["all"]["blurred"]
    assert blurred["fp"] == 0 and blurred["fn"] == 0 and blurred["balanced_accuracy"] == 1.0


def test_bench_faces_prints_every_figure(tmp_path: Path, shared_data: Path) -> None:
    rows = list(csv.DictReader((shared_data / "faces" / "pairs_folds.csv").open()))
    chosen = [r for r in rows if r["same"] == "1"][:3] + [r for r in rows if r["same"] == "0"][:3]
    chosen += [r for r in rows if r["lfw_fold"] == "3"][:2] + [r for r in rows if r["lfw_fold"] == "3"][-2:]
    with (tmp_path / "pairs_folds.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["left", "right", "same", "lfw_fold"])
        writer.writeheader()
        for row in chosen:
            writer.writerow({"left": str(shared_data / "faces" / row["left"]), "lfw_fold": row["lfw_fold"],
                             "right": str(shared_data / "faces" / row["right"]), "same": row["same"]})
    command = [sys.executable, "-m", "server.cli", "bench", "faces", str(tmp_path), "--docs", "--speed-pairs", "1",
               "--cache", str(tmp_path / "cache"), "--plot", str(tmp_path / "roc.png")]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["calibration_folds"] == [1, 2] and result["report_folds"] == [3]
    assert set(result["derived_operating_points"]) == {"review", "approve", "strict"}
    for name in ("lfw", "docs"):
        calibration, report = result[name]["calibration"], result[name]["report"]
        assert calibration["pairs"] == 6 and report["pairs"] == 4 and report["genuine"] == 2
        assert set(report["operating_points"]["approve"]) == {"distance", "accuracy", "far", "frr"}
        assert set(report["tar_at_far"]) == {"0.01", "0.001"} and 0.5 <= report["roc_auc"] <= 1.0
        assert calibration["failures_to_detect"] == 0 and calibration["operating_points"]["review"]["accuracy"] == 1.0
    assert set(result["docs_report_by_style"]) == {"colour", "grey"}
    assert sum(s["pairs"] for s in result["docs_report_by_style"].values() if s) == 4
    speed = result["speed"]
    assert set(speed["ms_per_compare"]) == {"wall", "cpu"} and set(speed["ms_per_compare"]["cpu"]) == {"p50", "p95"}
    assert speed["ms_per_compare_docs"]["cpu"]["p50"] > 0 and speed["compares_per_second"]["2_workers"] > 0
    assert (tmp_path / "roc.png").stat().st_size > 1000
    again = subprocess.run([*command[:-2], "--speed-pairs", "0"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert again.returncode == 0, again.stderr  # from the cache: the same figures
    assert json.loads(again.stdout)["docs"] == result["docs"] and json.loads(again.stdout)["speed"] == {}


def test_bench_mrz_prints_every_figure_and_accepts_no_wrong_value(shared_data: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "server.cli", "bench", "mrz", str(shared_data / "documents"),
                           "--rendered", "6"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"specimens", "specimens_valid_as_printed", "photographed_specimens", "rendered",
                           "rendered_exact_by_character_height", "ms_locate", "ms_read", "ms_locate_and_read"}
    assert [result[k]["wrong_accepted"] for k in ("specimens", "photographed_specimens", "rendered")] == [0, 0, 0]
    assert result["specimens"]["total"] == 23 and result["rendered"]["total"] == 6
    assert set(result["ms_read"]) == {"p50", "p95"}


def test_bench_storage_compares_each_adapter_with_doing_it_directly() -> None:
    done = subprocess.run([sys.executable, "-m", "server.cli", "bench", "storage", "--repeats", "3"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result["overhead_ratio"]) == {"s3_put", "s3_get", "local_put", "local_get"}
    for adapter in ("s3_adapter", "boto3_alone", "local_adapter", "plain_files"):
        assert set(result[adapter]["put"]) == {"mb_per_s", "p50_ms", "p99_ms"}
        assert result[adapter]["get"]["mb_per_s"] > 0


def test_bench_sessions_prints_every_figure_beside_the_raw_server() -> None:
    done = subprocess.run([sys.executable, "-m", "server.cli", "bench", "sessions", "--sessions", "20", "--rate", "20",
                           "--duration", "2", "--ramp", "40", "--ramp-seconds", "1", "--closed-seconds", "1",
                           "--flood", "300", "--repeats", "1", "--summary"], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    ours, raw = result["arabesque"], result["raw_python_socketio"]
    for figure in ("sessions_created_per_s", "latency_p50_ms", "latency_p99_ms", "latency_max_ms",
                   "max_sustained_transitions_per_s", "closed_loop_transitions_per_s"):
        assert ours[figure] > 0 and raw[figure] > 0 and figure in result["ratio_to_raw"], figure
    # CPU is read in clock ticks (10 ms): a tiny run's raw server may not have used one yet
    for figure in ("server_cpu_ms_per_create", "server_cpu_ms_per_connect_hello", "server_cpu_ms_per_transition",
                   "kb_rss_per_idle_connected_session"):
        assert ours[figure] > 0 and raw[figure] >= 0, figure
    assert ours["error_count"] == 0 and raw["error_count"] == 0, (ours["errors"], raw["errors"])
    assert ours["flood_others_transitions_per_s"] > 0
    assert set(result["targets"]) >= {"server CPU per transition (ms)", "errors"}
    assert result["machine"]["cpus"] >= 1
