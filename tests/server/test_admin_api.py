"""The admin REST API against a real server: keys of one's own tenant (`/v1/keys`) and the audit log
(`/v1/audit`), with downloads, erasures by a key and by retention, and key changes recorded in it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from server.auth import digest
from tests.conftest import S3Server
from tests.server.live import API_KEY, Server
from tests.server.test_access_matrix import JPEG, UNLIMITED, auth
from tests.server.test_boundaries import SIGNAL_JOURNEY


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, s3: S3Server) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("admin")
    (folder / "journeys").mkdir()
    (folder / "journeys" / "signal_probe.yaml").write_text(SIGNAL_JOURNEY)
    running = Server(folder / "data", {**s3.env("admin-api"), **UNLIMITED, "ARABESQUE_RETENTION_SECONDS": "1",
                                       "ARABESQUE_JOURNEYS_DIR": str(folder / "journeys")}).start()
    yield running
    running.stop()


def create_key(server: Server, role: str = "integrator", admin: str = API_KEY, **body: object) -> dict[str, str]:
    response = httpx.post(f"{server.url}/v1/keys", json={"name": f"{role} key", "role": role, **body},
                          headers=auth(admin))
    assert response.status_code == 201, response.text
    made: dict[str, str] = response.json()
    return made


def works(server: Server, key: str) -> int:
    """The status a key gets reading the journeys (200 when it works, 401 when it does not)."""
    return httpx.get(f"{server.url}/v1/journeys", headers=auth(key)).status_code


def audit(server: Server, admin: str = API_KEY, **params: object) -> dict[str, object]:
    response = httpx.get(f"{server.url}/v1/audit", params=params, headers=auth(admin))  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    page: dict[str, object] = response.json()
    return page


def entries(server: Server, admin: str = API_KEY, **params: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = audit(server, admin, **params)["entries"]  # type: ignore[assignment]
    return found


def test_an_admin_makes_a_key_that_works_at_once_and_is_listed_without_its_secret(server: Server) -> None:
    made = create_key(server, expires_at="2030-01-01T00:00:00Z")
    assert made["api_key"].startswith("ak_") and made["tenant"] == "default" and made["status"] == "active"
    assert made["expires_at"] == "2030-01-01T00:00:00Z" and made["created_by"] == "api_key:ak_default"
    created = httpx.post(f"{server.url}/v1/sessions", json={"journey": "signal_probe"}, headers=auth(made["api_key"]))
    assert created.status_code == 201, created.text
    listing = httpx.get(f"{server.url}/v1/keys", headers=auth(API_KEY))
    assert listing.status_code == 200
    [listed] = [k for k in listing.json()["keys"] if k["id"] == made["id"]]
    assert listed == {k: v for k, v in made.items() if k != "api_key"}
    assert made["api_key"] not in listing.text and digest(made["api_key"]) not in listing.text
    assert {k["id"]: (k["role"], k["created_by"]) for k in listing.json()["keys"]}["ak_default"] == (
        "admin", "ARABESQUE_API_KEY")


@pytest.mark.parametrize(("body", "path"), [
    ({"name": "x", "role": "viewer"}, "$.role"),  # back-office roles are for people, not keys
    ({"name": "x", "role": "root"}, "$.role"),
    ({"name": "", "role": "admin"}, "$.name"),
    ({"name": "x", "role": "admin", "tenant": "globex"}, "$"),  # a key is always of the caller's tenant
    ({"name": "x", "role": "admin", "expires_at": "2030-01-01T00:00:00"}, "$.expires_at"),
    ({"name": "x", "role": "admin", "expires_at": "2020-01-01T00:00:00Z"}, "$.expires_at"),
])
def test_a_key_request_that_does_not_fit_is_refused_with_its_path(server: Server, body: dict[str, object],
                                                                   path: str) -> None:
    response = httpx.post(f"{server.url}/v1/keys", json=body, headers=auth(API_KEY))
    assert response.status_code == 400, response.text
    assert (response.json()["code"], response.json()["details"]["path"]) == ("request.invalid", path)


def test_a_rotated_key_works_through_its_grace_period_and_the_new_one_at_once(server: Server) -> None:
    old = create_key(server)
    response = httpx.post(f"{server.url}/v1/keys/{old['id']}/rotate", json={"grace_seconds": 2},
                          headers=auth(API_KEY))
    assert response.status_code == 201, response.text
    new = response.json()
    assert (new["name"], new["role"], new["replaced"]["id"], new["replaced"]["status"]) == (
        old["name"], "integrator", old["id"], "active")
    assert works(server, old["api_key"]) == 200 and works(server, new["api_key"]) == 200
    time.sleep(2.2)
    assert works(server, old["api_key"]) == 401 and works(server, new["api_key"]) == 200
    again = httpx.post(f"{server.url}/v1/keys/{old['id']}/rotate", headers=auth(API_KEY))
    assert (again.status_code, again.json()["code"]) == (409, "key.inactive")


def test_a_rotation_without_grace_and_a_revocation_stop_the_old_key_at_once(server: Server) -> None:
    first = create_key(server)
    assert works(server, first["api_key"]) == 200  # now remembered by the server
    rotated = httpx.post(f"{server.url}/v1/keys/{first['id']}/rotate", headers=auth(API_KEY)).json()
    assert rotated["replaced"]["status"] == "revoked"
    assert works(server, first["api_key"]) == 401 and works(server, rotated["api_key"]) == 200
    revoked = httpx.delete(f"{server.url}/v1/keys/{rotated['id']}", headers=auth(API_KEY))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert works(server, rotated["api_key"]) == 401
    twice = httpx.delete(f"{server.url}/v1/keys/{rotated['id']}", headers=auth(API_KEY))
    assert twice.status_code == 200 and twice.json() == revoked.json()
    missing = httpx.delete(f"{server.url}/v1/keys/ak_nope", headers=auth(API_KEY))
    assert (missing.status_code, missing.json()["code"]) == (404, "key.not_found")


def test_an_admin_can_revoke_its_own_key_and_is_then_refused(server: Server) -> None:
    admin = create_key(server, role="admin")
    assert httpx.delete(f"{server.url}/v1/keys/{admin['id']}", headers=auth(admin["api_key"])).status_code == 200
    refused = httpx.get(f"{server.url}/v1/keys", headers=auth(admin["api_key"]))
    assert (refused.status_code, refused.json()["code"]) == (401, "auth.invalid_api_key")


def test_key_changes_are_in_the_audit_log_with_before_and_after_but_never_the_secret(server: Server) -> None:
    made = create_key(server, role="reviewer")
    rotated = httpx.post(f"{server.url}/v1/keys/{made['id']}/rotate", json={"grace_seconds": 60},
                         headers=auth(API_KEY)).json()
    httpx.delete(f"{server.url}/v1/keys/{rotated['id']}", headers=auth(API_KEY))
    page = httpx.get(f"{server.url}/v1/audit", params={"action": "key."}, headers=auth(API_KEY))
    for secret in (made["api_key"], rotated["api_key"]):
        assert secret not in page.text and digest(secret) not in page.text
    mine = [e for e in page.json()["entries"] if e["subject_id"] in (made["id"], rotated["id"])]
    assert [(e["action"], e["subject_id"]) for e in mine] == [
        ("key.revoked", rotated["id"]), ("key.rotated", made["id"]), ("key.created", rotated["id"]),
        ("key.created", made["id"])]
    revoked, rotation, _, created = mine
    assert {e["actor"] for e in mine} == {"api_key:ak_default"} and {e["ip"] for e in mine} == {"127.0.0.1"}
    assert created["after"]["role"] == "reviewer" and created["after"]["prefix"] == made["prefix"]
    assert rotation["before"]["expires_at"] is None and rotation["after"]["expires_at"] is not None
    assert rotation["details"] == {"replaced_by": rotated["id"], "grace_seconds": 60}
    assert revoked["before"]["revoked_at"] is None and revoked["after"]["revoked_at"] is not None


def test_downloads_are_audited_with_the_file_and_its_session(server: Server) -> None:
    session = server.create("signal_probe")
    file_id = server.upload(session, JPEG).json()["file_id"]
    reader = create_key(server, role="reviewer")
    base = f"{server.url}/v1/sessions/{session['session_id']}/files/{file_id}"
    assert httpx.get(base, headers=auth(reader["api_key"])).status_code == 307
    assert httpx.get(f"{base}/url", headers=auth(reader["api_key"])).status_code == 200
    downloads = entries(server, action="file.downloaded", subject_id=file_id)
    assert [(e["actor"], e["subject_type"], e["details"]["session_id"]) for e in downloads] == [
        (f"api_key:{reader['id']}", "file", session["session_id"])] * 2
    assert entries(server, actor=f"api_key:{reader['id']}") == downloads
    unknown = httpx.get(f"{server.url}/v1/sessions/{session['session_id']}/files/f_nope", headers=auth(API_KEY))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "file.not_found")
    assert entries(server, subject_id="f_nope") == []


def test_an_erasure_by_a_key_and_one_by_retention_are_both_audited_in_the_sessions_tenant(server: Server) -> None:
    erased = server.create("signal_probe")
    response = httpx.delete(f"{server.url}/v1/sessions/{erased['session_id']}", headers=auth(API_KEY))
    assert response.status_code == 200, response.text
    [by_key] = entries(server, action="session.erased", subject_id=erased["session_id"])
    assert (by_key["actor"], by_key["details"]) == ("api_key:ak_default",
                                                    {"erased_by": "api_key:ak_default", "reason": "request"})
    beta_admin = server.cli("keys", "create", "--tenant", "beta", "--name", "beta", "--role", "admin").stdout.strip()
    finished = httpx.post(f"{server.url}/v1/sessions", json={"journey": "signal_probe"}, headers=auth(beta_admin))
    session_id = finished.json()["session_id"]
    signal = httpx.post(f"{server.url}/v1/sessions/{session_id}/signals", json={"name": "reviewed"},
                        headers=auth(beta_admin))
    assert signal.json()["status"] == "final"
    deadline = time.monotonic() + 20
    while not (swept := entries(server, beta_admin, action="session.erased", subject_id=session_id)):
        assert time.monotonic() < deadline, "the retention sweep did not erase the finished session"
        time.sleep(0.2)
    [by_retention] = swept
    assert (by_retention["actor"], by_retention["tenant"], by_retention["details"]) == (
        "system", "beta", {"erased_by": "retention", "reason": "retention"})
    assert entries(server, subject_id=session_id) == []  # not in the default tenant's log


def test_the_audit_log_pages_newest_first_and_filters_by_time(server: Server) -> None:
    for _ in range(5):
        create_key(server)
    newest = entries(server, action="key.created", limit=500)
    seen: list[int] = []
    cursor: object = None
    while True:
        page = audit(server, action="key.created", limit=2, **({"before_id": cursor} if cursor else {}))
        seen += [e["id"] for e in page["entries"]]  # type: ignore[attr-defined, index]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in newest] and seen == sorted(seen, reverse=True)
    middle = newest[2]["at"]
    since = entries(server, action="key.created", since=middle, limit=500)
    until = entries(server, action="key.created", until=middle, limit=500)
    assert since + until == newest and since[-1]["at"] == middle


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "501"}, {"limit": "lots"}, {"before_id": "x"},
                                    {"since": "2026-01-01T00:00:00"}, {"actor": ""}, {"who": "me"},
                                    {"action": ["a", "b"]}])
def test_a_malformed_audit_query_is_refused(server: Server, params: dict[str, object]) -> None:
    response = httpx.get(f"{server.url}/v1/audit", params=params, headers=auth(API_KEY))  # type: ignore[arg-type]
    assert (response.status_code, response.json()["code"]) == (400, "request.invalid"), response.text

