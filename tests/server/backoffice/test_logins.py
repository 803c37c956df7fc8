"""Back-office logins against a real server: cookie flags, CSRF, lockout, the per-IP limit, logout, the CLI."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import socketio

from tests.server.backoffice.helpers import PASSWORD, cli, create_users, csrf_of, log_in
from tests.server.live import Server


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # one login attempt a minute refills an address's bucket of 10: the limit test is not a race with the clock
    running = Server(tmp_path_factory.mktemp("logins"), {"ARABESQUE_LOGIN_RATE_PER_MINUTE": "1"}).start()
    create_users(running, ("rita@example.com", "reviewer", "default"), ("lou@example.com", "reviewer", "default"),
                 ("dan@example.com", "viewer", "default"), ("ann@example.com", "admin", "default"))
    yield running
    running.stop()


def audit_actions(server: Server) -> list[tuple[str, str]]:
    with sqlite3.connect(Path(server.data_dir) / "arabesque.db") as db:
        return [(r[0], r[1]) for r in db.execute("SELECT action, actor FROM audit ORDER BY id")]


def attempt(client: httpx.Client, email: str, password: str) -> httpx.Response:
    form = client.get("/backoffice/login")
    return client.post("/backoffice/login", data={"email": email, "password": password,
                                                  "csrf_token": csrf_of(form.text)})


def test_a_login_sets_a_hashed_httponly_lax_cookie_and_logout_ends_it(office: Server) -> None:
    client = httpx.Client(base_url=office.url, headers={"X-Forwarded-For": "10.1.0.1"})
    done = attempt(client, "Rita@Example.com", PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/backoffice"
    cookie = next(h for h in done.headers.get_list("set-cookie") if h.startswith("arabesque_session="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=lax", "max-age=28800"} <= flags and "secure" not in flags
    token = client.cookies["arabesque_session"]
    with sqlite3.connect(Path(office.data_dir) / "arabesque.db") as db:
        stored = [r[0] for r in db.execute("SELECT id_hash FROM logins")]
    assert token not in stored and len(stored[0]) == 64  # only its SHA-256 is kept
    assert client.get("/backoffice").status_code == 200
    csrf = csrf_of(client.get("/backoffice").text)
    ended = client.post("/backoffice/logout", data={"csrf_token": csrf})
    assert ended.status_code == 303 and ended.headers["location"] == "/backoffice/login"
    assert any(h.startswith('arabesque_session=""') or "max-age=0" in h.lower()
               for h in ended.headers.get_list("set-cookie"))
    stale = httpx.get(f"{office.url}/v1/journeys", cookies={"arabesque_session": token})
    assert stale.status_code == 401 and stale.json()["code"] == "auth.login_required"
    assert ("user.login", f"user:{_user_id(office, 'rita@example.com')}") in audit_actions(office)
    assert "user.logout" in {a for a, _ in audit_actions(office)}


def _user_id(server: Server, email: str) -> str:
    listed = cli(server, "users", "list")
    return next(line.split("\t")[0] for line in listed.stdout.splitlines() if f"\t{email}\t" in line)


def test_the_cookie_is_secure_when_the_request_came_over_tls(office: Server) -> None:
    client = httpx.Client(base_url=office.url, headers={"X-Forwarded-For": "10.1.0.2", "X-Forwarded-Proto": "https"})
    token = csrf_of(client.get("/backoffice/login").text)  # its cookie is Secure: httpx keeps it off plain http
    done = client.post("/backoffice/login", data={"email": "lou@example.com", "password": PASSWORD, "csrf_token": token},
                       headers={"Cookie": f"arabesque_login_csrf={token}"})
    cookie = next(h for h in done.headers.get_list("set-cookie") if h.startswith("arabesque_session="))
    assert "secure" in cookie.lower()


def test_an_unknown_email_and_a_wrong_password_get_the_same_answer(office: Server) -> None:
    client = httpx.Client(base_url=office.url, headers={"X-Forwarded-For": "10.1.0.3"})
    unknown, wrong = attempt(client, "nobody@example.com", PASSWORD), attempt(client, "dan@example.com", "wrong" * 3)
    assert unknown.status_code == wrong.status_code == 401
    for response in (unknown, wrong):
        assert 'data-code="auth.invalid_credentials"' in response.text
    assert unknown.text.replace("nobody@example.com", "") == wrong.text.replace("dan@example.com", "")


def test_five_failures_in_a_row_lock_the_account_for_a_minute(office: Server) -> None:
    client = httpx.Client(base_url=office.url, headers={"X-Forwarded-For": "10.1.0.4"})
    answers = [attempt(client, "ann@example.com", f"wrong password {i}") for i in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert 'data-code="auth.locked"' in answers[-1].text and 55 <= int(answers[-1].headers["retry-after"]) <= 60
    still = attempt(client, "ann@example.com", PASSWORD)  # the right password does not open a locked account
    assert still.status_code == 429 and 'data-code="auth.locked"' in still.text
    actions = [a for a, _ in audit_actions(office)]
    assert actions.count("user.locked") == 1 and "user.login_failed" in actions


def test_one_address_gets_a_limited_number_of_login_attempts(office: Server) -> None:
    client = httpx.Client(base_url=office.url, headers={"X-Forwarded-For": "10.1.0.5"})
    answers = [attempt(client, f"guess{i}@example.com", "whatever whatever") for i in range(11)]
    assert [a.status_code for a in answers] == [401] * 10 + [429]
    assert 'data-code="request.rate_limited"' in answers[10].text and int(answers[10].headers["retry-after"]) >= 1
    other = httpx.Client(base_url=office.url, headers={"X-Forwarded-For": "10.1.0.6"})
    assert attempt(other, "guess@example.com", "whatever whatever").status_code == 401


def test_the_login_form_needs_its_double_submit_token(office: Server) -> None:
    client = httpx.Client(base_url=office.url, headers={"X-Forwarded-For": "10.1.0.7"})
    client.get("/backoffice/login")
    forged = client.post("/backoffice/login", data={"email": "lou@example.com", "password": PASSWORD,
                                                    "csrf_token": "forged"})
    assert forged.status_code == 403 and 'data-code="auth.csrf_failed"' in forged.text


def test_the_json_api_takes_the_cookie_and_wants_the_csrf_header_on_writes(office: Server) -> None:
    client, csrf = log_in(office, "lou@example.com", ip="10.1.0.8")
    assert client.get("/v1/journeys").status_code == 200
    refused = client.post("/v1/sessions", json={"journey": "kyc_individual"})
    assert refused.status_code == 403 and refused.json()["code"] == "auth.csrf_failed"
    forged = client.post("/v1/sessions", json={"journey": "kyc_individual"}, headers={"X-CSRF-Token": "x" + csrf})
    assert forged.json()["code"] == "auth.csrf_failed"


def test_the_users_cli_lists_and_disables_and_a_disabled_account_is_logged_out(office: Server) -> None:
    create_users(office, ("temp@example.com", "reviewer", "other"))
    client, _ = log_in(office, "temp@example.com", ip="10.1.0.9")
    listed = cli(office, "users", "list", "--tenant", "other")
    assert [line.split("\t")[1:5] for line in listed.stdout.splitlines()] == [
        ["other", "temp@example.com", "reviewer", "active"]]
    assert cli(office, "users", "disable", "temp@example.com").returncode == 0
    assert client.get("/backoffice").headers["location"].startswith("/backoffice/login")
    assert attempt(client, "temp@example.com", PASSWORD).status_code == 401
    assert ("user.disabled", "cli") in audit_actions(office)
    weak = cli(office, "users", "create", "--email", "w@example.com", "--role", "viewer", "--tenant", "x",
               stdin="short\n")
    assert weak.returncode == 1 and "user.weak_password" in weak.stderr
    taken = cli(office, "users", "create", "--email", "lou@example.com", "--role", "viewer", "--tenant", "default",
                stdin=PASSWORD + "\n")
    assert taken.returncode == 1 and "user.exists" in taken.stderr


async def test_the_live_namespace_wants_a_login_cookie_from_this_origin(office: Server) -> None:
    client, _ = log_in(office, "dan@example.com", ip="10.1.0.10")
    cookie = f"arabesque_session={client.cookies['arabesque_session']}"
    for headers in ({}, {"Cookie": "arabesque_session=unknown"}, {"Cookie": cookie, "Origin": "https://evil.example"}):
        sio = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(office.url, namespaces=["/backoffice"], transports=["websocket"], headers=headers,
                              wait_timeout=5)
        await sio.disconnect()
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(office.url, namespaces=["/backoffice"], transports=["websocket"],
                      headers={"Cookie": cookie, "Origin": office.url}, wait_timeout=5)
    assert sio.connected
    await sio.disconnect()
