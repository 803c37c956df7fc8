"""Safe intake: every bad input gets its own code, and nothing big is decoded when it need not be."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from verification import intake


def jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return encoded.tobytes()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height (and carries a valid CRC), with no pixel data to speak of."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    crc = struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF)
    idat = zlib.compress(b"\x00" * 64)
    idat_chunk = b"IDAT" + idat
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + crc
            + struct.pack(">I", len(idat)) + idat_chunk + struct.pack(">I", zlib.crc32(idat_chunk) & 0xFFFFFFFF)
            + b"\x00\x00\x00\x00IEND\xaeB`\x82")


SCENE = np.tile(np.linspace(0, 255, 640, dtype=np.uint8), (480, 1))[:, :, None].repeat(3, axis=2)


@pytest.mark.parametrize(("data", "error"), [
    (b"", intake.EmptyFile),
    (np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes(), intake.UnsupportedFormat),
    (b"%PDF-1.7\n1 0 obj <<>> endobj\n", intake.PdfNotSupported),
])
def test_bad_bytes_get_their_own_code(data: bytes, error: type[intake.IntakeError]) -> None:
    with pytest.raises(error) as caught:
        intake.decode(data)
    assert caught.value.code.startswith("verification.")


def test_a_truncated_jpeg_is_corrupt() -> None:
    data = jpeg(SCENE)
    with pytest.raises(intake.CorruptImage):
        intake.decode(data[: len(data) // 2])


def test_a_png_declaring_100k_by_100k_pixels_is_refused_from_its_header() -> None:
    with pytest.raises(intake.ImageTooLarge) as caught:
        intake.decode(png_header(100_000, 100_000))
    assert caught.value.details["found"] == 10_000_000_000


def test_an_animated_gif_is_not_a_photo_we_analyse() -> None:
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "blue", "green")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(intake.UnsupportedFormat, match="image/gif"):
        intake.decode(buffer.getvalue())


def test_an_animated_png_is_refused_as_animated() -> None:
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    with pytest.raises(intake.AnimatedImage):
        intake.decode(buffer.getvalue())


def test_a_one_pixel_image_is_too_small() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, format="PNG")
    with pytest.raises(intake.ImageTooSmall):
        intake.decode(buffer.getvalue())


def test_bytes_over_the_limit_are_refused_before_decoding() -> None:
    with pytest.raises(intake.FileTooLarge):
        intake.decode(jpeg(SCENE), limits=intake.Limits(max_bytes=1000))


def test_exif_orientation_is_applied_and_reported() -> None:
    image = Image.fromarray(np.dstack([SCENE[:, :, 0]] * 3)).crop((0, 0, 640, 400))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    array, info = intake.decode(buffer.getvalue())
    assert info.orientation == 6
    assert (info.width, info.height) == (400, 640)
    assert array.shape[:2] == (640, 400)


def test_an_upside_down_photo_is_turned_upright() -> None:
    upright = np.zeros((200, 300, 3), np.uint8)
    upright[:50] = 255  # white band at the top
    flipped = Image.fromarray(upright[::-1].copy())
    exif = Image.Exif()
    exif[0x0112] = 3
    buffer = io.BytesIO()
    flipped.save(buffer, format="JPEG", exif=exif.tobytes())
    array, _ = intake.decode(buffer.getvalue())
    assert array[:50].mean() > 200 and array[-50:].mean() < 50


def test_a_huge_exif_block_does_not_stop_decoding() -> None:
    exif = Image.Exif()
    exif[0x010E] = "x" * 60_000  # ImageDescription
    exif[0x0112] = 1
    buffer = io.BytesIO()
    Image.fromarray(SCENE).save(buffer, format="JPEG", exif=exif.tobytes())
    array, info = intake.decode(buffer.getvalue())
    assert array.shape == (480, 640, 3) and info.media_type == "image/jpeg"


@pytest.mark.parametrize("mode", ["L", "RGBA", "CMYK", "I;16", "P"])
def test_any_pixel_mode_becomes_8_bit_bgr(mode: str) -> None:
    base = Image.fromarray(SCENE).convert("RGB")
    image = base.convert("I;16") if mode == "I;16" else base.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF" if mode in ("CMYK", "I;16") else "PNG")
    array, _ = intake.decode(buffer.getvalue())
    assert array.dtype == np.uint8 and array.shape == (480, 640, 3)


def test_heic_from_an_iphone_is_decoded() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    buffer = io.BytesIO()
    Image.fromarray(SCENE).save(buffer, format="HEIF")
    array, info = intake.decode(buffer.getvalue())
    assert info.media_type == "image/heic" and array.shape == (480, 640, 3)


def test_a_large_jpeg_is_decoded_at_reduced_resolution_when_analysis_allows(images: dict[str, Path]) -> None:
    big = cv2.resize(cv2.imread(str(images["document_front"])), (4000, 3000))
    array, info = intake.decode(jpeg(big), max_side=1000)
    assert (info.width, info.height) == (4000, 3000)
    assert array.shape[:2] == (750, 1000)


def test_a_7000_by_7000_png_is_refused_from_its_header_before_any_decoding() -> None:
    with pytest.raises(intake.ImageTooLarge) as caught:
        intake.decode(png_header(7000, 7000))  # no real pixel data: decoding would fail otherwise
    assert caught.value.code == "verification.image_too_large"
    assert "7000x7000" in caught.value.message and "JPEG" in caught.value.message


def test_a_jpeg_over_the_memory_budget_decodes_at_a_reduced_scale_instead() -> None:
    big = cv2.resize(SCENE, (1600, 1200))
    array, info = intake.decode(jpeg(big), limits=intake.Limits(max_decode_bytes=1_000_000))
    assert (info.width, info.height) == (1600, 1200)
    assert array.shape == (300, 400, 3)  # 1/4 scale: the first that fits 1 MB


def test_sixteen_bit_colour_counts_twice_against_the_budget() -> None:
    eight = cv2.imencode(".png", cv2.resize(SCENE, (1000, 1000)))[1].tobytes()
    sixteen = cv2.imencode(".png", cv2.resize(SCENE, (1000, 1000)).astype(np.uint16) * 257)[1].tobytes()
    limits = intake.Limits(max_decode_bytes=4_000_000)
    assert intake.probe(sixteen).bytes_per_pixel == 6
    array, _ = intake.decode(eight, limits=limits)
    assert array.shape == (1000, 1000, 3)
    with pytest.raises(intake.ImageTooLarge):
        intake.decode(sixteen, limits=limits)


def test_a_png_larger_than_analysis_needs_is_handed_over_reduced_like_a_jpeg() -> None:
    data = cv2.imencode(".png", cv2.resize(SCENE, (4000, 3000)))[1].tobytes()
    array, info = intake.decode(data, max_side=1000)
    assert (info.width, info.height) == (4000, 3000) and array.shape == (750, 1000, 3)


def test_transparency_is_composited_over_white_and_16_bit_gray_is_stretched() -> None:
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[:, :20] = (0, 0, 255, 255)  # opaque red (BGRA)
    rgba[:, 20:] = (0, 0, 0, 0)  # fully transparent
    array, _ = intake.decode(cv2.imencode(".png", rgba)[1].tobytes())
    assert array[5, 5].tolist() == [0, 0, 255] and array[5, 30].tolist() == [255, 255, 255]
    dim = np.full((40, 40), 1000, np.uint16)
    dim[:, 20:] = 4000
    array, _ = intake.decode(cv2.imencode(".png", dim)[1].tobytes())
    assert array[5, 30].tolist() == [255, 255, 255] and array[5, 5].tolist() == [64, 64, 64]


def test_grey_with_alpha_in_a_tiff_is_composited_over_white() -> None:
    image = Image.new("LA", (40, 40), (0, 0))  # black, fully transparent
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF")
    array, _ = intake.decode(buffer.getvalue())
    assert array[5, 5].tolist() == [255, 255, 255]
