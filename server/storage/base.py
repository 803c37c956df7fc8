"""The DocumentStore port: what the app needs from wherever documents live."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from typing import ClassVar, Protocol

import msgspec

from sdk_protocol import SdkError

KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_-]{1,64}){0,3}$")


class StorageError(SdkError):
    """The store failed (down, slow, refused); the request can be retried."""

    code: ClassVar[str] = "storage.unavailable"
    http_status: ClassVar[int] = 503


class ObjectHead(msgspec.Struct, frozen=True, kw_only=True):
    size: int
    content_type: str


class ObjectNotFound(SdkError):
    code: ClassVar[str] = "file.not_found"
    http_status: ClassVar[int] = 404


def safe_name(raw: str) -> str:
    """A display name from a client-supplied file name: no directories, no control characters."""
    base = re.split(r"[\\/]", raw)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return cleaned.encode("utf-8")[:200].decode("utf-8", "ignore") or "upload"


def check_key(key: str) -> str:
    """Keys are built by the server (`tenant/session/file`), never from user input; refuse anything else."""
    if KEY.match(key) is None:
        raise ValueError(f"Expected a storage key like tenant/session/file, got {key[:80]!r}")
    return key


class DocumentStore(Protocol):
    """Where identity documents live. Writes are atomic: a failed put leaves nothing behind."""

    async def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], *, content_type: str) -> int:
        """Store the chunks under `key`; returns the byte count. If `chunks` raises, nothing is stored."""
        ...

    async def get(self, key: str) -> bytes: ...

    def stream(self, key: str, chunk_size: int = 256 * 1024) -> AsyncIterator[bytes]:
        """The object's bytes in chunks (ObjectNotFound when it is missing)."""
        ...

    async def head(self, key: str) -> ObjectHead: ...

    async def delete(self, key: str) -> None: ...

    async def delete_prefix(self, prefix: str) -> int: ...

    async def keys(self, prefix: str) -> list[str]: ...

    async def check(self) -> None:
        """Raise StorageError with the reason when the store cannot be used."""
        ...


__all__ = ["DocumentStore", "ObjectHead", "ObjectNotFound", "StorageError", "check_key", "safe_name"]
