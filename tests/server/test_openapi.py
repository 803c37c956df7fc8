"""The OpenAPI 3.1 document covers every REST route of the app, is valid, names only codes of the code table,
and is served with its reference page, without a key."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from starlette.routing import BaseRoute

from server.app import Application
from server.error_codes import load_code_table
from server.openapi import DocumentedRoute, openapi_document
from server.settings import load_settings
from tests.server.live import Server

Json = dict[str, object]


def not_rest(path: str) -> bool:
    """Routes outside the REST API: the back office's pages, the Rekognition protocol (`POST /`, `/v1/faces/`:
    Rekognition's shapes and errors), static files, Prometheus's `/metrics` (its own text format), and the web SDK's
    files and pages (`/sdk/web/`, `/continue`, `/pages/`, the QA page `/demo`: tests/server/test_web_routes.py)."""
    return path in ("/", "/metrics", "/continue") or path.startswith(("/backoffice", "/v1/faces/", "/socket.io",
                                                                      "/sdk/web/", "/pages/", "/demo"))


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> list[BaseRoute]:
    application = Application(load_settings({"ARABESQUE_DATA_DIR": str(tmp_path_factory.mktemp("openapi"))}))
    return list(application.starlette.routes)


@pytest.fixture(scope="module")
def document(routes: list[BaseRoute]) -> Json:
    return openapi_document(routes, title="Arabesque", version="test")


def operations(document: Json) -> list[tuple[str, str, Json]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return [(method, path, op) for path, methods in paths.items() for method, op in methods.items()]


def test_every_rest_route_of_the_app_is_in_the_document(routes: list[BaseRoute], document: Json) -> None:
    declared = {(method.lower(), path) for route in routes if not not_rest(path := getattr(route, "path", "/"))
                for method in (getattr(route, "methods", None) or {"*"}) - {"HEAD"}}
    documented = {(method, path) for method, path, _ in operations(document)}
    assert declared == documented
    assert all(isinstance(r, DocumentedRoute) for r in routes if not not_rest(getattr(r, "path", "/")))


def test_the_document_is_valid_openapi_3_1(document: Json) -> None:
    OpenAPIV31SpecValidator(document).validate()


def test_every_post_behind_a_key_takes_an_idempotency_key(document: Json) -> None:
    for method, path, op in operations(document):
        keyed = any(p["name"] == "Idempotency-Key" for p in op["parameters"])  # type: ignore[index, union-attr]
        exempt = op["security"] != [{"apiKey": []}, {"login": []}] and path != "/v1/sessions/{session_id}/uploads"
        assert keyed == (method == "post" and not exempt), (method, path)
        if keyed:
            codes = op["responses"]["422"]["content"]["application/json"]["schema"]["allOf"][1]  # type: ignore[index]
            assert "request.idempotency_key_reused" in codes["properties"]["code"]["enum"]


def test_every_code_in_the_document_is_in_the_code_table(document: Json) -> None:
    table = {info.code: info.http_status for info in load_code_table()}
    for _, _, op in operations(document):
        for status, answer in op["responses"].items():  # type: ignore[union-attr]
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            for code in schema.get("allOf", [{}, {"properties": {"code": {"enum": []}}}])[1]["properties"]["code"][
                    "enum"]:
                assert table[code] == int(status), (code, status)


def test_the_list_of_sessions_names_its_filters(document: Json) -> None:
    listing = document["paths"]["/v1/sessions"]["get"]  # type: ignore[index]
    names = {p["name"] for p in listing["parameters"]}
    assert names == {"status", "outcome", "journey", "reference", "created_after", "created_before", "updated_after",
                     "updated_before", "cursor", "limit"}
    assert listing["x-permission"] == "sessions.read"


def test_the_document_and_its_page_are_served_without_a_key(tmp_path: Path) -> None:
    import httpx

    server = Server(tmp_path).start()
    try:
        served = httpx.get(f"{server.url}/openapi.json")
        assert served.status_code == 200 and served.headers["content-type"] == "application/json"
        assert served.json()["openapi"] == "3.1.0"
        page = httpx.get(f"{server.url}/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "script" not in page.headers["content-security-policy"]
        for path in served.json()["paths"]:
            assert f"<code>{path}</code>" in page.text
        assert "request.idempotency_key_reused" in page.text
    finally:
        server.stop()
