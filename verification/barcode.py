"""Barcodes on identity documents (PDF417 on the back of North American driving licences, QR, Data Matrix,
Aztec) through zxing-cpp, and the AAMVA card design standard's data elements parsed into typed fields."""

from __future__ import annotations

import datetime as dt
import re

import cv2
import msgspec
import numpy as np
import zxingcpp

__all__ = ["AamvaRecord", "Barcode", "parse_aamva", "read_barcodes"]

_FORMATS = (zxingcpp.BarcodeFormat.PDF417, zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.DataMatrix,
            zxingcpp.BarcodeFormat.Aztec)
_HEADER = re.compile(r"@\n\x1e\rANSI ?(\d{6})(\d{2})(\d{2})?(\d{2})?")
_ELEMENT = re.compile(r"^(?:DL|ID)?(D[A-Z]{2})(.*)$")
_SEX = {"1": "M", "2": "F", "9": "X", "M": "M", "F": "F", "X": "X"}


class Barcode(msgspec.Struct, frozen=True, kw_only=True):
    """One decoded symbol: its format (e.g. "PDF417"), text, and corners in image pixels (clockwise from
    top-left)."""

    format: str
    text: str
    corners: list[tuple[int, int]]


class AamvaRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The fields of an AAMVA driving licence or ID card barcode (dates ISO yyyy-mm-dd, "" when absent)."""

    issuer_id: str  # IIN, 6 digits
    version: int
    surname: str
    first_name: str
    middle_names: str
    birth_date: str
    expiry_date: str
    issue_date: str
    licence_number: str
    sex: str  # M, F, X or ""
    state: str  # DAJ, the jurisdiction code
    country: str  # USA or CAN
    elements: dict[str, str]  # every data element as read, by its three-letter id

    def to_context(self, today: dt.date) -> dict[str, object]:
        """Flat builtins for JsonLogic rules; `expired` is relative to `today`."""
        context: dict[str, object] = {
            name: getattr(self, name) for name in ("issuer_id", "surname", "first_name", "middle_names",
                                                   "birth_date", "expiry_date", "licence_number", "sex", "state",
                                                   "country")}
        context["found"] = True
        context["expired"] = bool(self.expiry_date) and dt.date.fromisoformat(self.expiry_date) < today
        return context


def read_barcodes(gray: np.ndarray) -> list[Barcode]:
    """Every PDF417, QR, Data Matrix or Aztec symbol zxing-cpp decodes in the image (empty when none)."""
    formats = zxingcpp.BarcodeFormats(list(_FORMATS))
    found = zxingcpp.read_barcodes(np.ascontiguousarray(gray), formats=formats, text_mode=zxingcpp.TextMode.Plain)
    if not found:
        # Sensor noise breaks PDF417's row tracking on a turned card; a denoised copy often reads.
        smooth = cv2.medianBlur(cv2.GaussianBlur(gray, (0, 0), 1.2), 3)
        found = zxingcpp.read_barcodes(smooth, formats=formats, text_mode=zxingcpp.TextMode.Plain)
    return [Barcode(format=str(symbol.format), text=bytes(symbol.bytes).decode("latin-1"),
                    corners=[(int(p.x), int(p.y)) for p in (symbol.position.top_left, symbol.position.top_right,
                                                            symbol.position.bottom_right, symbol.position.bottom_left)])
            for symbol in found]


def _date(text: str, country: str) -> str:
    """MMDDCCYY in the USA, CCYYMMDD in Canada (AAMVA DL/ID 2005+)."""
    if not re.fullmatch(r"\d{8}", text):
        return ""
    canadian = country == "CAN" or (country != "USA" and int(text[:2]) > 12)
    year, month, day = (text[:4], text[4:6], text[6:]) if canadian else (text[4:], text[:2], text[2:4])
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


def parse_aamva(text: str) -> AamvaRecord | None:
    """The AAMVA record in a barcode's text, or None when the text is not one (no `@ LF RS CR ANSI` header)."""
    header = _HEADER.search(text)
    if header is None:
        return None
    elements: dict[str, str] = {}
    # The header's subfile designators (type, offset, length: 10 characters each) precede the first subfile,
    # whose first element follows its type (DL, ID) on the same line.
    body = text[header.end() + 10 * int(header.group(4) or 0):]
    for line in re.split(r"[\n\r]+", body):
        match = _ELEMENT.match(line)
        if match and match.group(1) not in elements:
            elements[match.group(1)] = match.group(2).strip()
    country = elements.get("DCG", "")
    return AamvaRecord(
        issuer_id=header.group(1), version=int(header.group(2)), surname=elements.get("DCS", elements.get("DAB", "")),
        first_name=elements.get("DAC", elements.get("DCT", "")).split(",")[0], middle_names=elements.get("DAD", ""),
        birth_date=_date(elements.get("DBB", ""), country), expiry_date=_date(elements.get("DBA", ""), country),
        issue_date=_date(elements.get("DBD", ""), country), licence_number=elements.get("DAQ", ""),
        sex=_SEX.get(elements.get("DBC", ""), ""), state=elements.get("DAJ", ""), country=country, elements=elements)
