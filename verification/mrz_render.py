"""Synthetic machine-readable zones for tests and the bench: random valid TD1/TD2/TD3 lines with correct check
digits, printed in OCR-B (Debian's fonts-ocr-b) on a card and photographed (blur, noise, JPEG)."""

from __future__ import annotations

import datetime as dt

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from verification import degrade
from verification.document import find_document, rectify
from verification.mrz import LENGTHS, MrzFormat, check_digit
from verification.mrz_glyphs import OCRB_FONT

__all__ = ["capture", "random_mrz", "render_mrz"]

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_STATES = ("UTO", "D<<", "FRA", "CHE", "NLD", "GBR", "USA", "CAN", "ITA", "ESP")


def _word(rng: np.random.Generator, low: int, high: int) -> str:
    return "".join(rng.choice(list(_LETTERS), int(rng.integers(low, high + 1))))


def _alnum(rng: np.random.Generator, length: int) -> str:
    return "".join(rng.choice(list(_LETTERS + "0123456789" * 2), length))


def _date(rng: np.random.Generator, first: dt.date, days: int) -> str:
    return (first + dt.timedelta(days=int(rng.integers(0, days)))).strftime("%y%m%d")


def _names(rng: np.random.Generator, width: int) -> str:
    given = "<".join(_word(rng, 2, 8) for _ in range(int(rng.integers(1, 3))))
    return (_word(rng, 2, 12) + "<<" + given)[:width].ljust(width, "<")


def random_mrz(fmt: MrzFormat, rng: np.random.Generator, today: dt.date) -> list[str]:
    """Valid lines of the format: random names, numbers and dates (birth 1940..today-16y, expiry within the
    decade around `today`), every check digit correct."""
    state, nationality = (str(rng.choice(_STATES)) for _ in range(2))
    number = _alnum(rng, 9)
    birth = _date(rng, dt.date(1940, 1, 1), (today - dt.date(1956, 1, 1)).days)
    expiry = _date(rng, today - dt.timedelta(days=365 * 3), 365 * 10)
    sex = str(rng.choice(["M", "F", "<"]))
    if fmt == "TD1":
        optional, optional_2 = _alnum(rng, 6).ljust(15, "<"), "<" * 11
        one = "I<" + state + number + check_digit(number) + optional
        head = birth + check_digit(birth) + sex + expiry + check_digit(expiry) + nationality + optional_2
        composite = one[5:30] + birth + check_digit(birth) + expiry + check_digit(expiry) + optional_2
        return [one, head + check_digit(composite), _names(rng, 30)]
    width = LENGTHS[fmt][1]
    code = "P<" if fmt == "TD3" else "I<"
    length = 14 if fmt == "TD3" else 7
    optional = _alnum(rng, 6).ljust(length, "<") if rng.random() < 0.5 else "<" * length
    if fmt == "TD3":
        optional += "<" if set(optional) == {"<"} else check_digit(optional)
    two = (number + check_digit(number) + nationality + birth + check_digit(birth) + sex + expiry
           + check_digit(expiry) + optional)
    composite = two[:10] + two[13:20] + two[21:]
    return [code + state + _names(rng, width - 5), two + check_digit(composite)]


def render_mrz(lines: list[str], rng: np.random.Generator, *, char_height: int = 24, font_path: str = OCRB_FONT
               ) -> np.ndarray:
    """A grayscale card (ID-1 proportions for TD1, passport page otherwise) with the lines printed at its bottom
    in OCR-B `char_height` pixels tall, a little text above, blurred, noisy and JPEG-compressed."""
    font = ImageFont.truetype(font_path, round(char_height / 0.72))
    pitch = font.getlength("<")
    width = round(pitch * (len(lines[0]) + 4))
    height = round(width / (1.58 if len(lines) == 3 else 1.42))
    card = Image.new("L", (width, height), int(rng.integers(200, 240)))
    draw = ImageDraw.Draw(card)
    draw.text((round(2 * pitch), round(0.1 * height)), "SPECIMEN  " + lines[-1][:10].replace("<", " "), font=font,
              fill=70)
    step = round(char_height * 1.75)
    top = height - round(0.8 * char_height) - step * len(lines)
    for i, line in enumerate(lines):
        draw.text((round(2 * pitch), top + i * step), line, font=font, fill=int(rng.integers(10, 60)))
    blurred = cv2.GaussianBlur(np.asarray(card, np.float32), (0, 0), float(rng.uniform(0.4, 1.1)))
    noisy = np.clip(blurred + rng.normal(0, float(rng.uniform(2, 7)), blurred.shape), 0, 255).astype(np.uint8)
    _, jpeg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 90))])
    photo = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
    assert photo is not None  # a JPEG just encoded decodes
    return np.asarray(photo, np.uint8)


def capture(document: np.ndarray, rng: np.random.Generator, *, doc_width: int = 1000) -> np.ndarray | None:
    """The document photographed on a desk (`degrade.photograph`: turned, in perspective, noisy), found and
    rectified from the full-resolution frame to `doc_width` pixels wide, in grayscale; None if not found."""
    frame = degrade.photograph(document, rng, doc_width=doc_width)
    colour = frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    quad = find_document(colour)  # found on a reduced copy, its corners in the frame's pixels
    if quad is None:
        return None
    return rectify(cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY), quad, width=doc_width)
