"""docs/PROTOCOL.md tells the truth: every example decodes as the code says, and its code table is the server's."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Literal

import msgspec
import pytest

import sdk_protocol as p
from server import api_types
from server.cli import main
from server.error_codes import load_code_table

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "PROTOCOL.md"
SCANNED = ("server", "sdk_protocol", "verification")
CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
EXAMPLE = re.compile(r"<!-- example: (?P<kind>[\w:]+) -->\n```json\n(?P<body>.*?)```", re.S)
TABLE = re.compile(r"<!-- codes:begin -->\n(?P<table>.*?)<!-- codes:end -->", re.S)


class FaceMatch(msgspec.Struct, frozen=True, kw_only=True):
    """The documented shape of `checks.<capture>.face_match` in `GET /v1/sessions/{id}`."""

    verdict: Literal["match", "review", "mismatch"]
    similarity: float
    distance: float | None


class Readiness(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The documented shape of `/readyz`: every check it ran, by name."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, str]


def examples() -> list[tuple[str, object]]:
    return [(m["kind"], json.loads(m["body"])) for m in EXAMPLE.finditer(DOC.read_text())]


def decode_example(kind: str, example: object) -> object:
    """Decode with what the kind names: a socket message, a REST body Struct, an error body, a documented shape."""
    if kind == "client":
        return p.decode_client(example)
    if kind == "server":
        return p.decode_server(example)
    if kind == "error":
        return msgspec.convert(example, p.ErrorMessage)
    if kind.startswith("rest:"):
        return msgspec.convert(example, getattr(api_types, kind.removeprefix("rest:")), strict=False)
    local: dict[str, type[msgspec.Struct]] = {"face_match": FaceMatch, "readyz": Readiness}
    return msgspec.convert(example, local[kind])


def test_every_json_block_in_the_protocol_doc_is_a_marked_example() -> None:
    text = DOC.read_text()
    assert text.count("```json") == len(examples())


def test_every_example_in_the_protocol_doc_decodes() -> None:
    for kind, example in examples():
        decode_example(kind, example)


def test_every_error_code_in_an_example_is_in_the_table() -> None:
    codes = {row.code for row in load_code_table()}
    for kind, example in examples():
        message = decode_example(kind, example)
        if isinstance(message, p.ErrorMessage):
            assert message.code in codes, message
        if isinstance(message, p.ScreenErrors):
            assert {e.code for e in message.errors} <= codes, message


def test_the_protocol_doc_shows_every_message_type() -> None:
    shown = {e["type"] for kind, e in examples() if kind in ("client", "server") and isinstance(e, dict)}
    every = {"hello", "screen.submit", "screen.action", "upload.completed", "welcome", "screen", "screen.errors",
             "screen.accepted", "verification.progress", "journey.completed", "upload.verified", "handoff.claimed",
             "error"}
    assert shown == every


def test_the_protocol_doc_shows_an_upgrade_screen_and_a_waiting_screen() -> None:
    screens = [m for kind, e in examples() if kind == "server" and isinstance(m := p.decode_server(e), p.Screen)]
    assert any(s.screen_id == "upgrade_required" for s in screens)
    assert any(s.waiting for s in screens)


def test_the_protocol_doc_has_a_sequence_diagram_and_lists_every_component() -> None:
    text = DOC.read_text()
    assert "```mermaid\nsequenceDiagram" in text
    for component in p.ALL_COMPONENT_TYPES:
        assert f"`{component}`" in text, component


def test_the_code_table_in_the_doc_is_the_generated_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocol", "codes"]) == 0
    generated = capsys.readouterr().out
    found = TABLE.search(DOC.read_text())
    assert found is not None, "docs/PROTOCOL.md needs <!-- codes:begin --> ... <!-- codes:end -->"
    assert found["table"] == generated, "run `arabesque protocol codes` and paste its output between the markers"


def test_every_code_has_an_http_status_and_a_meaning() -> None:
    for row in load_code_table():
        assert CODE.match(row.code), row
        assert 400 <= row.http_status <= 599, row
        assert row.meaning.strip(), f"{row.code} needs a one-line meaning (the error class's docstring)"


def _strings(node: ast.AST) -> set[str]:
    """String constants in an expression that can be its value (not keys read from a mapping: `d["code"]`)."""
    keys = {id(n.slice) for n in ast.walk(node) if isinstance(n, ast.Subscript)}
    return {n.value for n in ast.walk(node)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in keys}


def _code_value(node: ast.AST) -> ast.expr | None:
    """The expression given as a code: `code = ...` (class attribute or local) or a `code=...` argument."""
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
        return node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "code":
        return node.value
    if isinstance(node, ast.keyword) and node.arg == "code":
        return node.value
    return None


def _emitted_codes(tree: ast.AST) -> set[str]:
    """Codes written in the source: `code = ...`, `code=...`, `{"code": ...}` and the field-error helper
    `_err(pointer, "validation....")`."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if (value := _code_value(node)) is not None:
            found |= _strings(value)
        elif isinstance(node, ast.Dict):
            for key, item in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "code":
                    found |= _strings(item)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_err":
            found |= {s for arg in node.args[1:2] for s in _strings(arg)}
    return {code for code in found if CODE.match(code)}


def emitted_codes() -> dict[str, str]:
    """Every code literal in the server's source, with one file it appears in."""
    codes: dict[str, str] = {}
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "bench" in path.parts:  # measurement clients, not the server
                continue
            for code in _emitted_codes(ast.parse(path.read_text(encoding="utf-8"))):
                codes.setdefault(code, str(path.relative_to(ROOT)))
    return codes


def test_the_source_scan_finds_codes_of_every_kind() -> None:
    codes = emitted_codes()
    for code in ("session.expired", "verification.corrupt_image", "validation.required", "validation.file_unknown",
                 "request.not_found", "request.method_not_allowed", "storage.unavailable"):
        assert code in codes, code


def test_every_code_the_server_can_emit_is_in_the_table() -> None:
    table = {row.code for row in load_code_table()}
    missing = {code: where for code, where in emitted_codes().items() if code not in table}
    assert missing == {}, "declare these in an error class or in sdk_protocol/codes.py"


def test_the_issue_s_undocumented_codes_are_documented() -> None:
    text = TABLE.search(DOC.read_text())
    assert text is not None
    for code in ("auth.invalid_api_key", "request.invalid", "request.not_found", "journey.not_found",
                 "file.not_found", "validation.file_unknown", "verification.corrupt_image",
                 "verification.image_too_large", "verification.image_too_small", "verification.animated_image",
                 "verification.pdf_not_supported", "rekognition.invalid_parameter", "storage.unavailable",
                 "storage.direct_upload_unsupported", "upload.invalid_multipart", "upload.too_large"):
        assert f"| `{code}` |" in text["table"], code


def test_one_code_has_one_http_status() -> None:
    class Twin(p.SdkError):
        """A second class reusing a code with its status is fine."""

        code = "file.not_found"
        http_status = 404

    with pytest.raises(p.CodeConflict, match=r"Expected one HTTP status for 'file.not_found', got 404 and 500"):
        class Clash(p.SdkError):
            code = "file.not_found"
            http_status = 500


def test_an_expired_token_is_token_expired_and_keeps_its_wire_code() -> None:
    error = p.TokenExpired("Expected an unexpired session token, got one that expired at 2026-11-25T10:00:00Z")
    assert (error.code, error.http_status) == ("session.expired", 410)
