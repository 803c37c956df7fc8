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
from PIL import Image, ImageFile, ImageOps

from sdk_protocol import SdkError
from verification.formats import sniff

SUPPORTED = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/avif", "image/tiff"})


class IntakeError(SdkError):
    """An image the checks will not analyse (the base of the intake codes: each subclass says why)."""

    code: ClassVar[str] = "verification.unreadable_image"
    http_status: ClassVar[int] = 400


class EmptyFile(IntakeError):
    """The file has no bytes."""

    code: ClassVar[str] = "verification.empty_file"


class UnsupportedFormat(IntakeError):
    """The file is not an image format the checks read (JPEG, PNG, WebP, HEIC, AVIF, TIFF)."""

    code: ClassVar[str] = "verification.unsupported_format"


class PdfNotSupported(IntakeError):
    """A PDF where a photo is needed: the checks analyse images only."""

    code: ClassVar[str] = "verification.pdf_not_supported"


class FileTooLarge(IntakeError):
    """The file is over the size the checks accept."""

    code: ClassVar[str] = "verification.file_too_large"
    http_status: ClassVar[int] = 413


class ImageTooLarge(IntakeError):
    """The image declares more pixels than the checks decode."""

    code: ClassVar[str] = "verification.image_too_large"
    http_status: ClassVar[int] = 413


class ImageTooSmall(IntakeError):
    """The image has too few pixels for the checks to mean anything."""

    code: ClassVar[str] = "verification.image_too_small"


class AnimatedImage(IntakeError):
    """An animated image (several frames) where one photo is needed."""

    code: ClassVar[str] = "verification.animated_image"


class CorruptImage(IntakeError):
    """The image is damaged: its header cannot be read."""

    code: ClassVar[str] = "verification.corrupt_image"


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """`max_pixels` is what a header may declare; `max_decode_bytes` how large the decoded image may be.
    JPEGs over the latter decode at 1/2, 1/4 or 1/8 scale; other formats (decoded whole) are refused. The
    default keeps a worker (about 180 MB with its models) under 400 MB on any accepted input (measured)."""

    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_decode_bytes: int = 60 * 1024 * 1024
    """the decoded image: about 20 MP of 8-bit colour, 15 MP with alpha, 10 MP of 16-bit colour (converting it
    to 8-bit BGR holds up to about twice that for a moment)"""
    min_side: int = 16


class ImageInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What the header says, with width/height as displayed (after EXIF orientation)."""

    media_type: str
    width: int
    height: int
    orientation: int = 1
    mode: str = ""
    bytes_per_pixel: int = 3
    """as decoded, before conversion to 8-bit BGR (16-bit colour: 6, with alpha: 4 or 8)"""


DEFAULT_LIMITS = Limits()

@functools.cache
def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _orientation(image: Image.Image) -> int:
    if image.format == "PNG" and "exif" not in image.info:
        return 1  # Pillow would decode the whole PNG looking for an eXIf chunk after the pixels
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
    frames = int(getattr(image, "n_frames", 1))  # only multi-frame formats have it
    if frames > 1 and media_type != "image/tiff":
        raise AnimatedImage(f"Expected a still image, got {frames} frames")
    orientation = _orientation(image)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageInfo(media_type=media_type, width=width, height=height, orientation=orientation, mode=image.mode,
                     bytes_per_pixel=_bytes_per_pixel(image))


def _bytes_per_pixel(image: ImageFile.ImageFile) -> int:
    """Bytes a pixel takes decoded: channels (palettes expand) times sample size (Pillow reports 16-bit
    colour PNGs as RGB, their raw mode says 16)."""
    channels = len(image.getbands())
    if image.mode == "P":
        channels = 4 if "transparency" in image.info else 3
    raw = str(image.tile[0][3]) if image.tile and len(image.tile[0]) > 3 else ""
    depth = 4 if image.mode in ("I", "F") else 2 if image.mode.startswith("I;16") or ";16" in raw else 1
    return max(1, channels) * depth


def _decoded_bytes(info: ImageInfo, factor: int) -> int:
    """Pixel data held decoded at 1/`factor` scale (at least the 3 bytes of the BGR result)."""
    return (info.width // factor) * (info.height // factor) * max(3, info.bytes_per_pixel)


def _reduction(info: ImageInfo, max_side: int | None, limits: Limits) -> int:
    """The decode scale: as small as analysis allows, and small enough to fit the memory budget."""
    factor = 1
    if max_side is not None:
        longest = max(info.width, info.height)
        factor = next((f for f in (8, 4, 2) if longest / f >= max_side), 1)
    while factor < 8 and _decoded_bytes(info, factor) > limits.max_decode_bytes:
        factor *= 2
    return factor


def _check_budget(info: ImageInfo, limits: Limits, factor: int = 1) -> None:
    if _decoded_bytes(info, factor) > limits.max_decode_bytes:
        how = "even at 1/8 scale" if info.media_type == "image/jpeg" else "(only JPEGs decode at a reduced size)"
        budget = limits.max_decode_bytes // max(3, info.bytes_per_pixel)
        raise ImageTooLarge(f"Expected an image of at most {budget / 1e6:.1f} megapixels of this kind to decode "
                            f"{how}, got {info.width}x{info.height} ({info.media_type}, {info.bytes_per_pixel} bytes "
                            "a pixel); send a JPEG or a smaller image", limit=budget,
                            found=info.width * info.height)


_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
            8: cv2.IMREAD_REDUCED_COLOR_8}


_ROWS = 256  # rows composited at a time: temporaries stay small whatever the image size


def _over_white(bgra: np.ndarray) -> np.ndarray:
    """8-bit BGRA composited over white into BGR, a band of rows at a time (small temporaries)."""
    out = np.empty((*bgra.shape[:2], 3), np.uint8)
    for top in range(0, bgra.shape[0], _ROWS):
        band = bgra[top:top + _ROWS].astype(np.uint32)
        alpha = band[..., 3:4]
        out[top:top + _ROWS] = ((band[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    return out


def _normalise(array: np.ndarray) -> np.ndarray:
    """What OpenCV decoded unchanged (gray, BGR or BGRA, 8 or 16 bits) as 8-bit BGR. 16-bit gray is
    stretched to its maximum (medical-style scans are often dark), 16-bit colour keeps its high byte."""
    if array.dtype == np.uint16:
        if array.ndim == 2:
            array = cv2.convertScaleAbs(array, alpha=255.0 / (float(array.max()) or 1.0))
        else:
            array = cv2.convertScaleAbs(array, alpha=1.0 / 256)  # the high byte, into a new 8-bit buffer
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
    if array.shape[2] == 4:
        return _over_white(array)
    return array


def _to_bgr8(image: Image.Image) -> np.ndarray:
    """8-bit BGR from any mode, holding at most about two copies of the pixels at any moment."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image)
        image.close()
        top = float(array.max()) or 1.0
        gray = cv2.convertScaleAbs(array.astype(np.float32) if array.dtype.kind == "i" else array, alpha=255.0 / top)
        del array
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = np.asarray(image if image.mode == "RGBA" else image.convert("RGBA"))
        image.close()
        return _over_white(cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    rgb = np.array(image if image.mode == "RGB" else image.convert("RGB"))
    image.close()
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR, dst=rgb)  # in place: no third copy


def decode(data: bytes, *, limits: Limits = DEFAULT_LIMITS,
           max_side: int | None = None) -> tuple[np.ndarray, ImageInfo]:
    """Decode to 8-bit BGR, upright, within the memory budget. With `max_side`, the result is reduced by
    1/2, 1/4 or 1/8 while its longest side stays at least `max_side` (JPEGs are decoded that way,
    the other formats reduced right after decoding), so it may be larger than `max_side`."""
    info = probe(data, limits)
    factor = 1
    if info.media_type == "image/jpeg":
        if b"\xff\xd9" not in data[-4096:]:
            raise CorruptImage("Expected a complete JPEG, got one without its end marker (truncated)")
        factor = _reduction(info, max_side, limits)
        _check_budget(info, limits, factor)
        array = cv2.imdecode(np.frombuffer(data, np.uint8), _REDUCED[factor])  # applies EXIF orientation
        if array is not None and array.size:
            return array, info
    else:
        _check_budget(info, limits)
        direct = _decode_direct(data, info)
        if direct is not None:
            return _reduced(direct, info, max_side, limits), info
        # Pillow's own buffers and its hand-over to numpy hold about twice the pixel data at the peak
        _check_budget(info, msgspec.structs.replace(limits, max_decode_bytes=limits.max_decode_bytes // 2))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opened = Image.open(io.BytesIO(data))
            if info.media_type == "image/jpeg":  # draft works on the stored (not yet rotated) size
                stored = (info.height, info.width) if info.orientation in (5, 6, 7, 8) else (info.width, info.height)
                opened.draft("RGB", (stored[0] // factor, stored[1] // factor))
            opened.load()
            image: Image.Image = ImageOps.exif_transpose(opened) if info.orientation != 1 else opened
            bgr = _to_bgr8(image)
    except Image.DecompressionBombError:
        raise ImageTooLarge(f"Expected at most {limits.max_pixels} pixels, got a decompression bomb") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise CorruptImage(f"Expected a complete {info.media_type}, got a truncated or corrupt file "
                           f"({type(exc).__name__})") from None
    return (_reduced(bgr, info, max_side, limits) if factor == 1 else bgr), info


def _decode_direct(data: bytes, info: ImageInfo) -> np.ndarray | None:
    """Upright images in one buffer as stored (OpenCV; pillow-heif for HEIC/AVIF), then normalised in
    place or in bands: about a third of what going through Pillow holds. None: use Pillow."""
    if info.orientation != 1:
        return None
    if info.media_type in ("image/png", "image/webp") or (
            info.media_type == "image/tiff" and info.mode in ("RGB", "RGBA", "L", "I;16", "I;16B", "P")):
        array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        return _normalise(array) if array is not None and array.size else None
    if info.media_type in ("image/heic", "image/avif"):
        import pillow_heif

        try:
            heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
            if heif.mode not in ("RGB", "RGBA"):
                return None
            array = np.asarray(heif)  # a view of the decoder's buffer
            return _over_white(cv2.cvtColor(array, cv2.COLOR_RGBA2BGRA)) if heif.mode == "RGBA" else \
                cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
        except (OSError, ValueError, RuntimeError) as exc:
            raise CorruptImage(f"Expected a complete {info.media_type}, got a corrupt file "
                               f"({type(exc).__name__})") from None
    return None


def _reduced(bgr: np.ndarray, info: ImageInfo, max_side: int | None, limits: Limits) -> np.ndarray:
    """What a JPEG gets from its reduced decode, the other formats get here: the caller holds less."""
    reduce = _reduction(info, max_side, limits)
    if reduce == 1:
        return bgr
    return cv2.resize(bgr, (max(1, bgr.shape[1] // reduce), max(1, bgr.shape[0] // reduce)),
                      interpolation=cv2.INTER_AREA)


__all__ = ["SUPPORTED", "AnimatedImage", "CorruptImage", "EmptyFile", "FileTooLarge", "ImageInfo", "ImageTooLarge",
           "ImageTooSmall", "IntakeError", "Limits", "PdfNotSupported", "UnsupportedFormat", "decode", "probe"]
