"""What is printed on the document: its machine-readable zone, its barcode and its portrait, what covers it,
and so what kind of document it is and which side, held against what the journey asked for.

Runs on the rectified document. The expensive readers run only where they can answer something: the
barcode reader on a card's back (or a front without a portrait), the face detector on a front (or a back
that shows neither a zone nor a barcode, to tell a front sent as the back).
"""

from __future__ import annotations

import datetime as dt
import functools

import cv2
import msgspec
import numpy as np

from verification.barcode import AamvaRecord, Barcode, parse_aamva, read_barcodes
from verification.layout import CARD_TYPES, Cues, Layout, classify, judge_side, judge_type
from verification.mrz import MrzReading
from verification.mrz_glyphs import OcrbLines
from verification.mrz_ocr import locate_mrz, read_mrz
from verification.occlusion import judge_occlusion
from verification.results import CheckResult, Policy, failed, skipped

PORTRAIT_TYPES = frozenset({"passport", "id_card", "driving_licence", "residence_permit"})
PORTRAIT_WIDTH = 880
"""A document's portrait is 0.14-0.25 of its height: at this width it is over HOG's 80 px window, so one
pass at the working size finds it (HOG upsampling a smaller copy costs three to four times as much)."""


class DocumentRead(msgspec.Struct, frozen=True, kw_only=True):
    """What was read off the document; `today` is the date its expiry was judged against."""

    layout: Layout
    today: str
    mrz: MrzReading | None = None
    barcodes: list[Barcode] = []
    aamva: AamvaRecord | None = None

    def to_context(self) -> dict[str, object]:
        """For rules: `read.kind`, `read.side`, `read.mrz.{found, valid, surname, birth_date, expired ...}`,
        `read.barcode.{found, format, aamva: {...}}`."""
        today = dt.date.fromisoformat(self.today)
        barcode: dict[str, object] = {"found": bool(self.barcodes)}
        if self.barcodes:
            barcode["format"] = self.barcodes[0].format
        if self.aamva is not None:
            barcode["aamva"] = self.aamva.to_context(today)
        return {"kind": self.layout.kind, "side": self.layout.side, "evidence": self.layout.evidence,
                "mrz": self.mrz.to_context(today) if self.mrz is not None else {"found": False, "valid": False},
                "barcode": barcode}


@functools.cache
def ocr() -> OcrbLines:
    """The MRZ reader's glyphs, rendered once per process (about 30 ms)."""
    return OcrbLines()


def has_portrait(region: np.ndarray) -> tuple[bool, float]:
    """A face on the rectified document, and the detector's confidence."""
    from verification.faces import detect

    height, width = region.shape[:2]
    sized = cv2.resize(region, (PORTRAIT_WIDTH, max(1, round(height * PORTRAIT_WIDTH / width))),
                       interpolation=cv2.INTER_AREA if width > PORTRAIT_WIDTH else cv2.INTER_LINEAR)
    faces = detect(cv2.cvtColor(sized, cv2.COLOR_BGR2RGB), fallback=False, working_side=PORTRAIT_WIDTH)
    return bool(faces), faces[0].confidence if faces else 0.0


def _zone_like(reading: MrzReading | None) -> bool:
    """Lines of a machine-readable zone's count and length were read (right or wrong), not other text."""
    return reading is not None and reading.found and not {"shape", "count"} & set(reading.problems)


def _expects_mrz(document_type: str | None, side: str) -> bool:
    return (document_type == "passport" and side == "front") or (
        document_type in ("id_card", "residence_permit") and side == "back")


def _judge_mrz(reading: MrzReading | None, expected: bool, policy: Policy) -> CheckResult:
    if reading is None or not reading.found:
        return skipped("mrz", "no machine-readable zone on this side")
    if not expected and not _zone_like(reading):  # stacked lines of print on a card's front, say
        return skipped("mrz", "text lines, not a machine-readable zone")
    mode = policy.modes.get("mrz", "error")
    if reading.valid:
        return CheckResult(name="mrz", passed=True, status="passed" if mode != "off" else "skipped", score=100.0,
                           value=1.0, threshold=1.0, mode=mode)
    return failed("mrz", "verification.mrz_invalid", "retake.mrz_invalid", policy, value=0.0, threshold=1.0)


def judge_contents(region: np.ndarray, *, document_type: str | None, side: str, policy: Policy, today: dt.date,
                   detect_portrait: bool = True) -> tuple[list[CheckResult], DocumentRead]:
    """The checks `portrait`, `occlusion`, `mrz`, `document_type`, `document_side` on the rectified document
    (BGR), and what was read off it."""
    gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)
    zone = locate_mrz(gray)
    reading = read_mrz(gray, zone, ocr=ocr(), today=today) if zone is not None else None
    readable = reading is not None and reading.valid
    card = (document_type or "") in CARD_TYPES
    wants_portrait = detect_portrait and side == "front" and (document_type or "") in PORTRAIT_TYPES
    portrait: tuple[bool, float] | None = has_portrait(region) if wants_portrait else None
    barcodes: list[Barcode] = []
    if card and not readable and (side == "back" or (portrait is not None and not portrait[0])):
        barcodes = [b for b in read_barcodes(gray) if b.format == "PDF417"]
    if portrait is None and detect_portrait and card and side == "back" and zone is None and not barcodes:
        portrait = has_portrait(region)  # neither a zone nor a barcode: is this the front?
    zone_like = _zone_like(reading)  # the code and format of a zone read whole are kept even if a digit is off
    cues = Cues(aspect=region.shape[1] / max(1, region.shape[0]), portrait=portrait[0] if portrait else None,
                mrz_lines=zone.lines if zone is not None and zone_like else 0,
                mrz_format=(reading.format or "") if zone_like and reading is not None else "",
                mrz_code=reading.document_code if zone_like and reading is not None else "",
                barcode=bool(barcodes))
    layout = classify(cues)
    checks = [judge_occlusion(region, policy), _judge_mrz(reading, _expects_mrz(document_type, side), policy),
              judge_type(layout, document_type, policy),
              judge_side(layout, document_type, side, policy)]
    if wants_portrait and portrait is not None:
        found, confidence = portrait
        checks.append(CheckResult(name="portrait", passed=True, status="passed", score=confidence, value=1.0,
                                  threshold=1.0, mode=policy.modes.get("portrait", "error")) if found else
                      failed("portrait", "verification.no_portrait", "retake.no_portrait", policy, value=0.0,
                             threshold=1.0))
    else:
        checks.append(skipped("portrait", "not expected on this side"))
    aamva = next((record for record in (parse_aamva(b.text) for b in barcodes) if record is not None), None)
    read = DocumentRead(layout=layout, today=today.isoformat(), mrz=reading, barcodes=barcodes, aamva=aamva)
    return checks, read


__all__ = ["PORTRAIT_TYPES", "DocumentRead", "has_portrait", "judge_contents", "ocr"]
