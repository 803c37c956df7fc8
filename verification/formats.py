"""What a file is, decided by its first bytes (never by its name or declared type)."""

from __future__ import annotations

SNIFF_BYTES = 32

HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"})


def sniff(head: bytes) -> str | None:
    """The media type of a file from its first bytes, or None when it is not one we know."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/avif" if head[8:12] == b"avif" else "image/heic"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


UPLOAD_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/avif", "image/tiff",
                          "application/pdf"})
"""What an SDK may upload (decided by `sniff`, never by the declared type)."""

ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/heif": "image/heic",
           "image/x-png": "image/png"}


def normalise_media_type(declared: str) -> str:
    """`Image/JPG; charset=x` -> `image/jpeg`."""
    base = declared.split(";", 1)[0].strip().lower()
    return ALIASES.get(base, base)


__all__ = ["SNIFF_BYTES", "UPLOAD_TYPES", "normalise_media_type", "sniff"]
