"""Document storage: the DocumentStore port and its adapters, chosen by ARABESQUE_STORAGE_URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from server.settings import ConfigError, Settings
from server.storage.base import DocumentStore, ObjectHead, ObjectNotFound, StorageError, check_key
from server.storage.local import LocalStore
from server.storage.s3 import PresignedPost, S3Store


def s3_client(settings: Settings) -> object:
    """A boto3 S3 client: credentials from the standard chain, SigV4, bounded retries with backoff."""
    import boto3
    from botocore.config import Config

    config = Config(signature_version="s3v4", s3={"addressing_style": settings.s3_addressing},
                    retries={"mode": "standard", "max_attempts": settings.s3_max_attempts},
                    connect_timeout=settings.s3_connect_timeout, read_timeout=settings.s3_read_timeout)
    return boto3.client("s3", endpoint_url=settings.s3_endpoint_url or None, region_name=settings.s3_region or None,
                        config=config)


def open_store(settings: Settings) -> DocumentStore:
    """`file:///path` -> LocalStore; `s3://bucket/prefix` -> S3Store."""
    url = settings.resolved_storage_url
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalStore(Path(unquote(parsed.path)))
    if parsed.scheme == "s3" and parsed.netloc:
        if settings.s3_sse not in ("", "AES256", "aws:kms"):
            raise ConfigError(f"ARABESQUE_S3_SSE: expected AES256 or aws:kms (or nothing), got {settings.s3_sse!r}",
                              variable="ARABESQUE_S3_SSE")
        return S3Store(client=s3_client(settings), bucket=parsed.netloc, prefix=parsed.path, sse=settings.s3_sse,
                       kms_key_id=settings.s3_kms_key_id)
    raise ConfigError(f"ARABESQUE_STORAGE_URL: expected file:///path or s3://bucket/prefix, got {url!r}",
                      variable="ARABESQUE_STORAGE_URL")


__all__ = ["DocumentStore", "LocalStore", "ObjectHead", "ObjectNotFound", "PresignedPost", "S3Store", "StorageError",
           "check_key", "open_store"]
