"""Sample capture images, generated here so the demo needs no data set.

The face is NASA's public-domain portrait of astronaut Eileen Collins, which ships
inside the scikit-image wheel (`skimage.data.astronaut()`): the same person on the
synthetic identity card and in the selfie, so face matching has something real to match.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

OCR_B = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
"""The machine-readable zone's typeface, from Debian's `fonts-ocr-b` (`make install` installs it)."""

HOLDER = {"surname": "COLLINS", "given_names": "EILEEN MARIE", "birth_date": "561119", "sex": "F",
          "expiry_date": "341125", "document_number": "X12345678", "state": "UTO"}
"""The person on the card; the demo scenarios' form answers say the same."""

NAMES = ("document_front", "document_back", "selfie", "document_front_degraded", "selfie_degraded", "certificate",
         "other_person", "selfie_of_document")


def _face() -> np.ndarray:
    from skimage import data

    rgb: np.ndarray = data.astronaut()  # type: ignore[no-untyped-call]  # skimage's loaders are unannotated
    bgr: np.ndarray = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    return bgr


def _scene(height: int, width: int) -> np.ndarray:
    """A dark, slightly textured desk, as a phone camera sees it."""
    rng = np.random.default_rng(7)
    base = np.full((height, width, 3), (38, 36, 34), np.uint8)
    noise = rng.normal(0, 6, (height, width, 1)).astype(np.int16)
    scene: np.ndarray = np.clip(base.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    return scene


def identity_card(side: str = "front") -> np.ndarray:
    """A 1600x1200 photo of a synthetic ID-1 card lying on a desk, portrait on the front."""
    scene = _scene(1200, 1600)
    card_w, card_h = 1200, 757  # ID-1 aspect ratio 85.6 x 54 mm
    card = np.full((card_h, card_w, 3), (226, 220, 210), np.uint8)
    for y in range(card_h):  # a light guilloche-like gradient
        card[y, :, 0] = np.clip(200 + 25 * np.sin(np.linspace(0, 12, card_w) + y / 40), 0, 255)
    cv2.rectangle(card, (0, 0), (card_w, 110), (120, 60, 20), -1)
    cv2.putText(card, "REPUBLIC OF ARABESQUE  IDENTITY CARD", (40, 72), cv2.FONT_HERSHEY_DUPLEX, 1.3,
                (255, 255, 255), 2, cv2.LINE_AA)
    if side == "front":
        face = _face()[20:330, 130:390]
        portrait = cv2.resize(face, (300, 360), interpolation=cv2.INTER_AREA)
        card[160:520, 50:350] = portrait
        lines = ["SURNAME  COLLINS", "GIVEN NAMES  EILEEN MARIE", "DATE OF BIRTH  19.11.1956",
                 "NATIONALITY  ARB", "DOCUMENT NO  X1234567"]
        for i, line in enumerate(lines):
            cv2.putText(card, line, (400, 210 + 70 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (30, 30, 30), 2, cv2.LINE_AA)
    else:
        cv2.rectangle(card, (60, 170), (700, 440), (90, 90, 90), 2)
        card = _print_mrz(card, td1_lines(), top=500)
    x, y = 200, 220
    scene[y:y + card_h, x:x + card_w] = card
    return scene


def check_digit(field: str) -> str:
    """ICAO 9303 check digit: weights 7, 3, 1 over digits, letters (A=10 ...) and fillers (0)."""
    values = [int(c) if c.isdigit() else ord(c) - 55 if c.isalpha() else 0 for c in field]
    return str(sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(values)) % 10)


def td1_lines() -> list[str]:
    """The card's three-line machine-readable zone (TD1), every check digit valid."""
    h = HOLDER
    number = h["document_number"]
    line1 = f"ID{h['state']}{number}{check_digit(number)}".ljust(30, "<")
    birth, expiry = h["birth_date"], h["expiry_date"]
    middle = f"{birth}{check_digit(birth)}{h['sex']}{expiry}{check_digit(expiry)}{h['state']}".ljust(29, "<")
    composite = line1[5:30] + middle[0:7] + middle[8:15] + middle[18:29]
    line2 = middle + check_digit(composite)
    name = f"{h['surname']}<<{h['given_names'].replace(' ', '<')}".ljust(30, "<")
    return [line1, line2, name]


def _print_mrz(card: np.ndarray, lines: list[str], top: int) -> np.ndarray:
    """The lines in OCR-B, spread across the card as ICAO prints them (about 2.54 mm a character)."""
    image = Image.fromarray(cv2.cvtColor(card, cv2.COLOR_BGR2RGB))
    if not OCR_B.exists():
        raise FileNotFoundError(f"Expected the OCR-B font at {OCR_B} (Debian's fonts-ocr-b; `make install` "
                                "installs it), found nothing there")
    draw = ImageDraw.Draw(image)
    width = card.shape[1] * 0.89
    font = ImageFont.truetype(str(OCR_B), 10)
    size = 10 * width / draw.textlength(lines[0], font=font)
    font = ImageFont.truetype(str(OCR_B), round(size))
    for i, line in enumerate(lines):
        draw.text((card.shape[1] * 0.055, top + i * size * 1.25), line, font=font, fill=(20, 20, 20))
    printed: np.ndarray = cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)
    return printed


def selfie() -> np.ndarray:
    """A 960x1280 portrait photo with the face centred."""
    face = _face()
    frame = cv2.resize(face, (1280, 1280), interpolation=cv2.INTER_CUBIC)[:, 160:1120]
    return frame


def selfie_of_document() -> np.ndarray:
    """A presentation attack: the card's front photographed again and sent as the selfie (960x1280, the card
    tilted away from the camera, some desk around it), so its portrait is the only face in the picture."""
    photo = identity_card("front")[170:1027, 150:1450]  # the card and a margin of the desk
    height, width = photo.shape[:2]
    source = np.array([(0, 0), (width, 0), (width, height), (0, height)], np.float32)
    target = np.array([(60, 330), (900, 380), (930, 930), (30, 890)], np.float32)
    matrix = cv2.getPerspectiveTransform(source, target)
    frame: np.ndarray = cv2.warpPerspective(photo, matrix, (960, 1280), borderMode=cv2.BORDER_REPLICATE)
    return frame


def other_person() -> np.ndarray:
    """A selfie of someone else: the photographer of scikit-image's CC0 `camera` picture."""
    from skimage import data

    gray: np.ndarray = data.camera()  # type: ignore[no-untyped-call]  # skimage's loaders are unannotated
    crop = gray[30:390, 95:365]  # head and shoulders around the face
    portrait = cv2.resize(crop, (960, 1280), interpolation=cv2.INTER_LANCZOS4)
    bgr: np.ndarray = cv2.cvtColor(portrait, cv2.COLOR_GRAY2BGR)
    return bgr


def degraded(image: np.ndarray) -> np.ndarray:
    """The same capture, badly out of focus (the retake scenario's first attempt)."""
    return cv2.GaussianBlur(image, (0, 0), sigmaX=9)


def certificate() -> np.ndarray:
    page = np.full((1600, 1131, 3), 250, np.uint8)
    cv2.putText(page, "CERTIFICATE OF INCORPORATION", (90, 200), cv2.FONT_HERSHEY_DUPLEX, 1.4, (20, 20, 20), 2)
    for i in range(12):
        cv2.line(page, (90, 320 + 70 * i), (1040, 320 + 70 * i), (150, 150, 150), 2)
    return page


def generate(folder: Path) -> dict[str, Path]:
    """Write every sample image as JPEG into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    images = {
        "document_front": identity_card("front"),
        "document_back": identity_card("back"),
        "selfie": selfie(),
        "certificate": certificate(),
        "other_person": other_person(),
        "selfie_of_document": selfie_of_document(),
    }
    images["document_front_degraded"] = degraded(images["document_front"])
    images["selfie_degraded"] = degraded(images["selfie"])
    paths = {}
    for name, image in images.items():
        path = folder / f"{name}.jpg"
        cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths[name] = path
    return paths


__all__ = ["HOLDER", "NAMES", "OCR_B", "certificate", "check_digit", "degraded", "generate", "identity_card", "selfie",
           "selfie_of_document", "td1_lines"]
