"""Decode once at the edge: bounded, typed, and every failure is an SdkError."""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec

from sdk_protocol.errors import InvalidMessage, MessageTooLarge, SdkError, UnknownMessageType
from sdk_protocol.messages import ClientMessage, ErrorMessage, Message, ServerMessage

MAX_MESSAGE_BYTES = 256 * 1024
MAX_DEPTH = 24
MAX_NODES = 20_000

_PATH = re.compile(r" - at `(?P<path>\$[^`]*)`$")
_TAG = re.compile(r"^Invalid value '(?P<tag>[^']*)'$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]*)`$")
_POST_INIT = re.compile(r"^Expected `(?P<field>\w+)` matching ")
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")

M = TypeVar("M", bound=Message)

PathStep = str | int | None
"""A step into JSON: a key, an index, or None for a dict key msgspec did not name (`[...]`)."""


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """How much one message may hold; the server builds this from its settings."""

    max_message_bytes: int = MAX_MESSAGE_BYTES
    max_depth: int = MAX_DEPTH
    max_nodes: int = MAX_NODES


DEFAULT_LIMITS = Limits()


def describe_error(exc: msgspec.ValidationError | msgspec.DecodeError | str) -> tuple[str, str]:
    """msgspec's "message - at `$.path`" split into (message, "$.path"); the path is "$" when none is given."""
    text = str(exc)
    match = _PATH.search(text)
    return (text[: match.start()], match["path"]) if match else (text, "$")


def path_steps(path: str) -> list[PathStep]:
    """`$.states.a[0][...]` -> ["states", "a", 0, None]."""
    return [key if key else int(index) if index else None for key, index in _STEP.findall(path[1:])]


def _too_large(what: str, limit: int, found: int, path: str) -> MessageTooLarge:
    return MessageTooLarge(f"Expected at most {limit} {what}, got {found} - at {path}", limit=limit, found=found,
                           path=path)


def check_bounds(data: object, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse deeply nested, sprawling or oversized values before any typed conversion walks them.

    Size is estimated as the UTF-8 length of every string plus 8 bytes per value, close to the
    JSON size for the messages SDKs send.
    """
    max_depth, max_nodes, max_bytes = limits.max_depth, limits.max_nodes, limits.max_message_bytes
    stack: list[tuple[object, int, str]] = [(data, 1, "$")]
    nodes = 0
    size = 0
    while stack:
        value, depth, path = stack.pop()
        nodes += 1
        size += 8
        if nodes > max_nodes:
            raise _too_large("values in one message", max_nodes, nodes, "$")
        if depth > max_depth:
            raise _too_large("levels of nesting", max_depth, depth, path)
        if isinstance(value, str):
            size += len(value.encode("utf-8", "surrogatepass"))
        elif isinstance(value, dict):
            size += sum(len(str(k)) for k in value)
            stack.extend((v, depth + 1, f"{path}.{k}") for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{path}[{i}]") for i, v in enumerate(value))
        if size > max_bytes:
            raise _too_large("bytes in one message", max_bytes, size, path)


def _value_at(data: object, path: str) -> tuple[bool, object]:
    """Follow a msgspec path (`$.a.b[0]`) into `data`; (found, value)."""
    value = data
    for step in path_steps(path):
        if isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
            continue
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
            continue
        return False, None
    return True, value


def _describe(value: object) -> str:
    text = msgspec.json.encode(value).decode() if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _from_validation_error(exc: msgspec.ValidationError, data: object) -> SdkError:
    head, path = describe_error(exc)
    if path == "$.type" and (tag := _TAG.match(head)) is not None:
        return UnknownMessageType(f"Expected a known message type, got {tag['tag'][:64]!r} - at $.type",
                                  path="$.type", type=tag["tag"][:64])
    if (missing := _MISSING.match(head)) is not None:
        return InvalidMessage(f"Expected a `{missing['field']}` field, got none - at {path}", path=path,
                              field=missing["field"])
    if (post := _POST_INIT.match(head)) is not None:
        path = f"{path}.{post['field']}"
        return InvalidMessage(f"{head} - at {path}", path=path)
    if head.startswith("Invalid enum value"):
        head = "Expected one of the documented values"
    if ", got" not in head:
        found, value = _value_at(data, path)
        if found:
            head = f"{head}, got {_describe(value)}"
    return InvalidMessage(f"{head} - at {path}", path=path)


def convert(data: object, kind: type[M] | object, *, limits: Limits = DEFAULT_LIMITS) -> M:
    """Typed conversion of an already-parsed JSON value (what Socket.IO hands us)."""
    check_bounds(data, limits)
    if not isinstance(data, dict):
        kind_name = "array" if isinstance(data, list) else type(data).__name__
        raise InvalidMessage(f"Expected an object, got {kind_name} - at $", path="$")
    try:
        result: M = msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise _from_validation_error(exc, data) from None
    return result


def decode_json(raw: bytes | str, kind: type[M] | object, *, limits: Limits = DEFAULT_LIMITS) -> M:
    """Decode JSON text into a message; the size is checked before parsing."""
    if len(raw) > limits.max_message_bytes:
        raise _too_large("bytes", limits.max_message_bytes, len(raw), "$")
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidMessage(f"Expected valid JSON, got a parse error: {exc}", path="$") from None
    return convert(data, kind, limits=limits)


def decode_client(data: object, *, limits: Limits = DEFAULT_LIMITS) -> ClientMessage:
    """A client message from a parsed value (Socket.IO payload)."""
    message: ClientMessage = convert(data, ClientMessage, limits=limits)
    return message


def decode_server(data: object) -> ServerMessage:
    """A server message from a parsed value (what SDKs and the demo client use)."""
    message: ServerMessage = convert(data, ServerMessage)
    return message


def to_wire(message: Message) -> dict[str, object]:
    """The builtins form Socket.IO sends as JSON."""
    wire = msgspec.to_builtins(message)
    assert isinstance(wire, dict)
    return wire


def error_message(exc: SdkError) -> ErrorMessage:
    """The wire form of an error: the one mapping every transport uses."""
    return ErrorMessage(code=exc.code, message=exc.message, details=exc.details)


__all__ = [
    "DEFAULT_LIMITS",
    "MAX_DEPTH",
    "MAX_MESSAGE_BYTES",
    "MAX_NODES",
    "Limits",
    "PathStep",
    "check_bounds",
    "convert",
    "decode_client",
    "decode_json",
    "decode_server",
    "describe_error",
    "error_message",
    "path_steps",
    "to_wire",
]
