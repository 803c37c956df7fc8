"""REST routes for admins: the API keys of the caller's tenant (`/v1/keys`) and its audit log (`/v1/audit`).

A key of another tenant answers `key.not_found` (404), exactly as an unknown id does; every change is audited
by server/keys.py and takes effect at once on this node (the authenticator forgets its cached lookups).
"""

from __future__ import annotations

import datetime as dt

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import sdk_protocol as p
from server.access import KeyNotFound, Permission, Principal
from server.audit import Audit, AuditFilter, AuditPage
from server.http import Guard, json_response, read_json, read_query
from server.keys import CreateKey, KeyAdmin, KeyCreated, KeyInactive, KeyRotated, KeyView, RotateKey
from server.openapi.spec import Doc


class KeyList(msgspec.Struct, frozen=True, kw_only=True):
    keys: list[KeyView]


def build_admin_routes(*, keys: KeyAdmin, audit: Audit, guard: Guard,
                       limits: p.Limits = p.DEFAULT_LIMITS) -> list[Route]:
    async def create_key(request: Request, principal: Principal) -> Response:
        body = await read_json(request, CreateKey, limits)
        return json_response(await keys.create(principal, body, tenant=principal.tenant), 201)

    async def list_keys(request: Request, principal: Principal) -> Response:
        return json_response(KeyList(keys=await keys.list_keys(tenant=principal.tenant)))

    async def rotate_key(request: Request, principal: Principal) -> Response:
        body = await read_json(request, RotateKey, limits, empty=RotateKey())
        return json_response(await keys.rotate(principal, request.path_params["key_id"],
                                               grace=dt.timedelta(seconds=body.grace_seconds),
                                               tenant=principal.tenant), 201)

    async def revoke_key(request: Request, principal: Principal) -> Response:
        return json_response(await keys.revoke(principal, request.path_params["key_id"], tenant=principal.tenant))

    async def audit_log(request: Request, principal: Principal) -> Response:
        return json_response(await audit.page(principal.tenant, read_query(request, AuditFilter)))

    P = Permission
    return [
        guard.route("POST", "/v1/keys", P.KEYS_MANAGE, create_key, Doc(
            summary="Make an API key of the caller's tenant (`api_key` is shown this once)", body=CreateKey,
            ok={201: (KeyCreated,)}, tag="admin")),
        guard.route("GET", "/v1/keys", P.KEYS_MANAGE, list_keys, Doc(
            summary="The API keys of the caller's tenant", ok={200: (KeyList,)}, tag="admin")),
        guard.route("POST", "/v1/keys/{key_id}/rotate", P.KEYS_MANAGE, rotate_key, Doc(
            summary="A new key in place of this one; the old one works for the grace period", body=RotateKey,
            ok={201: (KeyRotated,)}, errors=(KeyNotFound, KeyInactive), tag="admin")),
        guard.route("DELETE", "/v1/keys/{key_id}", P.KEYS_MANAGE, revoke_key, Doc(
            summary="Revoke a key (again: the same answer)", ok={200: (KeyView,)}, errors=(KeyNotFound,),
            tag="admin")),
        guard.route("GET", "/v1/audit", P.AUDIT_READ, audit_log, Doc(
            summary="The audit log of the caller's tenant, newest first", query=AuditFilter, ok={200: (AuditPage,)},
            tag="admin")),
    ]

__all__ = ["KeyList", "build_admin_routes"]
