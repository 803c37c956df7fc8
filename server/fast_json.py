"""A `json` module for python-socketio/engineio backed by msgspec: the packet encoder then takes our
Structs as they are (no `to_builtins` walk) and parses faster than the standard library.

A packet that cannot be taken (over the message size limit, nested past the protocol's depth, not valid JSON
or Unicode) is not dropped silently: when its event name can be read, the handler receives an `Unreadable`
in place of the message and answers with the error's code.
"""

from __future__ import annotations

import re

import msgspec

import sdk_protocol as p

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode
_EVENT = re.compile(rb'^\s*\[\s*"([A-Za-z0-9_.:-]{1,64})"')


class Unreadable:
    """Stands in for a message the server could not read; carries the error to answer with."""

    __slots__ = ("error",)

    def __init__(self, error: p.SdkError) -> None:
        self.error = error


def _refusal(text: str | bytes, error: p.SdkError) -> list[object]:
    head = text[:80]
    event = _EVENT.match(head.encode("utf-8", "surrogatepass") if isinstance(head, str) else head)
    if event is None:  # not even an event: python-socketio drops what it cannot route
        raise ValueError(error.message)
    return [event[1].decode(), Unreadable(error)]


def fast_json(max_message_bytes: int = p.DEFAULT_LIMITS.max_message_bytes) -> type:
    """The `json` module to give python-socketio, refusing messages over `max_message_bytes`."""

    class FastJson:
        """The two functions python-socketio calls on its `json` (`dumps(obj, separators=...)`, `loads(text)`)."""

        @staticmethod
        def dumps(obj: object, **_: object) -> str:
            return _encode(obj).decode()

        @staticmethod
        def loads(text: str | bytes, **_: object) -> object:
            size = len(text)  # a str's UTF-8 size is at least its length, at most four times it
            if isinstance(text, str) and max_message_bytes < 4 * size:
                size = len(text.encode("utf-8", "surrogatepass"))  # measured only when it could matter
            if size > max_message_bytes:
                return _refusal(text, p.MessageTooLarge(
                    f"Expected a message of at most {max_message_bytes} bytes, got {size}",
                    limit=max_message_bytes, found=size))
            try:
                return _decode(text)
            except RecursionError:
                return _refusal(text, p.MessageTooLarge(
                    f"Expected a message nested at most {p.DEFAULT_LIMITS.max_depth} levels deep, got deeper",
                    depth=p.DEFAULT_LIMITS.max_depth))
            except (msgspec.DecodeError, UnicodeError) as exc:
                return _refusal(text, p.InvalidMessage(f"Expected a JSON message in valid UTF-8, got {exc}",
                                                       path="$"))

    return FastJson


FastJson = fast_json()

__all__ = ["FastJson", "Unreadable", "fast_json"]
