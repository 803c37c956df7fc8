"""The case page's form posts: claim, release, assign, decide, add a note; each redirects back (PRG).

`Site.action` has checked the login, the form's CSRF token and the role before a handler runs; the cases
service checks the rest (the tenant, the assignee, the case's state) and its refusals come back as a flash.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

import sdk_protocol as p
from server.access import Permission
from server.backoffice.logins import Login
from server.backoffice.render import Flash
from server.backoffice.site import Site
from server.cases.types import AssignRequest, DecisionRequest, NoteRequest

S = TypeVar("S", bound=msgspec.Struct)
ACTION_DONE = {"approve": "Approved.", "reject": "Rejected.", "request_changes": "Changes requested from the user."}


def case_url(request: Request) -> str:
    return f"/backoffice/cases/{request.path_params['session_id']}"


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _convert(raw: dict[str, object], kind: type[S]) -> S:
    try:
        return msgspec.convert(raw, kind, strict=False)
    except msgspec.ValidationError as exc:
        message, path = p.describe_error(exc)
        raise p.InvalidRequest(f"{message} - at {path}", path=path) from None


def decision_request(form: FormData) -> DecisionRequest:
    """The decision forms: `action`, `reason` (reject), checked `items` each with its `reason_<item>` (request
    changes), and the version the page showed (`expected_version`: a case changed since is refused)."""
    items = [item for item in form.getlist("items") if isinstance(item, str)]
    raw: dict[str, object] = {"action": _text(form, "action"),
                              "items": [{"item": item, "reason": _text(form, f"reason_{item}")} for item in items]}
    if _text(form, "reason"):
        raw["reason"] = _text(form, "reason")
    if _text(form, "expected_version").isdigit():
        raw["expected_version"] = int(_text(form, "expected_version"))
    return _convert(raw, DecisionRequest)


def build_actions(site: Site) -> list[BaseRoute]:
    cases = site.cases

    async def claim(request: Request, login: Login) -> Response:
        await cases.claim(login.principal, request.path_params["session_id"])
        return site.back(case_url(request), Flash(kind="ok", text="Claimed: the case is yours."))

    async def release(request: Request, login: Login) -> Response:
        await cases.release(login.principal, request.path_params["session_id"])
        return site.back(case_url(request), Flash(kind="ok", text="Released: the case is waiting again."))

    async def assign(request: Request, login: Login) -> Response:
        body = _convert({"assignee": _text(await request.form(), "assignee")}, AssignRequest)
        summary = await cases.assign(login.principal, request.path_params["session_id"], body.assignee)
        name = summary.assignee_name or summary.assignee
        return site.back(case_url(request), Flash(kind="ok", text=f"Assigned to {name}."))

    async def decide(request: Request, login: Login) -> Response:
        decision = decision_request(await request.form())
        await cases.decide(login.principal, request.path_params["session_id"], decision)
        return site.back(case_url(request), Flash(kind="ok", text=ACTION_DONE[decision.action]))

    async def add_note(request: Request, login: Login) -> Response:
        body = _convert({"text": _text(await request.form(), "text")}, NoteRequest)
        await cases.add_note(login.principal, request.path_params["session_id"], body.text)
        return site.back(case_url(request), Flash(kind="ok", text="Note added."))

    path = "/backoffice/cases/{session_id}"
    work = Permission.CASES_WORK
    return [
        Route(f"{path}/claim", site.action(claim, work, case_url), methods=["POST"]),
        Route(f"{path}/release", site.action(release, work, case_url), methods=["POST"]),
        Route(f"{path}/assign", site.action(assign, Permission.CASES_MANAGE, case_url), methods=["POST"]),
        Route(f"{path}/decision", site.action(decide, work, case_url), methods=["POST"]),
        Route(f"{path}/notes", site.action(add_note, work, case_url), methods=["POST"]),
    ]


__all__ = ["build_actions", "case_url", "decision_request"]
