"""The labelled quality set: phone-like captures of document specimens, in two splits.

Families per document (`verification.captures`): clean captures on random desks (plain, wood grain,
cluttered; grey gap to the paper under 20, 20-40, or large), a desk as bright as the paper, strong
perspective, cast shadows, the document filling the frame, a hand holding it, defocus and motion
blur at graded strengths (3 px hand shake labelled sharp), specular glare and diffuse sheen, bright
but unclipped, dark, overexposed, backlit (a window in the frame) and a window with the document
well exposed, fingers over the portrait / the data / a corner, far captures (small and under
480 px wide; or 5% of a 3200 px frame and 800 px wide), cut off and near the edge. Scenes without a
document: empty desks, murals, selfies, screens. Declaration rows: the clean capture again, declared
with the wrong type (a passport as `id_card`, a card as `passport`) or, for cards, the wrong side.
Machine-readable zones: good captures (clean, on wood, cluttered, shadowed desks) of a zone valid as
printed are mrz_invalid 0, of a zone printed against ICAO 9303 1; the synthetic card's back is also
photographed with one digit of its zone changed (1).

Split: calibration (thresholds are frozen on it) and report (the published figures) hold different
specimens and different random draws. Specimens are grouped by what they are (passport page, card
front, card back, other); within a group they are sorted by the SHA-1 of their file name and dealt
alternately, calibration first. The synthetic card design 0 is calibration, design 1 report. Draws
use seed `seed` for calibration and `seed + 1000` for report, mixed with the file name's CRC.
"""

from __future__ import annotations

import csv
import hashlib
import zlib
from collections.abc import Iterator
from pathlib import Path

import cv2
import msgspec
import numpy as np

from verification.captures import COLUMNS, NONE, Labels, Shooter, captures, empty_scenes, finish
from verification.cards import card

HEADER = ("path", "split", "document_type", "side", "true_type", "true_side", *COLUMNS)
SPLITS = ("calibration", "report")
# documents/labels.csv doc_kind -> (what it is, which side); kinds not listed are left out. A TD2 travel
# document (ID-2 size, 105 x 74 mm) is neither a passport's data page nor an ID-1 card: "other"
KINDS = {"passport": ("passport", "front"), "travel_document_td2": ("other", "front"),
         "visa": ("other", "front"), "id_card": ("id_card", "front"), "residence_card": ("id_card", "front"),
         "id_card_back": ("id_card", "back")}
# Specimens whose printed zone ICAO 9303 does not allow (tests/verification/test_mrz.py says why for each):
# a good capture of them must fail the mrz check
INVALID_AS_PRINTED = frozenset({"100_pass-bdr", "100_id-rou", "33_id-usa", "77_card-cmw"})
MRZ_TAMPERED = 4  # captures per split of the synthetic card's back with one digit of its zone changed


class Specimen(msgspec.Struct, frozen=True, kw_only=True):
    """One document to photograph: a file from the shared specimens, or a synthetic card."""

    name: str
    true_type: str
    side: str
    split: str
    mrz: int = NONE
    """The mrz_invalid label of a good capture: 0 (a zone valid as printed), 1 (printed invalid), NONE."""
    path: str = ""
    style: int = -1


class Row(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    split: str
    document_type: str
    side: str
    true_type: str
    true_side: str
    labels: Labels


def specimens(root: Path) -> list[Specimen]:
    """The whole single-page specimens (scans and figures of aspect ratio 1.25-1.8), split as above,
    and the synthetic cards."""
    groups: dict[tuple[str, str], list[dict[str, str]]] = {}
    with (root / "labels.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["capture"] not in ("scan", "graphic") or row["doc_kind"] not in KINDS:
                continue
            image = cv2.imread(str(root / row["path"]), cv2.IMREAD_GRAYSCALE)
            if image is None or not 1.25 <= max(image.shape) / min(image.shape) <= 1.8:
                continue
            groups.setdefault(KINDS[row["doc_kind"]], []).append(row)
    chosen: list[Specimen] = []
    for (kind, side), rows in sorted(groups.items()):
        rows.sort(key=lambda r: hashlib.sha1(Path(r["path"]).name.encode()).hexdigest())
        for i, row in enumerate(rows):
            stem = Path(row["path"]).stem
            mrz = 1 if stem in INVALID_AS_PRINTED else 0 if row["passporteye_expected_score"] == "100" else NONE
            chosen.append(Specimen(name=stem, true_type=kind, side=side, split=SPLITS[i % 2], mrz=mrz,
                                   path=str(root / row["path"])))
    for style, split in enumerate(SPLITS):
        for side in ("front", "back"):
            chosen.append(Specimen(name=f"synthetic_card{style}_{side}", true_type="id_card", side=side, split=split,
                                   style=style, mrz=0 if side == "back" else NONE))
    return chosen


def _image(specimen: Specimen) -> np.ndarray | None:
    if specimen.style >= 0:
        return card(specimen.side, specimen.style)
    image: np.ndarray | None = cv2.imread(specimen.path, cv2.IMREAD_COLOR)
    if image is not None and image.shape[0] > image.shape[1]:
        image = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    return image


def _rows(specimen: Specimen, image: np.ndarray, seed: int, out: Path) -> Iterator[Row]:
    rng = np.random.default_rng([seed + 1000 * SPLITS.index(specimen.split), zlib.crc32(specimen.name.encode())])
    shooter = Shooter(image, rng, sharp_base=image.shape[1] >= 700)
    portrait_u = 0.83 if specimen.style == 1 else 0.2
    declared = specimen.true_type if specimen.true_type != "other" else "other"
    if specimen.style >= 0 and specimen.side == "back":
        tampered = Shooter(card("back", specimen.style, tampered=True), rng, sharp_base=True)
        for k in range(MRZ_TAMPERED):
            image, placed = tampered.shoot()
            name = f"{specimen.name}__mrz_tampered_{k}.jpg"
            cv2.imwrite(str(out / name), finish(image, rng), [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(85, 94))])
            yield Row(path=name, split=specimen.split, document_type=declared, side=specimen.side,
                      true_type=specimen.true_type, true_side=specimen.side,
                      labels=tampered.labels(image, placed, mrz_invalid=1))
    for family, capture, labels in captures(shooter, portrait_u=portrait_u, mrz=specimen.mrz):
        name = f"{specimen.name}__{family}.jpg"
        cv2.imwrite(str(out / name), capture, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(85, 94))])
        yield Row(path=name, split=specimen.split, document_type=declared, side=specimen.side,
                  true_type=specimen.true_type, true_side=specimen.side, labels=labels)
        if family != "clean":
            continue
        unclaimed = {c: NONE for c in COLUMNS}
        if specimen.true_type in ("passport", "id_card"):
            wrong = "id_card" if specimen.true_type == "passport" else "passport"
            yield Row(path=name, split=specimen.split, document_type=wrong, side=specimen.side,
                      true_type=specimen.true_type, true_side=specimen.side, labels=unclaimed | {"wrong_type": 1})
        if specimen.true_type == "id_card":
            flipped = "back" if specimen.side == "front" else "front"
            yield Row(path=name, split=specimen.split, document_type=declared, side=flipped,
                      true_type=specimen.true_type, true_side=specimen.side, labels=unclaimed | {"wrong_side": 1})


def build(root: Path, out: Path, *, seed: int = 20261128, only: str = "") -> list[Row]:
    """Write every capture of every specimen, and the scenes without a document, into `out` with a labels.csv."""
    out.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for specimen in specimens(root):
        image = _image(specimen)
        if image is None or (only and only not in specimen.name):
            continue
        rows.extend(_rows(specimen, image, seed, out))
    for index, split in enumerate(SPLITS):
        rng = np.random.default_rng([seed + 1000 * index, 7])
        for name, scene in empty_scenes(rng):
            path = f"{split}_{name}.jpg"
            cv2.imwrite(str(out / path), scene, [cv2.IMWRITE_JPEG_QUALITY, 90])
            declared = ("passport", "id_card")[int(rng.integers(0, 2))]
            labels = {c: NONE for c in COLUMNS} | {"no_document": 1}
            rows.append(Row(path=path, split=split, document_type=declared, side="front", true_type="none",
                            true_side="", labels=labels))
    with (out / "labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow([row.path, row.split, row.document_type, row.side, row.true_type, row.true_side,
                             *("" if row.labels[c] == NONE else row.labels[c] for c in COLUMNS)])
    return rows


__all__ = ["HEADER", "KINDS", "SPLITS", "Row", "Specimen", "build", "specimens"]
