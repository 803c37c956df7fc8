"""The pairs `bench faces` measures, their descriptors (cached per variant), and the figures of a split.

Two sets share one list of LFW pairs (`pairs_folds.csv`, or `pairs.csv` without folds): `lfw`, the two
photos as they are, and `docs`, the left photo printed on an ID card and photographed
(`verification.portraits`) against the right photo as the selfie. Operating points are derived on the
calibration folds and only applied to the report folds; a pair with an undetected face is an error.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import msgspec
import numpy as np

from verification.faces import (
    VARIANTS,
    Variant,
    chip_descriptor,
    detect,
    distance,
    face_chip,
    in_grey,
    is_grey,
    rgb_for_comparison,
)
from verification.portraits import printed_portrait


class Described(msgspec.Struct, frozen=True, kw_only=True):
    """One face's descriptors: in colour, in grey when asked for, and whether the face itself is grey."""

    colour: np.ndarray
    grey: np.ndarray | None
    is_grey: bool


def describe(chip: np.ndarray, *, variant: Variant, with_grey: bool = False) -> Described:
    grey = chip_descriptor(chip, variant=variant, grey=True) if with_grey else None
    return Described(colour=chip_descriptor(chip, variant=variant), grey=grey, is_grey=is_grey(chip))


def pair_distance(reference: Described, probe: Described, *, variant: Variant) -> float:
    """Cosine distance of two faces as `verification.faces.compare` decides it (`in_grey`)."""
    if in_grey(variant, reference.is_grey, probe.is_grey):
        if reference.grey is None or probe.grey is None:
            raise ValueError("Expected grey descriptors for a pair with a grey face, got colour only")
        return distance(reference.grey, probe.grey)
    return distance(reference.colour, probe.colour)


class Pair(msgspec.Struct, frozen=True, kw_only=True):
    row: int
    left: str
    right: str
    same: bool
    fold: int


class Embedded(msgspec.Struct, frozen=True, kw_only=True):
    """Every face of one image, largest first, as `verification.faces.describe` gives them."""

    key: str
    faces: list[tuple[list[float], list[float] | None, bool]]
    style: str = ""

    def described(self) -> list[Described]:
        return [Described(colour=np.asarray(c), grey=None if g is None else np.asarray(g), is_grey=flag)
                for c, g, flag in self.faces]


def load_pairs(directory: Path, limit: int | None) -> list[Pair]:
    """The pairs, at most `limit` genuine and `limit` impostor ones per fold (spread over the fold)."""
    path = directory / "pairs_folds.csv"
    if not path.exists():
        path = directory / "pairs.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    pairs = [Pair(row=i, left=str(directory / r["left"]), right=str(directory / r["right"]), same=r["same"] == "1",
                  fold=int(r.get("lfw_fold") or 0)) for i, r in enumerate(rows)]
    if limit is None:
        return pairs
    chosen = []
    for fold in sorted({p.fold for p in pairs}):
        for same in (True, False):
            group = [p for p in pairs if p.fold == fold and p.same == same]
            step = max(1, len(group) // limit)
            chosen += group[::step][:limit]
    return sorted(chosen, key=lambda p: p.row)


def doc_key(pair: Pair) -> str:
    return f"doc/{pair.row}"


class Chips(msgspec.Struct, frozen=True, kw_only=True):
    """Every face of one image, largest first, aligned (150x150 RGB bytes): what every variant starts from."""

    key: str
    chips: list[bytes]
    style: str = ""


def find_chips(key: str, source: str) -> Chips:
    """Decode, detect and align every face of an image (a document photo is generated from `source` first)."""
    style = ""
    if key.startswith("doc/"):
        face = cv2.imread(source)
        if face is None:
            raise ValueError(f"Expected an image at {source}, got nothing OpenCV can read")
        printed = printed_portrait(face, int(key.removeprefix("doc/")))
        data, style = printed.jpeg, printed.style
    else:
        data = Path(source).read_bytes()
    rgb = rgb_for_comparison(data)
    return Chips(key=key, chips=[face_chip(rgb, box).tobytes() for box in detect(rgb, confirm_weak=True)], style=style)


def embed(chips: Chips, variant_name: str) -> Embedded:
    """The variant's descriptors of every face of an image."""
    variant = VARIANTS[variant_name]
    faces = []
    for raw in chips.chips:
        chip = np.frombuffer(raw, np.uint8).reshape(150, 150, 3)
        found = describe(chip, variant=variant, with_grey=variant.grey_pairs)
        faces.append(([float(v) for v in found.colour], None if found.grey is None else [float(v) for v in found.grey],
                      found.is_grey))
    return Embedded(key=chips.key, faces=faces, style=chips.style)


def distances(pairs: list[Pair], left: dict[str, Embedded], right: dict[str, Embedded], left_key: str,
              variant_name: str) -> np.ndarray:
    """As `compare` decides: the reference's largest face against the probe's closest face; inf when either
    image has no face."""
    variant = VARIANTS[variant_name]
    out = np.full(len(pairs), np.inf)
    for i, pair in enumerate(pairs):
        reference = left[doc_key(pair) if left_key == "doc" else pair.left].described()
        probe = right[pair.right].described()
        if reference and probe:
            out[i] = min(pair_distance(reference[0], face, variant=variant) for face in probe)
    return out


def roc_auc(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Probability that a genuine pair is closer than an impostor pair (Mann-Whitney U)."""
    scores = np.concatenate([-genuine, -impostor])
    order = scores.argsort().argsort() + 1.0
    rank_sum = order[: len(genuine)].sum()
    return float((rank_sum - len(genuine) * (len(genuine) + 1) / 2) / (len(genuine) * len(impostor)))


STRICT_MARGIN = 0.97
"""strict lies this fraction of the way to the closest calibration impostor: a margin for what a few hundred
impostors cannot show (on 1,000 LFW impostors the earlier points had strict/approve = 0.967)."""


def calibrate(dist: np.ndarray, same: np.ndarray) -> dict[str, float]:
    """review: the distance of highest accuracy (the median of the best, each midway between two measured
    distances); approve: the largest with FAR <= 0.1% (just below the impostor that would make it more;
    with fewer than 1,000 impostors, below every one); strict: STRICT_MARGIN of the closest impostor."""
    impostor = np.sort(dist[~same])
    finite = np.unique(dist[np.isfinite(dist)])
    candidates = (finite[:-1] + finite[1:]) / 2 if len(finite) > 1 else finite
    accuracy = [float(np.mean((dist <= t) == same)) for t in candidates]
    best = max(accuracy, default=0.0)
    review = float(np.median([t for t, a in zip(candidates, accuracy, strict=True) if a == best])) if accuracy else 0.0
    allowed = int(np.floor(0.001 * len(impostor)))
    approve = min(review, float(impostor[allowed]) - 1e-4 if allowed < len(impostor) else review)
    strict = min(approve - 1e-4, float(impostor[0]) * STRICT_MARGIN if len(impostor) else approve)
    return {"review": round(review, 4), "approve": round(approve, 4), "strict": round(strict, 4)}


def figures(dist: np.ndarray, same: np.ndarray, points: dict[str, float]) -> dict[str, object]:
    """Error rates of one split at given operating points (failed detections are inf: errors both ways)."""
    failed = ~np.isfinite(dist)
    genuine, impostor = dist[same], dist[~same]
    at = {}
    for name, threshold in points.items():
        accept = dist <= threshold
        at[name] = {"distance": threshold, "accuracy": round(float(np.mean((accept == same) & ~failed)), 4),
                    "far": round(float(np.mean(impostor <= threshold)), 4),
                    "frr": round(float(np.mean(genuine > threshold)), 4)}
    tar_at_far = {}
    for far in (0.01, 0.001):
        ordered = np.sort(impostor)
        allowed = int(np.floor(far * len(ordered)))
        threshold = ordered[allowed] if allowed < len(ordered) else np.inf
        tar_at_far[str(far)] = round(float(np.mean(genuine < threshold)), 4)
    finite = np.unique(dist[np.isfinite(dist)])
    best = max(((float(np.mean(((dist <= t) == same) & ~failed)), float(t)) for t in finite), default=(0.0, 0.0))
    return {"pairs": len(dist), "genuine": int(same.sum()), "failures_to_detect": int(failed.sum()),
            "operating_points": at, "tar_at_far": tar_at_far,
            "roc_auc": round(roc_auc(genuine, impostor), 5) if len(genuine) and len(impostor) else 0.0,
            "best_accuracy": {"accuracy": round(best[0], 4), "distance": round(best[1], 5)}}


__all__ = ["Chips", "Embedded", "Pair", "calibrate", "distances", "doc_key", "embed", "figures", "find_chips",
           "load_pairs", "roc_auc"]
