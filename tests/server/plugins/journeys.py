"""Journeys of the http task tests: a company screen, an `http` state against the stand-in, final states."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import yaml

from tests.server.live import API_KEY, Sdk, Server

RULES = {
    "registry_timed_out": {"==": [{"var": "registry.error.code"}, "http.timeout"]},
    "registry_active": {"==": [{"var": "registry.company.state"}, "active"]},
}


def journey(name: str, url: str, **params: str | int | float | bool) -> dict[str, object]:
    """`url` may use {number}, the registration number entered on the first screen."""
    return {
        "name": name, "version": 1, "title": "kyb.title", "initial": "company", "rules": RULES,
        "states": {
            "company": {"type": "screen", "store_at": "company", "on": {"submit": "check_registry"},
                        "screen": {"components": [{"type": "input.text", "name": "registration_number",
                                                   "label": "field.registration_number",
                                                   "validation": {"required": True}}]}},
            "check_registry": {
                "type": "task", "task": "http", "input": {"number": "company.registration_number"},
                "params": {"url": url, "response./data/state": "company.state", "response./data/name": "company.name",
                           "backoff": 0.05, "breaker_failures": 50, **params},
                "result": "registry",
                "on": {"done": [{"target": "approved", "guard": "registry_active"}, {"target": "rejected"}],
                       "error": [{"target": "registry_down", "guard": "registry_timed_out"},
                                 {"target": "rejected"}]}},
            "approved": {"type": "final", "outcome": "approved"},
            "rejected": {"type": "final", "outcome": "rejected"},
            "registry_down": {"type": "final", "outcome": "manual_review"},
        },
    }


def write(folder: Path, journeys: list[dict[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for one in journeys:
        (folder / f"{one['name']}.yaml").write_text(yaml.safe_dump(one, sort_keys=False))
    return folder


async def run(server: Server, name: str, number: str, timeout: float = 30.0) -> dict[str, object]:
    """A session of `name` through the SDK, `number` entered; its view once it reached a final state."""
    created = server.create(name)
    sdk = await Sdk(server, created["token"]).connect()
    try:
        await sdk.submit(await sdk.screen("company"), {"registration_number": number})
    finally:
        await sdk.close()
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"},
                                 timeout=30.0) as api:
        while time.monotonic() < deadline:
            view: dict[str, object] = (await api.get(f"/v1/sessions/{created['session_id']}")).json()
            if view.get("outcome"):
                return view
            await asyncio.sleep(0.1)
    raise TimeoutError(f"session {created['session_id']} of {name} did not finish within {timeout} s")


def calls(view: dict[str, object]) -> list[dict[str, object]]:
    """The outward calls noted on the timeline entry of the task's result."""
    timeline = view["timeline"]
    assert isinstance(timeline, list)
    found = [e["data"]["calls"] for e in timeline if e["kind"] in ("task.done", "task.failed")]
    assert len(found) == 1, timeline
    return list(found[0])


__all__ = ["calls", "journey", "run", "write"]
