"""The web SDK's screens in Chromium: errors beside their fields (from the browser's checks and from the server's),
a reload that resumes, continuing on a second device through the handoff link, German and Spanish with every string,
and an axe-core scan of every component type."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, Playwright

from demo_client.client import load_scenario
from sdk_protocol import ALL_COMPONENT_TYPES
from tests.demo_client.web.browser import Camera, current, fill, launch, next_screen, submit
from tests.demo_client.web.conftest import start_demo
from tests.server.live import Server

AXE = Path(__file__).resolve().parents[3] / "demo_client" / "web" / "node_modules" / "axe-core" / "axe.min.js"
MESSAGE_KEY = re.compile(r"\b(sdk|error|field|kyc|kyb|common|document|consent|guidance|retake|review)\.[a-z_]")
PERSONAL = {"first_name": "Eileen", "last_name": "Collins", "date_of_birth": "1956-11-19", "nationality": "US",
            "email": "eileen.collins@example.com", "pep": "no"}


async def to_screen(page: Page, screen_id: str) -> None:
    await page.wait_for_selector(f".arabesque[data-screen-id={screen_id}][data-waiting=false]")


async def error_of(page: Page, pointer: str) -> str:
    """The error text shown for the field at `pointer`, checked to be linked to its control (or group)."""
    field = page.locator(f".arq-field[data-pointer='{pointer}']")
    error = field.locator(":scope > .arq-error, :scope > div > .arq-error").first
    await error.wait_for()
    error_id = await error.get_attribute("id")
    described = field.locator(f"[aria-describedby~='{error_id}']")
    assert await described.count() >= 1, f"nothing in {pointer} is described by its error"
    return await error.inner_text()


async def test_errors_show_beside_their_fields_and_a_reload_resumes_the_screen_with_its_values(
        web: Server, chromium: Playwright) -> None:
    browser = await launch(chromium)
    page = await (await browser.new_context()).new_page()
    await start_demo(page, web, "kyc_individual")
    await submit(page)
    await to_screen(page, "personal")
    # the browser's own checks, from the screen's validation: nothing sent yet
    await submit(page)
    assert await error_of(page, "/first_name") == "This field is required."
    assert await page.locator("[name='/first_name']").get_attribute("aria-invalid") == "true"
    assert await page.locator(".arq-summary").is_visible()
    assert await page.evaluate("document.activeElement.classList.contains('arq-summary')")
    for name, value in {**PERSONAL, "email": "not-an-email", "pep": "yes"}.items():
        await fill(page, f"/{name}", value, {}, None)
    assert await page.locator(".arq-field[data-pointer='/pep_role']").is_visible()  # visible_if, in the browser
    await submit(page)
    assert await error_of(page, "/email") == "Enter a valid email address."
    assert await error_of(page, "/pep_role") == "This field is required."  # required_if, in the browser
    assert await page.locator(".arq-field[data-pointer='/first_name'] .arq-error").is_hidden()
    await fill(page, "/email", PERSONAL["email"], {}, None)
    await fill(page, "/pep", "no", {}, None)
    assert await page.locator(".arq-field[data-pointer='/pep_role']").is_hidden()
    await submit(page)
    await to_screen(page, "address")
    # typed but not sent, then the page is reloaded: the same screen comes back with what was typed
    await fill(page, "/line1", "2101 NASA Parkway", {}, None)
    await fill(page, "/city", "Houston", {}, None)
    before = await current(page)
    await page.reload()
    await to_screen(page, "address")
    after = await current(page)
    assert (after["screenId"], after["revision"]) == (before["screenId"], before["revision"])
    assert await page.locator("[name='/line1']").input_value() == "2101 NASA Parkway"
    assert await page.locator("[name='/city']").input_value() == "Houston"
    # the server's errors, with the browser's checks off: placed by their JSON pointers
    await start_demo(page, web, "kyc_individual", client_validation=False)
    await submit(page)
    await to_screen(page, "personal")
    for name, value in {**PERSONAL, "email": "not-an-email", "date_of_birth": "2999-01-01"}.items():
        await fill(page, f"/{name}", value, {}, None)
    await submit(page)
    assert await error_of(page, "/email") == "Enter a valid email address."
    assert (await error_of(page, "/date_of_birth")).startswith("The date must be")
    assert "screen.errors" in await page.locator("#log").inner_text()
    await fill(page, "/email", PERSONAL["email"], {}, None)
    await fill(page, "/date_of_birth", PERSONAL["date_of_birth"], {}, None)
    await submit(page)
    await to_screen(page, "address")
    await browser.close()


async def test_a_second_device_continues_from_the_handoff_link_and_both_follow_along(
        web: Server, chromium: Playwright) -> None:
    browser = await launch(chromium)
    desktop = await (await browser.new_context()).new_page()
    phone = await (await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)).new_page()
    await start_demo(desktop, web, "kyc_individual")
    await submit(desktop)
    await to_screen(desktop, "personal")
    token = await desktop.evaluate("JSON.parse(sessionStorage.getItem('arabesque.demo.session')).token")
    await desktop.click("[data-action=handoff]")
    dialog = desktop.locator("dialog.arq-dialog[open]")
    await dialog.wait_for()
    assert (await dialog.locator("img.arq-qr").get_attribute("src") or "").startswith("data:image/svg+xml")
    link = await dialog.locator("input").input_value()
    assert re.fullmatch(rf"{re.escape(web.url)}/continue#hc_[A-Za-z0-9_-]+", link) and token not in link
    await phone.goto(link)
    await to_screen(phone, "personal")  # the same journey, on its current screen
    assert "#" not in phone.url  # the spent code left the address bar
    await desktop.wait_for_selector(".arabesque[data-handed-off=true]")
    assert await dialog.count() == 0
    for name, value in PERSONAL.items():
        await fill(phone, f"/{name}", value, {}, None)
    await submit(phone)
    await to_screen(phone, "address")
    await to_screen(desktop, "address")  # followed along live
    for name, value in {"line1": "2101 NASA Parkway", "city": "Houston", "postal_code": "77058",
                        "country": "US"}.items():
        await fill(desktop, f"/{name}", value, {}, None)
    await submit(desktop)
    await to_screen(desktop, "document_choice")
    await to_screen(phone, "document_choice")
    # a reload of the phone keeps going without the (spent) link; the link itself works once
    await phone.reload()
    await to_screen(phone, "document_choice")
    third = await (await browser.new_context()).new_page()
    await third.goto(link)
    await third.wait_for_selector("#sdk[data-error='handoff.used']")
    assert await third.locator(".arabesque[data-screen-id]").count() == 0
    said = httpx.get(f"{web.url}/sdk/web/strings/en.json").json()["messages"]["sdk.error.handoff.used"]
    assert (await third.locator("#sdk [role=alert]").inner_text()) == said  # in words for a person
    used = httpx.post(f"{web.url}/v1/handoffs/exchange", json={"code": link.split("#", 1)[1]})
    assert used.status_code == 409 and used.json()["code"] == "handoff.used"
    await browser.close()


@pytest.mark.parametrize("locale", ["de", "es"])
async def test_german_and_spanish_render_with_no_missing_string(
        web: Server, images: dict[str, Path], locale: str, chromium: Playwright) -> None:
    browser = await launch(chromium)
    page = await (await browser.new_context(locale="en-US")).new_page()
    missing: list[str] = []
    page.on("console", lambda message: missing.append(message.text) if "arabesque: no text" in message.text else None)
    strings = httpx.get(f"{web.url}/sdk/web/strings/{locale}.json").json()["messages"]
    english = httpx.get(f"{web.url}/sdk/web/strings/en.json").json()["messages"]
    await start_demo(page, web, "kyc_individual", locale)
    root = page.locator(".arabesque")
    seen: list[str] = []
    scenario = load_scenario("kyc_individual", "approve")
    revision = ""
    while True:
        screen = await next_screen(page, revision)
        revision = screen["revision"]
        screen_id = screen["screenId"]
        seen.append(screen_id)
        assert await root.get_attribute("lang") == locale
        if screen_id == "personal":
            await submit(page)  # every field's error, in the language
            await page.locator(".arq-summary").wait_for()
        if screen_id == "document_front":
            await page.click("[data-action=handoff]")
            await page.locator("dialog.arq-dialog[open]").wait_for()
            text = await page.locator("dialog.arq-dialog").inner_text()
            assert strings["sdk.handoff_title"] in text and english["sdk.handoff_title"] not in text
            await page.locator("dialog.arq-dialog button").last.click()
            await page.locator("[data-role=camera]").click()  # no camera in this browser: said in the language
            await page.wait_for_selector(".arq-field[data-camera]")
        shown = await root.inner_text()
        assert MESSAGE_KEY.search(shown) is None, f"a message key on {screen_id}: {MESSAGE_KEY.search(shown)}"
        if screen_id == "document_front":
            break
        for name, value in scenario.answers[screen_id][0].items():
            await fill(page, f"/{name}", value, images, None)
        await submit(page)
    continue_button = page.locator(".arq-view button[data-action=submit]").first
    assert await continue_button.inner_text() == strings["sdk.continue"] != english["sdk.continue"]
    assert missing == []
    assert seen == ["welcome", "personal", "address", "document_choice", "document_front"]
    await browser.close()


async def axe_violations(page: Page) -> list[str]:
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    found = await page.evaluate("""async () => {
        const result = await axe.run(document.querySelector('.arabesque'), {resultTypes: ['violations']});
        return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
    }""")
    return list(found)


async def test_every_component_type_passes_an_axe_scan_with_no_serious_violation(
        web: Server, images: dict[str, Path], tmp_path: Path, chromium: Playwright) -> None:
    camera = Camera(tmp_path)
    camera.show(images["document_front"])
    browser = await launch(chromium, camera)
    page = await (await browser.new_context(permissions=["camera"])).new_page()
    await start_demo(page, web, "component_gallery")
    await to_screen(page, "everything")
    types = set(await page.locator(".arabesque [data-type]").evaluate_all("els => els.map(e => e.dataset.type)"))
    assert types | {"content.heading", "content.paragraph", "content.alert", "action.button"} == ALL_COMPONENT_TYPES
    assert await page.locator(".arq-view h1, .arq-view .arq-paragraph, .arq-view .arq-alert, "
                              ".arq-view button[data-action=submit]").count() >= 4
    scans = {"every component": await axe_violations(page)}
    await page.locator(".arq-view button[data-action=submit]").first.click()
    await page.locator(".arq-summary").wait_for()
    scans["with every error shown"] = await axe_violations(page)
    await page.locator(".arq-field[data-pointer='/owners'] > button").click()  # a second owner
    await page.locator(".arq-field[data-pointer='/front'] [data-role=camera]").click()
    await page.locator(".arq-field[data-pointer='/front'] video").wait_for()
    scans["camera open, two owners"] = await axe_violations(page)
    await page.locator(".arq-field[data-pointer='/front'] [data-role=shoot]").click()
    await page.wait_for_selector(".arq-field[data-pointer='/front'][data-file-id]")
    scans["photo uploaded"] = await axe_violations(page)
    await page.click("[data-action=handoff]")
    await page.locator("dialog.arq-dialog[open]").wait_for()
    scans["handoff dialog"] = await axe_violations(page)
    await browser.close()
    assert {state: found for state, found in scans.items() if found} == {}


async def test_a_submit_made_while_the_server_is_down_is_sent_after_it_comes_back(
        tmp_path: Path, chromium: Playwright) -> None:
    server = Server(tmp_path / "data", {"ARABESQUE_DEMO": "on"}).start()
    browser = await launch(chromium)
    try:
        page = await (await browser.new_context()).new_page()
        await start_demo(page, server, "kyc_individual")
        await submit(page)
        await to_screen(page, "personal")
        for name, value in PERSONAL.items():
            await fill(page, f"/{name}", value, {}, None)
        await submit(page)
        await to_screen(page, "address")
        for name, value in {"line1": "2101 NASA Parkway", "city": "Houston", "postal_code": "77058",
                            "country": "US"}.items():
            await fill(page, f"/{name}", value, {}, None)
        server.kill()
        await page.wait_for_selector(".arabesque[data-connection=reconnecting]")
        await submit(page)  # nothing to send it to: it waits for the next hello
        await page.wait_for_timeout(500)
        assert (await current(page))["screenId"] == "address"
        server.start()
        await to_screen(page, "document_choice")
        sent = [line for line in (await page.locator("#log").inner_text()).splitlines()
                if line.startswith("→ screen.submit") and '"screen_id":"address"' in line]
        keys = {line.split('"idempotency_key":"')[1].split('"')[0] for line in sent}
        assert len(sent) >= 1 and len(keys) == 1  # one intent, one key, however often it went out
        hellos = [json.loads(line.split("  ", 1)[1]) for line in (await page.locator("#log").inner_text()).splitlines()
                  if line.startswith("→ hello")]
        assert len(hellos) >= 2  # a new handshake on the new connection
        assert all(set(h["components"]) == ALL_COMPONENT_TYPES and h["sdk"]["platform"] == "web" for h in hellos)
        stored = server.api().get(f"/v1/sessions/{await page.locator('#session-info').get_attribute('data-session-id')}")
        assert stored.json()["data"]["address"]["line1"] == "2101 NASA Parkway"
    finally:
        await browser.close()
        server.stop()
