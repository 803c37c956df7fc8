"""Where a session's documents live in the store: `<tenant>/<session id>/<file id>`, and nowhere else."""

from __future__ import annotations


def session_prefix(tenant: str, session_id: str) -> str:
    """Every object of a session is under this folder (erasure deletes it)."""
    return f"{tenant}/{session_id}"


def file_key(tenant: str, session_id: str, file_id: str) -> str:
    return f"{session_prefix(tenant, session_id)}/{file_id}"


def split_file_key(name: str, tenant: str) -> tuple[str, str] | None:
    """(session id, file id) from `<tenant>/<session>/<file>` or `<session>/<file>`; None for anything else."""
    parts = name.strip("/").split("/")
    if len(parts) == 3 and parts[0] == tenant:
        parts = parts[1:]
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


__all__ = ["file_key", "session_prefix", "split_file_key"]
