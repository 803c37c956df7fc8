"""Rendering the back office: one Jinja2 environment, the pages' security headers, and the flash cookie.

Templates read the cases API's Structs as they are (server/cases/types.py); nothing is converted to dicts
first. Autoescaping is on for every template, and the pages allow no inline script or style (CSP).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from pathlib import Path
from typing import Literal

import jinja2
import msgspec
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, Response

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SOCKET_IO_CLIENT = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
"""installed by `make install` (npm ci in this folder), served as /backoffice/static/vendor/socket.io.min.js"""
FLASH_COOKIE = "arabesque_flash"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class Flash(msgspec.Struct, frozen=True, kw_only=True):
    """A one-time message shown on the page after a redirect (PRG); refusals carry their error code."""

    kind: Literal["ok", "error"]
    text: str
    code: str = ""


def when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else ""


def number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def label(code: str) -> str:
    """`document_front` -> `Document front` (for codes without a catalog label)."""
    text = code.replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = when
    env.filters["number"] = number
    env.filters["label"] = label
    return env


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def set_flash(response: Response, flash: Flash) -> None:
    value = base64.urlsafe_b64encode(msgspec.json.encode(flash)).decode().rstrip("=")
    response.set_cookie(FLASH_COOKIE, value, max_age=60, path="/backoffice", httponly=True, samesite="lax")


def take_flash(connection: HTTPConnection, response: Response) -> None:
    """Clear the flash cookie on the response that shows it."""
    if FLASH_COOKIE in connection.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/backoffice", httponly=True, samesite="lax")


def read_flash(connection: HTTPConnection) -> Flash | None:
    raw = connection.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)), type=Flash)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        return None


__all__ = ["FLASH_COOKIE", "SECURITY_HEADERS", "SOCKET_IO_CLIENT", "STATIC", "TEMPLATES", "Flash", "environment",
           "html", "label", "number", "read_flash", "set_flash", "take_flash", "when"]
