"""Document storage: the DocumentStore port and its adapters."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from server.settings import ConfigError
from server.storage.base import DocumentStore, ObjectNotFound, StorageError, check_key
from server.storage.local import LocalStore


def open_store(url: str) -> DocumentStore:
    """`file:///path` -> LocalStore."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalStore(Path(unquote(parsed.path)))
    raise ConfigError(f"ARABESQUE_STORAGE_URL: expected file:///path, got {url!r}", variable="ARABESQUE_STORAGE_URL")


__all__ = ["DocumentStore", "LocalStore", "ObjectNotFound", "StorageError", "check_key", "open_store"]
