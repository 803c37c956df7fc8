"""API keys and session tokens: random, hashed at rest, compared in constant time."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from server.settings import Settings

DEV_KEY_FILE = "dev-api-key"
DEV_REKOGNITION_FILE = "dev-rekognition-keys"


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (keys and tokens are random, so no slow KDF is needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "st_" + secrets.token_urlsafe(32)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(16).replace('-', 'x').replace('_', 'y')}"


def bearer(header: str | None) -> str | None:
    """The credential in `Authorization: Bearer <credential>`, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def resolve_rekognition_keys(settings: Settings) -> tuple[str, str, bool]:
    """(access key id, secret, generated) for the Rekognition protocol's SigV4. HMAC signatures need the secret
    itself, so unlike API keys it is kept as given (environment or the data dir), not hashed."""
    if settings.rekognition_access_key_id:
        return settings.rekognition_access_key_id, settings.rekognition_secret_access_key, False
    path: Path = settings.data_path / DEV_REKOGNITION_FILE
    if path.is_file():
        key_id, secret = path.read_text(encoding="utf-8").split()
        return key_id, secret, True
    settings.data_path.mkdir(parents=True, exist_ok=True)
    key_id = "AKIA" + secrets.token_hex(8).upper()
    secret = secrets.token_urlsafe(30)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"{key_id} {secret}\n")
    return key_id, secret, True


def resolve_api_key(settings: Settings) -> tuple[str, bool]:
    """(the integrator key, whether it was generated). A generated key is kept in the data dir."""
    if settings.api_key:
        return settings.api_key, False
    path: Path = settings.data_path / DEV_KEY_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip(), True
    settings.data_path.mkdir(parents=True, exist_ok=True)
    key = "ak_dev_" + secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key, True


__all__ = ["DEV_KEY_FILE", "DEV_REKOGNITION_FILE", "bearer", "digest", "new_id", "new_token", "resolve_api_key",
           "resolve_rekognition_keys"]
