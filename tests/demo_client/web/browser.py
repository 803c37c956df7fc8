"""Driving the web SDK in Debian's Chromium (Playwright): a fake camera fed from a Y4M file the test writes, and a
driver that answers each screen from a demo client scenario through the page, as a person would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import cv2
import numpy as np
from playwright.async_api import Browser, Locator, Page, Playwright

from demo_client.client import Scenario

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
ROOT_SELECTOR = ".arabesque"


class Camera:
    """Chromium's fake camera reads this Y4M file each time a page opens the camera; `show` puts a picture in it."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "camera.y4m"
        self.shown = ""

    def show(self, image: Path) -> None:
        """The camera films `image` at its own size (the size the page's getUserMedia then gets)."""
        bgr = cv2.imread(str(image))
        assert bgr is not None, image
        height, width = (bgr.shape[0] // 2) * 2, (bgr.shape[1] // 2) * 2  # 4:2:0 needs even sides
        frame = bgr[:height, :width]
        yuv: np.ndarray = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
        header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
        staging = self.path.with_suffix(".tmp")
        staging.write_bytes(header + (b"FRAME\n" + yuv.tobytes()) * 3)
        staging.replace(self.path)
        self.shown = image.stem


async def launch(playwright: Playwright, camera: Camera | None = None) -> Browser:
    args = list(CHROMIUM_ARGS)
    if camera is not None:
        args += ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={camera.path}"]
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=args)


def field(page: Page, pointer: str) -> Locator:
    return page.locator(f".arq-field[data-pointer='{pointer}']")


async def capture(page: Page, at: Locator, image: Path, camera: Camera | None) -> None:
    """A photo through the camera when there is one, else through the file input (after the camera is refused)."""
    if camera is not None:
        camera.show(image)
    await at.locator("[data-role=camera]").click()
    if camera is not None:
        await at.locator("video").evaluate("v => new Promise(r => v.readyState >= 2 ? r() : "
                                           "v.addEventListener('loadeddata', r, {once: true}))")
        await at.locator("[data-role=shoot]").click()
    else:
        await page.wait_for_function("el => el.dataset.camera", arg=await at.element_handle())
        assert await at.get_attribute("data-camera") == "denied"  # getUserMedia refused: the page says so
        await at.locator("input[type=file]").set_input_files(image)
    await page.wait_for_function("el => el.dataset.fileId", arg=await at.element_handle(), timeout=30_000)
    assert await at.get_attribute("data-source") == ("camera" if camera is not None else "file")


async def fill(page: Page, pointer: str, value: object, images: dict[str, Path], camera: Camera | None) -> None:
    """One answer, typed, chosen or captured in the field at `pointer` the way its component type asks."""
    at = field(page, pointer)
    kind = await at.get_attribute("data-type")
    if kind == "input.text":
        await at.locator("input").fill(str(value))
    elif kind in ("input.select", "input.country"):
        await at.locator("select").select_option(str(value))
    elif kind == "input.radio":
        await at.locator(f"input[value='{value}']").check()
    elif kind in ("input.checkbox", "input.consent"):
        await at.locator("input[type=checkbox]").set_checked(bool(value))
    elif kind in ("capture.document", "capture.selfie"):
        assert isinstance(value, str) and value.startswith("@")
        await capture(page, at, images[value[1:]], camera)
    elif kind == "input.file":
        assert isinstance(value, list)
        for item in value:
            before = await at.locator(".arq-file-list li").count()
            await at.locator("input[type=file]").set_input_files(images[str(item)[1:]])
            await at.locator(".arq-file-list li").nth(before).wait_for(timeout=30_000)
    elif kind == "input.repeater":
        assert isinstance(value, list)
        for i, item in enumerate(value):
            if await at.locator(".arq-repeater-item").count() <= i:
                await at.locator(":scope > button").click()
            for name, inner in dict(item).items():
                await fill(page, f"{pointer}/{i}/{name}", inner, images, camera)
    else:
        raise AssertionError(f"no field at {pointer} (found type {kind})")


async def current(page: Page) -> dict[str, str]:
    return dict(await page.locator(ROOT_SELECTOR).evaluate("el => ({...el.dataset})"))


async def next_screen(page: Page, after: str, timeout: float = 60) -> dict[str, str]:
    """The next screen to answer (not a waiting one) after the one numbered `after`, or the outcome."""
    await page.wait_for_function(
        "after => { const r = document.querySelector('.arabesque'); if (!r) return false;"
        " if (r.dataset.outcome) return true;"
        " return r.dataset.waiting === 'false' && r.dataset.revision !== after"
        " && r.querySelector('.arq-view').getAttribute('aria-busy') !== 'true'; }",
        arg=after, timeout=timeout * 1000)
    return await current(page)


async def submit(page: Page) -> None:
    await page.locator(".arq-view button[data-action=submit]").first.click()


ScreenHook = Callable[[Page, dict[str, str]], Awaitable[None]]


async def walk(page: Page, scenario: Scenario, images: dict[str, Path], camera: Camera | None, *,
               on_screen: ScreenHook | None = None, timeout: float = 120) -> str:
    """Answer every screen from `scenario` until the journey ends; returns the outcome."""
    visits: dict[str, int] = {}
    shown = {"revision": ""}
    async with asyncio.timeout(timeout):
        while True:
            screen = await next_screen(page, shown["revision"])
            if screen.get("outcome"):
                if on_screen:
                    await on_screen(page, screen)
                return screen["outcome"]
            shown = screen
            screen_id = screen["screenId"]
            answers = scenario.answers.get(screen_id)
            assert answers is not None, f"the scenario has no answer for screen {screen_id}"
            answer = answers[min(visits.get(screen_id, 0), len(answers) - 1)]
            visits[screen_id] = visits.get(screen_id, 0) + 1
            for name, value in answer.items():
                await fill(page, f"/{name}", value, images, camera)
            if on_screen:
                await on_screen(page, screen)
            await submit(page)


def protocol_log(messages: list[dict[str, object]]) -> str:
    return "\n".join(json.dumps(m)[:300] for m in messages)
