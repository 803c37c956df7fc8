"""REST routes of the cases API: authenticate, decode once, one call to `Cases`, encode."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import sdk_protocol as p
from server.access import Principal
from server.auth import Authenticator
from server.cases.service import Cases
from server.cases.types import AssignRequest, CaseQuery, DecisionRequest, NoteRequest
from server.http import json_response, read_json, read_query
from server.ratelimit import RateLimiter


def build_case_routes(cases: Cases, auth: Authenticator, limiter: RateLimiter,
                      limits: p.Limits = p.DEFAULT_LIMITS) -> list[Route]:
    async def principal(request: Request) -> Principal:
        found = await auth.principal(request)
        limiter.check(found.actor)
        return found

    def session_id(request: Request) -> str:
        return str(request.path_params["session_id"])

    async def list_cases(request: Request) -> Response:
        who = await principal(request)
        return json_response(await cases.list(who, read_query(request, CaseQuery)))

    async def get_case(request: Request) -> Response:
        return json_response(await cases.get(await principal(request), session_id(request)))

    async def claim(request: Request) -> Response:
        return json_response(await cases.claim(await principal(request), session_id(request)))

    async def assign(request: Request) -> Response:
        who = await principal(request)
        body = await read_json(request, AssignRequest, limits)
        return json_response(await cases.assign(who, session_id(request), body.assignee))

    async def release(request: Request) -> Response:
        return json_response(await cases.release(await principal(request), session_id(request)))

    async def decide(request: Request) -> Response:
        who = await principal(request)
        body = await read_json(request, DecisionRequest, limits)
        return json_response(await cases.decide(who, session_id(request), body))

    async def add_note(request: Request) -> Response:
        who = await principal(request)
        body = await read_json(request, NoteRequest, limits)
        return json_response(await cases.add_note(who, session_id(request), body.text), 201)

    async def next_case(request: Request) -> Response:
        found = await cases.next_case(await principal(request))
        return json_response(found) if found is not None else Response(status_code=204)

    return [
        Route("/v1/cases", list_cases, methods=["GET"]),
        Route("/v1/cases/next", next_case, methods=["POST"]),
        Route("/v1/cases/{session_id}", get_case, methods=["GET"]),
        Route("/v1/cases/{session_id}/claim", claim, methods=["POST"]),
        Route("/v1/cases/{session_id}/assign", assign, methods=["POST"]),
        Route("/v1/cases/{session_id}/release", release, methods=["POST"]),
        Route("/v1/cases/{session_id}/decision", decide, methods=["POST"]),
        Route("/v1/cases/{session_id}/notes", add_note, methods=["POST"]),
    ]


__all__ = ["build_case_routes"]
