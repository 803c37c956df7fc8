"""Barcodes on a photographed card back: PDF417 with an AAMVA payload read back field by field."""

from __future__ import annotations

import datetime as dt

import cv2
import numpy as np
import zxingcpp

from verification.barcode import AamvaRecord, parse_aamva, read_barcodes

ELEMENTS = ["DAQD12345678", "DCSMUSTERMANN", "DDEN", "DACERIKA", "DDFN", "DADMARIA", "DDGN", "DCAC", "DCBNONE",
            "DCDNONE", "DBD01152021", "DBB08121964", "DBA08122029", "DBC2", "DAYBLU", "DAU065 IN", "DAG123 MAIN ST",
            "DAIANYTOWN", "DAJCA", "DAK902230000", "DCF83D9BN217QO983B1", "DCGUSA", "DCK12345678900000000001"]


def aamva_payload(elements: list[str], *, iin: str = "636014", subfile: str = "DL") -> str:
    """A realistic AAMVA 2016 (version 08) payload: header, one subfile designator, the subfile."""
    data = subfile + "\n".join(elements) + "\r"
    header_length = 21 + 10
    return f"@\n\x1e\rANSI {iin}0800" + "01" + f"{subfile}{header_length:04d}{len(data):04d}" + data


def card_back(payload: str, rng: np.random.Generator) -> np.ndarray:
    """A grey card back with the PDF417 on it, photographed: turned 2 degrees, blurred, noisy, JPEG'd."""
    symbol = np.asarray(zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.PDF417), scale=3))
    card = np.full((620, 980), 225, np.uint8)
    cv2.putText(card, "DRIVER LICENSE", (40, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 60, 2)
    h, w = symbol.shape
    factor = min(900 / w, 420 / h)
    symbol = cv2.resize(symbol, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
    h, w = symbol.shape
    card[120:120 + h, 40:40 + w] = symbol
    scene = np.full((800, 1200), 90, np.uint8)
    scene[90:710, 110:1090] = card
    turn = cv2.getRotationMatrix2D((600, 400), 2.0, 0.95)
    scene = cv2.warpAffine(scene, turn, (1200, 800), borderValue=90)
    scene = cv2.GaussianBlur(scene, (0, 0), 1.0)
    scene = np.clip(scene + rng.normal(0, 6, scene.shape), 0, 255).astype(np.uint8)
    _, jpeg = cv2.imencode(".jpg", scene, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)


def test_a_photographed_aamva_pdf417_is_read_and_parsed_exactly() -> None:
    payload = aamva_payload(ELEMENTS)
    barcodes = read_barcodes(card_back(payload, np.random.default_rng(7)))
    assert [(b.format, b.text) for b in barcodes] == [("PDF417", payload)]
    record = parse_aamva(barcodes[0].text)
    assert record is not None
    assert (record.issuer_id, record.version, record.surname, record.first_name, record.middle_names) == (
        "636014", 8, "MUSTERMANN", "ERIKA", "MARIA")
    assert (record.birth_date, record.expiry_date, record.issue_date) == ("1964-08-12", "2029-08-12", "2021-01-15")
    assert (record.licence_number, record.sex, record.state, record.country) == ("D12345678", "F", "CA", "USA")
    assert len(record.elements) == len(ELEMENTS)
    assert len(barcodes[0].corners) == 4


def test_a_canadian_licence_gives_its_dates_year_first() -> None:
    elements = ["DAQ123456789", "DCSTREMBLAY", "DACJEAN", "DBB19640812", "DBA20290812", "DBC1", "DAJQC", "DCGCAN"]
    record = parse_aamva(aamva_payload(elements, iin="604428"))
    assert record is not None
    assert (record.surname, record.birth_date, record.expiry_date, record.sex, record.country) == (
        "TREMBLAY", "1964-08-12", "2029-08-12", "M", "CAN")


def test_the_record_gives_rules_flat_values_and_whether_it_expired() -> None:
    record = parse_aamva(aamva_payload(ELEMENTS))
    assert isinstance(record, AamvaRecord)
    context = record.to_context(dt.date(2030, 1, 1))
    assert context["expired"] is True and context["surname"] == "MUSTERMANN" and context["found"] is True
    assert record.to_context(dt.date(2026, 11, 28))["expired"] is False


def test_a_barcode_that_is_not_aamva_gives_its_text_but_no_record() -> None:
    image = card_back("https://example.org/verify?id=42", np.random.default_rng(3))
    barcodes = read_barcodes(image)
    assert [(b.format, b.text) for b in barcodes] == [("PDF417", "https://example.org/verify?id=42")]
    assert parse_aamva(barcodes[0].text) is None


def test_a_qr_code_comes_for_free() -> None:
    symbol = np.asarray(zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode("ARABESQUE", zxingcpp.BarcodeFormat.QRCode), scale=6))
    page = np.full((400, 400), 255, np.uint8)
    page[50:50 + symbol.shape[0], 50:50 + symbol.shape[1]] = symbol
    assert [(b.format, b.text) for b in read_barcodes(page)] == [("QR Code", "ARABESQUE")]


def test_an_image_without_a_barcode_or_with_a_ruined_one_gives_an_empty_list() -> None:
    rng = np.random.default_rng(5)
    assert read_barcodes(np.full((600, 900), 200, np.uint8)) == []
    ruined = card_back(aamva_payload(ELEMENTS), rng)
    ruined[:, 150:1050] = rng.integers(0, 255, (800, 900), dtype=np.uint8)
    assert read_barcodes(ruined) == []
