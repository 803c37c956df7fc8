"""REST routes of the cases API: the guard (principal, rate, permission), decode once, one call to `Cases`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import sdk_protocol as p
from server.access import Permission, Principal
from server.cases.errors import (
    CaseAssignedToOther,
    CaseChanged,
    CaseDecided,
    CaseNotFound,
    CaseNotInReview,
    InvalidDecision,
    NotAssignee,
    UnknownAssignee,
)
from server.cases.service import Cases
from server.cases.types import (
    AssignRequest,
    CaseDetail,
    CaseList,
    CaseQuery,
    CaseSummary,
    DecisionRequest,
    NoteRequest,
    NoteView,
)
from server.http import Guard, json_response, read_json, read_query
from server.openapi.spec import Doc

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
    gone = (CaseNotFound,)
    acting = (CaseNotFound, CaseDecided, CaseChanged, CaseAssignedToOther)
    deciding = (CaseNotFound, CaseDecided, CaseChanged, CaseNotInReview, NotAssignee, InvalidDecision,
                p.EventNotAllowed, p.JourneyFinished, p.SessionErased, p.RuleFailed)

    def doc(summary: str, ok: type[Any] | None, errors: tuple[type[p.SdkError], ...], *, status: int = 200,
            body: type[Any] | None = None, query: type[Any] | None = None) -> Doc:
        return Doc(summary=summary, ok={status: (ok,)} if ok is not None else {status: ()}, body=body, query=query,
                   errors=errors, tag="cases")

    return [
        guard.route("GET", "/v1/cases", P.CASES_READ, list_cases, doc(
            "The review queue of the caller's tenant, filtered and paged", CaseList, (), query=CaseQuery)),
        guard.route("POST", "/v1/cases/next", P.CASES_WORK, next_case, Doc(
            summary="Claim the oldest waiting case (204 when none waits)", ok={200: (CaseSummary,), 204: ()},
            errors=acting, tag="cases")),
        guard.route("GET", case, P.CASES_READ, get_case, doc("One case: the session under review, its checks, "
                                                              "captures, trace, notes and choices", CaseDetail, gone)),
        guard.route("POST", f"{case}/claim", P.CASES_WORK, claim, doc("Take a case", CaseSummary, acting)),
        guard.route("POST", f"{case}/assign", P.CASES_MANAGE, assign, doc(
            "Give a case to a reviewer", CaseSummary, (*acting, UnknownAssignee), body=AssignRequest)),
        guard.route("POST", f"{case}/release", P.CASES_WORK, release, doc("Give a case back", CaseSummary, acting)),
        guard.route("POST", f"{case}/decision", P.CASES_WORK, decide, doc(
            "Approve, reject or ask for changes", CaseSummary, deciding, body=DecisionRequest)),
        guard.route("POST", f"{case}/notes", P.CASES_WORK, add_note, doc(
            "Add a note to a case", NoteView, gone, status=201, body=NoteRequest)),
    ]

__all__ = ["build_case_routes"]
