"""One file out of a multipart/form-data body, however the body is cut into chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import sdk_protocol as p
from server.multipart import file_part

BOUNDARY = "----arabesque7d3"
HEADER = f"multipart/form-data; boundary={BOUNDARY}"
DATA = bytes(range(256)) * 40 + b"\r\n--not-the-boundary\r\n"


def body(*parts: tuple[str, str | None, bytes], close: bool = True) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += (f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\nContent-Type: image/jpeg\r\n\r\n").encode()
        out += data + b"\r\n"
    return out + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


async def chunks(raw: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(raw), size):
        yield raw[i:i + size]


async def read_all(raw: bytes, size: int) -> tuple[str, str, bytes]:
    part = await file_part(chunks(raw, size), HEADER)
    return part.filename, part.content_type, b"".join([c async for c in part.chunks])


@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 20])
async def test_the_file_part_streams_out_whole_at_any_chunk_size(size: int) -> None:
    assert await read_all(body(("file", "front.jpg", DATA)), size) == ("front.jpg", "image/jpeg", DATA)


@pytest.mark.parametrize("raw", [
    body(("file", "a.jpg", DATA), ("file", "b.jpg", DATA)),
    body(("note", None, b"hello"), ("file", "a.jpg", DATA)),
    body(("file", None, DATA)),
    body(("file", "a.jpg", DATA), close=False)[:-10],
    b"",
], ids=["a second part", "a field first", "no file name", "cut short", "empty"])
async def test_anything_but_one_file_part_is_invalid_multipart(raw: bytes) -> None:
    with pytest.raises(p.InvalidMultipart):
        await read_all(raw, 5)


async def test_a_content_type_without_a_boundary_is_invalid_multipart() -> None:
    with pytest.raises(p.InvalidMultipart):
        await file_part(chunks(body(("file", "a.jpg", DATA)), 64), "multipart/form-data")
