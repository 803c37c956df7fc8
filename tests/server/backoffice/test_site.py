"""The back office in process: its routes on a real database, a fake cases service, an httpx client."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import msgspec
import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette

from server.access import Principal
from server.audit import Audit
from server.backoffice import Logins, build_backoffice
from server.backoffice.logins import Login
from server.backoffice.pages import safe_next
from server.backoffice.render import environment
from server.cases.types import ChangeItem, DecisionRequest
from server.db import Database, Repository
from server.db.migrate import upgrade
from server.files import Files
from server.ratelimit import RateLimiter
from server.storage.local import LocalStore
from server.users import Users
from tests.server.backoffice.fakes import FakeCases, detail

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, html[:500]
    return found[1]


class Office:
    def __init__(self, client: httpx.AsyncClient, cases: FakeCases, users: Users, repo: Repository) -> None:
        self.client = client
        self.cases = cases
        self.users = users
        self.repo = repo

    async def user(self, email: str, role: str, tenant: str = "default") -> None:
        admin = Principal(tenant=tenant, role="admin", actor="cli", name="cli")
        await self.users.create(admin, email=email, role=role, password=PASSWORD)

    async def log_in(self, email: str) -> str:
        """Log in through the form; the CSRF token of the queue page."""
        form = await self.client.get("/backoffice/login")
        done = await self.client.post("/backoffice/login", data={"email": email, "password": PASSWORD,
                                                                 "csrf_token": csrf_of(form.text), "next": ""})
        assert done.status_code == 303, done.text
        return csrf_of((await self.client.get("/backoffice")).text)


@pytest.fixture
async def office(tmp_path: Path) -> AsyncIterator[Office]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    await asyncio.to_thread(upgrade, url)
    repo = Repository(Database(url))

    def clock() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    audit = Audit(repo, clock)
    users = Users(repo, audit, clock, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    logins = Logins(repo, users, audit, clock, ttl=dt.timedelta(hours=8), cookie_secure="auto",
                    limiter=RateLimiter(100, 100, what="IP address (back-office logins)"))

    async def active(session_id: str) -> None:
        return None

    files = Files(repo=repo, store=LocalStore(tmp_path / "documents"), active=active, audit=audit, clock=clock,
                  default_tenant="default", max_upload_bytes=1_000_000, presign_ttl=dt.timedelta(minutes=5))
    cases = FakeCases()
    app = Starlette(routes=build_backoffice(logins=logins, cases=cases, users=users, files=files, audit=audit))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield Office(client, cases, users, repo)
    await repo.close()


async def test_a_page_without_a_login_redirects_to_the_login_page(office: Office) -> None:
    response = await office.client.get("/backoffice/cases/s_1?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/backoffice/login?next=%2Fbackoffice%2Fcases%2Fs_1%3Fx%3D1"
    assert (await office.client.get("/backoffice/queue")).status_code == 401  # a fragment: the script reloads


async def test_a_reviewer_claims_and_requests_changes_through_the_forms(office: Office) -> None:
    office.cases.add(detail("s_1"))
    await office.user("rita@example.com", "reviewer")
    csrf = await office.log_in("rita@example.com")
    page = await office.client.get("/backoffice/cases/s_1")
    assert 'id="claim"' in page.text and 'id="approve"' not in page.text  # not hers yet: cannot decide
    claimed = await office.client.post("/backoffice/cases/s_1/claim", data={"csrf_token": csrf})
    assert claimed.status_code == 303 and claimed.headers["location"] == "/backoffice/cases/s_1"
    page = await office.client.get("/backoffice/cases/s_1")
    assert "Claimed: the case is yours." in page.text and 'id="approve"' in page.text
    assert "arabesque_flash" not in office.client.cookies  # shown once
    asked = await office.client.post("/backoffice/cases/s_1/decision", data={
        "csrf_token": csrf, "action": "request_changes", "expected_version": "2", "items": ["document_front"],
        "reason_document_front": "blurry", "reason_selfie": "glare"})
    assert asked.status_code == 303
    assert office.cases.decisions == [("s_1", DecisionRequest(action="request_changes", expected_version=2, items=[
        ChangeItem(item="document_front", reason="blurry")]))]


async def test_a_form_post_without_the_logins_csrf_token_changes_nothing(office: Office) -> None:
    office.cases.add(detail("s_1"))
    await office.user("rita@example.com", "reviewer")
    await office.log_in("rita@example.com")
    for data in ({}, {"csrf_token": "forged"}):
        refused = await office.client.post("/backoffice/cases/s_1/claim", data=data)
        assert refused.status_code == 403 and 'data-code="auth.csrf_failed"' in refused.text
    assert office.cases.details["s_1"].case.assignee is None


async def test_a_refusal_comes_back_as_a_flash_with_its_code(office: Office) -> None:
    office.cases.add(detail("s_1"))
    await office.user("rita@example.com", "reviewer")
    csrf = await office.log_in("rita@example.com")
    refused = await office.client.post("/backoffice/cases/s_1/decision", data={"csrf_token": csrf,
                                                                               "action": "approve"})
    assert refused.status_code == 303
    page = await office.client.get(refused.headers["location"])
    assert 'data-code="case.not_assignee"' in page.text
    invalid = await office.client.post("/backoffice/cases/s_1/decision", data={"csrf_token": csrf, "action": "x"})
    assert 'data-code="request.invalid"' in (await office.client.get(invalid.headers["location"])).text


async def test_a_viewer_reads_but_sees_no_work_buttons_and_is_refused_work(office: Office) -> None:
    office.cases.add(detail("s_1"))
    await office.user("vic@example.com", "viewer")
    csrf = await office.log_in("vic@example.com")
    page = await office.client.get("/backoffice/cases/s_1")
    assert page.status_code == 200 and "Eileen Collins" in page.text
    for button in ('id="claim"', 'id="approve"', 'id="reject"', 'id="request-changes"', 'id="note-text"',
                   'id="next-case"'):
        assert button not in page.text
    refused = await office.client.post("/backoffice/cases/s_1/claim", data={"csrf_token": csrf})
    assert 'data-code="auth.forbidden"' in (await office.client.get(refused.headers["location"])).text
    assert office.cases.details["s_1"].case.assignee is None


async def test_the_queue_filters_and_the_next_case_button_claims_the_oldest(office: Office) -> None:
    office.cases.add(detail("s_1", tenant_name="Ada Lovelace"))
    office.cases.add(detail("s_2", tenant_name="Grace Hopper"))
    await office.user("rita@example.com", "reviewer")
    csrf = await office.log_in("rita@example.com")
    found = await office.client.get("/backoffice", params={"q": "grace", "assignee": "any"})
    assert "Grace Hopper" in found.text and "Ada Lovelace" not in found.text
    assert 'name="q" value="grace"' in found.text
    bad = await office.client.get("/backoffice", params={"status": "nonsense"})
    assert bad.status_code == 400 and 'data-code="request.invalid"' in bad.text
    claimed = await office.client.post("/backoffice/next", data={"csrf_token": csrf})
    assert claimed.headers["location"] == "/backoffice/cases/s_1"
    assert office.cases.details["s_1"].case.assignee is not None


def test_the_case_page_renders_every_part_of_a_case_from_the_structs() -> None:
    found = detail("s_9")
    principal = Principal(tenant="default", role="reviewer", actor="user:u1", name="rita@example.com")
    html = environment().get_template("_case_body.html").render(
        detail=msgspec.structs.replace(found, can_decide=True),
        case=found.case, me="user:u1", assignees=[], principal=principal,
        login=Login(principal=principal, csrf_token="tok", id_hash="h", expires_at=dt.datetime.now(dt.UTC)), csrf_field="csrf_token",
        can_work=True, can_manage=False)
    assert '/backoffice/cases/s_9/files/f_front' in html and '/backoffice/cases/s_9/files/f_selfie' in html
    assert 'data-check="glare"' in html and "0.31" in html and "0.2" in html and "fail" in html
    assert 'id="face-similarity">71.2<' in html and 'id="face-verdict">Review<' in html
    assert "is_pep" in html and "manual_review" in html
    assert 'value="document_forged"' in html and 'name="reason_document_back"' in html


async def test_an_admin_assigns_a_case_to_a_reviewer_of_the_tenant(office: Office) -> None:
    office.cases.add(detail("s_1"))
    await office.user("rita@example.com", "reviewer")
    await office.user("ann@example.com", "admin")
    csrf = await office.log_in("ann@example.com")
    page = await office.client.get("/backoffice/cases/s_1")
    rita = next(u for u in await office.users.list("default") if u.email == "rita@example.com")
    assert f'<option value="user:{rita.id}"' in page.text
    done = await office.client.post("/backoffice/cases/s_1/assign", data={"csrf_token": csrf,
                                                                          "assignee": f"user:{rita.id}"})
    assert done.status_code == 303 and office.cases.details["s_1"].case.assignee == f"user:{rita.id}"


def test_after_logging_in_the_browser_goes_only_to_a_back_office_page() -> None:
    assert safe_next("/backoffice/cases/s_1?x=1") == "/backoffice/cases/s_1?x=1"
    for target in ("//evil.example/backoffice", "https://evil.example", "/backoffice\\..\\x", "/other", "", None):
        assert safe_next(target) == "/backoffice"
