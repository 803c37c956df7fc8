"""Webhook signing secrets: `whsec_` + base64 of 32 random bytes, shown once, sealed at rest.

HMAC signing needs the secret itself, so it cannot be stored as a hash: it is sealed with AES-GCM under a key
that is not in the database (ARABESQUE_WEBHOOK_SECRETS_KEY, else a key generated once into the data dir), so
a copy of the database alone does not hand the secrets out.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import sdk_protocol as p
from server.settings import Settings

KEY_FILE = "webhook-secrets.key"
SEALED_PREFIX = "v1:"
NONCE_BYTES = 12


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def resolve_secrets_key(settings: Settings) -> bytes:
    """The sealing key: from the setting (any string, hashed to 32 bytes), else the data dir's key file."""
    if settings.webhook_secrets_key:
        return hashlib.sha256(settings.webhook_secrets_key.encode()).digest()
    path = settings.data_path / KEY_FILE
    if not path.is_file():
        settings.data_path.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
    return hashlib.sha256(path.read_text(encoding="utf-8").strip().encode()).digest()


class SecretBox:
    """Seals and opens secrets with one key (built once in server/app.py)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, secret: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), b"arabesque.webhook")
        return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str) -> str:
        raw = base64.b64decode(sealed.removeprefix(SEALED_PREFIX))
        try:
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], b"arabesque.webhook").decode()
        except InvalidTag:
            raise p.InternalError("Expected a webhook secret sealed with ARABESQUE_WEBHOOK_SECRETS_KEY, got one "
                                  "sealed with another key (every node needs the same key)") from None


__all__ = ["KEY_FILE", "SecretBox", "new_secret", "resolve_secrets_key"]
