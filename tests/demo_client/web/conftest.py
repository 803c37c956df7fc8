"""What the web SDK's browser tests share: one server with the demo page and the gallery journey, Playwright, and
the demo page's Start."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, Playwright, async_playwright

from demo_client.registry import RegistryStandin
from tests.server.live import Server
from tests.server.test_kyb_journey import REGISTRY_KEY, kyb_env

GALLERY = Path(__file__).parent / "journeys"


@pytest.fixture(scope="package")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo page's server, with kyb_business's registry stand-in and a screening list (so a KYB can be
    approved)."""
    standin = RegistryStandin(api_key=REGISTRY_KEY).start()
    folder = tmp_path_factory.mktemp("web")
    running = Server(folder, {"ARABESQUE_DEMO": "on", "ARABESQUE_WORKERS": "2", "ARABESQUE_JOURNEYS_DIR": str(GALLERY),
                              **kyb_env(folder, standin.base)}).start()
    yield running
    running.stop()
    standin.stop()


@pytest.fixture
async def chromium() -> AsyncIterator[Playwright]:
    async with async_playwright() as playwright:
        yield playwright


async def start_demo(page: Page, server: Server, journey: str, locale: str = "en", *,
                     client_validation: bool = True) -> None:
    """The demo page's form: a new session of `journey` in `locale`, mounted in the page."""
    await page.goto(f"{server.url}/demo")
    await page.select_option("#journey", journey)
    await page.select_option("#locale", locale)
    await page.set_checked("#client-validation", client_validation)
    await page.click("#start-button")
    await page.wait_for_selector(".arabesque[data-screen-id]")
