"""What every back-office route shares: who is logged in, rendering a page, refusing, redirecting (PRG).

A page request without a login goes to the login page; a form post must carry the login's CSRF token in its
`csrf_token` field before anything else happens; a refusal of an action comes back as a flash with its code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

import sdk_protocol as p
from server.access import LoginRequired, Permission, require
from server.audit import Audit
from server.backoffice.logins import CSRF_FIELD, Login, Logins, check_csrf
from server.backoffice.ports import CaseService
from server.backoffice.render import Flash, html, read_flash, set_flash, take_flash
from server.files import Files
from server.users import Users

Handler = Callable[[Request, Login], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
MAX_FORM_FIELDS = 200


class Site:
    """The back office's dependencies and shared answers; built once in `build_backoffice`."""

    def __init__(self, *, logins: Logins, cases: CaseService, users: Users, files: Files, audit: Audit,
                 env: jinja2.Environment) -> None:
        self.logins = logins
        self.audit = audit
        self.cases = cases
        self.users = users
        self.files = files
        self.env = env

    def render(self, template: str, **context: object) -> str:
        return self.env.get_template(template).render(**context)

    def page(self, request: Request, template: str, context: dict[str, object], *, login: Login | None,
             status: int = 200) -> Response:
        principal = login.principal if login is not None else None
        body = self.render(template, login=login, principal=principal, flash=read_flash(request),
                           can_work=principal is not None and principal.can(Permission.CASES_WORK),
                           can_manage=principal is not None and principal.can(Permission.CASES_MANAGE),
                           csrf_field=CSRF_FIELD, **context)
        response = html(body, status)
        take_flash(request, response)
        return response

    def error_page(self, request: Request, exc: p.SdkError, login: Login | None) -> Response:
        return self.page(request, "error.html", {"error": exc}, login=login, status=exc.http_status)

    def to_login(self, request: Request, *, ended: bool = False) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"/backoffice/login?next={quote(target, safe='')}", status_code=303)
        if ended:
            self.logins.clear_login_cookie(response, request)
        return response

    @staticmethod
    def back(url: str, flash: Flash) -> Response:
        response = RedirectResponse(url, status_code=303)
        set_flash(response, flash)
        return response

    @staticmethod
    def refused(url: str, exc: p.SdkError) -> Response:
        return Site.back(url, Flash(kind="error", text=exc.message[:300], code=exc.code))

    # --- guards -------------------------------------------------------------------------

    def view(self, handler: Handler, permission: Permission, *, fragment: bool = False) -> Endpoint:
        """A GET: the login (else the login page, or 401 for a fragment), the permission (else 403)."""

        async def endpoint(request: Request) -> Response:
            try:
                login = await self.logins.resolve(request)
            except LoginRequired:
                return html("", 401) if fragment else self.to_login(request, ended=True)
            if login is None:
                return html("", 401) if fragment else self.to_login(request)
            try:
                require(login.principal, permission)
                return await handler(request, login)
            except p.SdkError as exc:
                return self.error_page(request, exc, login)

        return endpoint

    def action(self, handler: Handler, permission: Permission, back: Callable[[Request], str]) -> Endpoint:
        """A form post: the login, its CSRF token in the form (else 403, nothing done), the permission; a
        refusal goes back to `back(request)` with a flash naming its code."""

        async def endpoint(request: Request) -> Response:
            try:
                login = await self.logins.resolve(request)
            except LoginRequired:
                return self.to_login(request, ended=True)
            if login is None:
                return self.to_login(request)
            form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
            token = form.get(CSRF_FIELD)
            try:
                check_csrf(login.csrf_token, token if isinstance(token, str) else None)
            except p.SdkError as exc:
                return self.error_page(request, exc, login)
            try:
                require(login.principal, permission)
                return await handler(request, login)
            except p.SdkError as exc:
                return self.refused(back(request), exc)

        return endpoint


__all__ = ["Endpoint", "Handler", "Site"]
