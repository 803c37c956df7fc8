"""`arabesque keys` as an operator runs it beside a running server: the server follows every change within
ARABESQUE_KEY_CACHE_SECONDS, without a restart."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from server.auth import digest
from tests.server.live import API_KEY, Server

CACHE_SECONDS = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("keys-cli"), {"ARABESQUE_KEY_CACHE_SECONDS": str(CACHE_SECONDS)}).start()
    yield running
    running.stop()


def status(server: Server, key: str) -> int:
    return httpx.get(f"{server.url}/v1/journeys", headers={"Authorization": f"Bearer {key}"}).status_code


def eventually(check: Callable[[], bool], within: float = CACHE_SECONDS + 3) -> float:
    """Seconds until `check` held (it must within `within`)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, "not within the key cache time"
        time.sleep(0.1)
    return time.monotonic() - started


def listed(server: Server, *args: str) -> dict[str, dict[str, object]]:
    keys = json.loads(server.cli("keys", "list", "--json", *args).stdout)
    return {k["id"]: k for k in keys}


def create(server: Server, *args: str) -> tuple[str, str]:
    """(the key, its id) from `keys create ARGS`."""
    made = server.cli("keys", "create", *args)
    key = made.stdout.strip()
    assert key.startswith("ak_") and "\n" not in key
    assert "shown this once" in made.stderr
    [key_id] = [word for word in made.stderr.split() if word.startswith("ak_")][:1]
    return key, key_id


def test_a_created_key_is_printed_once_and_works_on_the_running_server_in_its_tenant(server: Server) -> None:
    key, key_id = create(server, "--tenant", "acme", "--name", "checkout", "--role", "integrator", "--expires", "30d")
    session = httpx.post(f"{server.url}/v1/sessions", json={"journey": "kyc_individual"},
                         headers={"Authorization": f"Bearer {key}"})
    assert session.status_code == 201, session.text
    other = httpx.get(f"{server.url}/v1/sessions/{session.json()['session_id']}",
                      headers={"Authorization": f"Bearer {API_KEY}"})  # the bootstrap key is of tenant "default"
    assert (other.status_code, other.json()["code"]) == (404, "session.not_found")
    everything = server.cli("keys", "list")
    assert key not in everything.stdout and digest(key) not in everything.stdout
    acme = listed(server, "--tenant", "acme")
    assert list(acme) == [key_id]
    found = acme[key_id]
    assert (found["tenant"], found["role"], found["name"], found["status"], found["created_by"]) == (
        "acme", "integrator", "checkout", "active", "cli")
    expires = dt.datetime.fromisoformat(str(found["expires_at"]))
    assert abs(expires - (dt.datetime.now(dt.UTC) + dt.timedelta(days=30))) < dt.timedelta(minutes=1)
    bootstrap = listed(server)["ak_default"]
    assert (bootstrap["tenant"], bootstrap["role"], bootstrap["created_by"]) == ("default", "admin",
                                                                                 "ARABESQUE_API_KEY")


def test_a_rotation_with_grace_keeps_both_keys_then_a_revocation_stops_one_without_a_restart(
        server: Server) -> None:
    old, old_id = create(server, "--tenant", "acme", "--name", "rotating", "--role", "reviewer")
    assert status(server, old) == 200
    rotated = server.cli("keys", "rotate", old_id, "--grace", "1h")
    new = rotated.stdout.strip()
    assert new.startswith("ak_") and new != old and f"replaced {old_id}" in rotated.stderr
    assert status(server, new) == 200 and status(server, old) == 200
    keys = listed(server, "--tenant", "acme")
    grace_end = dt.datetime.fromisoformat(str(keys[old_id]["expires_at"]))
    assert abs(grace_end - (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))) < dt.timedelta(minutes=1)
    [new_id] = [k for k, v in keys.items() if v["name"] == "rotating" and k != old_id]
    server.cli("keys", "revoke", old_id)
    assert eventually(lambda: status(server, old) == 401) <= CACHE_SECONDS + 1
    assert status(server, new) == 200
    again = server.cli("keys", "rotate", new_id)  # no grace: the key it replaces stops now
    newest = again.stdout.strip()
    eventually(lambda: status(server, new) == 401)
    assert status(server, newest) == 200
    assert listed(server, "--tenant", "acme")[new_id]["status"] == "revoked"


def test_a_key_stops_at_its_expiry(server: Server) -> None:
    key, key_id = create(server, "--tenant", "acme", "--name", "brief", "--role", "integrator", "--expires", "3s")
    assert status(server, key) == 200
    eventually(lambda: status(server, key) == 401, within=6)
    assert listed(server, "--tenant", "acme")[key_id]["status"] == "expired"
    rotate = server.cli("keys", "rotate", key_id, check=False)
    assert rotate.returncode == 1 and rotate.stderr.startswith("key.inactive:")
    _, dated = create(server, "--tenant", "acme", "--name", "dated", "--role", "admin", "--expires",
                      "2031-06-30T12:00:00+02:00")
    assert listed(server, "--tenant", "acme")[dated]["expires_at"] == "2031-06-30T10:00:00Z"


def test_every_cli_change_is_audited_as_the_cli_in_the_keys_tenant(server: Server) -> None:
    admin, admin_id = create(server, "--tenant", "audited", "--name", "ops", "--role", "admin")
    _, key_id = create(server, "--tenant", "audited", "--name", "ci", "--role", "integrator")
    rotated = server.cli("keys", "rotate", key_id, "--grace", "15m").stdout.strip()
    server.cli("keys", "revoke", key_id)
    page = httpx.get(f"{server.url}/v1/audit", params={"actor": "cli"}, headers={"Authorization": f"Bearer {admin}"})
    assert page.status_code == 200
    found = [(e["action"], e["subject_id"], e["tenant"]) for e in page.json()["entries"]]
    new_id = page.json()["entries"][2]["subject_id"]
    assert found == [("key.revoked", key_id, "audited"), ("key.rotated", key_id, "audited"),
                     ("key.created", new_id, "audited"), ("key.created", key_id, "audited"),
                     ("key.created", admin_id, "audited")]
    assert rotated not in page.text and admin not in page.text
    default = httpx.get(f"{server.url}/v1/audit", params={"actor": "cli"}, headers={"Authorization": f"Bearer {API_KEY}"})
    assert {e["tenant"] for e in default.json()["entries"]} <= {"default"}


MISTAKES = [
    (["revoke", "ak_nope"], 1, "key.not_found:"),
    (["rotate", "ak_nope", "--grace", "1h"], 1, "key.not_found:"),
    (["create", "--tenant", "acme", "--name", "x", "--role", "admin", "--expires", "tomorrow"], 1, "request.invalid:"),
    (["create", "--tenant", "Acme Corp", "--name", "x", "--role", "admin"], 1, "request.invalid:"),
    (["create", "--tenant", "acme", "--name", "x", "--role", "viewer"], 2, "invalid choice: 'viewer'"),
    (["rotate", "ak_default", "--grace", "40d"], 1, "request.invalid:"),
]


def test_a_cli_mistake_exits_non_zero_with_the_reason_and_changes_nothing(server: Server) -> None:
    before = listed(server)
    for args, code, says in MISTAKES:
        done = server.cli("keys", *args, check=False)
        assert (done.returncode, done.stdout) == (code, ""), args
        assert says in done.stderr, (args, done.stderr)
    assert listed(server) == before
