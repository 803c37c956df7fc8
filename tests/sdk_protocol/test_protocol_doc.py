"""docs/PROTOCOL.md shows an example of every message; each must decode as the Structs say."""

from __future__ import annotations

import json
import re
from pathlib import Path

import sdk_protocol as p

DOC = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"
CLIENT_TYPES = {"hello", "screen.submit", "screen.action", "upload.completed"}


def examples() -> list[dict[str, object]]:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(), re.S)
    return [json.loads(block) for block in blocks]


def test_every_example_in_the_protocol_doc_decodes() -> None:
    for example in examples():
        if example["type"] in CLIENT_TYPES:
            p.decode_client(example)
        else:
            p.decode_server(example)


def test_the_protocol_doc_shows_every_message_type() -> None:
    shown = {e["type"] for e in examples()}
    every = {"hello", "screen.submit", "screen.action", "upload.completed", "welcome", "screen", "screen.errors",
             "screen.accepted", "verification.progress", "journey.completed", "upload.verified", "error"}
    assert shown == every


def test_the_protocol_doc_has_a_sequence_diagram_and_lists_every_component() -> None:
    text = DOC.read_text()
    assert "```mermaid\nsequenceDiagram" in text
    for component in p.ALL_COMPONENT_TYPES:
        assert f"`{component}`" in text, component
