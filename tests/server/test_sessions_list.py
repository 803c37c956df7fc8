"""`GET /v1/sessions` against a real server, on SQLite and on PostgreSQL: a tenant pages through its own
sessions (created all at once, and more while it pages) with none twice and none missed, filters narrow the
list, another tenant sees none of them, and a malformed query is `request.invalid`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import fresh_postgres
from tests.server.live import API_KEY, Server

UNLIMITED = {"ARABESQUE_API_RATE_PER_SECOND": "100000", "ARABESQUE_API_RATE_BURST": "100000"}
BETA = "beta"


class World:
    """A server and a key of a second tenant."""

    def __init__(self, server: Server, beta_key: str) -> None:
        self.server = server
        self.beta_key = beta_key

    def list(self, key: str = API_KEY, **params: object) -> httpx.Response:
        with self.server.api(key) as api:
            return api.get("/v1/sessions", params=params)  # type: ignore[arg-type]

    def every_page(self, limit: int, key: str = API_KEY, **params: object) -> list[dict[str, object]]:
        found: list[dict[str, object]] = []
        cursor = params.pop("cursor", None)
        while True:
            response = self.list(key, limit=limit, **params, **({"cursor": cursor} if cursor else {}))
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page["sessions"]) <= limit
            found += page["sessions"]
            cursor = page["next_cursor"]
            if cursor is None:
                return found

    async def create_many(self, count: int, key: str = API_KEY, **body: object) -> list[str]:
        async with httpx.AsyncClient(base_url=self.server.url, headers={"Authorization": f"Bearer {key}"},
                                     timeout=60) as client:
            answers = await asyncio.gather(*(client.post("/v1/sessions", json={"journey": "kyc_individual", **body})
                                             for _ in range(count)))
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers if a.status_code != 201][:3]
        return [a.json()["session_id"] for a in answers]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with contextlib.ExitStack() as stack:
        env = dict(UNLIMITED)
        if request.param == "postgresql":
            env["ARABESQUE_DATABASE_URL"] = stack.enter_context(fresh_postgres())
        server = Server(tmp_path_factory.mktemp(f"list-{request.param}"), env).start()
        stack.callback(server.stop)  # before the database is dropped
        made = server.cli("keys", "create", "--tenant", BETA, "--name", "beta", "--role", "integrator")
        yield World(server, made.stdout.strip())


def tag() -> str:
    return f"run-{uuid.uuid4().hex[:10]}"


async def test_sessions_created_at_once_page_through_with_none_twice_and_none_missed(world: World) -> None:
    reference = tag()
    created = await world.create_many(60, reference=reference)
    listed = world.every_page(7, reference=reference)
    ids = [str(s["session_id"]) for s in listed]
    assert len(ids) == len(set(ids)) == 60
    assert set(ids) == set(created)
    order = [(str(s["created_at"]), str(s["session_id"])) for s in listed]
    assert order == sorted(order, reverse=True)


async def test_sessions_created_while_paging_neither_shift_nor_repeat_a_page(world: World) -> None:
    reference = tag()
    created = await world.create_many(20, reference=reference)
    first = world.list(limit=8, reference=reference).json()
    await world.create_many(10, reference=reference)  # newer than the cursor: not on the later pages
    rest = world.every_page(8, reference=reference, cursor=first["next_cursor"])
    ids = [s["session_id"] for s in first["sessions"]] + [s["session_id"] for s in rest]
    assert len(ids) == len(set(ids)) == 20
    assert set(ids) == set(created)


async def test_another_tenant_sees_none_of_a_tenants_sessions(world: World) -> None:
    reference = tag()
    alpha = set(await world.create_many(5, reference=reference))
    beta = set(await world.create_many(3, key=world.beta_key, reference=reference))
    assert {s["session_id"] for s in world.every_page(200, reference=reference)} == alpha
    assert {s["session_id"] for s in world.every_page(200, key=world.beta_key, reference=reference)} == beta
    every_beta = {s["session_id"] for s in world.every_page(200, key=world.beta_key)}
    assert beta <= every_beta and not every_beta & alpha


async def test_filters_narrow_the_list(world: World) -> None:
    reference = tag()
    before = dt.datetime.now(dt.UTC)
    kyc = await world.create_many(3, reference=reference)
    kyb = await world.create_many(2, reference=reference, journey="kyb_business")
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    with world.server.api() as api:
        assert api.delete(f"/v1/sessions/{kyc[0]}").status_code == 200

    def ids(**params: object) -> set[str]:
        return {str(s["session_id"]) for s in world.every_page(50, reference=reference, **params)}

    assert ids() == {*kyc[1:], *kyb}  # erasure blanks the reference with the rest of what is personal
    assert ids(journey="kyb_business") == set(kyb)
    assert ids(status="active") == {*kyc[1:], *kyb}
    erased = world.every_page(200, status="erased", created_after=before.isoformat())
    assert [(s["session_id"], s["status"]) for s in erased] == [(kyc[0], "erased")]
    assert ids(created_after=before.isoformat(), created_before=after.isoformat()) == {*kyc[1:], *kyb}
    assert ids(created_before=before.isoformat()) == set()
    assert ids(created_after=after.isoformat()) == set()
    assert ids(updated_after=after.isoformat()) == set()
    assert ids(outcome="approved") == set()
    assert world.list(reference=tag()).json() == {"sessions": [], "next_cursor": None}


def test_a_listed_session_reads_as_the_head_of_the_session_itself(world: World) -> None:
    created = world.server.create(reference=tag(), locale="fr")
    listed = world.list(reference=world.server.session(created["session_id"])["reference"]).json()["sessions"]
    whole = world.server.session(created["session_id"])
    assert listed == [{name: whole[name] for name in listed[0]}]
    assert set(listed[0]) == {"session_id", "journey", "version", "reference", "locale", "state", "status", "outcome",
                              "created_at", "updated_at", "completed_at"}


async def test_a_page_holds_50_sessions_unless_asked_for_up_to_200(world: World) -> None:
    await world.create_many(55)
    assert len(world.list().json()["sessions"]) == 50
    assert len(world.list(limit=200).json()["sessions"]) >= 55


@pytest.mark.parametrize("params", [
    {"bogus": "1"}, {"limit": "0"}, {"limit": "201"}, {"limit": "ten"}, {"status": "done"}, {"status": "null"},
    {"created_after": "2026-01-01T00:00:00"}, {"updated_before": "0.5"}, {"created_before": "yesterday"},
    {"cursor": "zzz"}, {"cursor": "eyJ4IjoxfQ"},
], ids=str)
def test_a_malformed_query_is_request_invalid_naming_the_parameter(world: World, params: dict[str, str]) -> None:
    response = world.list(**params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "request.invalid"
    assert response.json()["details"]["path"] == f"$.{next(iter(params))}"


def test_a_repeated_parameter_is_request_invalid(world: World) -> None:
    response = httpx.get(f"{world.server.url}/v1/sessions?limit=1&limit=2",
                         headers={"Authorization": f"Bearer {API_KEY}"})
    assert (response.status_code, response.json()["code"]) == (400, "request.invalid")
