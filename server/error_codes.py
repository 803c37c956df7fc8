"""The complete code table: import every module that defines errors, then read the registry.

Error classes register their code when their module is imported (`sdk_protocol.codes`), so the
table is complete only once all of them are: `ERROR_MODULES` is the one list of those modules.
"""

from __future__ import annotations

import importlib

from sdk_protocol.codes import CodeInfo, code_table

ERROR_MODULES: tuple[tuple[str, ...], ...] = (
    ("sdk_protocol.errors",),
    ("server.settings",),
    ("server.storage.base",),
    ("server.workers",),
    ("server.tasks",),
    ("verification.intake",),
    ("server.rekognition.shapes",),
    ("server.access",),
    ("server.keys",),
    ("server.cases.errors",),
    ("server.users",),
    ("server.idempotency",),
    ("server.webhooks.outbound",),
    ("server.webhooks.types",),
    ("server.plugins.http_errors",),
    ("server.screening.errors",), ("verification.screening.ftm",),
)
"""Modules defining `SdkError` subclasses. Each entry lists alternative homes; at least one must exist."""


class MissingErrorModule(ImportError):
    """None of an `ERROR_MODULES` entry's modules exists: the list is out of date."""


def _import_any(names: tuple[str, ...]) -> None:
    found = False
    for name in names:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (name == exc.name or name.startswith(exc.name + ".")):
                raise  # the module exists but one of its own imports is missing
            continue
        found = True
    if not found:
        raise MissingErrorModule(f"Expected one of {', '.join(names)} to exist, got none; update ERROR_MODULES")


def load_code_table() -> list[CodeInfo]:
    """Every code the server can answer with, sorted: error classes, field codes, transport codes."""
    for names in ERROR_MODULES:
        _import_any(names)
    return code_table()


__all__ = ["ERROR_MODULES", "MissingErrorModule", "load_code_table"]
