"""The back office in Chromium (Playwright, Debian's browser), on a real server with demo journeys in review.

Several demo clients walk kyc_individual to manual review at once; a reviewer works them in the pages and
through the JSON API with the login cookie; the demo client of the case sees the retake screen the reviewer
asked for, resubmits, and ends approved. A viewer and another tenant's reviewer see what they may see.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from demo_client.client import DemoClient, load_scenario
from tests.server.backoffice.helpers import PASSWORD, create_users, save_screenshot
from tests.server.live import API_KEY, Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
JOURNEYS = 4
"""demo journeys in review at the same time"""


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("backoffice"), {"ARABESQUE_WORKERS": "2"}).start()
    create_users(running, ("rita@example.com", "reviewer", "default"), ("vic@example.com", "viewer", "default"),
                 ("olga@example.com", "reviewer", "other"))
    yield running
    running.stop()


class Journey:
    """One demo client walking kyc_individual's `review` scenario (a politically exposed person) in the
    background, waiting for a reviewer in review; its printed screens land in `out`."""

    def __init__(self, server: Server, images: dict[str, Path]) -> None:
        self.out = io.StringIO()
        self.client = DemoClient(server=server.url, api_key=API_KEY, journey="kyc_individual",
                                 scenario=load_scenario("kyc_individual", "review"), images=images, out=self.out,
                                 timeout=170, review="wait")
        self.run = asyncio.create_task(self.client.run())

    async def session_id(self) -> str:
        while not self.client.session_id:
            assert not self.run.done(), self.out.getvalue()
            await asyncio.sleep(0.05)
        return self.client.session_id

    async def saw(self, text: str, timeout: float = 60) -> None:
        async with asyncio.timeout(timeout):
            while text not in self.out.getvalue():
                assert not self.run.done(), self.out.getvalue()
                await asyncio.sleep(0.1)


async def in_review(server: Server, session_ids: list[str], timeout: float = 120) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}) as api, \
            asyncio.timeout(timeout):
        while True:
            states = [(await api.get(f"/v1/sessions/{s}")).json()["state"] for s in session_ids]
            if all(state == "manual_review" for state in states):
                return
            await asyncio.sleep(0.3)


async def log_in(browser: Browser, server: Server, email: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    await page.goto(f"{server.url}/backoffice")
    assert "/backoffice/login" in page.url  # no login yet: the login page
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{server.url}/backoffice")
    await page.wait_for_selector("body[data-live=connected]")
    return context, page


async def csrf(page: Page) -> str:
    token = await page.get_attribute("meta[name=csrf-token]", "content")
    assert token
    return token


async def test_a_reviewer_works_demo_journeys_in_review_and_the_user_sees_the_retake_screen(
        office: Server, images: dict[str, Path], tmp_path: Path) -> None:
    journeys = [Journey(office, images) for _ in range(JOURNEYS)]
    session_ids = [await j.session_id() for j in journeys]
    await in_review(office, session_ids)
    first, target = journeys[0], session_ids[0]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _, page = await log_in(browser, office, "rita@example.com")
        for session_id in session_ids:
            await page.wait_for_selector(f'tr[data-session="{session_id}"]')
        save_screenshot(await page.screenshot(full_page=True), tmp_path, "backoffice-queue.png")

        reference = await page.inner_text(f'tr[data-session="{target}"] td a')
        await page.fill("input[name=q]", reference)
        await page.click("#filters button[type=submit]")
        await page.wait_for_url("**q=*")
        assert await page.locator("tr.case-row").count() == 1

        await page.click(f'tr[data-session="{target}"] td a')
        await page.wait_for_selector("#claim")
        assert await page.locator("#approve").count() == 0  # nobody's case yet: no decision buttons
        await page.click("#claim")
        await page.wait_for_selector("#approve")
        await page.wait_for_selector("#captures img.zoomable")
        assert await page.evaluate("document.querySelector('#captures img.zoomable').naturalWidth") > 0
        await page.click("#captures img.zoomable")
        assert await page.locator("img.zoomable.zoomed").count() == 1
        save_screenshot(await page.screenshot(full_page=True), tmp_path, "backoffice-case.png")

        await page.check("#item-document_front")
        await page.click("#request-changes")
        await page.wait_for_selector("#flash")
        await page.fill("#note-text", "half-typed note")  # being typed while the case changes underneath
        await first.saw("== screen redo_document_front")  # the user's SDK got the retake screen, live
        async with asyncio.timeout(60):  # back in review after the resubmission: the page swapped itself in
            while (await page.inner_text("#case-round"), await page.inner_text("#case-status")) not in (
                    ("2", "Waiting"), ("2", "Assigned")):
                await asyncio.sleep(0.1)
        assert int(await page.evaluate("document.body.dataset.refreshes")) >= 1
        assert await page.input_value("#note-text") == "half-typed note"
        if await page.locator("#claim").count():
            await page.click("#claim")
        await page.click("#approve")
        await page.wait_for_selector("#case-outcome")
        assert await asyncio.wait_for(first.run, 60) == "approved"
        assert office.session(target)["outcome"] == "approved"
        with office.api() as api:  # every step of the loop is in the audit log, in order
            trail = api.get("/v1/audit", params={"subject_id": target, "limit": 500}).json()["entries"]
            viewed = api.get("/v1/audit", params={"action": "file.viewed", "limit": 500}).json()["entries"]
        steps = [(e["actor"].partition(":")[0], e["action"], (e["after"] or {}).get("action")) for e in reversed(trail)]
        assert [s for s in steps if s[1] != "case.claimed"] == [
            ("system", "case.opened", None), ("user", "case.decided", "request_changes"),
            ("system", "case.resubmitted", None), ("user", "case.decided", "approve")]
        assert steps[1] == ("user", "case.claimed", None)
        assert {e["details"]["session_id"] for e in viewed} >= {target}  # the images the reviewer looked at

        # the others: through the JSON API with the login cookie and its CSRF header, all at once
        cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
        token = await csrf(page)
        async with httpx.AsyncClient(base_url=office.url, cookies={"arabesque_session": cookies["arabesque_session"]},
                                     headers={"X-CSRF-Token": token}, timeout=30) as api:

            async def decide(session_id: str, action: str) -> None:
                assert (await api.post(f"/v1/cases/{session_id}/claim")).status_code == 200
                reason = (await api.get(f"/v1/cases/{session_id}")).json()["options"]["reject_reasons"][0]["code"]
                body = {"action": action, **({"reason": reason} if action == "reject" else {})}
                answer = await api.post(f"/v1/cases/{session_id}/decision", json=body)
                assert answer.status_code == 200, answer.text

            viewer_context, viewer = await log_in(browser, office, "vic@example.com")
            await viewer.goto(f"{office.url}/backoffice/cases/{session_ids[1]}")
            await viewer.wait_for_selector("#timeline")
            for button in ("#claim", "#approve", "#reject", "#request-changes", "#note-text"):
                assert await viewer.locator(button).count() == 0, button
            refused = await viewer.request.post(f"{office.url}/v1/cases/{session_ids[1]}/decision",
                                                data={"action": "approve"}, headers={"X-CSRF-Token": await csrf(viewer)})
            assert refused.status == 403 and (await refused.json())["code"] == "auth.forbidden"
            await viewer_context.close()

            _, other = await log_in(browser, office, "olga@example.com")
            assert await other.locator("#queue-empty").count() == 1  # another tenant's cases do not exist here

            actions = ["approve", "reject", "approve"]
            await asyncio.gather(*(decide(s, a) for s, a in zip(session_ids[1:], actions, strict=True)))
        outcomes = await asyncio.wait_for(asyncio.gather(*(j.run for j in journeys[1:])), 60)
        assert list(outcomes) == ["approved", "rejected", "approved"]
        await browser.close()


async def test_the_queue_shows_a_new_case_without_a_reload(office: Server, images: dict[str, Path],
                                                           tmp_path: Path) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _, page = await log_in(browser, office, "rita@example.com")
        await page.evaluate("window.stillTheSamePage = true")
        journey = Journey(office, images)
        session_id = await journey.session_id()
        await page.wait_for_selector(f'tr[data-session="{session_id}"] .badge-waiting', timeout=90_000)
        assert await page.evaluate("window.stillTheSamePage") is True
        save_screenshot(await page.screenshot(full_page=True), tmp_path, "backoffice-queue-live.png")
        journey.run.cancel()
        await browser.close()
