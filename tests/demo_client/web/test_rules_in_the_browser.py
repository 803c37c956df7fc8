"""The web SDK's own logic, run in Chromium against the Python definitions it mirrors: local validation gives the
server's codes for the same components and values, visible_if/required_if agree with the server's rules engine
(json-logic-engine in the page), right-to-left locales are told apart, and a screen can be used with the keyboard
alone."""

from __future__ import annotations

import datetime as dt
import json

import msgspec
from playwright.async_api import Page, Playwright

import sdk_protocol as p
from sdk_protocol.validation import validate_value
from server.workflow import RulesEngine, js_truthy
from tests.demo_client.web.browser import field, launch
from tests.demo_client.web.conftest import start_demo
from tests.server.live import Server

TODAY = dt.date.today()
CASES: list[tuple[dict[str, object], object]] = [
    ({"type": "input.text", "name": "a", "validation": {"required": True}}, None),
    ({"type": "input.text", "name": "a", "validation": {"min_length": 3}}, "ab"),
    ({"type": "input.text", "name": "a", "validation": {"max_length": 3}}, "abcd"),
    ({"type": "input.text", "name": "a", "validation": {"max_length": 3}}, "äöü"),
    ({"type": "input.text", "name": "a", "validation": {"pattern": "[A-Za-z0-9 -]{2,12}"}}, "SW1Y 4LB"),
    ({"type": "input.text", "name": "a", "validation": {"pattern": "[A-Za-z0-9 -]{2,12}"}}, "SW1Y_4LB"),
    ({"type": "input.text", "name": "a", "validation": {"allowed_values": ["x", "y"]}}, "z"),
    ({"type": "input.text", "name": "a", "input_type": "email"}, "ada@example.com"),
    ({"type": "input.text", "name": "a", "input_type": "email"}, "ada@example"),
    ({"type": "input.text", "name": "a", "input_type": "tel"}, "+44 20 7946 0958"),
    ({"type": "input.text", "name": "a", "input_type": "tel"}, "call me"),
    ({"type": "input.text", "name": "a", "input_type": "number", "validation": {"min_value": 0, "max_value": 100}},
     101),
    ({"type": "input.text", "name": "a", "input_type": "number", "validation": {"min_value": 0}}, -1),
    ({"type": "input.text", "name": "a", "input_type": "number"}, "12"),
    ({"type": "input.text", "name": "a", "input_type": "date"}, "2001-02-30"),
    ({"type": "input.text", "name": "a", "input_type": "date", "validation": {"max_date": "today-18y"}},
     (TODAY - dt.timedelta(days=365 * 10)).isoformat()),
    ({"type": "input.text", "name": "a", "input_type": "date", "validation": {"max_date": "today-18y"}},
     "1980-05-01"),
    ({"type": "input.text", "name": "a", "input_type": "date", "validation": {"min_date": "1900-01-01"}},
     "1899-12-31"),
    ({"type": "input.select", "name": "a", "options": [{"value": "x", "label": "X"}]}, "y"),
    ({"type": "input.radio", "name": "a", "options": [{"value": "x", "label": "X"}]}, "x"),
    ({"type": "input.country", "name": "a", "countries": ["GB", "DE"]}, "FR"),
    ({"type": "input.consent", "name": "a", "text": "t", "version": "1", "validation": {"required": True}}, False),
    ({"type": "input.checkbox", "name": "a"}, True),
    ({"type": "capture.document", "name": "a", "validation": {"required": True}}, "f_2QxT0b9yLk3w"),
    ({"type": "capture.document", "name": "a"}, "not-a-file"),
    ({"type": "input.file", "name": "a", "min_files": 1, "max_files": 2}, []),
    ({"type": "input.file", "name": "a", "max_files": 1}, ["f_2QxT0b9yLk3w", "f_2QxT0b9yLk3x"]),
    ({"type": "input.repeater", "name": "a", "min_items": 2,
      "fields": [{"type": "input.text", "name": "n", "validation": {"required": True}}]}, [{"n": "x"}]),
    ({"type": "input.repeater", "name": "a",
      "fields": [{"type": "input.text", "name": "n", "validation": {"required": True}},
                 {"type": "input.text", "name": "s", "input_type": "number", "validation": {"max_value": 100}}]},
     [{"n": "x", "s": 120}, {"s": 5}]),
]
RULES: list[tuple[dict[str, object], dict[str, object]]] = [
    ({"==": [{"var": "pep"}, "yes"]}, {"pep": "yes"}),
    ({"==": [{"var": "pep"}, "yes"]}, {}),
    ({"in": [{"var": "type"}, ["id_card", "driving_licence"]]}, {"type": "passport"}),
    ({"and": [{"!!": {"var": "a"}}, {">": [{"var": "share"}, 25]}]}, {"a": [1], "share": 30}),
    ({"or": [{"!": {"var": "a"}}, {"<=": [{"var": "share"}, 25]}]}, {"a": [], "share": 30}),
]


def server_codes(component: dict[str, object], value: object) -> list[tuple[str, str]]:
    typed = msgspec.convert(component, p.AnyInput)
    required = typed.validation.required
    return sorted((e.pointer, e.code) for e in validate_value(typed, value, pointer=f"/{typed.name}",
                                                              required=required, today=TODAY))


async def browser_page(chromium: Playwright, server: Server) -> Page:
    browser = await launch(chromium)
    page = await (await browser.new_context(locale="en-US")).new_page()
    await page.goto(f"{server.url}/demo")
    return page


async def test_local_validation_gives_the_servers_codes_for_the_same_definitions(web: Server,
                                                                                 chromium: Playwright) -> None:
    page = await browser_page(chromium, web)
    found = await page.evaluate("""async (cases) => {
        const { validateValue } = await import('/sdk/web/validate.js');
        const { conditions } = await import('/sdk/web/form.js');
        return cases.map(([component, value]) => validateValue(component, value === null ? undefined : value, {
            pointer: '/' + component.name, required: Boolean(component.validation && component.validation.required),
            conditions}).map(e => [e.pointer, e.code]).sort());
    }""", [[c, v] for c, v in CASES])
    expected = [[list(pair) for pair in server_codes(c, v)] for c, v in CASES]
    assert [(json.dumps(c), got) for (c, _), got in zip(CASES, found, strict=True)] == \
        [(json.dumps(c), want) for (c, _), want in zip(CASES, expected, strict=True)]
    assert any(found)  # the table has refusals, not only passes


async def test_visible_if_and_required_if_agree_with_the_servers_rules(web: Server, chromium: Playwright) -> None:
    page = await browser_page(chromium, web)
    engine = RulesEngine()
    now = dt.datetime.now(dt.UTC)
    expected = [js_truthy(engine.compile(f"rule{i}", rule).evaluate(values, now=now))
                for i, (rule, values) in enumerate(RULES)]
    found = await page.evaluate("""async (rules) => {
        const { conditions } = await import('/sdk/web/form.js');
        return rules.map(([rule, values]) => conditions({visible_if: rule}, values)[0]);
    }""", [[r, v] for r, v in RULES])
    assert found == expected and True in found and False in found


async def test_right_to_left_languages_are_laid_out_right_to_left(web: Server, chromium: Playwright) -> None:
    page = await browser_page(chromium, web)
    found = await page.evaluate("""async () => {
        const { directionOf } = await import('/sdk/web/strings.js');
        return ['ar', 'he-IL', 'fa', 'ur', 'en', 'de-CH', 'es'].map(directionOf);
    }""")
    assert found == ["rtl"] * 4 + ["ltr"] * 3


async def test_a_screen_can_be_filled_and_sent_with_the_keyboard_alone(web: Server, chromium: Playwright) -> None:
    page = await browser_page(chromium, web)
    await start_demo(page, web, "kyc_individual")
    await page.locator(".arq-view button[data-action=submit]").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".arabesque[data-screen-id=personal]")
    await page.locator("[name='/first_name']").focus()
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # a visible focus ring
    for text in ("Eileen", "Collins"):
        await page.keyboard.type(text)
        await page.keyboard.press("Tab")
    await page.keyboard.type("11191956")  # the date field (en-US: month, day, year), segment by segment
    for _ in range(4):  # Tab walks the date's own parts (its segments, its calendar button), then leaves it
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.name") != "/date_of_birth":
            break
    assert await page.evaluate("document.activeElement.name") == "/nationality"
    await page.keyboard.type("United States")  # a select jumps to the typed option
    await page.keyboard.press("Tab")
    await page.keyboard.type("eileen.collins@example.com")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")  # past the optional phone
    await page.keyboard.press("Space")  # the first radio: "No"
    await page.keyboard.press("Tab")  # past the hidden "which function?" to Continue
    assert await page.evaluate("document.activeElement.dataset.action") == "submit"
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".arabesque[data-screen-id=address]")
    assert await field(page, "/line1").count() == 1


async def test_a_theme_sets_the_sdks_custom_properties(web: Server, chromium: Playwright) -> None:
    page = await browser_page(chromium, web)
    found = await page.evaluate("""async () => {
        const { default: Arabesque } = await import('/sdk/web/arabesque.js');
        const created = await (await fetch('/demo/sessions', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(
            {journey: 'kyc_individual', locale: 'en'})})).json();
        const element = document.createElement('div');
        document.body.append(element);
        const handle = Arabesque.mount(element, {url: location.origin, token: created.token,
            theme: {'color-primary': 'rgb(11, 110, 79)', '--arabesque-radius': '3px'}});
        await handle.started;
        let button = null;
        for (let i = 0; i < 200 && !button; i += 1) {  // the welcome screen arrives over the socket
            await new Promise((resolve) => setTimeout(resolve, 50));
            button = element.querySelector('button[data-action=submit]');
        }
        const style = getComputedStyle(button);
        return [style.backgroundColor, style.borderTopLeftRadius];
    }""")
    assert found == ["rgb(11, 110, 79)", "3px"]
