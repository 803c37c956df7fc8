"""REST routes of the cases API: the guard (principal, rate, permission), decode once, one call to `Cases`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import sdk_protocol as p
from server.access import Permission, Principal
from server.cases.service import Cases
from server.cases.types import AssignRequest, CaseQuery, DecisionRequest, NoteRequest
from server.http import Guard, json_response, read_json, read_query

P = Permission


def build_case_routes(cases: Cases, guard: Guard, limits: p.Limits = p.DEFAULT_LIMITS) -> list[Route]:
    def session_id(request: Request) -> str:
        return str(request.path_params["session_id"])

    async def list_cases(request: Request, who: Principal) -> Response:
        return json_response(await cases.list(who, read_query(request, CaseQuery)))

    async def get_case(request: Request, who: Principal) -> Response:
        return json_response(await cases.get(who, session_id(request)))

    async def claim(request: Request, who: Principal) -> Response:
        return json_response(await cases.claim(who, session_id(request)))

    async def assign(request: Request, who: Principal) -> Response:
        body = await read_json(request, AssignRequest, limits)
        return json_response(await cases.assign(who, session_id(request), body.assignee))

    async def release(request: Request, who: Principal) -> Response:
        return json_response(await cases.release(who, session_id(request)))

    async def decide(request: Request, who: Principal) -> Response:
        body = await read_json(request, DecisionRequest, limits)
        return json_response(await cases.decide(who, session_id(request), body))

    async def add_note(request: Request, who: Principal) -> Response:
        body = await read_json(request, NoteRequest, limits)
        return json_response(await cases.add_note(who, session_id(request), body.text), 201)

    async def next_case(request: Request, who: Principal) -> Response:
        found = await cases.next_case(who)
        return json_response(found) if found is not None else Response(status_code=204)

    case = "/v1/cases/{session_id}"
    return [
        guard.route("GET", "/v1/cases", P.CASES_READ, list_cases),
        guard.route("POST", "/v1/cases/next", P.CASES_WORK, next_case),
        guard.route("GET", case, P.CASES_READ, get_case),
        guard.route("POST", f"{case}/claim", P.CASES_WORK, claim),
        guard.route("POST", f"{case}/assign", P.CASES_MANAGE, assign),
        guard.route("POST", f"{case}/release", P.CASES_WORK, release),
        guard.route("POST", f"{case}/decision", P.CASES_WORK, decide),
        guard.route("POST", f"{case}/notes", P.CASES_WORK, add_note),
    ]


__all__ = ["build_case_routes"]
