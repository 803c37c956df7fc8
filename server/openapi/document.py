"""The OpenAPI 3.1 document of the REST API, read off the app's routes and their `Doc`s.

Schemas come from the very msgspec types the handlers decode and encode (`msgspec.json.schema_components`);
every error answer is the one error body with the codes that status can carry on that route: the route's
own (its `Doc.errors`) plus what its guard, body, query and Idempotency-Key can answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from starlette.routing import BaseRoute

import sdk_protocol as p
from server.idempotency import KEY_HEADER, REPLAYED_HEADER, IdempotencyKeyInProgress, IdempotencyKeyReused
from server.openapi.spec import Binary, Doc, DocumentedRoute, Html

REF = "#/components/schemas/{name}"
ERROR = "ErrorMessage"
CODE_FIELD = "code"
"""the error body's field whose values a response lists (a name, not a literal key: the code scan of
tests/sdk_protocol/test_protocol_doc.py reads `{"code": ...}` as a code the server emits)"""
Json = dict[str, Any]

GUARD_ERRORS: tuple[type[p.SdkError], ...] = (p.InvalidApiKey, p.RateLimited, p.ServerBusy, p.InternalError)
SDK_ERRORS: tuple[type[p.SdkError], ...] = (p.InvalidToken, p.TokenExpired, p.RateLimited, p.ServerBusy,
                                            p.InternalError)
OPEN_ERRORS: tuple[type[p.SdkError], ...] = (p.InternalError,)
EXTRA_CODES = {401: ["auth.login_required"], 403: ["auth.forbidden", "auth.csrf_failed"]}
"""guard codes whose classes live above this module (server.access): named by code"""
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "api_key": [{"apiKey": []}, {"login": []}],
    "session_token": [{"sessionToken": []}],
    "api_key_or_session_token": [{"apiKey": []}, {"login": []}, {"sessionToken": []}],
    "none": [],
}


def _errors(doc: Doc) -> dict[int, set[str]]:
    kinds: list[type[p.SdkError]] = list(doc.errors)
    kinds += {"api_key": GUARD_ERRORS, "session_token": SDK_ERRORS, "api_key_or_session_token": (*GUARD_ERRORS,
              *SDK_ERRORS), "none": OPEN_ERRORS}[doc.auth]
    if doc.body is not None or doc.query is not None or doc.idempotent:
        kinds.append(p.InvalidRequest)
    if doc.idempotent:
        kinds += [IdempotencyKeyReused, IdempotencyKeyInProgress]
    by_status: dict[int, set[str]] = {}
    for kind in kinds:
        by_status.setdefault(kind.http_status, set()).add(kind.code)
    if doc.auth in ("api_key", "api_key_or_session_token"):
        for status, codes in EXTRA_CODES.items():
            by_status.setdefault(status, set()).update(codes)
    return by_status


def _types(docs: Iterable[Doc]) -> list[Any]:
    found: list[Any] = [p.ErrorMessage]
    for doc in docs:
        for kind in (doc.body, doc.query, *(t for kinds in doc.ok.values() for t in kinds)):
            if kind is not None and kind not in (Binary, Html) and kind not in found:
                found.append(kind)
    return found


def _content(kinds: tuple[object, ...], schema_of: Mapping[object, Json]) -> Json:
    if kinds == (Binary,):
        return {"*/*": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}
    if kinds == (Html,):
        return {"text/html": {"schema": {"type": "string"}}}
    schemas = [schema_of[kind] for kind in kinds]
    return {"application/json": {"schema": schemas[0] if len(schemas) == 1 else {"anyOf": schemas}}}


def _parameters(path: str, doc: Doc, components: Mapping[str, Json], schema_of: Mapping[object, Json]) -> list[Json]:
    parameters: list[Json] = [{"name": name, "in": "path", "required": True,
                               "schema": {"type": "string", "minLength": 1, "maxLength": 80}}
                              for name in re.findall(r"{(\w+)}", path)]
    if doc.query is not None:
        ref = schema_of[doc.query]["$ref"].rsplit("/", 1)[-1]
        query = components[ref]
        required = set(query.get("required", []))
        for name, given in query.get("properties", {}).items():
            schema = _present(given)
            parameters.append({"name": name, "in": "query", "required": name in required, "schema": schema,
                               **({"description": schema["description"]} if "description" in schema else {})})
    if doc.idempotent:
        parameters.append({"name": KEY_HEADER, "in": "header", "required": False, "schema": {
            "type": "string", "pattern": "^[A-Za-z0-9_.:~+/=-]{1,255}$"},
            "description": "The same key and the same request within 24 hours: the first answer, replayed"})
    return parameters


def _present(schema: Json) -> Json:
    """A query parameter's schema without its null: an absent parameter is the None (a query has no null)."""
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if "anyOf" not in schema or len(options) != 1:
        return schema
    return {**{k: v for k, v in schema.items() if k not in ("anyOf", "default")}, **options[0]}


def _operation(path: str, method: str, doc: Doc, components: Mapping[str, Json],
               schema_of: Mapping[object, Json]) -> Json:
    responses: Json = {}
    for status, kinds in sorted(doc.ok.items()):
        answer: Json = {"description": "success" if status < 300 else "redirect"}
        if kinds:
            answer["content"] = _content(kinds, schema_of)
        if status in (307, 308):
            answer["headers"] = {"Location": {"schema": {"type": "string"}}}
        if doc.idempotent:
            answer.setdefault("headers", {})[REPLAYED_HEADER] = {
                "schema": {"type": "string", "enum": ["true"]}, "description": "the stored answer of a retry"}
        responses[str(status)] = answer
    for status, codes in sorted(_errors(doc).items()):
        if str(status) in responses:
            continue  # a status that is a success body here (readyz's 503)
        responses[str(status)] = {"description": ", ".join(sorted(codes)), "content": {"application/json": {
            "schema": {"allOf": [{"$ref": REF.format(name=ERROR)},
                                 {"properties": {CODE_FIELD: {"enum": sorted(codes)}}}]}}}}
    operation: Json = {"operationId": f"{method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', path)}".rstrip("_"),
                       "summary": doc.summary, "tags": [doc.tag], "security": SECURITY[doc.auth],
                       "parameters": _parameters(path, doc, components, schema_of), "responses": responses}
    if doc.permission:
        operation["description"] = f"Needs the permission `{doc.permission}`. {doc.description}".strip()
        operation["x-permission"] = doc.permission
    if doc.body is Binary:
        operation["requestBody"] = {"required": True, "content": {
            "application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}},
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "contentMediaType": "application/octet-stream"}}}}}}
    elif doc.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema_of[doc.body]}}}
    return operation


def _any_value(kind: type[Any]) -> Json:
    """`object` (a field of free-form JSON, like a session's collected data): any JSON value."""
    if kind is object:
        return {"description": "any JSON value"}  # not {}: msgspec takes an empty schema for "no hook"
    raise TypeError(f"Expected a type msgspec can describe, got {kind!r}")


def documented(routes: Iterable[BaseRoute]) -> list[DocumentedRoute]:
    return [route for route in routes if isinstance(route, DocumentedRoute)]


def _webhook(name: str, data: Json) -> Json:
    """OpenAPI 3.1's `webhooks` entry of one event type: what the receiver gets POSTed."""
    message = {"type": "object", "required": ["type", "timestamp", "data"], "properties": {
        "type": {"const": name}, "timestamp": {"type": "string", "format": "date-time"}, "data": data}}
    return {"post": {"summary": f"`{name}`, signed per Standard Webhooks (webhook-id, webhook-timestamp, "
                                "webhook-signature)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": message}}},
                     "responses": {"2XX": {"description": "Received (anything else is retried)"}}}}


def openapi_document(routes: Iterable[BaseRoute], *, title: str, version: str,
                     webhooks: Mapping[str, type[Any]] | None = None) -> Json:
    """The document (a JSON-ready dict) of every `DocumentedRoute` among `routes`, and of the `webhooks` (event
    type -> the Struct of its data) the server sends."""
    found = documented(routes)
    events = dict(webhooks or {})
    kinds = [*_types(route.doc for route in found), *events.values()]
    schemas, components = msgspec.json.schema_components(kinds, schema_hook=_any_value, ref_template=REF)
    schema_of = dict(zip(kinds, schemas, strict=True))
    paths: dict[str, Json] = {}
    for route in found:
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(route.path, {})[method.lower()] = _operation(route.path, method, route.doc, components,
                                                                         schema_of)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": (
            "Errors are `{type: error, code, message, details}`; each response lists the codes it can carry. "
            f"POST routes behind an API key take an `{KEY_HEADER}` header.")},
        "paths": paths,
        **({"webhooks": {name: _webhook(name, schema_of[kind]) for name, kind in events.items()}} if events else {}),
        "components": {"schemas": components, "securitySchemes": {
            "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key (`ak_...`)"},
            "login": {"type": "apiKey", "in": "cookie", "name": "arabesque_session",
                      "description": "A back-office login (with `X-CSRF-Token` on POST and DELETE)"},
            "sessionToken": {"type": "http", "scheme": "bearer",
                             "description": "A session's SDK token (from POST /v1/sessions or .../tokens)"}}},
    }


__all__ = ["documented", "openapi_document"]
