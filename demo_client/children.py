"""The people a journey waits for: when the session the demo drives waits in a children state (a KYB waits for
each owner's own verification), the integrator's side fetches the children (`GET /v1/sessions/{parent}`), gets
a token for each (`POST /v1/sessions/{child}/tokens`) and hands it to that person's device. Here every person's
device is the demo: each child's journey is walked at once, with captures of its own person (their name and
date of birth from the child's prefill, a face of their own), and its outcome printed."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TextIO

import httpx
import msgspec

import sdk_protocol as p
from demo_client.client import DemoClient
from demo_client.images import Person, generate
from demo_client.printer import Printer
from demo_client.review import DemoError
from demo_client.scenario import ChildFace, ChildPlan, Scenario, load_scenario

CHILD_CAPTURES = ("document_front", "document_back", "selfie", "document_front_degraded")


class Child(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of the parent's `children` in the integrator's view (the fields the demo uses)."""

    session_id: str
    label: str
    journey: str
    status: str = ""
    outcome: str | None = None


class Ended(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    label: str
    outcome: str


def prefill_of(view: dict[str, object]) -> dict[str, object]:
    """The child's prefill (from the parent's item) in its integrator view."""
    data = view.get("data")
    prefill = data.get("prefill") if isinstance(data, dict) else None
    return prefill if isinstance(prefill, dict) else {}


def person_of(view: dict[str, object], label: str, face: ChildFace, index: int) -> Person:
    """The child's person: name and date of birth from its prefill (the parent's item), else from its label."""
    prefill = prefill_of(view)
    given, _, surname = label.partition(" ")
    return Person(surname=str(prefill.get("last_name") or surname).upper(),
                  given_names=str(prefill.get("first_name") or given).upper(),
                  date_of_birth=str(prefill.get("date_of_birth") or "1980-01-01"), sex=face.sex, face=face.face,
                  document_number=f"C{index + 1:07d}0")


class Children:
    """One per run: starts a run per child of the waiting session once, and collects their outcomes."""

    def __init__(self, *, server: str, api_key: str, plan: ChildPlan, out: TextIO, locale: str = "en",
                 timeout: float = 120.0) -> None:
        self.server = server.rstrip("/")
        self.api_key = api_key
        self.plan = plan
        self.out = out
        self.printer = Printer(out)
        self.locale = locale
        self.timeout = timeout
        self.runs: dict[str, asyncio.Task[Ended]] = {}
        self.ended: list[Ended] = []

    async def waiting(self, session_id: str, screen: p.Screen) -> bool:
        """Called on each waiting screen: whether the session waits for children (their runs then started)."""
        alerts = sum(isinstance(c, p.Alert) for c in screen.components)
        children = await self.children(session_id, alerts)
        for index, child in enumerate(children):
            if child.session_id not in self.runs and child.status != "final":
                self.runs[child.session_id] = asyncio.create_task(self._walk(child, index))
        return bool(children)

    async def children(self, session_id: str, expected: int = 0) -> list[Child]:
        """The session's children once `expected` of them are listed (they start right after its screen)."""
        async with httpx.AsyncClient(base_url=self.server, timeout=30.0,
                                     headers={"Authorization": f"Bearer {self.api_key}"}) as api:
            for _ in range(100):
                response = await api.get(f"/v1/sessions/{session_id}")
                if response.status_code != 200:
                    raise DemoError(f"GET /v1/sessions/{session_id} failed: {response.status_code} {response.text}")
                listed = msgspec.convert(response.json().get("children") or [], list[Child])
                if len(listed) >= expected:
                    return listed
                await asyncio.sleep(0.1)
        raise DemoError(f"Expected {expected} children of {session_id} in its view, got {len(listed)}")

    def check(self) -> None:
        """Raise a child's failure (the parent would wait for it in vain)."""
        for run in self.runs.values():
            if run.done() and not run.cancelled() and run.exception() is not None:
                raise DemoError(f"a child's journey failed: {run.exception()}")

    async def finish(self) -> list[Ended]:
        """Every child's end, in the order they were started (each printed when it came)."""
        self.ended = list(await asyncio.gather(*self.runs.values()))
        return self.ended

    async def complete(self, session_id: str, count: int) -> list[Ended]:
        """Walk the `count` children of `session_id` to their ends (for a caller that does not walk the parent)."""
        for index, child in enumerate(await self.children(session_id, count)):
            if child.session_id not in self.runs:
                self.runs[child.session_id] = asyncio.create_task(self._walk(child, index))
        return await self.finish()

    async def _walk(self, child: Child, index: int) -> Ended:
        if index >= len(self.plan.people):
            raise DemoError(f"the scenario's children.people names {len(self.plan.people)} faces, "
                            f"got child {index + 1} ({child.label})")
        headers = {"Authorization": f"Bearer {self.api_key}"}
        async with httpx.AsyncClient(base_url=self.server, timeout=30.0, headers=headers) as api:
            view = (await api.get(f"/v1/sessions/{child.session_id}")).json()
            response = await api.post(f"/v1/sessions/{child.session_id}/tokens")
        if response.status_code != 201:
            raise DemoError(f"POST /v1/sessions/{child.session_id}/tokens failed: {response.status_code} "
                            f"{response.text}")
        person = person_of(view, child.label, self.plan.people[index], index)
        scenario = self._scenario(child.journey, person)
        with tempfile.TemporaryDirectory(prefix="arabesque-demo-child-") as scratch:
            images = await asyncio.to_thread(generate, Path(scratch), person, CHILD_CAPTURES)
            self.printer.line(f"== child {child.label} ({child.session_id}): {child.journey}, captures of "
                              f"{person.given_names} {person.surname} (face {person.face})")
            client = DemoClient(server=self.server, api_key=self.api_key, journey=child.journey, scenario=scenario,
                                images=images, out=self.out, locale=self.locale, timeout=self.timeout,
                                session=(child.session_id, str(response.json()["token"])),
                                accept_prefill=set(prefill_of(view)),
                                prefix=f"   [{child.label}] ")
            outcome = await client.run()
        self.printer.line(f"== child {child.label} ({child.session_id}): outcome {outcome}")
        return Ended(session_id=child.session_id, label=child.label, outcome=outcome)

    def _scenario(self, journey: str, person: Person) -> Scenario:
        # the built-in scenario: the captures are the demo's own generated people, whatever a --scenarios folder
        # gives the parent
        scenario = load_scenario(journey, self.plan.scenario)
        personal = scenario.answers.get("personal")
        if personal:  # the form's own values come from the prefill; the e-mail is this person's
            email = f"{person.given_names.split()[0]}.{person.surname}@example.com".lower()
            answers = {**scenario.answers, "personal": [{**answer, "email": email} for answer in personal]}
            scenario = msgspec.structs.replace(scenario, answers=answers)
        return scenario


__all__ = ["Child", "Children", "Ended", "person_of", "prefill_of"]
