"""Who may do what on every REST route of the app, against a real server holding two tenants.

`ROUTES` is the table, one row per route: method, path template, the permission it needs (None for the SDK's
routes, which take a session token), the status it answers when allowed, how to build a fresh resource of a
tenant for it, and how tenants are kept apart on it. A meta-test holds the table to the routes the app
declares. Then every row runs through
- the tenant matrix: tenant A's credentials on tenant B's resource get exactly what an unknown id gets, B's
  resource and both audit logs stay as they were, and B itself is answered; lists hold only one's own; both
  directions;
- the role matrix: integrator, reviewer and admin keys get the route's answer when their role holds its
  permission, and 403 `auth.forbidden` naming the permission when it does not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from server.access import KEY_ROLES, ROLE_PERMISSIONS, KeyRole, Permission
from server.app import Application
from server.settings import load_settings
from tests.conftest import S3Server
from tests.server.live import API_KEY, Server
from tests.server.test_boundaries import SIGNAL_JOURNEY

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
ALPHA, BETA = "alpha", "beta"
DIRECTIONS = [(ALPHA, BETA), (BETA, ALPHA)]
UNLIMITED = {"ARABESQUE_API_RATE_PER_SECOND": "100000", "ARABESQUE_API_RATE_BURST": "100000",
             "ARABESQUE_SDK_RATE_PER_SECOND": "100000", "ARABESQUE_SDK_RATE_BURST": "100000",
             "ARABESQUE_HANDOFF_RATE_PER_MINUTE": "6000000", "ARABESQUE_HANDOFF_RATE_BURST": "100000"}

CASE_JOURNEY = """
name: case_probe
version: 1
title: kyc.title
initial: waiting
review:
  reject_reasons: {other: review.reject.other}
states:
  waiting:
    type: screen
    screen:
      components:
        - {type: content.heading, text: kyc.title}
    on:
      to_review: [{target: review}]
  review:
    type: review
    on: {approve: approved, reject: rejected}
  approved: {type: final, outcome: approved}
  rejected: {type: final, outcome: rejected}
"""


def unknown_like(subject: str) -> str:
    """An id of the same kind that nobody has."""
    if subject.startswith("wh_"):
        return "wh_unknownxunknownyunknown"
    return "s_unknownxunknownyunknown" if subject.startswith("s_") else "ak_unknownxunknownyunknown"


def auth(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


@dataclasses.dataclass(frozen=True)
class Call:
    """One concrete request: the path with ids filled in, its body, and the resource it is about."""

    path: str
    json: object = None
    content: bytes | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    token: str = ""
    """the SDK token of the session of the path (the credential of the SDK's routes)"""
    subject: str = ""
    """the id in the path that belongs to a tenant (a session's or a key's)"""


class World:
    """The running server, and the API keys of each tenant by role."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.url, timeout=30.0)
        self.keys: dict[str, dict[str, str]] = {}

    def send(self, method: str, call: Call, credential: str) -> httpx.Response:
        return self.client.request(method, call.path, json=call.json, content=call.content,
                                   headers={**call.headers, **auth(credential)})

    def as_(self, tenant: str, role: str, method: str, path: str, **kwargs: object) -> httpx.Response:
        return self.client.request(method, path, headers=auth(self.keys[tenant][role]), **kwargs)  # type: ignore[arg-type]

    def case(self, tenant: str, claim_as: str | None = None) -> str:
        """A session of `tenant` waiting in review (a signal takes it there), claimed by `claim_as`'s key."""
        session = self.session(tenant, "case_probe")
        moved = self.as_(tenant, "admin", "POST", f"/v1/sessions/{session['session_id']}/signals",
                         json={"name": "to_review"})
        assert moved.json()["status"] == "review", moved.text
        if claim_as is not None:
            claimed = self.as_(tenant, claim_as, "POST", f"/v1/cases/{session['session_id']}/claim")
            assert claimed.status_code == 200, claimed.text
        return session["session_id"]

    def admin_actor(self, tenant: str) -> str:
        keys = self.as_(tenant, "admin", "GET", "/v1/keys").json()["keys"]
        return "api_key:" + next(k["id"] for k in keys if k["role"] == "admin" and k["status"] == "active")

    def session(self, tenant: str, journey: str = "signal_probe") -> dict[str, str]:
        response = self.as_(tenant, "integrator", "POST", "/v1/sessions", json={"journey": journey})
        assert response.status_code == 201, response.text
        created: dict[str, str] = response.json()
        return created

    def upload(self, session: dict[str, str]) -> str:
        response = self.client.post(f"/v1/sessions/{session['session_id']}/files", content=JPEG,
                                    headers={**auth(session["token"]), "Content-Type": "image/jpeg"})
        assert response.status_code == 201, response.text
        return str(response.json()["file_id"])

    def key(self, tenant: str) -> str:
        response = self.as_(tenant, "admin", "POST", "/v1/keys", json={"name": "subject", "role": "integrator"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def view(self, tenant: str, subject: str) -> object:
        """What the owner reads of a session or a key (to see that nothing changed)."""
        if subject.startswith("s_"):
            return self.as_(tenant, "admin", "GET", f"/v1/sessions/{subject}").json()
        if subject.startswith("wh_"):  # failing_since moves in the background (PUBLIC_HOOK does not answer here)
            return {k: v for k, v in self.as_(tenant, "admin", "GET", f"/v1/webhooks/{subject}").json().items()
                    if k != "failing_since"}
        return [k for k in self.as_(tenant, "admin", "GET", "/v1/keys").json()["keys"] if k["id"] == subject]

    def last_audit(self, tenant: str) -> list[object]:
        return list(self.as_(tenant, "admin", "GET", "/v1/audit", params={"limit": 1}).json()["entries"])


Builder = Callable[[World, str], Call]
Isolation = Callable[[World, "Row", str, str], None]


@dataclasses.dataclass(frozen=True)
class Row:
    method: str
    path: str
    permission: Permission | None
    """None: an SDK route, opened by the session's token rather than an API key"""
    ok: int
    build: Builder
    isolation: Isolation
    open: bool = False
    """no credential at all (the body holds one): any key, or none, gets the same answer"""


# --- builders: a fresh resource of a tenant for one request -----------------------------------------------------


def plain(path: str, json: object = None) -> Builder:
    return lambda world, tenant: Call(path, json=json)


def of_session(suffix: str = "", json: object = None, content: bytes | None = None,
               headers: dict[str, str] | None = None) -> Builder:
    def build(world: World, tenant: str) -> Call:
        session = world.session(tenant)
        return Call(f"/v1/sessions/{session['session_id']}{suffix}", json=json, content=content,
                    headers=headers or {}, token=session["token"], subject=session["session_id"])

    return build


def of_file(suffix: str = "") -> Builder:
    def build(world: World, tenant: str) -> Call:
        session = world.session(tenant)
        file_id = world.upload(session)
        return Call(f"/v1/sessions/{session['session_id']}/files/{file_id}{suffix}", token=session["token"],
                    subject=session["session_id"])

    return build


def a_handoff_code(world: World, tenant: str) -> Call:
    """A fresh handoff link of a new session of `tenant`: its exchange, whose code is the credential."""
    session = world.session(tenant)
    made = world.client.post(f"/v1/sessions/{session['session_id']}/handoffs", headers=auth(session["token"]))
    assert made.status_code == 201, made.text
    code = made.json()["url"].rsplit("#", 1)[1]
    return Call("/v1/handoffs/exchange", json={"code": code}, token=session["token"], subject=session["session_id"])


def of_key(suffix: str = "", json: object = None) -> Builder:
    def build(world: World, tenant: str) -> Call:
        key_id = world.key(tenant)
        return Call(f"/v1/keys/{key_id}{suffix}", json=json, subject=key_id)

    return build


def of_case(suffix: str = "", json: object = None, claim_as: str | None = None) -> Builder:
    def build(world: World, tenant: str) -> Call:
        session_id = world.case(tenant, claim_as)
        body = {"assignee": world.admin_actor(tenant)} if json == "own admin" else json
        return Call(f"/v1/cases/{session_id}{suffix}", json=body, subject=session_id)

    return build


PUBLIC_HOOK = "https://93.184.215.14/hook"
"""a public address (nothing is delivered there but the `session.created` of the redelivery rows)"""


def of_webhook(suffix: str = "", json: object = None, delivered: bool = False) -> Builder:
    """A subscription of the tenant (disabled, unless it needs a delivery: then it got one, of a new session)."""

    def build(world: World, tenant: str) -> Call:
        made = world.as_(tenant, "admin", "POST", "/v1/webhooks", json={
            "url": PUBLIC_HOOK, "enabled": delivered, "event_types": ["session.created"]})
        assert made.status_code == 201, made.text
        webhook_id = made.json()["id"]
        path = f"/v1/webhooks/{webhook_id}{suffix}"
        if delivered:
            world.session(tenant)
            found = world.as_(tenant, "admin", "GET", f"/v1/webhooks/{webhook_id}/deliveries").json()
            path = path.replace("{event_id}", found["deliveries"][0]["event_id"])
        return Call(path, json=json, subject=webhook_id)

    return build


def with_a_waiting_case(path: str) -> Builder:
    def build(world: World, tenant: str) -> Call:
        world.case(tenant)
        return Call(path)

    return build


# --- isolation: how tenants are kept apart on a route ---------------------------------------------------------


def unknown_to_others(code: str, status: int = 404) -> Isolation:
    """Another tenant's resource answers `status`/`code`, exactly as an unknown id does, and stays unchanged."""

    def check(world: World, row: Row, mine: str, theirs: str) -> None:
        my_call, their_call = row.build(world, mine), row.build(world, theirs)
        credential = my_call.token if row.permission is None else world.keys[mine]["admin"]
        owner = their_call.token if row.permission is None else world.keys[theirs]["admin"]
        before = world.view(theirs, their_call.subject), world.last_audit(mine), world.last_audit(theirs)
        crossed = world.send(row.method, their_call, credential)
        assert (crossed.status_code, crossed.json()["code"]) == (status, code), crossed.text
        missing = world.send(row.method, dataclasses.replace(
            their_call, path=their_call.path.replace(their_call.subject, unknown_like(their_call.subject))), credential)
        assert (missing.status_code, missing.json()["code"]) == (status, code), missing.text
        assert (world.view(theirs, their_call.subject), world.last_audit(mine), world.last_audit(theirs)) == before
        allowed = world.send(row.method, their_call, owner)
        assert allowed.status_code == row.ok, allowed.text

    return check


def the_code_is_the_credential(world: World, row: Row, mine: str, theirs: str) -> None:
    """A key of another tenant adds nothing: a code opens its own session only (and once), an unknown code
    is `handoff.not_found` whoever asks; the other tenant's session and audit log are untouched by a refusal."""
    theirs_call = row.build(world, theirs)
    before = world.view(theirs, theirs_call.subject), world.last_audit(theirs)
    unknown = dataclasses.replace(theirs_call, json={"code": "hc_" + "U" * 32})
    missing = world.send(row.method, unknown, world.keys[mine]["admin"])
    assert (missing.status_code, missing.json()["code"]) == (404, "handoff.not_found"), missing.text
    assert (world.view(theirs, theirs_call.subject), world.last_audit(theirs)) == before
    opened = world.send(row.method, theirs_call, world.keys[mine]["admin"])
    assert opened.status_code == row.ok and opened.json()["session_id"] == theirs_call.subject, opened.text
    again = world.send(row.method, theirs_call, world.keys[theirs]["admin"])
    assert (again.status_code, again.json()["code"]) == (409, "handoff.used"), again.text


def same_for_every_tenant(world: World, row: Row, mine: str, theirs: str) -> None:
    answers = [world.send(row.method, row.build(world, t), world.keys[t]["admin"]) for t in (mine, theirs)]
    assert [a.status_code for a in answers] == [row.ok, row.ok]
    assert answers[0].json() == answers[1].json()


def session_in_own_tenant(world: World, row: Row, mine: str, theirs: str) -> None:
    created = world.send(row.method, row.build(world, mine), world.keys[mine]["admin"])
    assert created.status_code == row.ok, created.text
    session_id = created.json()["session_id"]
    assert world.as_(mine, "reviewer", "GET", f"/v1/sessions/{session_id}").status_code == 200
    seen = world.as_(theirs, "admin", "GET", f"/v1/sessions/{session_id}")
    assert (seen.status_code, seen.json()["code"]) == (404, "session.not_found")


def key_in_own_tenant(world: World, row: Row, mine: str, theirs: str) -> None:
    created = world.send(row.method, row.build(world, mine), world.keys[mine]["admin"])
    assert created.status_code == row.ok, created.text
    assert created.json()["tenant"] == mine
    key_id = created.json()["id"]
    assert key_id in {k["id"] for k in world.as_(mine, "admin", "GET", "/v1/keys").json()["keys"]}
    assert key_id not in {k["id"] for k in world.as_(theirs, "admin", "GET", "/v1/keys").json()["keys"]}
    revoked = world.as_(theirs, "admin", "DELETE", f"/v1/keys/{key_id}")
    assert (revoked.status_code, revoked.json()["code"]) == (404, "key.not_found")


def lists_only_own(field: str) -> Isolation:
    def check(world: World, row: Row, mine: str, theirs: str) -> None:
        world.key(mine), world.key(theirs)  # something of each tenant to list (a key, and its audit record)
        listed = {t: world.send(row.method, row.build(world, t), world.keys[t]["admin"]) for t in (mine, theirs)}
        assert [r.status_code for r in listed.values()] == [row.ok, row.ok]
        items = {t: r.json()[field] for t, r in listed.items()}
        assert items[mine] and items[theirs]
        assert {item["tenant"] for item in items[mine]} == {mine}
        assert {item["tenant"] for item in items[theirs]} == {theirs}
        assert not {item["id"] for item in items[mine]} & {item["id"] for item in items[theirs]}

    return check


def webhook_in_own_tenant(world: World, row: Row, mine: str, theirs: str) -> None:
    created = world.send(row.method, row.build(world, mine), world.keys[mine]["admin"])
    assert created.status_code == row.ok, created.text
    webhook_id = created.json()["id"]
    listed = {t: {w["id"] for w in world.as_(t, "admin", "GET", "/v1/webhooks").json()["webhooks"]}
              for t in (mine, theirs)}
    assert webhook_id in listed[mine] and not listed[mine] & listed[theirs]
    seen = world.as_(theirs, "admin", "GET", f"/v1/webhooks/{webhook_id}")
    assert (seen.status_code, seen.json()["code"]) == (404, "webhook.not_found")


def webhooks_listed_only_own(world: World, row: Row, mine: str, theirs: str) -> None:
    """`GET /v1/webhooks` lists one's own subscriptions, never another tenant's."""
    made = dataclasses.replace(row, method="POST", ok=201, build=plain("/v1/webhooks", {"url": PUBLIC_HOOK,
                                                                                         "enabled": False}))
    webhook_in_own_tenant(world, made, mine, theirs)


def sessions_only_own(world: World, row: Row, mine: str, theirs: str) -> None:
    """`GET /v1/sessions` lists one's own sessions, never another tenant's."""
    own, other = world.session(mine)["session_id"], world.session(theirs)["session_id"]
    listed = {t: {s["session_id"] for s in world.as_(t, "admin", "GET", "/v1/sessions", params={"limit": 200})
                  .json()["sessions"]} for t in (mine, theirs)}
    assert own in listed[mine] and other in listed[theirs] and not listed[mine] & listed[theirs]


def queue_only_own(world: World, row: Row, mine: str, theirs: str) -> None:
    """The queue lists only one's own cases, and `next` never takes another tenant's."""
    own, other = world.case(mine), world.case(theirs)
    listed = {t: world.as_(t, "admin", "GET", "/v1/cases", params={"status": "waiting", "limit": 200}).json()
              for t in (mine, theirs)}
    mine_ids = {c["session_id"] for c in listed[mine]["cases"]}
    theirs_ids = {c["session_id"] for c in listed[theirs]["cases"]}
    assert own in mine_ids and other in theirs_ids and not mine_ids & theirs_ids
    if row.path == "/v1/cases/next":
        for _ in range(300):
            taken = world.send(row.method, Call(row.path), world.keys[mine]["admin"])
            if taken.status_code == 204:
                break
            assert taken.json()["session_id"] not in theirs_ids
        else:
            pytest.fail("the queue never ran dry")
        left = world.as_(theirs, "admin", "GET", f"/v1/cases/{other}").json()
        assert (left["case"]["status"], left["case"]["assignee"]) == ("waiting", None)


P = Permission
SDK_TOKEN = unknown_to_others("session.invalid_token", status=401)
ROUTES = [
    Row("GET", "/v1/journeys", P.JOURNEYS_READ, 200, plain("/v1/journeys"), same_for_every_tenant),
    Row("POST", "/v1/sessions", P.SESSIONS_WRITE, 201, plain("/v1/sessions", {"journey": "signal_probe"}),
        session_in_own_tenant),
    Row("GET", "/v1/sessions", P.SESSIONS_READ, 200, plain("/v1/sessions"), sessions_only_own),
    Row("GET", "/v1/sessions/{session_id}", P.SESSIONS_READ, 200, of_session(), unknown_to_others("session.not_found")),
    Row("DELETE", "/v1/sessions/{session_id}", P.SESSIONS_WRITE, 200, of_session(),
        unknown_to_others("session.not_found")),
    Row("POST", "/v1/sessions/{session_id}/tokens", P.SESSIONS_WRITE, 201, of_session("/tokens"),
        unknown_to_others("session.not_found")),
    Row("POST", "/v1/sessions/{session_id}/handoffs", P.SESSIONS_WRITE, 201, of_session("/handoffs"),
        unknown_to_others("session.not_found")),
    Row("POST", "/v1/handoffs/exchange", None, 201, a_handoff_code, the_code_is_the_credential, open=True),
    Row("POST", "/v1/sessions/{session_id}/signals", P.SESSIONS_WRITE, 200,
        of_session("/signals", json={"name": "reviewed"}), unknown_to_others("session.not_found")),
    Row("GET", "/v1/sessions/{session_id}/files/{file_id}", P.FILES_READ, 307, of_file(),
        unknown_to_others("session.not_found")),
    Row("GET", "/v1/sessions/{session_id}/files/{file_id}/url", P.FILES_READ, 200, of_file("/url"),
        unknown_to_others("session.not_found")),
    Row("POST", "/v1/sessions/{session_id}/files", None, 201,
        of_session("/files", content=JPEG, headers={"Content-Type": "image/jpeg"}), SDK_TOKEN),
    Row("POST", "/v1/sessions/{session_id}/uploads", None, 201,
        of_session("/uploads", json={"content_type": "image/jpeg", "filename": "a.jpg"}), SDK_TOKEN),
    Row("POST", "/v1/keys", P.KEYS_MANAGE, 201, plain("/v1/keys", {"name": "made", "role": "integrator"}),
        key_in_own_tenant),
    Row("GET", "/v1/keys", P.KEYS_MANAGE, 200, plain("/v1/keys"), lists_only_own("keys")),
    Row("POST", "/v1/keys/{key_id}/rotate", P.KEYS_MANAGE, 201, of_key("/rotate", {"grace_seconds": 60}),
        unknown_to_others("key.not_found")),
    Row("DELETE", "/v1/keys/{key_id}", P.KEYS_MANAGE, 200, of_key(), unknown_to_others("key.not_found")),
    Row("GET", "/v1/audit", P.AUDIT_READ, 200, plain("/v1/audit"), lists_only_own("entries")),
    Row("GET", "/v1/cases", P.CASES_READ, 200, plain("/v1/cases"), queue_only_own),
    Row("POST", "/v1/cases/next", P.CASES_WORK, 200, with_a_waiting_case("/v1/cases/next"), queue_only_own),
    Row("GET", "/v1/cases/{session_id}", P.CASES_READ, 200, of_case(), unknown_to_others("case.not_found")),
    Row("POST", "/v1/cases/{session_id}/claim", P.CASES_WORK, 200, of_case("/claim"),
        unknown_to_others("case.not_found")),
    Row("POST", "/v1/cases/{session_id}/assign", P.CASES_MANAGE, 200, of_case("/assign", "own admin"),
        unknown_to_others("case.not_found")),
    Row("POST", "/v1/cases/{session_id}/release", P.CASES_WORK, 200, of_case("/release"),
        unknown_to_others("case.not_found")),
    Row("POST", "/v1/cases/{session_id}/decision", P.CASES_WORK, 200,
        of_case("/decision", {"action": "reject", "reason": "other"}, claim_as="reviewer"),
        unknown_to_others("case.not_found")),
    Row("POST", "/v1/cases/{session_id}/notes", P.CASES_WORK, 201, of_case("/notes", {"text": "seen"}),
        unknown_to_others("case.not_found")),
    Row("POST", "/v1/webhooks", P.WEBHOOKS_MANAGE, 201,
        plain("/v1/webhooks", {"url": PUBLIC_HOOK, "enabled": False}), webhook_in_own_tenant),
    Row("GET", "/v1/webhooks", P.WEBHOOKS_MANAGE, 200, plain("/v1/webhooks"), webhooks_listed_only_own),
    Row("GET", "/v1/webhooks/{webhook_id}", P.WEBHOOKS_MANAGE, 200, of_webhook(),
        unknown_to_others("webhook.not_found")),
    Row("PATCH", "/v1/webhooks/{webhook_id}", P.WEBHOOKS_MANAGE, 200, of_webhook(json={"description": "changed"}),
        unknown_to_others("webhook.not_found")),
    Row("DELETE", "/v1/webhooks/{webhook_id}", P.WEBHOOKS_MANAGE, 200, of_webhook(),
        unknown_to_others("webhook.not_found")),
    Row("POST", "/v1/webhooks/{webhook_id}/rotate-secret", P.WEBHOOKS_MANAGE, 201, of_webhook("/rotate-secret"),
        unknown_to_others("webhook.not_found")),
    Row("GET", "/v1/webhooks/{webhook_id}/deliveries", P.WEBHOOKS_MANAGE, 200, of_webhook("/deliveries"),
        unknown_to_others("webhook.not_found")),
    Row("POST", "/v1/webhooks/{webhook_id}/deliveries/{event_id}/redeliver", P.WEBHOOKS_MANAGE, 202,
        of_webhook("/deliveries/{event_id}/redeliver", delivered=True), unknown_to_others("webhook.not_found")),
]


def row_id(row: Row) -> str:
    return f"{row.method} {row.path}"


def covered_elsewhere(path: str) -> bool:
    """Routes whose access is tested by their own modules: health checks and the API's reference (open to all,
    tests/server/test_openapi.py), /metrics (open unless turned off, tests/server/test_metrics.py), the back office (tests/server/backoffice/), the Rekognition-compatible API
    (SigV4 or a key, tests/server/test_faces_api.py), and the web SDK's public files and pages with the loopback-only
    demo page (tests/server/test_web_routes.py)."""
    return path in ("/healthz", "/readyz", "/", "/openapi.json", "/docs", "/metrics", "/continue") or path.startswith(
        ("/backoffice", "/v1/faces/", "/sdk/web/", "/pages/", "/demo"))


def test_the_table_has_one_row_for_every_route_of_the_app(tmp_path: Path) -> None:
    application = Application(load_settings({"ARABESQUE_DATA_DIR": str(tmp_path)}))
    declared: set[tuple[str, str]] = set()
    for route in application.starlette.routes:
        methods = getattr(route, "methods", None) or {"*"}
        declared |= {(method, route.path) for method in methods - {"HEAD"} if not covered_elsewhere(route.path)}
    tabled = [(row.method, row.path) for row in ROUTES]
    assert len(tabled) == len(set(tabled))
    assert {"missing from the table": declared - set(tabled), "not a route": set(tabled) - declared} == {
        "missing from the table": set(), "not a route": set()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, s3: S3Server) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("access")
    (folder / "journeys").mkdir()
    (folder / "journeys" / "signal_probe.yaml").write_text(SIGNAL_JOURNEY)
    (folder / "journeys" / "case_probe.yaml").write_text(CASE_JOURNEY)
    server = Server(folder / "data", {**s3.env("access-matrix"), **UNLIMITED, "ARABESQUE_TENANT": ALPHA,
                                      "ARABESQUE_JOURNEYS_DIR": str(folder / "journeys")}).start()
    try:
        world = World(server)
        world.keys[ALPHA] = {"admin": API_KEY}  # the bootstrap key is an admin of ARABESQUE_TENANT
        made = server.cli("keys", "create", "--tenant", BETA, "--name", "beta admin", "--role", "admin")
        world.keys[BETA] = {"admin": made.stdout.strip()}
        for tenant in (ALPHA, BETA):
            for role in ("integrator", "reviewer"):
                response = world.as_(tenant, "admin", "POST", "/v1/keys", json={"name": role, "role": role})
                assert response.status_code == 201, response.text
                world.keys[tenant][role] = response.json()["api_key"]
        yield world
    finally:
        server.stop()


@pytest.mark.parametrize("row", ROUTES, ids=row_id)
@pytest.mark.parametrize(("mine", "theirs"), DIRECTIONS)
def test_a_tenant_reaches_nothing_of_another_tenant(world: World, row: Row, mine: str, theirs: str) -> None:
    row.isolation(world, row, mine, theirs)


@pytest.mark.parametrize("row", ROUTES, ids=row_id)
@pytest.mark.parametrize("role", KEY_ROLES)
def test_each_role_gets_a_route_only_with_its_permission(world: World, row: Row, role: KeyRole) -> None:
    response = world.send(row.method, row.build(world, ALPHA), world.keys[ALPHA][role])
    if row.open:  # a key is not what opens it, and grants nothing more
        assert response.status_code == row.ok, response.text
    elif row.permission is None:  # an API key of any role is not a session token
        assert (response.status_code, response.json()["code"]) == (401, "session.invalid_token"), response.text
    elif row.permission in ROLE_PERMISSIONS[role]:
        assert response.status_code == row.ok, response.text
    else:
        assert (response.status_code, response.json()["code"]) == (403, "auth.forbidden"), response.text
        assert response.json()["details"] == {"permission": row.permission.value, "role": role}
