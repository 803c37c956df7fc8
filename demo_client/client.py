"""Drive one journey end to end like an SDK would: REST to open it, Socket.IO to walk it.

Imports only sdk_protocol from the project: everything else is what any SDK has
(an HTTP client, a Socket.IO client, the images it captures).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import Protocol, TextIO

import httpx
import msgspec
import socketio

import sdk_protocol as p
from demo_client.printer import Printer
from demo_client.review import DemoError, Reviewer
from demo_client.scenario import Scenario, load_scenario
from demo_client.turns import frames_after
from demo_client.uploads import Uploads

ALL_COMPONENTS = sorted(p.ALL_COMPONENT_TYPES)


def shown(values: dict[str, object]) -> str:
    text = msgspec.json.encode(values).decode()
    return text if len(text) < 160 else text[:157] + "..."


class Waiting(Protocol):
    """What to do on a waiting screen besides waiting (demo_client/children.py walks a session's children)."""

    async def waiting(self, session_id: str, screen: p.Screen) -> bool: ...

    def check(self) -> None: ...

    async def finish(self) -> object: ...


class DemoClient:
    """One run: open a session, connect, answer every screen, return the outcome."""

    def __init__(self, *, server: str, api_key: str, journey: str, scenario: Scenario, images: dict[str, Path],
                 out: TextIO, locale: str = "en", timeout: float = 60.0, review: str = "stop",
                 reviewer_key: str = "", session: tuple[str, str] | None = None, accept_prefill: Collection[str] = (),
                 children: Waiting | None = None, prefix: str = "") -> None:
        """`review`: what to do when the session waits for a person: `stop` (the outcome is manual_review),
        `wait` (for a reviewer in the back office or the cases API), or `act` (be the reviewer, with
        `reviewer_key`, taking the scenario's `reviewer` steps in turn). `session`: (id, token) of a session
        opened elsewhere (a child) to walk instead of opening one; `accept_prefill`: the inputs whose prefilled
        values (the session's prefill) are submitted over the scenario's; `children`: walks the children a
        waiting session starts."""
        self.server = server.rstrip("/")
        self.api_key = api_key
        self.journey = journey
        self.scenario = scenario
        self.images = images
        self.printer = Printer(out, prefix)
        self.locale = locale
        self.timeout = timeout
        self.http = httpx.AsyncClient(base_url=self.server, timeout=30.0)
        self.sio = socketio.AsyncClient(reconnection=True)
        self.inbox: asyncio.Queue[p.ServerMessage] = asyncio.Queue()
        self.visits: dict[str, int] = {}
        self.session_id, self.token = session or ("", "")
        self.accept_prefill = accept_prefill
        self.children = children
        self.review = review
        self.uploads = Uploads(self.http, self.printer)
        self.reviewer = Reviewer(self.http, server=self.server, api_key=api_key, reviewer_key=reviewer_key,
                                 steps=scenario.reviewer, printer=self.printer)

    async def run(self) -> str:
        try:
            return await asyncio.wait_for(self._run(), self.timeout)
        except TimeoutError:
            raise DemoError(f"the journey did not finish within {self.timeout:g}s") from None
        finally:
            if self.sio.connected:
                await self.sio.disconnect()
            await self.http.aclose()

    async def _create(self, journey: str, prefill: dict[str, object]) -> tuple[str, str]:
        response = await self.http.post("/v1/sessions", json={"journey": journey, "reference": f"demo-{uuid.uuid4()}",
                                                               "locale": self.locale, "prefill": prefill},
                                        headers={"Authorization": f"Bearer {self.api_key}"})
        if response.status_code != 201:
            raise DemoError(f"POST /v1/sessions failed: {response.status_code} {response.text}")
        body = response.json()
        return body["session_id"], body["token"]

    async def _prefill(self) -> dict[str, object]:
        """Files the journey expects from an earlier session (e.g. the enrolled face)."""
        prefill: dict[str, object] = {}
        if not self.scenario.prefill_files:
            return prefill
        earlier, token = await self._create("kyc_individual", {})
        for key, ref in self.scenario.prefill_files.items():
            file_id = await self._upload(earlier, token, ref.removeprefix("@"))
            prefill[key] = f"{earlier}/{file_id}"
            self.printer.line(f"   (enrolled {key} from earlier session {earlier})")
        return prefill

    async def _run(self) -> str:
        if not self.session_id:
            self.session_id, self.token = await self._create(self.journey, await self._prefill())
        self.printer.line(f"session {self.session_id} ({self.journey})")

        async def on_message(data: object) -> None:
            await self.inbox.put(p.decode_server(data))

        self.sio.on("message", on_message, namespace="/sdk")
        try:
            await self.sio.connect(self.server, auth={"token": self.token}, namespaces=["/sdk"],
                                   transports=["websocket"])
        except socketio.exceptions.ConnectionError as exc:
            raise DemoError(f"could not connect to {self.server}/sdk: {exc}") from None
        welcome = await self._ask(p.Hello(protocol_version=p.PROTOCOL_VERSION, locale=self.locale,
                                          sdk=p.SdkInfo(name="arabesque-demo", version="1.0", platform="other"),
                                          components=ALL_COMPONENTS))
        if not isinstance(welcome, p.Welcome):
            raise DemoError(f"hello refused: {welcome}")
        current: p.Screen | None = None
        answered: tuple[str, int] | None = None
        while True:
            message = await self._next()
            if isinstance(message, p.JourneyCompleted):
                if self.children is not None:
                    await self.children.finish()
                self.printer.line(f"== journey completed: {message.title} {message.message}".rstrip())
                return message.outcome
            if isinstance(message, p.VerificationProgress):
                self.printer.line(f"   ... {message.check}: {message.status}")
                continue
            if isinstance(message, p.ErrorMessage):
                self.printer.line(f"   ! {message.code}: {message.message}")
                continue
            if not isinstance(message, p.Screen):
                continue
            if message.screen_id == "upgrade_required":
                continue  # rendered before our hello was handled, with core components only
            if current is not None and (message.screen_id, message.revision) == (current.screen_id, current.revision):
                continue  # the same screen again (after hello, or to a second device)
            current = message
            self.printer.screen(message)
            if message.waiting and await self.reviewer.in_review(self.session_id):
                if self.review == "stop":
                    self.printer.line("== waiting for a reviewer (stopping here)")
                    return "manual_review"
                await self.reviewer.review(self.session_id, act=self.review == "act")
                continue
            if message.waiting and self.children is not None and await self.children.waiting(self.session_id,
                                                                                                message):
                continue
            if not self._wants_input(message):
                continue  # a waiting screen: the server moves on by itself
            if answered == (message.screen_id, message.revision):
                continue
            answered = (message.screen_id, message.revision)
            await self._answer(message)

    async def _next(self) -> p.ServerMessage:
        """The next message pushed; meanwhile a child's failure ends the run (its parent would wait in vain)."""
        while True:
            try:
                return await asyncio.wait_for(self.inbox.get(), 0.5)
            except TimeoutError:
                if self.children is not None:
                    self.children.check()

    @staticmethod
    def _wants_input(screen: p.Screen) -> bool:
        return any(isinstance(c, p.Input | p.Button) for c in screen.components)

    async def _answer(self, screen: p.Screen) -> None:
        visits = self.visits.get(screen.screen_id, 0)
        self.visits[screen.screen_id] = visits + 1
        options = self.scenario.answers.get(screen.screen_id)
        if options is None:
            raise DemoError(f"the scenario has no answer for screen {screen.screen_id!r}")
        answer = options[min(visits, len(options) - 1)] or {}
        values = await self._resolve(answer)
        values.update({k: v for k, v in screen.values.items() if k in self.accept_prefill})
        values.update(await self._challenges(screen, answer))
        self.printer.line(f"   -> submit {shown(values)}")
        reply = await self._ask(p.ScreenSubmit(screen_id=screen.screen_id, revision=screen.revision, values=values,
                                               idempotency_key=str(uuid.uuid4())))
        if isinstance(reply, p.ScreenErrors):
            problems = "; ".join(f"{e.pointer}: {e.message}" for e in reply.errors)
            raise DemoError(f"screen {screen.screen_id} refused the answers: {problems}")
        if isinstance(reply, p.ErrorMessage):
            self.printer.line(f"   ! {reply.code}: {reply.message}")

    async def _resolve(self, value: object) -> dict[str, object]:
        async def walk(item: object) -> object:
            if isinstance(item, str) and item.startswith("@"):
                return await self._upload(self.session_id, self.token, item[1:])
            if isinstance(item, list):
                return [await walk(i) for i in item]
            if isinstance(item, dict):
                return {k: await walk(v) for k, v in item.items()}
            if isinstance(item, dt.date):
                return item.isoformat()
            return item

        resolved = await walk(value or {})
        assert isinstance(resolved, dict)
        return resolved

    async def _challenges(self, screen: p.Screen, answer: dict[str, object]) -> dict[str, object]:
        """`<name>_frames` for each selfie challenge: the head turns asked for, rendered from the selfie's image."""
        frames: dict[str, object] = {}
        for component in screen.components:
            if not isinstance(component, p.SelfieCapture) or not component.challenge:
                continue
            name = str(answer.get(component.name, "")).removeprefix("@")
            path = self.images.get(name)
            if path is None:
                raise DemoError(f"the scenario's selfie {name!r} is not an image to turn (have: {sorted(self.images)})")
            self.printer.line(f"   challenge: {', '.join(component.challenge)}")
            # seconds of CPU: off the event loop, so the socket keeps answering pings meanwhile
            rendered = await asyncio.to_thread(frames_after, path.read_bytes(), list(component.challenge))
            frames[f"{component.name}_frames"] = [
                await self.uploads.send(self.session_id, self.token, f"{name}_turn{i}.jpg", data)
                for i, data in enumerate(rendered, 1)]
        return frames

    async def _upload(self, session_id: str, token: str, name: str) -> str:
        path = self.images.get(name)
        if path is None:
            raise DemoError(f"no image named {name!r} (have: {', '.join(sorted(self.images))})")
        return await self.uploads.send(session_id, token, path.name, path.read_bytes())

    async def _ask(self, message: p.Message) -> p.ServerMessage:
        reply = await self.sio.call("message", p.to_wire(message), namespace="/sdk", timeout=30)
        return p.decode_server(reply)


__all__ = ["DemoClient", "DemoError", "Scenario", "load_scenario"]
