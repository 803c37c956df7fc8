"""What a file is, decided by its first bytes (never by its name or declared type), and what is accepted where.

This is the one place that decides an upload's type: the upload endpoint, direct uploads and the image intake
all ask here.
"""

from __future__ import annotations

from sdk_protocol import UnsupportedFileType, UploadTypeMismatch

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


CAPTURE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/avif", "image/tiff"})
"""What a document or selfie capture may be: photos the checks can read."""

UPLOAD_TYPES = CAPTURE_TYPES | {"application/pdf"}
"""What an SDK may upload: photos, and PDFs for `file_upload` inputs (KYB documents), which are stored, not checked."""

ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/heif": "image/heic",
           "image/x-png": "image/png"}


def normalise_media_type(declared: str) -> str:
    """`Image/JPG; charset=x` -> `image/jpeg`."""
    base = declared.split(";", 1)[0].strip().lower()
    return ALIASES.get(base, base)


def decide_type(head: bytes, declared: str = "") -> str:
    """The upload's type from its first bytes; a declared type (other than octet-stream) must agree."""
    if not head:
        raise UnsupportedFileType("Expected a file, got an empty body")
    detected = sniff(head)
    if detected is None or detected not in UPLOAD_TYPES:
        allowed = ", ".join(sorted(UPLOAD_TYPES))
        raise UnsupportedFileType(f"Expected one of {allowed}, got {detected or 'unrecognised bytes'}",
                                  detected=detected or "")
    declared = normalise_media_type(declared)
    if declared not in ("", "application/octet-stream") and declared != detected:
        raise UploadTypeMismatch(f"Expected the bytes to be {declared} as declared, got {detected}",
                                 declared=declared, detected=detected)
    return detected


def check_declared(declared: str) -> str:
    """A type announced before any byte (direct uploads): one an SDK may upload."""
    content_type = normalise_media_type(declared)
    if content_type not in UPLOAD_TYPES:
        raise UnsupportedFileType(f"Expected one of {', '.join(sorted(UPLOAD_TYPES))}, got {content_type}",
                                  declared=content_type)
    return content_type


__all__ = ["CAPTURE_TYPES", "SNIFF_BYTES", "UPLOAD_TYPES", "check_declared", "decide_type", "normalise_media_type",
           "sniff"]
