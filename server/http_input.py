"""Reading a REST request's input: its JSON body and its query string, each decoded once into a Struct;
anything malformed is `request.invalid` naming where."""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable
from typing import TypeVar, cast

import msgspec
from starlette.requests import Request

import sdk_protocol as p

T = TypeVar("T")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


async def read_json(request: Request, kind: type[T], limits: p.Limits = p.DEFAULT_LIMITS, *,
                    empty: T | None = None) -> T:
    """Decode a JSON body into `kind`, refusing bodies over the message limit, nesting past the protocol's depth
    and bytes that are not UTF-8; an empty body is `empty` when one is given (a body whose fields all have
    defaults)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limits.max_message_bytes:
            raise p.InvalidRequest(f"Expected a JSON body of at most {limits.max_message_bytes} bytes, got more",
                                   limit=limits.max_message_bytes)
    if not body and empty is not None:
        return empty
    try:
        return msgspec.json.decode(body or b"null", type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        message, path = p.describe_error(exc)
        raise p.InvalidRequest(f"{message} - at {path}", path=path) from None
    except RecursionError:
        raise p.InvalidRequest(f"Expected JSON nested at most {limits.max_depth} levels deep, got deeper",
                               path="$") from None
    except UnicodeError as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise p.InvalidRequest(f"Expected a JSON body in UTF-8, got {reason}", path="$") from None


def read_query(request: Request, kind: type[T]) -> T:
    """The query string as `kind` (a Struct of optional fields): an unknown, repeated or malformed parameter is
    `request.invalid` naming it."""
    params = request.query_params
    fields = getattr(kind, "__struct_fields__", ())
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise p.InvalidRequest(f"Expected query parameters among {', '.join(sorted(fields))}, got "
                               f"{', '.join(unknown)[:200]}", path=f"$.{unknown[0][:40]}")
    repeated = sorted(name for name in params if len(params.getlist(name)) > 1)
    if repeated:
        raise p.InvalidRequest(f"Expected each query parameter once, got {', '.join(repeated)} repeated",
                               path=f"$.{repeated[0]}")
    for name in _time_fields(cast(Hashable, kind)):
        if name in params and not _RFC3339.match(params[name]):
            raise p.InvalidRequest(f"Expected an ISO-8601 time with its zone like 2026-11-27T10:00:00Z, got "
                                   f"{params[name][:40]!r} - at $.{name}", path=f"$.{name}")
    try:
        query = msgspec.convert(dict(params), kind, strict=False)
    except msgspec.ValidationError as exc:
        message, path = p.describe_error(exc)
        raise p.InvalidRequest(f"{message} - at {path}", path=path) from None
    nulls = sorted(name for name in params if getattr(query, name, "") is None)
    if nulls:  # lax conversion reads `null` as None: a parameter given is a value, never null
        raise p.InvalidRequest(f"Expected a value for {nulls[0]}, got {params[nulls[0]][:40]!r}", path=f"$.{nulls[0]}")
    return query


@functools.cache
def _time_fields(kind: Hashable) -> frozenset[str]:
    """The fields of a query Struct that hold a time: lax conversion would take `0.5` for one (a Unix time)."""
    fields = getattr(msgspec.inspect.type_info(kind), "fields", ())
    return frozenset(f.name for f in fields if _is_time(f.type))


def _is_time(info: msgspec.inspect.Type) -> bool:
    if isinstance(info, msgspec.inspect.UnionType):
        return any(_is_time(t) for t in info.types)
    return isinstance(info, msgspec.inspect.DateTimeType)


__all__ = ["read_json", "read_query"]
