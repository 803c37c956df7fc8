"""Every back-office route against a real server with two tenants: another tenant's case answers as an unknown
one does and stays as it was, and each role (reviewer, admin, viewer) gets only what its permissions allow."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.access import ROLE_PERMISSIONS, Permission
from server.app import Application
from server.settings import load_settings
from tests.server.backoffice.helpers import create_users, log_in
from tests.server.live import API_KEY, Server
from tests.server.test_access_matrix import CASE_JOURNEY, JPEG

TENANTS = ("default", "other")
FLASH_CODE = re.compile(r'id="flash"[^>]*data-code="([^"]+)"')
P = Permission


@dataclasses.dataclass(frozen=True)
class Route:
    method: str
    path: str
    """with {case} and {file} where a case's session id and one of its files go"""
    permission: Permission
    form: dict[str, str] = dataclasses.field(default_factory=dict)


ROUTES = [
    Route("GET", "/backoffice/cases/{case}", P.CASES_READ),
    Route("GET", "/backoffice/cases/{case}/fragment", P.CASES_READ),
    Route("GET", "/backoffice/cases/{case}/files/{file}", P.FILES_READ),
    Route("POST", "/backoffice/cases/{case}/claim", P.CASES_WORK),
    Route("POST", "/backoffice/cases/{case}/release", P.CASES_WORK),
    Route("POST", "/backoffice/cases/{case}/assign", P.CASES_MANAGE, {"assignee": "api_key:ak_default"}),
    Route("POST", "/backoffice/cases/{case}/decision", P.CASES_WORK, {"action": "reject", "reason": "other"}),
    Route("POST", "/backoffice/cases/{case}/notes", P.CASES_WORK, {"text": "seen"}),
]
LISTS = [Route("GET", "/backoffice", P.CASES_READ), Route("GET", "/backoffice/queue", P.CASES_READ),
         Route("POST", "/backoffice/next", P.CASES_WORK)]
OPEN = {("GET", "/backoffice/login"), ("POST", "/backoffice/login"), ("POST", "/backoffice/logout"),
        ("GET", "/backoffice/static/vendor/socket.io.min.js")}
"""the login page and form, logout (any login may end itself) and the pages' script"""


class Office:
    def __init__(self, server: Server, keys: dict[str, str]) -> None:
        self.server = server
        self.keys = keys
        self.logins: dict[tuple[str, str], tuple[httpx.Client, str]] = {}

    def as_(self, tenant: str, role: str) -> tuple[httpx.Client, str]:
        if (tenant, role) not in self.logins:
            self.logins[(tenant, role)] = log_in(self.server, f"{role}@{tenant}.example", ip=f"10.7.{len(self.logins)}.1")
        return self.logins[(tenant, role)]

    def case(self, tenant: str) -> tuple[str, str]:
        """A case waiting in `tenant`, and a file of its session."""
        api = httpx.Client(base_url=self.server.url, headers={"Authorization": f"Bearer {self.keys[tenant]}"})
        session = api.post("/v1/sessions", json={"journey": "case_probe"}).json()
        uploaded = httpx.post(f"{self.server.url}/v1/sessions/{session['session_id']}/files", content=JPEG,
                              headers={"Authorization": f"Bearer {session['token']}", "Content-Type": "image/jpeg"})
        assert uploaded.status_code == 201, uploaded.text
        moved = api.post(f"/v1/sessions/{session['session_id']}/signals", json={"name": "to_review"})
        assert moved.json()["status"] == "review", moved.text
        return session["session_id"], uploaded.json()["file_id"]

    def state(self, tenant: str, session_id: str) -> object:
        with httpx.Client(base_url=self.server.url, headers={"Authorization": f"Bearer {self.keys[tenant]}"}) as api:
            found = api.get(f"/v1/cases/{session_id}").json()
        return found["case"], found["notes"], found["session_status"]

    def send(self, route: Route, tenant: str, role: str, case: str, file: str) -> httpx.Response:
        client, csrf = self.as_(tenant, role)
        path = route.path.format(case=case, file=file)
        if route.method == "GET":
            return client.get(path)
        return client.post(path, data={"csrf_token": csrf, **route.form}, follow_redirects=True)


def refusal(response: httpx.Response) -> tuple[int, str | None]:
    """(status, code): a page's error status, or the code of the flash a refused form post came back with."""
    flash = FLASH_CODE.search(response.text)
    return response.status_code, flash[1] if flash else None


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    folder = tmp_path_factory.mktemp("backoffice-access")
    (folder / "journeys").mkdir()
    (folder / "journeys" / "case_probe.yaml").write_text(CASE_JOURNEY)
    server = Server(folder / "data", {"ARABESQUE_JOURNEYS_DIR": str(folder / "journeys"),
                                      "ARABESQUE_LOGIN_RATE_PER_MINUTE": "600", "ARABESQUE_LOGIN_RATE_BURST": "100",
                                      "ARABESQUE_API_RATE_PER_SECOND": "1000", "ARABESQUE_API_RATE_BURST": "1000"}
                    ).start()
    try:
        other_key = server.cli("keys", "create", "--tenant", "other", "--name", "other admin", "--role",
                               "admin").stdout.strip()
        create_users(server, *((f"{role}@{tenant}.example", role, tenant) for tenant in TENANTS
                               for role in ("reviewer", "admin", "viewer")))
        yield Office(server, {"default": API_KEY, "other": other_key})
    finally:
        server.stop()


def test_every_back_office_route_is_in_this_table(tmp_path: Path) -> None:
    application = Application(load_settings({"ARABESQUE_DATA_DIR": str(tmp_path)}))
    declared = {(method, route.path) for route in application.asgi.routes
                if route.path.startswith("/backoffice") and route.path != "/backoffice/static"
                for method in (getattr(route, "methods", None) or set()) - {"HEAD"}}
    tabled = {(r.method, r.path.replace("{case}", "{session_id}").replace("{file}", "{file_id}"))
              for r in [*ROUTES, *LISTS]} | OPEN
    assert declared == tabled


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
@pytest.mark.parametrize(("mine", "theirs"), [("default", "other"), ("other", "default")])
def test_another_tenants_case_answers_as_an_unknown_one_and_stays_as_it_was(office: Office, route: Route, mine: str,
                                                                           theirs: str) -> None:
    case, file = office.case(theirs)
    before = office.state(theirs, case)
    crossed = office.send(route, mine, "admin", case, file)
    unknown = office.send(route, mine, "admin", "s_unknownxunknownyunknown", file)
    if route.method == "GET":
        assert crossed.status_code == unknown.status_code == 404
        assert "case.not_found" in crossed.text and "case.not_found" in unknown.text
    else:
        assert refusal(crossed) == refusal(unknown) == (404, "case.not_found")  # back to a page that is not there
    assert office.state(theirs, case) == before


@pytest.mark.parametrize("route", LISTS, ids=lambda r: f"{r.method} {r.path}")
def test_the_queue_and_next_case_hold_only_the_tenants_own(office: Office, route: Route) -> None:
    theirs, _ = office.case("other")
    before = office.state("other", theirs)
    for _ in range(3):
        answer = office.send(route, "default", "admin", "", "")
        assert answer.status_code == 200 and theirs not in answer.text
    assert office.state("other", theirs) == before
    if route.path != "/backoffice/next":
        assert theirs in office.send(route, "other", "admin", "", "").text
        return
    for _ in range(100):  # the other tenant's own "next case" reaches it, after the older ones of that tenant
        office.send(route, "other", "admin", "", "")
        if office.state("other", theirs)[0]["status"] == "assigned":  # type: ignore[index]
            return
    pytest.fail("the tenant's own next case never reached its case")


@pytest.mark.parametrize("route", [*ROUTES, *LISTS], ids=lambda r: f"{r.method} {r.path}")
@pytest.mark.parametrize("role", ["reviewer", "admin", "viewer"])
def test_each_role_gets_a_route_only_with_its_permission(office: Office, route: Route, role: str) -> None:
    case, file = office.case("default")
    if route.permission == P.CASES_WORK and route.path.endswith("decision"):
        office.send(Route("POST", "/backoffice/cases/{case}/claim", P.CASES_WORK), "default", role, case, file)
    before = office.state("default", case)
    answer = office.send(route, "default", role, case, file)
    if route.permission in ROLE_PERMISSIONS[role]:  # type: ignore[index]
        assert refusal(answer) == (200, None), answer.text[:500]
    elif route.method == "GET":
        assert answer.status_code == 403 and "auth.forbidden" in answer.text
    else:
        assert refusal(answer) == (200, "auth.forbidden")
        assert office.state("default", case) == before
