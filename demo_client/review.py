"""The reviewer's side of a demo run: is the session waiting for a person, and (with --review act) the
reviewer's step for this round through the cases API. Plain HTTP, like any back-office integration."""

from __future__ import annotations

import httpx
import msgspec

from demo_client.printer import Printer


class ReviewStep(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the reviewer does in one review round (`--reviewer-key`): the body of `POST /v1/cases/{id}/decision`."""

    action: str
    reason: str | None = None
    items: list[dict[str, str]] = []


class DemoError(Exception):
    """The journey could not be driven to an end (the message says why)."""


class Reviewer:
    """One per run."""

    def __init__(self, http: httpx.AsyncClient, *, server: str, api_key: str, reviewer_key: str,
                 steps: list[ReviewStep], printer: Printer) -> None:
        self.http = http
        self.server = server
        self.api_key = api_key
        self.reviewer_key = reviewer_key or api_key
        self.steps = steps
        self.printer = printer
        self.rounds = 0

    async def in_review(self, session_id: str) -> bool:
        """Whether the session waits for a person (the integrator's view says so; the SDK is not told why)."""
        response = await self.http.get(f"/v1/sessions/{session_id}",
                                       headers={"Authorization": f"Bearer {self.api_key}"})
        return response.status_code == 200 and response.json().get("status") == "review"

    async def review(self, session_id: str, *, act: bool) -> None:
        """Wait for the reviewer, or be it: claim the case and take this round's step of the scenario."""
        if not act:
            self.printer.line(f"== waiting for a reviewer: {self.server}/backoffice/cases/{session_id}")
            return
        if not self.steps:
            raise DemoError("the scenario has no `reviewer` steps to take")
        step = self.steps[min(self.rounds, len(self.steps) - 1)]
        self.rounds += 1
        headers = {"Authorization": f"Bearer {self.reviewer_key}"}
        for path, body in ((f"/v1/cases/{session_id}/claim", None),
                           (f"/v1/cases/{session_id}/decision", msgspec.to_builtins(step))):
            response = await self.http.post(path, json=body, headers=headers)
            if response.status_code != 200:
                raise DemoError(f"POST {path} failed: {response.status_code} {response.text}")
        items = ", ".join(f"{i.get('item')} ({i.get('reason')})" for i in step.items)
        self.printer.line(f"== reviewer: {step.action} {step.reason or items}".rstrip())


__all__ = ["DemoError", "ReviewStep", "Reviewer"]
