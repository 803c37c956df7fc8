"""One file out of a `multipart/form-data` body (what a browser's FormData sends), streamed as it arrives.

Parsing is python-multipart's (the parser Starlette uses); this only turns its callbacks into "the file part's
headers, then its bytes", and refuses anything but exactly one part named `file` carrying a file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

import sdk_protocol as p

FIELD = "file"


class MultipartFile:
    """The file part's declared name and type, and its bytes (an iterator to consume once)."""

    def __init__(self, filename: str, content_type: str, chunks: AsyncIterator[bytes]) -> None:
        self.filename = filename
        self.content_type = content_type
        self.chunks = chunks


def _invalid(message: str) -> p.InvalidMultipart:
    return p.InvalidMultipart(f"Expected multipart/form-data with one file part named {FIELD!r}, got {message}")


class _Events:
    """python-multipart's callbacks, collected in order between two feeds."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes | dict[str, str]]] = []
        self._field = b""
        self._value = b""
        self._headers: dict[str, str] = {}

    def callbacks(self) -> dict[str, object]:
        def header_field(data: bytes, start: int, end: int) -> None:
            self._field += data[start:end]

        def header_value(data: bytes, start: int, end: int) -> None:
            self._value += data[start:end]

        def header_end() -> None:
            self._headers[self._field.decode("latin-1").lower()] = self._value.decode("utf-8", "replace")
            self._field = self._value = b""

        def headers_finished() -> None:
            self.items.append(("headers", self._headers))
            self._headers = {}

        def part_data(data: bytes, start: int, end: int) -> None:
            if end > start:  # an empty piece would read as the end of the file downstream
                self.items.append(("data", bytes(data[start:end])))

        def part_end() -> None:
            self.items.append(("end", b""))

        return {"on_header_field": header_field, "on_header_value": header_value, "on_header_end": header_end,
                "on_headers_finished": headers_finished, "on_part_data": part_data, "on_part_end": part_end}


async def file_part(body: AsyncIterator[bytes], content_type: str) -> MultipartFile:
    """Read up to the file part's headers; its bytes then stream from `.chunks` as the body arrives."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise _invalid("no boundary in the Content-Type header")
    events = _Events()
    parser = MultipartParser(boundary, events.callbacks())  # type: ignore[arg-type]  # typed as a TypedDict

    async def feed() -> bool:
        chunk = await anext(body, b"")
        try:
            if chunk:
                parser.write(chunk)
            else:
                parser.finalize()
        except MultipartParseError as exc:
            raise _invalid(f"a malformed body ({exc})") from None
        return bool(chunk)

    while not events.items:
        if not await feed():
            raise _invalid("no part")
    kind, headers = events.items.pop(0)
    assert kind == "headers" and isinstance(headers, dict)
    _, disposition = parse_options_header(headers.get("content-disposition", ""))
    name = disposition.get(b"name", b"").decode("utf-8", "replace")
    filename = disposition.get(b"filename")
    if name != FIELD or filename is None:
        raise _invalid(f"a first part named {name[:64]!r}" + ("" if filename is not None else " without a file"))

    async def chunks() -> AsyncIterator[bytes]:
        ended = False
        more = True
        while True:
            while events.items:
                kind, data = events.items.pop(0)
                if kind == "data" and not ended:
                    assert isinstance(data, bytes)
                    yield data
                elif kind == "end":
                    ended = True
                else:
                    raise _invalid("a second part")
            if not more:
                if not ended:
                    raise _invalid("a body that ends inside the file part")
                return
            more = await feed()

    return MultipartFile(filename.decode("utf-8", "replace"), headers.get("content-type", ""), chunks())


__all__ = ["FIELD", "MultipartFile", "file_part"]
