"""The web SDK's files, served as ES modules at /sdk/web/ (no build step): its own modules from demo_client/web/src,
the npm packages it imports (installed by `make install` into demo_client/web/node_modules, never copied into the
repository) under /sdk/web/vendor/, its stylesheet, and its words in each language the server speaks.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

import sdk_protocol as p
from ui_schemas.loader import Catalogs

WEB = Path(__file__).resolve().parents[2] / "demo_client" / "web"
SOURCES = WEB / "src"
MODULES = WEB / "node_modules"
VENDOR = {
    "socket.io.js": MODULES / "socket.io-client" / "dist" / "socket.io.esm.min.js",
    "json-logic-engine.js": MODULES / "json-logic-engine" / "dist" / "esm" / "index.js",
    "marked.js": MODULES / "marked" / "lib" / "marked.esm.js",
    "purify.js": MODULES / "dompurify" / "dist" / "purify.es.mjs",
}
"""what the SDK's modules import as ./vendor/<name>, and the npm file behind each"""
STRING_PREFIXES = ("sdk.", "error.validation.")
# An embedding page on another origin imports these modules: they are public code, readable from anywhere.
PUBLIC = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300",
          "X-Content-Type-Options": "nosniff"}
JS = "text/javascript; charset=utf-8"


def _missing(what: str) -> HTTPException:
    return HTTPException(404, f"Expected {what}, got nothing (`make install` installs them)")


def strings_of(catalogs: Catalogs, locale: str) -> dict[str, object]:
    """The SDK's words in `locale` (or the nearest the server speaks), and the country codes it may offer."""
    resolved = catalogs.resolve_locale(locale)
    table = catalogs.messages.get(resolved, {})
    fallback = catalogs.messages.get(catalogs.default_locale, {})
    keys = sorted(k for k in fallback if k.startswith(STRING_PREFIXES))
    return {"locale": resolved, "messages": {k: table.get(k, fallback[k]) for k in keys},
            "countries": sorted(p.COUNTRY_CODES)}


def build_assets(catalogs: Catalogs) -> list[BaseRoute]:
    sources = {path.name: path for path in SOURCES.glob("*.js")}

    async def module(request: Request) -> Response:
        path = sources.get(request.path_params["name"])
        if path is None:
            raise _missing(f"one of the SDK's modules ({', '.join(sorted(sources))})")
        return FileResponse(path, media_type=JS, headers=PUBLIC)

    async def vendor(request: Request) -> Response:
        path = VENDOR.get(request.path_params["name"])
        if path is None or not path.is_file():
            raise _missing(f"one of the SDK's npm modules ({', '.join(sorted(VENDOR))}) installed")
        return FileResponse(path, media_type=JS, headers=PUBLIC)

    async def stylesheet(request: Request) -> Response:
        return FileResponse(WEB / "arabesque.css", media_type="text/css; charset=utf-8", headers=PUBLIC)

    async def strings(request: Request) -> Response:
        return JSONResponse(strings_of(catalogs, request.path_params["locale"]), headers=PUBLIC)

    return [
        Route("/sdk/web/arabesque.css", stylesheet, methods=["GET"]),
        Route("/sdk/web/strings/{locale:str}.json", strings, methods=["GET"]),
        Route("/sdk/web/vendor/{name:str}", vendor, methods=["GET"]),
        Route("/sdk/web/{name:str}", module, methods=["GET"]),
    ]


__all__ = ["VENDOR", "WEB", "build_assets", "strings_of"]
