"""REST routes of webhook subscriptions (`/v1/webhooks`), for integrators and admins of the tenant."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import sdk_protocol as p
from server.access import Permission, Principal
from server.http import Guard, json_response, read_json, read_query
from server.openapi.spec import Doc
from server.webhooks.outbound import DestinationRefused
from server.webhooks.service import Webhooks
from server.webhooks.types import (
    CreateWebhook,
    DeliveryNotFound,
    DeliveryPage,
    DeliveryQuery,
    Redelivered,
    SecretRotated,
    UpdateWebhook,
    WebhookCreated,
    WebhookList,
    WebhookNotFound,
    WebhookView,
)


def build_webhook_routes(webhooks: Webhooks, guard: Guard, limits: p.Limits = p.DEFAULT_LIMITS) -> list[Route]:
    async def create(request: Request, principal: Principal) -> Response:
        return json_response(await webhooks.create(principal, await read_json(request, CreateWebhook, limits)), 201)

    async def list_all(request: Request, principal: Principal) -> Response:
        return json_response(await webhooks.list(principal))

    async def get(request: Request, principal: Principal) -> Response:
        return json_response(await webhooks.get(principal, request.path_params["webhook_id"]))

    async def update(request: Request, principal: Principal) -> Response:
        body = await read_json(request, UpdateWebhook, limits)
        return json_response(await webhooks.update(principal, request.path_params["webhook_id"], body))

    async def delete(request: Request, principal: Principal) -> Response:
        return json_response(await webhooks.delete(principal, request.path_params["webhook_id"]))

    async def rotate(request: Request, principal: Principal) -> Response:
        return json_response(await webhooks.rotate(principal, request.path_params["webhook_id"]), 201)

    async def deliveries(request: Request, principal: Principal) -> Response:
        return json_response(await webhooks.deliveries(principal, request.path_params["webhook_id"],
                                                       read_query(request, DeliveryQuery)))

    async def redeliver(request: Request, principal: Principal) -> Response:
        return json_response(await webhooks.redeliver(principal, request.path_params["webhook_id"],
                                                      request.path_params["event_id"]), 202)

    P = Permission.WEBHOOKS_MANAGE
    one = "/v1/webhooks/{webhook_id}"
    return [
        guard.route("POST", "/v1/webhooks", P, create, Doc(
            summary="Subscribe a URL to the tenant's events (`secret` is shown this once)", body=CreateWebhook,
            ok={201: (WebhookCreated,)}, errors=(DestinationRefused,), tag="webhooks")),
        guard.route("GET", "/v1/webhooks", P, list_all, Doc(
            summary="The tenant's webhook subscriptions", ok={200: (WebhookList,)}, tag="webhooks")),
        guard.route("GET", one, P, get, Doc(
            summary="One webhook subscription", ok={200: (WebhookView,)}, errors=(WebhookNotFound,),
            tag="webhooks")),
        guard.route("PATCH", one, P, update, Doc(
            summary="Change a subscription (only the fields given); enabling resumes its deliveries",
            body=UpdateWebhook, ok={200: (WebhookView,)}, errors=(WebhookNotFound, DestinationRefused),
            tag="webhooks")),
        guard.route("DELETE", one, P, delete, Doc(
            summary="Delete a subscription and its delivery log", ok={200: (WebhookView,)},
            errors=(WebhookNotFound,), tag="webhooks")),
        guard.route("POST", f"{one}/rotate-secret", P, rotate, Doc(
            summary="A new secret (shown this once); the old one signs too until `old_secret_expires_at`",
            ok={201: (SecretRotated,)}, errors=(WebhookNotFound,), tag="webhooks")),
        guard.route("GET", f"{one}/deliveries", P, deliveries, Doc(
            summary="The subscription's deliveries, newest first, with every attempt", query=DeliveryQuery,
            ok={200: (DeliveryPage,)}, errors=(WebhookNotFound,), tag="webhooks")),
        guard.route("POST", f"{one}/deliveries/{{event_id}}/redeliver", P, redeliver, Doc(
            summary="Queue a delivery again now, whatever its status", ok={202: (Redelivered,)},
            errors=(WebhookNotFound, DeliveryNotFound), tag="webhooks")),
    ]


__all__ = ["build_webhook_routes"]
