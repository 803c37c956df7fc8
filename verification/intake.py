"""Safe image intake: type by magic bytes, byte and pixel limits checked before decoding,
EXIF orientation applied, any mode normalised to 8-bit BGR, and reduced-resolution
decoding so a 12 MP photo is not decoded at full size when analysis does not need it.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from typing import ClassVar

import cv2
import msgspec
import numpy as np
from PIL import Image, ImageOps

from sdk_protocol import SdkError
from verification.formats import sniff

SUPPORTED = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/avif", "image/tiff"})


class IntakeError(SdkError):
    """An image we will not analyse; `code` says why."""

    code: ClassVar[str] = "verification.unreadable_image"
    http_status: ClassVar[int] = 400


class EmptyFile(IntakeError):
    code: ClassVar[str] = "verification.empty_file"


class UnsupportedFormat(IntakeError):
    code: ClassVar[str] = "verification.unsupported_format"


class PdfNotSupported(IntakeError):
    code: ClassVar[str] = "verification.pdf_not_supported"


class FileTooLarge(IntakeError):
    code: ClassVar[str] = "verification.file_too_large"
    http_status: ClassVar[int] = 413


class ImageTooLarge(IntakeError):
    code: ClassVar[str] = "verification.image_too_large"
    http_status: ClassVar[int] = 413


class ImageTooSmall(IntakeError):
    code: ClassVar[str] = "verification.image_too_small"


class AnimatedImage(IntakeError):
    code: ClassVar[str] = "verification.animated_image"


class CorruptImage(IntakeError):
    code: ClassVar[str] = "verification.corrupt_image"


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 50_000_000
    min_side: int = 16


class ImageInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What the header says, with width/height as displayed (after EXIF orientation)."""

    media_type: str
    width: int
    height: int
    orientation: int = 1
    mode: str = ""


DEFAULT_LIMITS = Limits()

@functools.cache
def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # a malformed or huge EXIF block must not stop the analysis
        return 1
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else 1


def probe(data: bytes, limits: Limits = DEFAULT_LIMITS) -> ImageInfo:
    """Check type, size and pixel count from the header alone; nothing is decoded."""
    if not data:
        raise EmptyFile("Expected an image, got 0 bytes")
    if len(data) > limits.max_bytes:
        raise FileTooLarge(f"Expected at most {limits.max_bytes} bytes, got {len(data)}", limit=limits.max_bytes,
                           found=len(data))
    media_type = sniff(data[:32])
    if media_type == "application/pdf":
        raise PdfNotSupported("Expected a photo (JPEG, PNG, WebP, HEIC or TIFF), got a PDF; PDF pages are not "
                              "analysed")
    if media_type not in SUPPORTED:
        raise UnsupportedFormat(f"Expected JPEG, PNG, WebP, HEIC or TIFF, got {media_type or 'unrecognised bytes'}",
                                detected=media_type or "")
    if media_type in ("image/heic", "image/avif"):
        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(found[1]) if found else 0
        raise ImageTooLarge(f"Expected at most {limits.max_pixels} pixels, got {pixels or 'a decompression bomb'}",
                            limit=limits.max_pixels, found=pixels) from None
    except Exception as exc:
        raise CorruptImage(f"Expected a readable {media_type} header, got {type(exc).__name__}") from None
    width, height = image.size
    if width * height > limits.max_pixels:
        raise ImageTooLarge(f"Expected at most {limits.max_pixels} pixels, got {width}x{height}",
                            limit=limits.max_pixels, found=width * height)
    if min(width, height) < limits.min_side:
        raise ImageTooSmall(f"Expected at least {limits.min_side} pixels a side, got {width}x{height}",
                            min_side=limits.min_side)
    if getattr(image, "n_frames", 1) > 1 and media_type != "image/tiff":
        raise AnimatedImage(f"Expected a still image, got {image.n_frames} frames")
    orientation = _orientation(image)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageInfo(media_type=media_type, width=width, height=height, orientation=orientation, mode=image.mode)


def _reduction(info: ImageInfo, max_side: int | None) -> int:
    if max_side is None:
        return 1
    longest = max(info.width, info.height)
    for factor in (8, 4, 2):
        if longest / factor >= max_side:
            return factor
    return 1


_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
            8: cv2.IMREAD_REDUCED_COLOR_8}


def _to_bgr8(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        top = array.max() or 1.0
        gray = np.clip(array * (255.0 / top), 0, 255).astype(np.uint8)
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    rgb = np.asarray(image.convert("RGB"))
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def decode(data: bytes, *, limits: Limits = DEFAULT_LIMITS,
           max_side: int | None = None) -> tuple[np.ndarray, ImageInfo]:
    """Decode to 8-bit BGR, upright. With `max_side`, JPEGs decode at 1/2, 1/4 or 1/8 scale while the
    longest side stays at least `max_side` (the image returned may be larger than `max_side`)."""
    info = probe(data, limits)
    if info.media_type == "image/jpeg":
        if b"\xff\xd9" not in data[-4096:]:
            raise CorruptImage("Expected a complete JPEG, got one without its end marker (truncated)")
        factor = _reduction(info, max_side)
        array = cv2.imdecode(np.frombuffer(data, np.uint8), _REDUCED[factor])  # applies EXIF orientation
        if array is not None and array.size:
            return array, info
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(io.BytesIO(data))
            if info.media_type == "image/jpeg" and max_side is not None:
                image.draft("RGB", (max_side, max_side))
            image.load()
            image = ImageOps.exif_transpose(image) if info.orientation != 1 else image
            return _to_bgr8(image), info
    except Image.DecompressionBombError:
        raise ImageTooLarge(f"Expected at most {limits.max_pixels} pixels, got a decompression bomb") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise CorruptImage(f"Expected a complete {info.media_type}, got a truncated or corrupt file "
                           f"({type(exc).__name__})") from None


__all__ = ["SUPPORTED", "AnimatedImage", "CorruptImage", "EmptyFile", "FileTooLarge", "ImageInfo", "ImageTooLarge",
           "ImageTooSmall", "IntakeError", "Limits", "PdfNotSupported", "UnsupportedFormat", "decode", "probe"]
