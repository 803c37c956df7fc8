"""Synthetic ID-1 cards (85.6 x 54 mm) for the quality set: a front with a portrait and data lines,
and a back with a three-line machine-readable zone. Two designs (`style` 0 and 1), so the
calibration and report splits hold different cards.
"""

from __future__ import annotations

import cv2
import msgspec
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from verification.mrz import check_digit
from verification.mrz_glyphs import OCRB_FONT

CARD_SIZE = (1200, 757)  # width, height in pixels: the ID-1 aspect ratio 1.586



class Design(msgspec.Struct, frozen=True, kw_only=True):
    header: tuple[int, int, int]
    ground: tuple[int, int, int]
    title: str
    surname: str
    given: str
    white_panel: bool


STYLES = (
    Design(header=(120, 60, 20), ground=(226, 220, 210), title="REPUBLIC OF ARABESQUE  IDENTITY CARD",
           surname="COLLINS", given="EILEEN MARIE", white_panel=False),
    Design(header=(40, 90, 30), ground=(205, 225, 230), title="ARABESQUE  RESIDENCE PERMIT",
           surname="HAWKINS", given="SAMUEL JOHN", white_panel=True),
)


def _portrait() -> np.ndarray:
    from skimage import data

    rgb: np.ndarray = data.astronaut()  # type: ignore[no-untyped-call]  # skimage's loaders are unannotated
    bgr: np.ndarray = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    return bgr[20:330, 130:390]


def td1(design: Design, *, tampered: bool = False) -> list[str]:
    """The back's machine-readable zone, every check digit valid; `tampered` changes a digit of the document
    number after its check digit was computed (what a forger's edit or a misprint looks like)."""
    number, birth, expiry = "X12345678", "561119", "341125"
    line1 = f"IDUTO{number}{check_digit(number)}".ljust(30, "<")
    middle = f"{birth}{check_digit(birth)}F{expiry}{check_digit(expiry)}UTO".ljust(29, "<")
    line2 = middle + check_digit(line1[5:30] + middle[0:7] + middle[8:15] + middle[18:29])
    if tampered:
        line1 = line1[:9] + str((int(line1[9]) + 3) % 10) + line1[10:]
    name = f"{design.surname}<<{design.given.replace(' ', '<')}".ljust(30, "<")[:30]
    return [line1, line2, name]


def _print_zone(image: np.ndarray, lines: list[str]) -> np.ndarray:
    """The zone in OCR-B across the card's bottom, about 2.54 mm a character, as ICAO prints it."""
    page = Image.fromarray(image)
    draw = ImageDraw.Draw(page)
    size = 10 * image.shape[1] * 0.89 / draw.textlength(lines[0], font=ImageFont.truetype(OCRB_FONT, 10))
    font = ImageFont.truetype(OCRB_FONT, round(size))
    for i, line in enumerate(lines):
        draw.text((image.shape[1] * 0.055, 520 + i * size * 1.25), line, font=font, fill=(20, 20, 20))
    return np.asarray(page).copy()


def card(side: str, style: int = 0, *, tampered: bool = False) -> np.ndarray:
    """The flat card, `side` = front (portrait, data) or back (MRZ, `tampered` = one digit changed)."""
    design = STYLES[style]
    width, height = CARD_SIZE
    image = np.empty((height, width, 3), np.uint8)
    image[:] = design.ground
    columns = np.linspace(0, 12, width)
    for y in range(0, height, 2):  # guilloche-like waves
        image[y, :, 0] = np.clip(design.ground[0] - 22 + 22 * np.sin(columns + y / 40), 0, 255)
    cv2.rectangle(image, (0, 0), (width, 110), design.header, -1)
    cv2.putText(image, design.title, (40, 72), cv2.FONT_HERSHEY_DUPLEX, 1.2, (255, 255, 255), 2, cv2.LINE_AA)
    surname, given = design.surname, design.given
    if side == "front":
        if design.white_panel:  # bright white print: a panel behind the data, not glare
            cv2.rectangle(image, (380, 150), (1160, 540), (252, 252, 252), -1)
        x = 50 if style == 0 else 850
        image[160:520, x:x + 300] = cv2.resize(_portrait(), (300, 360), interpolation=cv2.INTER_AREA)
        lines = [f"SURNAME  {surname}", f"GIVEN NAMES  {given}", "DATE OF BIRTH  19.11.1956", "NATIONALITY  ARB",
                 "DOCUMENT NO  X1234567"]
        left = 400 if style == 0 else 60
        for i, line in enumerate(lines):
            cv2.putText(image, line, (left, 210 + 70 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.05, (30, 30, 30), 2,
                        cv2.LINE_AA)
        cv2.putText(image, "Signature", (left, 640), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.6, (90, 40, 20), 2, cv2.LINE_AA)
    else:
        cv2.rectangle(image, (60, 170), (700, 470), (90, 90, 90), 2)
        for i in range(14):
            cv2.putText(image, "AUTHORITY  ARABESQUE CITY  ADDRESS LINE"[: 10 + 2 * i], (80, 210 + 18 * i),
                        cv2.FONT_HERSHEY_PLAIN, 1.0, (60, 60, 60), 1, cv2.LINE_AA)
        image = _print_zone(image, td1(design, tampered=tampered))
    return image


__all__ = ["CARD_SIZE", "STYLES", "Design", "card", "td1"]
