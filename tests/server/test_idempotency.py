"""`Idempotency-Key` against a real server, on SQLite and on PostgreSQL: twenty requests at once with one key
open one session; a retry gets the first answer (`Idempotent-Replayed: true`); the key with another request is
`request.idempotency_key_reused`; keys are the caller's own; every POST route of the API takes one."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import fresh_postgres
from tests.server.live import API_KEY, Server

UNLIMITED = {"ARABESQUE_API_RATE_PER_SECOND": "100000", "ARABESQUE_API_RATE_BURST": "100000"}


class World:
    def __init__(self, server: Server, other_tenant_key: str) -> None:
        self.server = server
        self.other_tenant_key = other_tenant_key

    def post(self, path: str, key: str | bytes | None, json: object = None, api_key: str = API_KEY) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key is not None else {}
        with self.server.api(api_key) as api:
            return api.post(path, json=json, headers=headers)

    def sessions(self, reference: str) -> list[str]:
        with self.server.api() as api:
            page = api.get("/v1/sessions", params={"reference": reference, "limit": 200}).json()
        return [s["session_id"] for s in page["sessions"]]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with contextlib.ExitStack() as stack:
        env = dict(UNLIMITED)
        if request.param == "postgresql":
            env["ARABESQUE_DATABASE_URL"] = stack.enter_context(fresh_postgres())
        server = Server(tmp_path_factory.mktemp(f"idempotency-{request.param}"), env).start()
        stack.callback(server.stop)
        made = server.cli("keys", "create", "--tenant", "beta", "--name", "beta", "--role", "integrator")
        yield World(server, made.stdout.strip())


def new_key() -> str:
    return str(uuid.uuid4())


async def test_twenty_requests_at_once_with_one_key_open_exactly_one_session(world: World) -> None:
    key, reference = new_key(), new_key()
    async with httpx.AsyncClient(base_url=world.server.url, timeout=60, headers={
            "Authorization": f"Bearer {API_KEY}", "Idempotency-Key": key}) as client:
        answers = await asyncio.gather(*(client.post("/v1/sessions", json={"journey": "kyc_individual",
                                                                         "reference": reference})
                                         for _ in range(20)))
    created = [a for a in answers if a.status_code == 201]
    waiting = [a for a in answers if a.status_code != 201]
    assert created, [a.text for a in answers]
    assert {a.json()["session_id"] for a in created} == set(world.sessions(reference))
    assert len(world.sessions(reference)) == 1
    assert {(a.status_code, a.json()["code"]) for a in waiting} <= {(409, "request.idempotency_key_in_progress")}
    assert all(a.headers["Retry-After"] == "1" for a in waiting)
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in created) == 1  # the one that ran
    again = world.post("/v1/sessions", key, {"journey": "kyc_individual", "reference": reference})
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == created[0].json()


def test_a_retry_gets_the_first_answer_with_its_status_and_body(world: World) -> None:
    key, body = new_key(), {"journey": "kyc_individual", "reference": new_key()}
    first = world.post("/v1/sessions", key, body)
    second = world.post("/v1/sessions", key, body)
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Content-Type"] == "application/json"
    assert second.content == first.content
    assert world.sessions(body["reference"]) == [first.json()["session_id"]]


def test_an_error_answer_is_kept_and_replayed_too(world: World) -> None:
    key = new_key()
    first = world.post("/v1/sessions", key, {"journey": "no_such_journey"})
    second = world.post("/v1/sessions", key, {"journey": "no_such_journey"})
    assert (first.status_code, first.json()["code"]) == (404, "journey.not_found")
    assert (second.status_code, second.headers["Idempotent-Replayed"]) == (404, "true")
    assert second.json() == first.json()


def test_the_key_with_another_body_is_refused_saying_what_was_expected_and_what_came(world: World) -> None:
    key = new_key()
    assert world.post("/v1/sessions", key, {"journey": "kyc_individual"}).status_code == 201
    refused = world.post("/v1/sessions", key, {"journey": "kyb_business"})
    assert (refused.status_code, refused.json()["code"]) == (422, "request.idempotency_key_reused")
    message = refused.json()["message"]
    assert message.startswith("Expected the request first sent with this Idempotency-Key (POST /v1/sessions")
    assert ", got POST /v1/sessions with body SHA-256" in message


def test_the_key_on_another_route_is_refused(world: World) -> None:
    key = new_key()
    session = world.post("/v1/sessions", key, {"journey": "kyc_individual"}).json()
    refused = world.post(f"/v1/sessions/{session['session_id']}/tokens", key)
    assert (refused.status_code, refused.json()["code"]) == (422, "request.idempotency_key_reused")


def test_a_key_is_its_callers_own(world: World) -> None:
    key, body = new_key(), {"journey": "kyc_individual", "reference": new_key()}
    mine = world.post("/v1/sessions", key, body)
    theirs = world.post("/v1/sessions", key, body, api_key=world.other_tenant_key)
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["session_id"] != theirs.json()["session_id"]


def test_requests_without_a_key_are_never_replayed(world: World) -> None:
    body = {"journey": "kyc_individual", "reference": new_key()}
    assert world.post("/v1/sessions", None, body).status_code == 201
    assert world.post("/v1/sessions", None, body).status_code == 201
    assert len(world.sessions(body["reference"])) == 2


@pytest.mark.parametrize("key", ["", "with space", "x" * 256, "clé".encode(), "a\tb"],
                         ids=["empty", "space", "256", "utf-8", "tab"])
def test_a_malformed_key_is_request_invalid(world: World, key: str | bytes) -> None:
    response = world.post("/v1/sessions", key, {"journey": "kyc_individual"})
    assert (response.status_code, response.json()["code"]) == (400, "request.invalid"), response.text
    assert response.json()["details"]["path"] == "header:Idempotency-Key"


def test_a_key_of_255_characters_is_taken(world: World) -> None:
    key = "k" * 200 + uuid.uuid4().hex[:55]
    assert world.post("/v1/sessions", key, {"journey": "kyc_individual"}).status_code == 201
    assert world.post("/v1/sessions", key, {"journey": "kyc_individual"}).headers["Idempotent-Replayed"] == "true"


def test_a_new_token_is_issued_once_per_key(world: World) -> None:
    session = world.server.create()
    key = new_key()
    first = world.post(f"/v1/sessions/{session['session_id']}/tokens", key)
    second = world.post(f"/v1/sessions/{session['session_id']}/tokens", key)
    assert first.status_code == second.status_code == 201
    assert second.json()["token"] == first.json()["token"]


def test_a_new_api_key_is_made_once_per_key(world: World) -> None:
    key, name = new_key(), f"made-{uuid.uuid4().hex[:8]}"
    first = world.post("/v1/keys", key, {"name": name, "role": "integrator"})
    second = world.post("/v1/keys", key, {"name": name, "role": "integrator"})
    assert first.status_code == second.status_code == 201
    assert second.json()["api_key"] == first.json()["api_key"]
    with world.server.api() as api:
        assert [k["name"] for k in api.get("/v1/keys").json()["keys"]].count(name) == 1


def test_a_signal_is_applied_once_per_key(world: World) -> None:
    session = world.server.create()
    key = new_key()
    first = world.post(f"/v1/sessions/{session['session_id']}/signals", key, {"name": "nothing_listens"})
    second = world.post(f"/v1/sessions/{session['session_id']}/signals", key, {"name": "nothing_listens"})
    assert first.status_code == second.status_code
    assert second.headers["Idempotent-Replayed"] == "true" and second.json() == first.json()
