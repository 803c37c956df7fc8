"""Where a session's documents live in the store: `<tenant>/<session id>/<file id>`, and nowhere else."""

from __future__ import annotations


def session_prefix(tenant: str, session_id: str) -> str:
    """Every object of a session is under this folder (erasure deletes it)."""
    return f"{tenant}/{session_id}"


def file_key(tenant: str, session_id: str, file_id: str) -> str:
    return f"{session_prefix(tenant, session_id)}/{file_id}"


__all__ = ["file_key", "session_prefix"]
