from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import msgspec
import pytest

import sdk_protocol as p


def test_a_client_on_the_same_major_version_is_accepted_and_told_the_server_version() -> None:
    assert p.negotiate_version("1.0.0") == p.PROTOCOL_VERSION
    assert p.negotiate_version("1.9.3-beta.1") == p.PROTOCOL_VERSION


def test_an_unsupported_major_version_is_refused_with_its_code() -> None:
    with pytest.raises(p.UnsupportedVersion) as caught:
        p.negotiate_version("2.0.0")
    assert caught.value.code == "protocol.unsupported_version"
    assert caught.value.details["supported"] == ["1.x"]
    assert "got 2.0.0" in caught.value.message


@pytest.mark.parametrize("text", ["1", "v1.0.0", "1.0", "one", "", "1.0.0.0", "01.0.0"])
def test_a_malformed_version_is_an_invalid_message(text: str) -> None:
    with pytest.raises(p.InvalidMessage):
        p.negotiate_version(text)


DOC = p.DocumentCapture(name="file", side="front", fallback=p.FileUpload(name="file", min_files=1))


def test_a_declared_component_is_sent_as_is() -> None:
    fitted = p.fit_components([DOC], p.Capabilities.declare(["capture.document", "input.file"]))
    assert fitted.components == [DOC] and fitted.missing == []


def test_an_undeclared_component_is_replaced_by_its_fallback() -> None:
    fitted = p.fit_components([DOC], p.Capabilities.declare(["input.file"]))
    assert fitted.components == [DOC.fallback]


def test_without_a_usable_fallback_the_missing_types_are_reported() -> None:
    fitted = p.fit_components([p.Heading(text="h"), DOC], p.Capabilities.declare(["input.text"]))
    assert fitted.missing == ["capture.document"]


def test_core_components_need_not_be_declared() -> None:
    fitted = p.fit_components([p.Heading(text="h"), p.Button(action="submit", label="Go")], p.Capabilities.declare([]))
    assert fitted.missing == []


def test_a_repeater_needs_every_nested_field_type() -> None:
    repeater = p.Repeater(name="owners", fields=[p.TextInput(name="a"), p.CountrySelect(name="c")])
    assert p.fit_components([repeater], p.Capabilities.declare(["input.repeater", "input.text"])).missing == [
        "input.repeater"]
    assert p.fit_components([repeater], p.Capabilities.declare(["input.repeater", "input.text", "input.country"])
                            ).missing == []


def test_the_schema_is_valid_json_schema_and_matches_the_structs() -> None:
    schema = p.protocol_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    hello = p.Hello(protocol_version="1.0.0", sdk=p.SdkInfo(name="ios", version="1", platform="ios"))
    assert validator.is_valid(p.to_wire(hello))
    assert not validator.is_valid({"type": "hello"})
    submit = {"type": "screen.submit", "screen_id": "a b", "revision": 1, "values": {}, "idempotency_key": "k"}
    assert not validator.is_valid(submit), "the schema carries the name pattern too"


def test_arabesque_protocol_schema_prints_the_schema() -> None:
    out = subprocess.run([sys.executable, "-m", "server.cli", "protocol", "schema"], capture_output=True, check=True)
    schema = json.loads(out.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert {"ClientMessage", "ServerMessage", "Screen", "DocumentCapture", "Repeater"} <= set(schema["$defs"])


def test_no_struct_uses_a_msgspec_meta_pattern() -> None:
    # Meta(pattern=...) makes interpreter shutdown crash at random (msgspec #717); patterns are checked in code.
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [str(f) for d in ("sdk_protocol", "ui_schemas", "server", "verification", "demo_client")
                 for f in (root / d).rglob("*.py") if "Meta(pattern" in f.read_text()]
    assert offenders == []


def test_schema_components_cover_every_component_type() -> None:
    schema = p.protocol_schema()
    tags = {d["properties"]["type"]["enum"][0] for d in schema["$defs"].values()
            if isinstance(d, dict) and "properties" in d and "type" in d["properties"]
            and "enum" in d["properties"]["type"]}
    assert tags >= p.ALL_COMPONENT_TYPES
    assert msgspec.json.encode(schema)
