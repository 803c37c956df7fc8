"""`arabesque bench quality DIR`: document checks against labelled images."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from server.bench.stats import confusion, percentiles
from verification.pipeline import CaptureResult, analyse_document
from verification.results import Policy

# labels.csv column -> the check that should fail when the label is 1
COLUMN_CHECKS = {"blurred": "sharpness", "glare": "glare", "cut_off": "cut_off", "too_dark": "too_dark",
                 "backlit": "backlight", "overexposed": "overexposed", "no_document": "document_found",
                 "low_resolution": "low_resolution", "occluded": "occlusion", "wrong_type": "document_type",
                 "wrong_side": "document_side", "mrz_invalid": "mrz"}


def twelve_megapixel(source: Path, policy: Policy, *, document_type: str | None = None, side: str = "back",
                     repeats: int = 15) -> dict[str, object]:
    """All document checks (the MRZ, the portrait and the barcode included where the declared type and side
    call for them) on a 4000x3000 JPEG made from `source`, next to a full-size decode alone."""
    import cv2
    import numpy as np

    image = cv2.imread(str(source))
    if image is None:
        raise ValueError(f"Expected an image at {source}, got nothing OpenCV can read")
    ok, encoded = cv2.imencode(".jpg", cv2.resize(image, (4000, 3000), interpolation=cv2.INTER_CUBIC),
                               [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    data = encoded.tobytes()
    checks: list[float] = []
    decodes: list[float] = []
    result = analyse_document(data, document_type=document_type, side=side, policy=policy)  # loads the models
    for _ in range(repeats):
        start = time.perf_counter()
        analyse_document(data, document_type=document_type, side=side, policy=policy)
        checks.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        decodes.append((time.perf_counter() - start) * 1000)
    mrz = result.read.mrz if result.read is not None else None
    return {"ms_per_12mp_image": {**percentiles(checks), "photo": source.name, "document_type": document_type,
                                  "side": side, "mrz_valid": bool(mrz is not None and mrz.valid)},
            "ms_full_decode_12mp": percentiles(decodes)}


def _timed_row(rows: list[dict[str, str]]) -> dict[str, str]:
    """A good capture whose zone must be read (so the timing includes the MRZ), else the first row."""
    return next((r for r in rows if r.get("mrz_invalid") == "0" and r["path"].endswith("__clean.jpg")), rows[0])


def _measure(directory: Path, rows: list[dict[str, str]], policy: Policy, details: bool
             ) -> tuple[dict[str, dict[str, tuple[list[int], list[bool]]]], list[float], list[dict[str, object]]]:
    """Per split and column: the labels and whether the check failed; the timings; the mistakes."""
    results: dict[str, dict[str, tuple[list[int], list[bool]]]] = {}
    timings: list[float] = []
    mistakes: list[dict[str, object]] = []
    cache: dict[tuple[str, str, str], CaptureResult] = {}
    for row in rows:
        declared = (row.get("document_type") or "").strip() or None
        side = (row.get("side") or "").strip() or "back"  # undeclared: no portrait expected
        key = (row["path"], declared or "", side)
        if key not in cache:
            data = (directory / row["path"]).read_bytes()
            start = time.perf_counter()
            cache[key] = analyse_document(data, document_type=declared, side=side, policy=policy)
            timings.append((time.perf_counter() - start) * 1000)
        result = cache[key]
        checks = result.report.checks if result.report is not None else {}
        split = (row.get("split") or "").strip() or "all"
        for column, check in COLUMN_CHECKS.items():
            label = (row.get(column) or "").strip()
            if label not in ("0", "1"):
                continue
            found = checks.get(check)
            if found is None and result.unreadable is None:
                continue  # the check does not exist (yet): not measured
            did_fail = result.unreadable is not None or (found is not None and found.status == "failed")
            expected, failed = results.setdefault(split, {}).setdefault(column, ([], []))
            expected.append(int(label))
            failed.append(did_fail)
            if details and did_fail != (label == "1"):
                mistakes.append({"path": row["path"], "split": split, "column": column, "label": int(label),
                                 "value": found.value if found else None, "reason": found.reason if found else None})
    return results, timings, mistakes


def run(directory: Path, *, preset: str = "normal", details: bool = False, split: str = "") -> dict[str, object]:
    """Run every image through the document checks (with its row's declared type and side); per split and
    labelled column, the confusion counts and balanced accuracy."""
    with (directory / "labels.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if not split or (r.get("split") or "all") == split]
    policy = Policy.from_params({"preset": preset})
    results, timings, mistakes = _measure(directory, rows, policy, details)
    labelled = {c for r in rows for c in COLUMN_CHECKS if (r.get(c) or "").strip() in ("0", "1")}
    splits: dict[str, object] = {}
    for name, columns in sorted(results.items()):
        table: dict[str, object] = {c: confusion(*columns[c]) for c in COLUMN_CHECKS if c in columns}
        table.update({c: "not measured" for c in sorted(labelled - set(columns))})
        splits[name] = table
    output: dict[str, object] = {
        "images": len({r["path"] for r in rows}),
        "rows": len(rows),
        "splits": splits,
        "ms_per_image": percentiles(timings),
    }
    if rows:
        timed = _timed_row(rows)
        output.update(twelve_megapixel(directory / timed["path"], policy,
                                       document_type=timed.get("document_type") or None,
                                       side=timed.get("side") or "back"))
    if details:
        output["mistakes"] = mistakes
    return output


__all__ = ["COLUMN_CHECKS", "run"]
