"""The back office's pages: login, the queue, a case, its images, and the files the browser loads.

Each handler reads once through the cases service and renders; live updates fetch the same fragments
(`/backoffice/queue`, `/backoffice/cases/{id}/fragment`) that the pages include.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

import msgspec
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

import sdk_protocol as p
from server.access import AccountLocked, LoginRequired, Permission
from server.backoffice.logins import CSRF_FIELD, LOGIN_CSRF_COOKIE, Login, check_csrf, client_ip
from server.backoffice.render import SECURITY_HEADERS, SOCKET_IO_CLIENT, STATIC, Flash, html
from server.backoffice.site import Site
from server.cases.types import CASE_STATUSES, CaseQuery

FILTERS = ("status", "assignee", "journey", "flag", "q")
PAGE_SIZE = 50


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a back-office path only (never another site)."""
    if target and target.startswith("/backoffice") and not target.startswith("//") and "\\" not in target:
        return target
    return "/backoffice"


def queue_filters(request: Request) -> dict[str, str]:
    found = {k: v.strip()[:200] for k in FILTERS if (v := request.query_params.get(k, "")).strip()}
    if found.get("assignee") == "any":
        del found["assignee"]
    return found


def queue_query(filters: dict[str, str], cursor: str | None) -> CaseQuery:
    try:
        return msgspec.convert({**filters, **({"cursor": cursor} if cursor else {}), "limit": PAGE_SIZE}, CaseQuery)
    except msgspec.ValidationError as exc:
        message, path = p.describe_error(exc)
        raise p.InvalidRequest(f"Expected queue filters the cases API takes: {message} - at {path}",
                               path=path) from None


def build_pages(site: Site) -> list[BaseRoute]:
    cases = site.cases

    async def login_page(request: Request, *, error: p.SdkError | None = None, email: str = "",
                         status: int = 200) -> Response:
        token = site.logins.login_form_token(request)
        response = site.page(request, "login.html", {"error": error, "email": email, "form_token": token,
                                                     "next": safe_next(request.query_params.get("next"))},
                             login=None, status=status)
        site.logins.set_login_form_cookie(response, request, token)
        retry_after = error.details.get("retry_after") if isinstance(error, AccountLocked | p.RateLimited) else None
        if isinstance(retry_after, int | float):  # whole seconds, at least 1
            response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        return response

    async def show_login(request: Request) -> Response:
        try:
            if await site.logins.resolve(request) is not None:
                return RedirectResponse("/backoffice", status_code=303)
        except LoginRequired:
            pass
        return await login_page(request)

    async def log_in(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        email, password, token, target = (str(form.get(k, "")) for k in ("email", "password", CSRF_FIELD, "next"))
        try:
            check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), token)  # double submit: no login exists yet
            cookie, login = await site.logins.log_in(email, password, ip=client_ip(request),
                                                     user_agent=request.headers.get("user-agent", ""))
        except p.SdkError as exc:
            return await login_page(request, error=exc, email=email[:254], status=exc.http_status)
        response = RedirectResponse(safe_next(target), status_code=303)
        site.logins.set_login_cookie(response, request, cookie, login)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/backoffice")
        return response

    async def log_out(request: Request) -> Response:
        try:
            login = await site.logins.resolve(request)
        except LoginRequired:
            login = None
        if login is not None:
            form = await request.form(max_files=0, max_fields=10)
            token = form.get(CSRF_FIELD)
            try:
                check_csrf(login.csrf_token, token if isinstance(token, str) else None)
            except p.SdkError as exc:
                return site.error_page(request, exc, login)
            await site.logins.log_out(login)
        response = site.back("/backoffice/login", Flash(kind="ok", text="Logged out."))
        site.logins.clear_login_cookie(response, request)
        return response

    async def queue_context(request: Request, login: Login) -> dict[str, object]:
        filters = queue_filters(request)
        listed = await cases.list(login.principal, queue_query(filters, request.query_params.get("cursor")))
        others = {k: v for k, v in filters.items() if k != "status"}
        return {"listed": listed, "filters": filters, "statuses": CASE_STATUSES, "me": login.principal.actor,
                "status_links": {s: urlencode({**others, "status": s}) for s in CASE_STATUSES},
                "filter_query": urlencode(filters), "next_query": urlencode({**filters, "cursor": listed.next_cursor})
                if listed.next_cursor else "", "paged": bool(request.query_params.get("cursor"))}

    async def queue(request: Request, login: Login) -> Response:
        return site.page(request, "queue.html", await queue_context(request, login), login=login)

    async def queue_fragment(request: Request, login: Login) -> Response:
        return html(site.render("_queue_table.html", **await queue_context(request, login)))

    async def next_case(request: Request, login: Login) -> Response:
        found = await cases.next_case(login.principal)
        if found is None:
            return site.back("/backoffice", Flash(kind="ok", text="No case is waiting."))
        return site.back(f"/backoffice/cases/{found.session_id}", Flash(kind="ok", text="Claimed the oldest waiting "
                                                                                         "case."))

    async def case_context(request: Request, login: Login) -> dict[str, object]:
        detail = await cases.get(login.principal, request.path_params["session_id"])
        assignees: list[tuple[str, str]] = []
        if login.principal.can(Permission.CASES_MANAGE):
            assignees = [(f"user:{u.id}", u.email) for u in await site.users.list(login.principal.tenant)
                         if u.role in ("reviewer", "admin") and u.disabled_at is None]
        return {"detail": detail, "case": detail.case, "me": login.principal.actor, "assignees": assignees}

    async def case_page(request: Request, login: Login) -> Response:
        return site.page(request, "case.html", await case_context(request, login), login=login)

    async def case_fragment(request: Request, login: Login) -> Response:
        context = await case_context(request, login)
        principal = login.principal
        return html(site.render("_case_body.html", login=login, principal=principal, csrf_field=CSRF_FIELD,
                                can_work=principal.can(Permission.CASES_WORK),
                                can_manage=principal.can(Permission.CASES_MANAGE), **context))

    async def case_file(request: Request, login: Login) -> Response:
        """An image of the case, for the browser: the case must be of the principal's tenant, and the file of
        the case's session."""
        session_id, file_id = request.path_params["session_id"], request.path_params["file_id"]
        await cases.get(login.principal, session_id)
        row = await site.files.row(session_id, file_id)
        data = await site.files.read(session_id, file_id)
        await site.audit.record(login.principal, "file.viewed", "file", file_id, session_id=session_id)
        return Response(data, media_type=row.content_type, headers={
            **SECURITY_HEADERS, "Cache-Control": "private, no-store", "Content-Disposition": "inline"})

    async def socket_io_client(request: Request) -> Response:
        if not SOCKET_IO_CLIENT.is_file():  # `make install` runs npm ci; without it the pages work, not live
            return Response("socket.io-client is not installed (make install)", 404, media_type="text/plain")
        return FileResponse(SOCKET_IO_CLIENT, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})

    case_path = "/backoffice/cases/{session_id}"
    return [
        Route("/backoffice/login", show_login, methods=["GET"]),
        Route("/backoffice/login", log_in, methods=["POST"]),
        Route("/backoffice/logout", log_out, methods=["POST"]),
        Route("/backoffice", site.view(queue, Permission.CASES_READ), methods=["GET"]),
        Route("/backoffice/queue", site.view(queue_fragment, Permission.CASES_READ, fragment=True), methods=["GET"]),
        Route("/backoffice/next", site.action(next_case, Permission.CASES_WORK, lambda r: "/backoffice"),
              methods=["POST"]),
        Route(case_path, site.view(case_page, Permission.CASES_READ), methods=["GET"]),
        Route(f"{case_path}/fragment", site.view(case_fragment, Permission.CASES_READ, fragment=True),
              methods=["GET"]),
        Route(f"{case_path}/files/{{file_id}}", site.view(case_file, Permission.FILES_READ), methods=["GET"]),
        Route("/backoffice/static/vendor/socket.io.min.js", socket_io_client, methods=["GET"]),
        Mount("/backoffice/static", app=StaticFiles(directory=STATIC), name="backoffice-static"),
    ]


__all__ = ["build_pages", "queue_filters", "queue_query", "safe_next"]
