"""Handoff links ("continue on your phone") against real servers: a link is made, shown as a QR code, exchanged
once for a token of the same session, and every device of the session hears of it."""

from __future__ import annotations

import asyncio
import base64
import os
import time
import urllib.parse
from collections.abc import Callable, Iterator

import httpx
import pytest

import sdk_protocol as p
from tests.conftest import fresh_postgres
from tests.server.live import API_KEY, Sdk, Server

REDIS = os.environ.get("ARABESQUE_TEST_REDIS", "redis://127.0.0.1:6379/0")
UNLIMITED = {"ARABESQUE_HANDOFF_RATE_PER_MINUTE": "1000000", "ARABESQUE_HANDOFF_RATE_BURST": "100000",
             "ARABESQUE_SDK_RATE_PER_SECOND": "100000", "ARABESQUE_SDK_RATE_BURST": "100000"}


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def link(server: Server, session: dict[str, str], credential: str | None = None) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/sessions/{session['session_id']}/handoffs",
                      headers=bearer(credential or session["token"]), timeout=30.0)


def code_of(url: str) -> str:
    return urllib.parse.urlsplit(url).fragment


def exchange(server: Server, code: object) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/handoffs/exchange", json={"code": code}, timeout=30.0)


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("handoff"), UNLIMITED).start()
    yield running
    running.stop()


async def test_a_link_continues_the_session_on_a_second_device(open_server: Server) -> None:
    server = open_server
    session = server.create()
    desktop = await Sdk(server, session["token"]).connect()
    welcome = await desktop.screen("welcome")
    made = link(server, session)
    assert made.status_code == 201, made.text
    exchanged = exchange(server, code_of(made.json()["url"]))
    assert exchanged.status_code == 201, exchanged.text
    answer = exchanged.json()
    assert (answer["session_id"], answer["locale"]) == (session["session_id"], "en")
    assert answer["token"].startswith("st_") and answer["token"] != session["token"]
    claimed = await desktop.next(p.HandoffClaimed)
    assert isinstance(claimed, p.HandoffClaimed) and claimed.handoff_id == made.json()["handoff_id"]
    phone = await Sdk(server, answer["token"]).connect()
    on_phone = await phone.screen("welcome")
    assert (on_phone.screen_id, on_phone.revision) == (welcome.screen_id, welcome.revision)
    assert isinstance(await phone.submit(on_phone, {}), p.ScreenAccepted)  # a submit on either device ...
    personal = await desktop.screen("personal")  # ... shows the next screen on both
    assert (await phone.screen("personal")).revision == personal.revision
    await desktop.close()
    await phone.close()


def test_the_link_carries_a_code_in_its_fragment_never_the_token_and_a_qr_code(open_server: Server) -> None:
    session = open_server.create()
    made = link(open_server, session).json()
    assert set(made) == {"handoff_id", "url", "qr_svg", "expires_at"} and made["handoff_id"].startswith("h_")
    parts = urllib.parse.urlsplit(made["url"])
    assert f"{parts.scheme}://{parts.netloc}" == open_server.url and parts.path == "/continue"
    assert parts.query == "" and parts.fragment.startswith("hc_") and len(parts.fragment) == 35
    assert session["token"] not in made["url"] and session["token"][3:] not in made["qr_svg"]
    header, _, data = made["qr_svg"].partition(",")
    assert header.startswith("data:image/svg+xml")
    svg = base64.b64decode(data) if header.endswith(";base64") else urllib.parse.unquote(data).encode()
    assert b"<svg" in svg and b"</svg>" in svg
    audit = open_server.api().get("/v1/audit", params={"action": "session.handoff_created", "subject_id":
                                                        session["session_id"]}).json()["entries"]
    assert [e["action"] for e in audit] == ["session.handoff_created"]
    assert audit[0]["actor"] == f"session:{session['session_id']}"
    assert parts.fragment not in str(audit) and session["token"] not in str(audit)


def test_a_link_works_once_and_every_refusal_has_its_code(open_server: Server) -> None:
    session = open_server.create()
    code = code_of(link(open_server, session).json()["url"])
    assert exchange(open_server, code).status_code == 201
    again = exchange(open_server, code)
    assert (again.status_code, again.json()["code"]) == (409, "handoff.used")
    assert "works once" in again.json()["message"]
    for unknown in ("hc_" + "A" * 32, "not-a-code", "x" * 200):
        missing = exchange(open_server, unknown)
        assert (missing.status_code, missing.json()["code"]) == (404, "handoff.not_found"), unknown
    for body in ({"code": code, "extra": 1}, {}, {"code": 12}, []):
        wrong = httpx.post(f"{open_server.url}/v1/handoffs/exchange", json=body, timeout=30.0)
        assert (wrong.status_code, wrong.json()["code"]) == (400, "request.invalid"), body
    view = open_server.session(session["session_id"])
    kinds = [entry["kind"] for entry in view["timeline"]]  # type: ignore[union-attr]
    assert kinds.count("session.handoff_created") == 1 and kinds.count("session.handoff_claimed") == 1
    audit = open_server.api().get("/v1/audit", params={"action": "session.handoff_claimed", "subject_id":
                                                        session["session_id"]}).json()["entries"]
    assert len(audit) == 1 and code not in str(audit)


def test_an_expired_link_is_refused(server_factory: Callable[..., Server]) -> None:
    server = server_factory({"ARABESQUE_HANDOFF_SECONDS": "1"}).start()
    session = server.create()
    made = link(server, session).json()
    time.sleep(1.5)
    expired = exchange(server, code_of(made["url"]))
    assert (expired.status_code, expired.json()["code"]) == (410, "handoff.expired")
    assert expired.json()["details"]["expired_at"]


def test_exchanges_from_one_address_are_rate_limited(server_factory: Callable[..., Server]) -> None:
    server = server_factory({"ARABESQUE_HANDOFF_RATE_PER_MINUTE": "1", "ARABESQUE_HANDOFF_RATE_BURST": "3"}).start()
    answers = [exchange(server, "hc_" + "B" * 32) for _ in range(4)]
    assert [a.json()["code"] for a in answers] == ["handoff.not_found"] * 3 + ["request.rate_limited"]
    assert answers[-1].status_code == 429 and int(answers[-1].headers["Retry-After"]) >= 1


def test_the_public_url_setting_makes_the_links_base(server_factory: Callable[..., Server]) -> None:
    server = server_factory({"ARABESQUE_PUBLIC_URL": "https://kyc.example.com/"}).start()
    made = link(server, server.create()).json()
    assert made["url"].startswith("https://kyc.example.com/continue#hc_")


def test_an_api_key_may_make_a_link_for_its_tenant_only(open_server: Server) -> None:
    session = open_server.create()
    made = link(open_server, session, API_KEY)
    assert made.status_code == 201, made.text
    other_tenant = open_server.cli("keys", "create", "--tenant", "other", "--name", "o", "--role", "integrator")
    crossed = link(open_server, session, other_tenant.stdout.strip())
    assert (crossed.status_code, crossed.json()["code"]) == (404, "session.not_found")
    reviewer = open_server.api().post("/v1/keys", json={"name": "r", "role": "reviewer"}).json()["api_key"]
    forbidden = link(open_server, session, reviewer)
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "auth.forbidden")
    another = open_server.create()
    wrong_token = link(open_server, session, another["token"])
    assert (wrong_token.status_code, wrong_token.json()["code"]) == (401, "session.invalid_token")
    nobody = httpx.post(f"{open_server.url}/v1/sessions/{session['session_id']}/handoffs", timeout=30.0)
    assert (nobody.status_code, nobody.json()["code"]) == (401, "auth.invalid_api_key")
    audit = open_server.api().get("/v1/audit", params={"action": "session.handoff_created", "subject_id":
                                                        session["session_id"]}).json()["entries"]
    assert [e["actor"] for e in audit] == ["api_key:ak_default"]


def test_erasing_the_session_deletes_its_links(open_server: Server) -> None:
    session = open_server.create()
    code = code_of(link(open_server, session).json()["url"])
    assert open_server.api().delete(f"/v1/sessions/{session['session_id']}").status_code == 200
    after = exchange(open_server, code)
    assert (after.status_code, after.json()["code"]) == (404, "handoff.not_found")
    gone = link(open_server, session, API_KEY)
    assert (gone.status_code, gone.json()["code"]) == (410, "session.erased")


async def exactly_once(servers: list[Server], sessions: int = 20, racers: int = 5) -> None:
    """`sessions` links, each exchanged by `racers` requests at once (spread over `servers`): one 201 per link."""
    made = [servers[0].create() for _ in range(sessions)]
    codes = [code_of(link(servers[0], s).json()["url"]) for s in made]
    async with httpx.AsyncClient(timeout=60.0) as client:
        answers = await asyncio.gather(*(
            client.post(f"{servers[i % len(servers)].url}/v1/handoffs/exchange", json={"code": code})
            for code in codes for i in range(racers)))
    for n, code in enumerate(codes):
        mine = answers[n * racers:(n + 1) * racers]
        assert sorted(a.status_code for a in mine) == [201] + [409] * (racers - 1), code
        assert {a.json().get("code") for a in mine if a.status_code == 409} == {"handoff.used"}
        winner = next(a.json() for a in mine if a.status_code == 201)
        assert winner["session_id"] == made[n]["session_id"]
    for server in servers:  # and it keeps serving
        assert server.answer("/readyz").status_code == 200
        assert link(server, made[0]).status_code == 201


async def test_concurrent_exchanges_of_a_link_succeed_exactly_once_on_sqlite(open_server: Server) -> None:
    await exactly_once([open_server])


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with fresh_postgres() as url:
        yield url


async def test_concurrent_exchanges_on_two_postgresql_nodes_succeed_exactly_once_and_reach_every_device(
        server_factory: Callable[..., Server], postgres: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    env = {**UNLIMITED, "ARABESQUE_DATABASE_URL": postgres, "ARABESQUE_REDIS_URL": REDIS,
           "ARABESQUE_STORAGE_URL": tmp_path_factory.mktemp("shared").as_uri()}
    first, second = server_factory(env).start(), server_factory(env).start()
    await exactly_once([first, second])
    session = first.create()
    on_second = await Sdk(second, session["token"]).connect()
    exchanged = exchange(first, code_of(link(first, session).json()["url"]))
    assert exchanged.status_code == 201, exchanged.text
    assert isinstance(await on_second.next(p.HandoffClaimed), p.HandoffClaimed)
    await on_second.close()
