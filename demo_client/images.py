"""Sample capture images, generated here so the demo needs no data set.

The face is NASA's public-domain portrait of astronaut Eileen Collins, which ships
inside the scikit-image wheel (`skimage.data.astronaut()`), or a synthetic person made
from it (demo_client/faces.py): the same person on the synthetic identity card and in
the selfie, so face matching has something real to match. The card's text and
machine-readable zone name the person (`Person`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import msgspec
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from demo_client.faces import portrait as face_of

OCR_B = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
"""The machine-readable zone's typeface, from Debian's `fonts-ocr-b` (`make install` installs it)."""



class Person(msgspec.Struct, frozen=True, kw_only=True):
    """Who the captures show: the card's holder and the face (a name in demo_client/faces.py's FACES)."""

    surname: str
    given_names: str
    date_of_birth: str
    """ISO 8601, as the journeys' forms take it"""
    sex: str = "X"
    document_number: str = "X12345678"
    expiry_date: str = "341125"
    state: str = "UTO"
    face: str = "eileen"

    @property
    def birth_date(self) -> str:
        """YYMMDD, as the machine-readable zone writes it."""
        return self.date_of_birth[2:].replace("-", "")


HOLDER = Person(surname="COLLINS", given_names="EILEEN MARIE", date_of_birth="1956-11-19", sex="F")
"""The person on the default captures; the kyc_individual scenarios' form answers say the same."""

NAMES = ("document_front", "document_back", "selfie", "document_front_degraded", "selfie_degraded", "certificate",
         "other_person", "selfie_of_document")


def _scene(height: int, width: int) -> np.ndarray:
    """A dark, slightly textured desk, as a phone camera sees it."""
    rng = np.random.default_rng(7)
    base = np.full((height, width, 3), (38, 36, 34), np.uint8)
    noise = rng.normal(0, 6, (height, width, 1)).astype(np.int16)
    scene: np.ndarray = np.clip(base.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    return scene


def identity_card(side: str = "front", person: Person = HOLDER) -> np.ndarray:
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
        face = face_of(person.face)[20:330, 130:390]
        portrait = cv2.resize(face, (300, 360), interpolation=cv2.INTER_AREA)
        card[160:520, 50:350] = portrait
        year, month, day = person.date_of_birth.split("-")
        lines = [f"SURNAME  {person.surname}", f"GIVEN NAMES  {person.given_names}",
                 f"DATE OF BIRTH  {day}.{month}.{year}", "NATIONALITY  ARB",
                 f"DOCUMENT NO  {person.document_number[:-1]}"]
        for i, line in enumerate(lines):
            cv2.putText(card, line, (400, 210 + 70 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (30, 30, 30), 2, cv2.LINE_AA)
    else:
        cv2.rectangle(card, (60, 170), (700, 440), (90, 90, 90), 2)
        card = _print_mrz(card, td1_lines(person), top=500)
    x, y = 200, 220
    scene[y:y + card_h, x:x + card_w] = card
    return scene


def check_digit(field: str) -> str:
    """ICAO 9303 check digit: weights 7, 3, 1 over digits, letters (A=10 ...) and fillers (0)."""
    values = [int(c) if c.isdigit() else ord(c) - 55 if c.isalpha() else 0 for c in field]
    return str(sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(values)) % 10)


def td1_lines(person: Person = HOLDER) -> list[str]:
    """The card's three-line machine-readable zone (TD1), every check digit valid."""
    number = person.document_number
    line1 = f"ID{person.state}{number}{check_digit(number)}".ljust(30, "<")
    birth, expiry = person.birth_date, person.expiry_date
    middle = f"{birth}{check_digit(birth)}{person.sex}{expiry}{check_digit(expiry)}{person.state}".ljust(29, "<")
    composite = line1[5:30] + middle[0:7] + middle[8:15] + middle[18:29]
    line2 = middle + check_digit(composite)
    name = f"{person.surname}<<{person.given_names.replace(' ', '<')}".ljust(30, "<")
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


def selfie(person: Person = HOLDER) -> np.ndarray:
    """A 960x1280 portrait photo with the face centred."""
    face = face_of(person.face)
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


CERTIFICATE_WORDS = ("Company", "Number", "Limited", "Registrar", "hereby", "certify", "that", "the", "is",
                     "incorporated", "under", "Act", "2006", "private", "shares", "England", "Wales", "of")


def certificate() -> np.ndarray:
    """A certificate of incorporation (an A4 page: a printed frame, title, body text, a stamp) photographed
    whole on a wooden desk, a little tilted: what kyb_business's certificate check passes."""
    rng = np.random.default_rng(3)
    page = np.full((1754, 1240, 3), 250, np.uint8)
    cv2.rectangle(page, (60, 60), (1180, 1694), (60, 40, 20), 4)
    cv2.putText(page, "CERTIFICATE OF INCORPORATION", (150, 220), cv2.FONT_HERSHEY_TRIPLEX, 1.6, (20, 20, 20), 3,
                cv2.LINE_AA)
    for y in range(340, 1454, 48):
        x = 130
        while True:
            word = str(CERTIFICATE_WORDS[int(rng.integers(len(CERTIFICATE_WORDS)))])
            (advance, _), _ = cv2.getTextSize(word + " ", cv2.FONT_HERSHEY_SIMPLEX, 0.8, 2)
            if x + advance > 1110:
                break
            cv2.putText(page, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (30, 30, 30), 2, cv2.LINE_AA)
            x += advance
    cv2.circle(page, (980, 1554), 90, (40, 40, 160), 5)
    grain = cv2.GaussianBlur(rng.normal(0, 12, (1500, 2000)).astype(np.float32), (0, 0), sigmaX=25, sigmaY=2)
    desk = np.clip(np.array((40, 70, 110), np.float32) + grain[..., None] + rng.normal(0, 3, (1500, 2000, 3)), 0, 255)
    corners = np.array([(600, 150), (1450, 180), (1480, 1350), (560, 1320)], np.float32)
    source = np.array([(0, 0), (1239, 0), (1239, 1753), (0, 1753)], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(page, matrix, (2000, 1500), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full(page.shape[:2], 255, np.uint8), matrix, (2000, 1500))
    photo: np.ndarray = np.where(mask[..., None] > 127, warped, desk.astype(np.uint8))
    return photo


def generate(folder: Path, person: Person = HOLDER, names: tuple[str, ...] = NAMES) -> dict[str, Path]:
    """Write the sample images `names` as JPEG into `folder`, the card and the selfie showing `person`."""
    folder.mkdir(parents=True, exist_ok=True)
    makers: dict[str, Callable[[], np.ndarray]] = {
        "document_front": lambda: identity_card("front", person),
        "document_back": lambda: identity_card("back", person),
        "selfie": lambda: selfie(person),
        "certificate": certificate,
        "other_person": other_person,
        "selfie_of_document": selfie_of_document,
        "document_front_degraded": lambda: degraded(identity_card("front", person)),
        "selfie_degraded": lambda: degraded(selfie(person)),
    }
    paths = {}
    for name in names:
        path = folder / f"{name}.jpg"
        cv2.imwrite(str(path), makers[name](), [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths[name] = path
    return paths


__all__ = ["CERTIFICATE_WORDS", "HOLDER", "NAMES", "OCR_B", "Person", "certificate", "check_digit", "degraded",
           "generate", "identity_card", "selfie", "selfie_of_document", "td1_lines"]
