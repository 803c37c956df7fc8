"""Company documents made in code: an A4 certificate page with lines of text, photographed on a desk (whole,
cut off, blurred), and PDFs holding pages."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pypdfium2 as pdfium

WORDS = ("Company", "Number", "Limited", "Registrar", "hereby", "certify", "that", "the", "is", "incorporated",
         "under", "Act", "2006", "private", "shares", "England", "Wales", "of")
A4_POINTS = (595.0, 842.0)


def certificate(width: int = 1240, seed: int = 0) -> np.ndarray:
    """A white A4 page (150 dpi at 1240 px): a printed frame, a title, body text, a stamp."""
    rng = np.random.default_rng(seed)
    height = round(width * 1.4142)
    s = width / 1240
    page = np.full((height, width, 3), 250, np.uint8)
    stroke = max(1, round(2 * s))
    cv2.rectangle(page, (round(60 * s), round(60 * s)), (width - round(60 * s), height - round(60 * s)), (60, 40, 20),
                  max(1, round(4 * s)))
    cv2.putText(page, "CERTIFICATE OF INCORPORATION", (round(150 * s), round(220 * s)), cv2.FONT_HERSHEY_TRIPLEX,
                1.6 * s, (20, 20, 20), max(1, round(3 * s)), cv2.LINE_AA)
    y = round(340 * s)
    while y < height - round(300 * s):
        x = round(130 * s)
        while True:
            word = str(WORDS[int(rng.integers(len(WORDS)))])
            (advance, _), _ = cv2.getTextSize(word + " ", cv2.FONT_HERSHEY_SIMPLEX, 0.8 * s, stroke)
            if x + advance > width - round(130 * s):
                break
            cv2.putText(page, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * s, (30, 30, 30), stroke, cv2.LINE_AA)
            x += advance
        y += round(48 * s)
    cv2.circle(page, (width - round(260 * s), height - round(200 * s)), round(90 * s), (40, 40, 160),
               max(1, round(5 * s)))
    return page


def desk(shape: tuple[int, int] = (1500, 2000), seed: int = 1) -> np.ndarray:
    """A brown wooden desk: grain along it, a little noise."""
    rng = np.random.default_rng(seed)
    surface = np.zeros((*shape, 3), np.float32)
    surface[:] = (40, 70, 110)
    grain = cv2.GaussianBlur(rng.normal(0, 12, shape).astype(np.float32), (0, 0), sigmaX=25, sigmaY=2)
    surface += grain[..., None] + rng.normal(0, 3, (*shape, 3)).astype(np.float32)
    return np.clip(surface, 0, 255).astype(np.uint8)


def on_desk(page: np.ndarray, corners: list[tuple[int, int]], shape: tuple[int, int] = (1500, 2000)) -> np.ndarray:
    """The page photographed on the desk, its corners (tl, tr, br, bl) where given (some may be off the frame)."""
    surface = desk(shape)
    height, width = page.shape[:2]
    source = np.array([(0, 0), (width - 1, 0), (width - 1, height - 1), (0, height - 1)], np.float32)
    matrix = cv2.getPerspectiveTransform(source, np.array(corners, np.float32))
    warped = cv2.warpPerspective(page, matrix, (shape[1], shape[0]), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((height, width), 255, np.uint8), matrix, (shape[1], shape[0]))
    return np.where(mask[..., None] > 127, warped, surface)


PHOTO = [(600, 150), (1450, 180), (1480, 1350), (560, 1320)]  # tilted a little, all of it in the frame
CUT_OFF = [(700, -300), (1550, -250), (1580, 1250), (660, 1220)]  # its top third off the frame
FAR = [(600, 150), (1050, 170), (1070, 800), (580, 790)]  # whole, but too small to read


def jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return encoded.tobytes()


def pdf(*pages: np.ndarray) -> bytes:
    """A PDF with each image as a full A4 page (a scanner's PDF), written by pypdfium2."""
    document = pdfium.PdfDocument.new()
    for image in pages:
        page = document.new_page(*A4_POINTS)
        picture = pdfium.PdfImage.new(document)
        picture.load_jpeg(io.BytesIO(jpeg(image)), inline=True)
        picture.set_matrix(pdfium.PdfMatrix().scale(*A4_POINTS))
        page.insert_obj(picture)
        page.gen_content()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
