"""`GET /openapi.json` (the document) and `GET /docs` (a reference page rendered from it on the server with
Jinja2: no script, no CDN). Both are open, like /healthz: the document describes routes, never data."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import msgspec
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute

from server.openapi.document import Json, openapi_document
from server.openapi.spec import Doc, DocumentedRoute, Html

TEMPLATES = Path(__file__).parent / "templates"


def schema_text(schema: object) -> str:
    """A schema in a few words: `SessionView`, `array of JourneyInfo`, `string (date-time) | null`."""
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(schema_text(s) for s in schema[key] if schema_text(s)) or key
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {schema_text(schema.get('items', {}))}"
    text = str(kind)
    if "format" in schema:
        text += f" ({schema['format']})"
    bounds = [f"{k}={schema[k]}" for k in ("minLength", "maxLength", "minimum", "maximum") if k in schema]
    return text + (f" [{', '.join(bounds)}]" if bounds else "")


def _operations(document: Json) -> list[dict[str, Any]]:
    operations = []
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            security = [name for option in op.get("security", []) for name in option]
            operations.append({"id": op["operationId"], "method": method, "path": path, "summary": op["summary"],
                               "tag": op["tags"][0], "auth": " or ".join(security),
                               "permission": op.get("x-permission", ""), "parameters": op["parameters"],
                               "body": op.get("requestBody", {}).get("content"), "responses": op["responses"]})
    return operations


class Reference:
    """The document and its page, made once from the app's routes (on first request: the routes list is
    complete by then, these two included)."""

    def __init__(self, routes: Sequence[BaseRoute], *, title: str, version: str,
                 webhooks: Mapping[str, type[Any]] | None = None) -> None:
        self.routes = routes
        self.webhooks = dict(webhooks or {})
        self.title = title
        self.version = version
        self._document: bytes | None = None
        self._page: str | None = None
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
        env.filters["schema"] = schema_text
        self.template = env.get_template("docs.html")
        self.style = re.sub(r"\s+", " ", (TEMPLATES / "docs.css").read_text()).strip()
        style_hash = base64.b64encode(hashlib.sha256(self.style.encode()).digest()).decode()
        self.headers = {"Content-Security-Policy": f"default-src 'none'; style-src 'sha256-{style_hash}'; "
                                                   "frame-ancestors 'none'; base-uri 'none'",
                        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}

    def document(self) -> Json:
        return openapi_document(self.routes, title=self.title, version=self.version, webhooks=self.webhooks)

    async def openapi_json(self, request: Request) -> Response:
        if self._document is None:
            self._document = msgspec.json.encode(self.document())
        return Response(self._document, media_type="application/json")

    async def docs(self, request: Request) -> Response:
        if self._page is None:
            document = self.document()
            self._page = self.template.render(info=document["info"], openapi=document["openapi"], style=self.style,
                                              operations=_operations(document),
                                              schemas=document["components"]["schemas"])
        return HTMLResponse(self._page, headers=self.headers)

    def routes_of_its_own(self) -> list[BaseRoute]:
        return [
            DocumentedRoute("/openapi.json", self.openapi_json, methods=["GET"], doc=Doc(
                summary="This API's OpenAPI 3.1 document", ok={200: (dict[str, object],)}, auth="none",
                tag="reference")),
            DocumentedRoute("/docs", self.docs, methods=["GET"], doc=Doc(
                summary="This API's reference, as a page", ok={200: (Html,)}, auth="none", tag="reference")),
        ]


__all__ = ["Reference", "schema_text"]
