"""JSON Schema of every message, generated from the Structs (for SDK authors)."""

from __future__ import annotations

import msgspec

from sdk_protocol.messages import ClientMessage, ServerMessage
from sdk_protocol.version import PROTOCOL_VERSION


def _any_json(kind: type) -> dict[str, object]:
    # `object` marks a free JSON value (form values, JsonLogic rules): any JSON is valid.
    if kind is object:
        return {"description": "Any JSON value."}
    raise NotImplementedError(kind)


def protocol_schema() -> dict[str, object]:
    """One JSON Schema (2020-12) document: `client` and `server` unions plus `$defs`."""
    (client, server), defs = msgspec.json.schema_components(
        [ClientMessage, ServerMessage], ref_template="#/$defs/{name}", schema_hook=_any_json
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://arabesque.dev/schemas/sdk-protocol/{PROTOCOL_VERSION}.json",
        "title": f"Arabesque SDK protocol {PROTOCOL_VERSION}",
        "description": "Messages on the Socket.IO namespace /sdk, event 'message'. See docs/PROTOCOL.md.",
        "oneOf": [
            {"$ref": "#/$defs/ClientMessage"},
            {"$ref": "#/$defs/ServerMessage"},
        ],
        "$defs": {**defs, "ClientMessage": client, "ServerMessage": server},
    }


__all__ = ["protocol_schema"]
