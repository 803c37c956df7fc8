"""One bench SDK client (`Walker`) walking the form screens of `kyc_individual`, and the bench's config."""

from __future__ import annotations

import asyncio
import collections
import time
import uuid
from typing import Literal

import msgspec
import socketio

Kind = Literal["submit", "action"]

PERSONAL: dict[str, object] = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10",
                               "nationality": "GB", "email": "ada@example.com", "pep": "no"}
ADDRESS: dict[str, object] = {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH",
                              "country": "GB"}


class Step(msgspec.Struct, frozen=True):
    """One user intent on screen `on`, expected to lead to screen `then`."""

    on: str
    kind: Kind
    then: str
    values: dict[str, object] = {}
    action: str = ""


WALK: tuple[Step, ...] = (
    Step("welcome", "submit", "personal"),
    Step("personal", "submit", "address", values=PERSONAL),
    Step("address", "submit", "document_choice", values=ADDRESS),
    Step("document_choice", "action", "address", action="back"),
    Step("address", "action", "personal", action="back"),
    Step("personal", "action", "welcome", action="back"),
)


class Config(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    api_key: str
    server_pid: int
    sessions: int
    rate: float
    duration: float
    ramp: list[float]
    ramp_seconds: float
    closed_seconds: float
    flood: int
    connect_concurrency: int = 25
    create_concurrency: int = 32
    record: str = ""
    flood_token: str = ""
    """set: this process is the flooder (one socket, `flood` stale submits once told to go on stdin)"""
    flood_seconds: float = 10.0
    """how long the flooder waits for replies before it hangs up"""
    per_session_rate: float = 20.0
    """the server's share per SDK connection (ARABESQUE_SDK_RATE_PER_SECOND): the closed loop keeps each session
    under it, so a run with few sessions measures the server, not its rate limit"""


class Errors:
    """Errors by code, with the first few messages kept for the report."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.examples: dict[str, str] = {}

    def add(self, code: str, message: str = "") -> None:
        self.counts[code] += 1
        self.examples.setdefault(code, message[:200])

    def total(self) -> int:
        return sum(self.counts.values())


class Walker:
    """One SDK connection walking the form screens; `step()` is one transition, timed to the next screen."""

    def __init__(self, url: str, token: str, errors: Errors) -> None:
        self.url = url
        self.token = token
        self.errors = errors
        self.sio = socketio.AsyncClient(reconnection=False)
        self.screen: dict[str, object] | None = None
        self.waiter: asyncio.Future[float] | None = None
        self.wanted_revision = -1
        self.position = 0
        self.sio.on("message", self._on_message, namespace="/sdk")

    async def _on_message(self, data: dict[str, object]) -> None:
        if data.get("type") != "screen":
            return
        revision = data.get("revision")
        if isinstance(revision, int) and self.screen is not None and revision < int(str(self.screen["revision"])):
            return  # an older screen arriving late: the newer one stands
        self.screen = data
        waiter = self.waiter
        if waiter is not None and not waiter.done() and isinstance(revision, int) and revision >= self.wanted_revision:
            waiter.set_result(time.perf_counter())

    async def connect(self) -> None:
        """Connect, say hello, take the screen rendered for the declared profile (none comes before hello)."""
        loop = asyncio.get_running_loop()
        self.waiter = loop.create_future()
        self.wanted_revision = 0
        await self.sio.connect(self.url, auth={"token": self.token}, namespaces=["/sdk"], transports=["websocket"],
                               wait_timeout=30)
        ack = await self.sio.call("message", {
            "type": "hello", "protocol_version": "1.0.0", "locale": "en",
            "sdk": {"name": "bench", "version": "1", "platform": "other"},
            "components": ["input.text", "input.select", "input.country", "input.radio", "input.checkbox",
                           "input.consent", "capture.document", "capture.selfie", "input.file", "input.repeater"]},
            namespace="/sdk", timeout=60)
        if not isinstance(ack, dict) or ack.get("type") != "welcome":
            raise RuntimeError(f"hello refused: {ack}")
        await asyncio.wait_for(self.waiter, 60)
        self.waiter = None
        assert self.screen is not None
        self.position = next(i for i, s in enumerate(WALK) if s.on == self.screen["screen_id"])

    async def step(self, timeout: float = 60.0) -> float | None:
        """Send the next intent; the seconds until the next screen arrived, or None on an error."""
        assert self.screen is not None
        step = WALK[self.position]
        screen = self.screen
        if screen["screen_id"] != step.on:
            self.errors.add("bench.unexpected_screen", f"expected {step.on}, got {screen['screen_id']}")
            self.position = next(i for i, s in enumerate(WALK) if s.on == screen["screen_id"])
            return None
        revision = int(str(screen["revision"]))
        message: dict[str, object] = {"type": "screen.submit", "screen_id": step.on, "revision": revision,
                                      "values": step.values, "idempotency_key": uuid.uuid4().hex} \
            if step.kind == "submit" else {"type": "screen.action", "screen_id": step.on, "revision": revision,
                                           "action": step.action, "idempotency_key": uuid.uuid4().hex}
        loop = asyncio.get_running_loop()
        self.waiter = loop.create_future()
        self.wanted_revision = revision + 1
        started = time.perf_counter()
        try:
            ack = await self.sio.call("message", message, namespace="/sdk", timeout=timeout)
            if not isinstance(ack, dict) or ack.get("type") != "screen.accepted":
                code = str(ack.get("code", ack.get("type"))) if isinstance(ack, dict) else "bench.bad_ack"
                self.errors.add(code, str(ack.get("message", "")) if isinstance(ack, dict) else "")
                return None
            arrived = await asyncio.wait_for(self.waiter, timeout)
        except (TimeoutError, socketio.exceptions.TimeoutError):
            self.errors.add("bench.timeout", f"no screen within {timeout}s")
            return None
        except socketio.exceptions.SocketIOError as exc:
            self.errors.add("bench.disconnected", str(exc))
            return None
        finally:
            self.waiter = None
        assert self.screen is not None
        if self.screen["screen_id"] != step.then:
            self.errors.add("bench.unexpected_screen", f"expected {step.then}, got {self.screen['screen_id']}")
        self.position = (self.position + 1) % len(WALK)
        return arrived - started

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


__all__ = ["ADDRESS", "PERSONAL", "WALK", "Config", "Errors", "Step", "Walker"]
