"""The integrator REST API against a real server."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.server.live import API_KEY, Server


def test_health_and_readiness(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_journeys_lists_every_journey_and_version(server: Server) -> None:
    with server.api() as api:
        body = api.get("/v1/journeys").json()
    assert [(j["name"], j["version"], j["versions"]) for j in body] == [
        ("kyb_business", 3, [1, 2, 3]), ("kyc_individual", 5, [1, 2, 3, 4, 5]), ("selfie_reverification", 3, [1, 2, 3])]
    assert body[1]["steps"] == ["details", "address", "document", "selfie", "consent"]


def test_creating_a_session_returns_an_id_a_token_and_its_expiry(server: Server) -> None:
    before = dt.datetime.now(dt.UTC)
    created = server.create("kyc_individual", reference="customer-123", locale="de-AT", prefill={"email": "a@b.c"})
    assert created["session_id"].startswith("s_") and created["token"].startswith("st_")
    expires = dt.datetime.fromisoformat(created["expires_at"])
    assert before + dt.timedelta(minutes=59) < expires < before + dt.timedelta(minutes=61)
    session = server.session(created["session_id"])
    assert (session["journey"], session["version"], session["reference"]) == ("kyc_individual", 5, "customer-123")
    assert (session["state"], session["status"], session["outcome"], session["locale"]) == (
        "welcome", "active", None, "de")
    assert session["data"]["prefill"] == {"email": "a@b.c"}  # type: ignore[index]
    assert [e["kind"] for e in session["timeline"]] == ["start"]  # type: ignore[union-attr]


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic " + API_KEY, "Bearer"])
def test_a_missing_or_wrong_api_key_is_refused(server: Server, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for method, path in [("GET", "/v1/journeys"), ("POST", "/v1/sessions"), ("GET", "/v1/sessions/s_x")]:
        response = httpx.request(method, f"{server.url}{path}", headers=headers, json={"journey": "kyc_individual"})
        assert response.status_code == 401
        assert response.json()["code"] == "auth.invalid_api_key"


def test_a_session_token_is_not_an_api_key(server: Server) -> None:
    created = server.create()
    response = httpx.get(f"{server.url}/v1/sessions/{created['session_id']}",
                         headers={"Authorization": f"Bearer {created['token']}"})
    assert response.status_code == 401


def test_an_unknown_journey_is_404_with_the_known_ones(server: Server) -> None:
    with server.api() as api:
        response = api.post("/v1/sessions", json={"journey": "kyc_martian"})
        pinned = api.post("/v1/sessions", json={"journey": "kyc_individual", "version": 99})
    assert response.status_code == 404
    assert response.json()["code"] == "journey.not_found"
    assert "kyc_individual" in response.json()["message"]
    assert pinned.status_code == 404


@pytest.mark.parametrize(("body", "path"), [
    (b'{"journey": 7}', "$.journey"),
    (b'{"journey": "kyc_individual", "refrence": "x"}', "$"),
    (b'{"journey": "kyc_individual", "prefill": []}', "$.prefill"),
    (b"{not json", "$"),
    (b"[]", "$"),
    (b"", "$"),
])
def test_a_bad_body_is_refused_with_the_path(server: Server, body: bytes, path: str) -> None:
    with server.api() as api:
        response = api.post("/v1/sessions", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "request.invalid"
    assert response.json()["details"]["path"] == path


def test_an_oversized_body_is_refused(server: Server) -> None:
    with server.api() as api:
        response = api.post("/v1/sessions", json={"journey": "kyc_individual", "reference": "x" * 400_000})
    assert response.status_code == 400
    assert response.json()["code"] == "request.invalid"


def test_deeply_nested_prefill_is_refused(server: Server) -> None:
    nested: object = 1
    for _ in range(40):
        nested = {"a": nested}
    with server.api() as api:
        response = api.post("/v1/sessions", json={"journey": "kyc_individual", "prefill": nested})
    assert response.status_code == 413
    assert response.json()["code"] == "protocol.message_too_large"


def test_an_unknown_session_or_route_is_404(server: Server) -> None:
    with server.api() as api:
        assert api.get("/v1/sessions/s_nope").json()["code"] == "session.not_found"
        assert api.get("/v1/nothing").json()["code"] == "request.not_found"
        assert api.delete("/v1/journeys").status_code == 405


def test_a_new_token_can_be_issued_for_another_device(server: Server) -> None:
    created = server.create()
    with server.api() as api:
        response = api.post(f"/v1/sessions/{created['session_id']}/tokens")
    assert response.status_code == 201
    assert response.json()["token"] != created["token"]


def test_the_server_keeps_serving_after_every_bad_request(server: Server) -> None:
    assert server.create()["session_id"]
