"""The web SDK in Chromium on a real server: whole journeys from the demo page, with the camera (Chromium's fake
device playing pictures the test writes) and without it (permission refused: the file input), every screen saved as
a screenshot, and kyb_business with its owners repeater and company documents."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
from playwright.async_api import Page, Playwright

from demo_client.children import Children
from demo_client.client import load_scenario
from demo_client.scenario import Scenario
from tests.conftest import S3Server
from tests.demo_client.web.browser import Camera, current, launch, walk
from tests.demo_client.web.conftest import start_demo
from tests.server.backoffice.helpers import OUTPUT
from tests.server.live import API_KEY, Server


def session_of(server: Server, session_id: str) -> dict[str, object]:
    answer = httpx.get(f"{server.url}/v1/sessions/{session_id}", headers={"Authorization": f"Bearer {API_KEY}"})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


class Screenshots:
    """Saves a picture of every screen the page shows (waiting ones too), named in order."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.seen: list[str] = []
        self.checks: set[tuple[str, str]] = set()  # (check, status) lines of the waiting screens' checklists
        self.labels: dict[str, str] = {}  # what each line says the check is
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    async def run(self) -> None:
        last = ""
        while True:
            state = await current(self.page)
            for check, status, label in await self.page.locator(".arq-check").evaluate_all(
                    "rows => rows.map(r => [r.dataset.check, r.dataset.status,"
                    " r.querySelector('.arq-check-name').textContent])"):
                self.checks.add((check, status))
                self.labels[check] = label
            # The final screen can be sampled once before its outcome is set and once after: it is one screen,
            # so a sample is saved only when what the page shows is named differently from the last one saved.
            shown = str(state.get("outcome") or state.get("screenId") or "")
            if shown and shown != last:
                last = shown
                name = f"{len(self.seen) + 1:02d}-{shown}.png"
                await self.page.screenshot(path=str(self.folder / name), full_page=True)
                self.seen.append(name)
            await asyncio.sleep(0.05)


async def test_kyc_individual_with_the_camera_is_approved_and_every_screen_is_saved(
        web: Server, images: dict[str, Path], tmp_path: Path, chromium: Playwright) -> None:
    camera = Camera(tmp_path)
    camera.show(images["document_front"])
    browser = await launch(chromium, camera)
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, permissions=["camera"])
    page = await context.new_page()
    await start_demo(page, web, "kyc_individual")
    shots = Screenshots(page, OUTPUT / "web-sdk" / "kyc_individual")
    saving = asyncio.create_task(shots.run())
    try:
        outcome = await walk(page, load_scenario("kyc_individual", "approve"), images, camera)
        await asyncio.sleep(0.3)
    finally:
        saving.cancel()
    await browser.close()
    assert outcome == "approved"
    expected = ["welcome", "personal", "address", "document_choice", "document_front", "check_document_front",
                "document_back", "check_document_back", "selfie", "check_selfie", "consent", "approved"]
    assert [name[3:-4] for name in shots.seen if name[3:-4] in expected] == expected, shots.seen
    # verification.progress, shown as a live checklist while the checks ran
    # (sampled every few tens of milliseconds, so not every status of every check is seen)
    assert "selfie.face_match" in {check for check, _ in shots.checks}, shots.checks
    assert len({check for check, status in shots.checks if status == "passed"}) >= 5, shots.checks
    assert [check for check, label in shots.labels.items() if label == check] == [], shots.labels  # words, not ids


async def test_without_camera_permission_the_photos_come_from_the_file_input_and_a_retake_shows_its_guidance(
        web: Server, images: dict[str, Path], tmp_path: Path, chromium: Playwright) -> None:
    camera = Camera(tmp_path)
    camera.show(images["document_front"])
    browser = await launch(chromium, camera)  # a camera is there,
    context = await browser.new_context()  # but the page gets no permission to use it
    page = await context.new_page()
    await start_demo(page, web, "kyc_individual")
    guidance: dict[str, str] = {}

    async def note_retakes(page: Page, screen: dict[str, str]) -> None:
        if screen.get("screenId", "").startswith("retake_"):
            guidance["alert"] = await page.locator(".arq-view .arq-alert").inner_text()
            guidance["capture"] = await page.locator(".arq-view .arq-guidance").inner_text()

    # the first photo of the front is a degraded one: the server asks for it again, saying why
    outcome = await walk(page, load_scenario("kyc_individual", "retake"), images, None, on_screen=note_retakes)
    await browser.close()
    assert outcome == "approved"  # each capture saw the camera refused, then took the file (browser.capture)
    assert guidance["alert"] and guidance["capture"], guidance


async def test_kyb_business_with_two_owners_and_company_documents_reaches_its_outcome(
        web: Server, images: dict[str, Path], chromium: Playwright) -> None:
    browser = await launch(chromium)
    page = await (await browser.new_context()).new_page()
    await start_demo(page, web, "kyb_business")
    scenario = load_scenario("kyb_business", "approve")
    session_id = await page.locator("#session-info").get_attribute("data-session-id")
    assert session_id
    owners_done = asyncio.create_task(owners_verify(web, session_id, scenario, page))
    outcome = await walk(page, scenario, images, None, timeout=240)
    lines = await owners_done
    await browser.close()
    assert outcome == "approved"
    # the representative's page listed each owner, live: waiting, then verified as each one finished
    assert lines == ["Ada Lovelace: waiting for their verification",
                     "Charles Babbage: waiting for their verification"], lines
    found = session_of(web, session_id)
    owners = found["data"]["ownership"]["owners"]  # type: ignore[index]
    assert [(o["first_name"], o["share"]) for o in owners] == [("Ada", 60), ("Charles", 40)]
    assert [(c["label"], c["outcome"]) for c in found["children"]] == [  # type: ignore[union-attr]
        ("Ada Lovelace", "approved"), ("Charles Babbage", "approved")]


async def owners_verify(web: Server, session_id: str, scenario: Scenario, page: Page) -> list[str]:
    """The owners' own devices (the demo client's child runner) once the page waits for them; the status lines
    the page showed before they started."""
    async with asyncio.timeout(180):
        while session_of(web, session_id)["state"] != "verify_owners":
            await asyncio.sleep(0.2)
        alerts = page.locator(".arq-view .arq-alert")
        await alerts.nth(1).wait_for()
        lines = [text.strip() for text in await alerts.all_inner_texts()]
        runner = Children(server=web.url, api_key=API_KEY, plan=scenario.children, out=io.StringIO(), timeout=120)
        ended = await runner.complete(session_id, 2)
    assert [e.outcome for e in ended] == ["approved", "approved"]
    return lines


async def test_on_s3_storage_the_photos_go_straight_to_the_bucket(
        s3: S3Server, images: dict[str, Path], tmp_path: Path, chromium: Playwright) -> None:
    server = Server(tmp_path / "data", {**s3.env("web-sdk"), "ARABESQUE_DEMO": "on"}).start()
    camera = Camera(tmp_path)
    camera.show(images["document_front"])
    browser = await launch(chromium, camera)  # no permission for it: the photos are files
    try:
        page = await (await browser.new_context()).new_page()
        await start_demo(page, server, "kyc_individual")
        outcome = await walk(page, load_scenario("kyc_individual", "approve"), images, None)
        log = await page.locator("#log").inner_text()
    finally:
        await browser.close()
        server.stop()
    assert outcome == "approved"
    # presigned POST to the bucket, then upload.completed with the SHA-256 the page computed, then verified
    assert log.count("→ upload.completed") == log.count("← upload.verified") == 3, log[-3000:]
