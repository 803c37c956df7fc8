"""A `json` module for python-socketio/engineio backed by msgspec: the packet encoder then takes our
Structs as they are (no `to_builtins` walk) and parses faster than the standard library."""

from __future__ import annotations

import msgspec

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


class FastJson:
    """The two functions python-socketio calls on its `json` (`dumps(obj, separators=...)`, `loads(text)`)."""

    @staticmethod
    def dumps(obj: object, **_: object) -> str:
        return _encode(obj).decode()

    @staticmethod
    def loads(text: str | bytes, **_: object) -> object:
        try:
            return _decode(text)
        except msgspec.DecodeError as exc:  # python-socketio treats ValueError as a malformed packet
            raise ValueError(str(exc)) from None


__all__ = ["FastJson"]
