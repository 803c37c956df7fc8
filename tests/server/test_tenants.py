"""Two tenants on one server at once: many sessions of each opened, walked, uploaded into, read and erased
together, every one staying in its own tenant (its rows, its documents folder, its audit log)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import sdk_protocol as p
from tests.server.live import API_KEY, Sdk, Server
from tests.server.test_access_matrix import JPEG, UNLIMITED

PER_TENANT = 40
TENANTS = ("north", "south")


def other(tenant: str) -> str:
    return TENANTS[1 - TENANTS.index(tenant)]


async def open_walk_and_upload(server: Server, http: httpx.AsyncClient, key: str) -> tuple[dict[str, str], str]:
    """A session opened with `key`, moved past its first screen by its SDK, with one file uploaded."""
    created = await http.post("/v1/sessions", json={"journey": "kyc_individual"}, headers={"Authorization": f"Bearer {key}"})
    assert created.status_code == 201, created.text
    session: dict[str, str] = created.json()
    sdk = await Sdk(server, session["token"]).connect()
    try:
        welcome = await sdk.screen("welcome")
        assert isinstance(await sdk.submit(welcome, {}), p.ScreenAccepted)
        await sdk.screen("personal")
        uploaded = await http.post(f"/v1/sessions/{session['session_id']}/files", content=JPEG,
                                   headers={"Authorization": f"Bearer {session['token']}",
                                            "Content-Type": "image/jpeg"})
        assert uploaded.status_code == 201, uploaded.text
    finally:
        await sdk.close()
    return session, str(uploaded.json()["file_id"])


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_two_tenants_work_many_sessions_at_once_and_each_sees_only_its_own(
        server_factory: Callable[..., Server], database: str, request: pytest.FixtureRequest) -> None:
    env = dict(UNLIMITED)
    if database == "postgresql":
        env["ARABESQUE_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    server = server_factory(env).start()
    keys = {t: server.cli("keys", "create", "--tenant", t, "--name", t, "--role", "admin").stdout.strip()
            for t in TENANTS}
    # idle connections are dropped before the server's own 5 s keep-alive ends, so none is reused as it closes
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=httpx.Limits(keepalive_expiry=1)) as http:
        owners = [t for t in TENANTS for _ in range(PER_TENANT)]
        made = await asyncio.gather(*(open_walk_and_upload(server, http, keys[t]) for t in owners))

        async def read(session_id: str, tenant: str) -> httpx.Response:
            return await http.get(f"/v1/sessions/{session_id}", headers={"Authorization": f"Bearer {keys[tenant]}"})

        own, crossed, bootstrap = await asyncio.gather(
            asyncio.gather(*(read(s["session_id"], t) for (s, _), t in zip(made, owners, strict=True))),
            asyncio.gather(*(read(s["session_id"], other(t)) for (s, _), t in zip(made, owners, strict=True))),
            asyncio.gather(*(http.get(f"/v1/sessions/{s['session_id']}", headers={"Authorization": f"Bearer {API_KEY}"})
                             for s, _ in made)))
        assert [(r.status_code, r.json()["state"], len(r.json()["files"])) for r in own] == [(200, "personal", 1)] * 80
        assert {(r.status_code, r.json()["code"]) for r in [*crossed, *bootstrap]} == {(404, "session.not_found")}
        for (session, file_id), tenant in zip(made, owners, strict=True):
            assert (server.data_dir / "documents" / tenant / session["session_id"] / file_id).is_file()
            assert not (server.data_dir / "documents" / other(tenant) / session["session_id"]).exists()

        async def erase(session_id: str, tenant: str) -> httpx.Response:
            return await http.delete(f"/v1/sessions/{session_id}", headers={"Authorization": f"Bearer {keys[tenant]}"})

        half = [(s["session_id"], t) for (s, _), t in zip(made, owners, strict=True)][::2]
        erased, refused = await asyncio.gather(asyncio.gather(*(erase(s, t) for s, t in half)),
                                               asyncio.gather(*(erase(s, other(t)) for s, t in half)))
        assert {r.status_code for r in erased} == {200}
        assert {(r.status_code, r.json()["code"]) for r in refused} == {(404, "session.not_found")}
        for tenant in TENANTS:
            log = await http.get("/v1/audit", params={"action": "session.erased", "limit": 500},
                                 headers={"Authorization": f"Bearer {keys[tenant]}"})
            got = [e["subject_id"] for e in log.json()["entries"]]
            want = [s for s, t in half if t == tenant]
            print("DEBUG", tenant, len(got), len(set(got)), len(want), [e for e in log.json()["entries"] if e["subject_id"] not in want or got.count(e["subject_id"]) > 1])
            assert sorted(got) == sorted(want)
            assert {e["actor"] for e in log.json()["entries"]} == {e["actor"] for e in log.json()["entries"][:1]}
    documents = server.data_dir / "documents"
    assert sorted(p.name for p in documents.iterdir()) == sorted(TENANTS)
    assert sum(1 for _ in Path(documents).rglob("f_*")) == PER_TENANT  # the erased half left nothing behind
