"""`arabesque bench quality DIR`: document checks against labelled images."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from server.bench.stats import confusion, percentiles
from verification.pipeline import analyse_document
from verification.results import Policy

# labels.csv column -> the check that should fail when the label is 1
COLUMN_CHECKS = {"blurred": "sharpness", "glare": "glare", "cut_off": "cut_off", "too_dark": "too_dark",
                 "overexposed": "overexposed", "no_document": "document_found", "low_resolution": "low_resolution"}


def twelve_megapixel(source: Path, policy: Policy, repeats: int = 15) -> dict[str, object]:
    """All document checks on a 4000x3000 JPEG made from `source`, next to a full-size decode alone."""
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
    for _ in range(repeats):
        start = time.perf_counter()
        analyse_document(data, document_type=None, side="back", policy=policy)
        checks.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        decodes.append((time.perf_counter() - start) * 1000)
    return {"ms_per_12mp_image": percentiles(checks), "ms_full_decode_12mp": percentiles(decodes)}


def run(directory: Path, *, preset: str = "normal", details: bool = False) -> dict[str, object]:
    """Run every image through the document checks; per labelled column, the confusion counts."""
    with (directory / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    policy = Policy.from_params({"preset": preset})
    expected: dict[str, list[int]] = {c: [] for c in COLUMN_CHECKS}
    failed: dict[str, list[bool]] = {c: [] for c in COLUMN_CHECKS}
    timings: list[float] = []
    mistakes: list[dict[str, object]] = []
    for row in rows:
        data = (directory / row["path"]).read_bytes()
        start = time.perf_counter()
        result = analyse_document(data, document_type=None, side="back", policy=policy)
        timings.append((time.perf_counter() - start) * 1000)
        checks = result.report.checks if result.report is not None else {}
        for column, check in COLUMN_CHECKS.items():
            label = (row.get(column) or "").strip()
            if label not in ("0", "1"):
                continue
            found = checks.get(check)
            did_fail = result.unreadable is not None or (found is not None and found.status == "failed")
            expected[column].append(int(label))
            failed[column].append(did_fail)
            if details and did_fail != (label == "1"):
                mistakes.append({"path": row["path"], "column": column, "label": int(label),
                                 "value": found.value if found else None})
    output: dict[str, object] = {
        "images": len(rows),
        "checks": {column: confusion(expected[column], failed[column]) for column in COLUMN_CHECKS if expected[column]},
        "ms_per_image": percentiles(timings),
        **(twelve_megapixel(directory / rows[0]["path"], policy) if rows else {}),
    }
    if details:
        output["mistakes"] = mistakes
    return output


__all__ = ["COLUMN_CHECKS", "run"]
