"""The pages around the web SDK: `/continue`, where a handoff link lands on the phone (always served: it is how a
person continues on another device), and `/demo`, the QA demo page (ARABESQUE_DEMO=on, answering loopback clients
only), which opens sessions through the integrator service on the server side, so no API key reaches a browser.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from sdk_protocol import Limits
from server.access import Forbidden, Principal
from server.api_types import CreateSession, JourneyInfo
from server.handoffs import CONTINUE_PATH
from server.http import json_response
from server.http_input import read_json
from server.sessions.integrator import IntegratorSessions
from server.web.assets import WEB

PAGES = WEB / "pages"
PAGE_FILES = {"demo.js", "demo.css", "continue.js"}
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class DemoStart(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    journey: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    version: int | None = None
    locale: Annotated[str, msgspec.Meta(min_length=2, max_length=35)] = "en"
    reference: Annotated[str, msgspec.Meta(max_length=200)] = ""


class DemoJourneys(msgspec.Struct, frozen=True, kw_only=True):
    journeys: list[JourneyInfo]
    locales: list[str]


def _loopback(request: Request) -> None:
    host = request.client.host if request.client else ""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        raise Forbidden(f"Expected the demo page to be used from this machine (loopback), got a request from {host}",
                        permission="demo", role="none")


def _page(name: str) -> Response:
    return FileResponse(PAGES / name, media_type="text/html; charset=utf-8", headers=NO_STORE)


def build_pages(integrator: IntegratorSessions, *, locales: list[str], demo: bool, tenant: str, limits: Limits
                ) -> list[BaseRoute]:
    principal = Principal(tenant=tenant, role="integrator", actor="demo_page", name="demo page")

    async def continue_page(request: Request) -> Response:
        return _page("continue.html")

    async def page_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in PAGE_FILES or (not demo and name.startswith("demo")):
            raise HTTPException(404)
        media = "text/css; charset=utf-8" if name.endswith(".css") else "text/javascript; charset=utf-8"
        return FileResponse(PAGES / name, media_type=media, headers=NO_STORE)

    async def demo_page(request: Request) -> Response:
        _loopback(request)
        return _page("demo.html")

    async def demo_journeys(request: Request) -> Response:
        _loopback(request)
        return json_response(DemoJourneys(journeys=integrator.journeys(), locales=locales))

    async def demo_session(request: Request) -> Response:
        _loopback(request)
        body = await read_json(request, DemoStart, limits)
        created = await integrator.create_session(
            CreateSession(journey=body.journey, version=body.version, locale=body.locale,
                          reference=body.reference or "demo-page"), by=principal)
        return json_response(created, 201)

    routes: list[BaseRoute] = [
        Route(CONTINUE_PATH, continue_page, methods=["GET"]),
        Route("/pages/{name:str}", page_file, methods=["GET"]),
    ]
    if demo:
        routes += [Route("/demo", demo_page, methods=["GET"]),
                   Route("/demo/journeys", demo_journeys, methods=["GET"]),
                   Route("/demo/sessions", demo_session, methods=["POST"])]
    return routes


__all__ = ["DemoJourneys", "DemoStart", "build_pages"]
