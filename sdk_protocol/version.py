"""The protocol's semantic version and the server side of version negotiation."""

from __future__ import annotations

import re

from sdk_protocol.errors import InvalidMessage, UnsupportedVersion

PROTOCOL_VERSION = "1.3.0"
SUPPORTED_MAJORS: frozenset[int] = frozenset({1})

SEMVER = re.compile(r"^(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})(?:[-+][0-9A-Za-z.-]{1,32})?$")


def parse_version(text: str) -> tuple[int, int, int]:
    """`1.2.3` -> (1, 2, 3); anything else is a `protocol.invalid_message`."""
    match = SEMVER.match(text)
    if match is None:
        raise InvalidMessage(
            f"Expected a semantic version like 1.0.0, got {text[:32]!r} - at $.protocol_version",
            path="$.protocol_version",
        )
    return int(match[1]), int(match[2]), int(match[3])


def negotiate_version(client_version: str) -> str:
    """The version the server will speak with this client, or `protocol.unsupported_version`.

    Same major: accepted, and the server speaks its own version (minor releases only
    add optional fields and component types, which clients ignore or never receive).
    """
    major, _, _ = parse_version(client_version)
    if major not in SUPPORTED_MAJORS:
        supported = ", ".join(f"{m}.x" for m in sorted(SUPPORTED_MAJORS))
        raise UnsupportedVersion(
            f"Expected protocol version {supported}, got {client_version}",
            client_version=client_version,
            server_version=PROTOCOL_VERSION,
            supported=[f"{m}.x" for m in sorted(SUPPORTED_MAJORS)],
        )
    return PROTOCOL_VERSION


__all__ = ["PROTOCOL_VERSION", "SUPPORTED_MAJORS", "negotiate_version", "parse_version"]
