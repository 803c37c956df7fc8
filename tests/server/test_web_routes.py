"""The web SDK's routes on a real server: its public modules and words, the /continue page, and the QA demo page
(off by default; on, it answers loopback clients only and opens sessions through the integrator use case)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest

from server.web.assets import VENDOR
from tests.server.live import API_KEY, Server


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("demo"), {"ARABESQUE_DEMO": "on"}).start()
    yield running
    running.stop()


def test_the_sdk_modules_and_their_npm_imports_are_public_es_modules(server: Server) -> None:
    for path in ["/sdk/web/arabesque.js", "/sdk/web/channel.js", *(f"/sdk/web/vendor/{name}" for name in VENDOR)]:
        answer = httpx.get(server.url + path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith("text/javascript")
        assert answer.headers["access-control-allow-origin"] == "*"
    assert "export" in httpx.get(server.url + "/sdk/web/vendor/socket.io.js").text
    assert httpx.get(server.url + "/sdk/web/arabesque.css").headers["content-type"].startswith("text/css")
    # only the SDK's own modules and its listed npm files: nothing else of its folder (nor of node_modules)
    for missing in ("/sdk/web/nothing.js", "/sdk/web/vendor/left-pad.js", "/sdk/web/package.json",
                    "/sdk/web/vendor/package.json", "/pages/continue.html"):
        answer = httpx.get(server.url + missing)
        assert answer.status_code == 404 and answer.json()["code"] == "request.not_found", missing


def test_the_sdk_words_come_from_the_catalogs_complete_in_every_language(server: Server) -> None:
    english = httpx.get(f"{server.url}/sdk/web/strings/en.json").json()
    assert english["locale"] == "en" and len(english["countries"]) == 249
    for asked, resolved in (("de-CH", "de"), ("es", "es"), ("fr", "en")):
        words = httpx.get(f"{server.url}/sdk/web/strings/{asked}.json").json()
        assert words["locale"] == resolved
        assert words["messages"].keys() == english["messages"].keys()
        if resolved != "en":  # translated, not the English fallback
            assert words["messages"]["sdk.continue"] != english["messages"]["sdk.continue"]
    assert {"sdk.continue", "sdk.handoff_title", "error.validation.required"} <= english["messages"].keys()


def test_the_continue_page_is_always_served_and_the_demo_page_only_when_turned_on(server: Server) -> None:
    page = httpx.get(server.url + "/continue")
    assert page.status_code == 200 and "/pages/continue.js" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert httpx.get(server.url + "/pages/continue.js").status_code == 200
    for path in ("/demo", "/demo/journeys", "/pages/demo.js"):
        assert httpx.get(server.url + path).status_code == 404, path
    assert httpx.post(server.url + "/demo/sessions", json={"journey": "kyc_individual"}).status_code == 404


def test_the_demo_page_opens_sessions_on_the_server_side_without_a_key_in_the_browser(demo: Server) -> None:
    page = httpx.get(demo.url + "/demo")
    assert page.status_code == 200 and API_KEY not in page.text
    listed = httpx.get(demo.url + "/demo/journeys").json()
    assert {j["name"] for j in listed["journeys"]} >= {"kyc_individual", "kyb_business"}
    assert listed["locales"] == ["de", "en", "es"]
    created = httpx.post(demo.url + "/demo/sessions", json={"journey": "kyb_business", "locale": "es"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["token"].startswith("st_") and body["journey"] == "kyb_business"
    found = httpx.get(f"{demo.url}/v1/sessions/{body['session_id']}", headers={"Authorization": f"Bearer {API_KEY}"})
    assert found.status_code == 200 and found.json()["reference"] == "demo-page"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"journey": "no_such_journey"}, 404, "journey.not_found"),
    ({"journey": "kyc_individual", "api_key": "x"}, 400, "request.invalid"),
    ({"journey": ""}, 400, "request.invalid"),
])
def test_the_demo_refuses_what_it_cannot_start_with_a_code(demo: Server, body: dict[str, object], status: int,
                                                           code: str) -> None:
    answer = httpx.post(demo.url + "/demo/sessions", json=body)
    assert (answer.status_code, answer.json()["code"]) == (status, code)


def test_the_demo_answers_only_the_loopback_address(demo: Server) -> None:
    """uvicorn takes X-Forwarded-For from a proxy on 127.0.0.1, as from a reverse proxy in front of the server."""
    away: Callable[[str], httpx.Response] = lambda path: httpx.get(demo.url + path,  # noqa: E731
                                                                   headers={"X-Forwarded-For": "203.0.113.9"})
    for path in ("/demo", "/demo/journeys"):
        answer = away(path)
        assert (answer.status_code, answer.json()["code"]) == (403, "auth.forbidden"), path
    posted = httpx.post(demo.url + "/demo/sessions", json={"journey": "kyc_individual"},
                        headers={"X-Forwarded-For": "203.0.113.9"})
    assert posted.status_code == 403


async def test_many_demo_sessions_open_at_once_each_its_own(demo: Server) -> None:
    async with httpx.AsyncClient(base_url=demo.url, timeout=30) as client:
        answers = await asyncio.gather(*(client.post("/demo/sessions", json={"journey": "kyc_individual",
                                                                               "reference": f"qa-{i}"})
                                         for i in range(30)))
    assert [a.status_code for a in answers] == [201] * 30
    assert len({a.json()["session_id"] for a in answers}) == 30
    assert len({a.json()["token"] for a in answers}) == 30
