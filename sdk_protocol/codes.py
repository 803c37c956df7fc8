"""The table of every code the server can answer with: HTTP status and meaning, in one place.

Error classes register themselves when they are defined (`SdkError.__init_subclass__`); the codes
that are only strings on the wire (per-field validation codes, transport codes) are declared here.
"""

from __future__ import annotations

from typing import Literal

import msgspec

CodeKind = Literal["error", "field", "transport"]
FIELD_STATUS = 422
"""Field codes travel inside `screen.errors` (socket) or a `validation.failed` answer (HTTP)."""


class CodeInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One row of the code table."""

    code: str
    http_status: int
    meaning: str
    kind: CodeKind = "error"


class CodeConflict(TypeError):
    """Two definitions give one code different HTTP statuses: a code has exactly one."""


FIELD_CODES: dict[str, str] = {
    "validation.required": "A required value is missing (or a required consent is not `true`).",
    "validation.type": "The value has the wrong JSON type for its component (e.g. a number for a text input).",
    "validation.min_length": "The text is shorter than `params.min_length`.",
    "validation.max_length": "The text is longer than `params.max_length`.",
    "validation.pattern": "The text does not match the component's `validation.pattern`.",
    "validation.email": "Not an email address.",
    "validation.tel": "Not a phone number.",
    "validation.date": "Not a date as `YYYY-MM-DD`.",
    "validation.min_date": "The date is before `params.min_date`.",
    "validation.max_date": "The date is after `params.max_date`.",
    "validation.min_value": "The number is below `params.min_value`.",
    "validation.max_value": "The number is above `params.max_value`.",
    "validation.not_allowed": "The value is not one of the component's options or `allowed_values`.",
    "validation.country": "Not an ISO 3166-1 alpha-2 country code.",
    "validation.file_id": "Not a file id (`f_...`).",
    "validation.file_unknown": "A well-formed file id that was not uploaded to this session.",
    "validation.file_type": "A document or selfie capture names a file that is not a photo (a PDF, say).",
    "validation.min_items": "Fewer files or repeater items than `params.min_items`.",
    "validation.max_items": "More files or repeater items than `params.max_items`.",
    "validation.unknown_field": "A value for a field the screen does not have.",
    "validation.challenge_frames": "A challenge selfie's `<name>_frames` is missing (from a 1.3 client that was "
                                   "sent the challenge) or is not a list of `params.min_items` to "
                                   "`params.max_items` file ids.",
}
"""Codes of `FieldError`s (`screen.errors[].code`), never raised on their own."""

TRANSPORT_CODES: dict[str, tuple[int, str]] = {
    "request.not_found": (404, "No route at this path."),
    "request.method_not_allowed": (405, "The route exists but not with this HTTP method."),
}
"""Codes the HTTP layer answers for requests that reach no handler (Starlette's own 404/405)."""

_ERRORS: dict[str, CodeInfo] = {}


def register(code: str, http_status: int, meaning: str) -> None:
    """Record an error class's code; called by `SdkError.__init_subclass__`.

    Several classes may share a code (e.g. a storage adapter's own not-found), with one status.
    """
    known = _ERRORS.get(code)
    if known is not None and known.http_status != http_status:
        raise CodeConflict(f"Expected one HTTP status for {code!r}, got {known.http_status} and {http_status}")
    if known is None or (meaning and not known.meaning):
        _ERRORS[code] = CodeInfo(code=code, http_status=http_status, meaning=meaning)


def code_table() -> list[CodeInfo]:
    """Every code known so far (errors registered by the modules imported until now), sorted by code."""
    rows = dict(_ERRORS)
    for code, meaning in FIELD_CODES.items():
        rows.setdefault(code, CodeInfo(code=code, http_status=FIELD_STATUS, meaning=meaning, kind="field"))
    for code, (status, meaning) in TRANSPORT_CODES.items():
        rows.setdefault(code, CodeInfo(code=code, http_status=status, meaning=meaning, kind="transport"))
    return sorted(rows.values(), key=lambda row: row.code)


def markdown_table(rows: list[CodeInfo]) -> str:
    """The table as Markdown: code, HTTP status, meaning (one line each)."""
    lines = ["| code | HTTP | meaning |", "|---|---|---|"]
    for row in rows:
        meaning = " ".join(row.meaning.split()).replace("|", "\\|")
        lines.append(f"| `{row.code}` | {row.http_status} | {meaning} |")
    return "\n".join(lines) + "\n"


__all__ = [
    "FIELD_CODES",
    "FIELD_STATUS",
    "TRANSPORT_CODES",
    "CodeConflict",
    "CodeInfo",
    "CodeKind",
    "code_table",
    "markdown_table",
    "register",
]
