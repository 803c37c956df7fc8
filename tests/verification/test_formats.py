"""The one decision of an upload's type: by its first bytes, a declared type must agree."""

from __future__ import annotations

import pytest

import sdk_protocol as p
from verification.formats import CAPTURE_TYPES, UPLOAD_TYPES, check_declared, decide_type

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
PDF = b"%PDF-1.7\n" + b"\x00" * 40


def test_the_bytes_decide_and_a_declared_type_must_agree() -> None:
    assert decide_type(JPEG, "") == "image/jpeg"
    assert decide_type(JPEG, "image/jpg; charset=x") == "image/jpeg"
    assert decide_type(JPEG, "application/octet-stream") == "image/jpeg"
    with pytest.raises(p.UploadTypeMismatch) as caught:
        decide_type(JPEG, "image/png")
    assert caught.value.details == {"declared": "image/png", "detected": "image/jpeg"}


def test_a_pdf_may_be_uploaded_but_is_not_a_capture() -> None:
    assert decide_type(PDF, "application/pdf") == "application/pdf"
    assert "application/pdf" in UPLOAD_TYPES and "application/pdf" not in CAPTURE_TYPES


@pytest.mark.parametrize("head", [b"", b"GIF89a" + b"\x00" * 30, b"plain text, not a file we take"])
def test_empty_or_unknown_bytes_are_refused_with_a_code(head: bytes) -> None:
    with pytest.raises(p.UnsupportedFileType):
        decide_type(head, "")


def test_a_direct_upload_must_announce_a_type_we_take() -> None:
    assert check_declared("Image/HEIF") == "image/heic"
    with pytest.raises(p.UnsupportedFileType):
        check_declared("text/html")
