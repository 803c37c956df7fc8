"""What connected devices see: one rendering per profile, pushed to this node's rooms, and task progress."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, get_args

import sdk_protocol as p
from sdk_protocol.messages import CheckStatus
from server import context
from server.db import SessionRow
from server.devices import ClientProfile, Devices
from server.live_sessions import Live, LiveSessions, decode_snapshot
from server.metrics import Metrics
from server.workflow import CompiledJourney, Snapshot, render_screen
from server.workflow.render import text_for
from ui_schemas.loader import Catalogs
from ui_schemas.model import FinalState

_STATUSES: tuple[CheckStatus, ...] = get_args(CheckStatus)


class Broadcaster(Protocol):
    """Delivers server messages to connected devices (Socket.IO rooms)."""

    async def to_profile(self, session_id: str, profile: str, message: p.Message) -> None:
        """To this node's devices of the session that have this rendering profile."""

    async def to_session(self, session_id: str, message: p.Message) -> None:
        """To every device of the session, on every node."""


class Presenter:
    """Renders snapshots for the devices connected to this node and remembers what they were shown."""

    def __init__(self, *, devices: Devices, broadcaster: Broadcaster, catalogs: Catalogs, live: LiveSessions,
                 journey_of: Callable[[SessionRow], CompiledJourney], metrics: Metrics | None = None) -> None:
        self.devices = devices
        self.metrics = metrics or Metrics()
        self.broadcaster = broadcaster
        self.catalogs = catalogs
        self.live = live
        self.journey_of = journey_of

    def render(self, journey: CompiledJourney, snapshot: Snapshot, profile: ClientProfile) -> list[p.Message]:
        """The screen (unless a final state has none) and, when finished, the outcome."""
        capabilities = p.Capabilities.declare(profile.components)
        state = journey.journey.states[snapshot.state]
        messages: list[p.Message] = []
        if not isinstance(state, FinalState) or state.screen is not None:
            messages.append(render_screen(journey, snapshot, catalogs=self.catalogs, locale=profile.locale,
                                          capabilities=capabilities, speaks_challenge=profile.challenge))
        if isinstance(state, FinalState) and snapshot.outcome is not None:
            texts = [getattr(c, "text", "") for c in (state.screen.components if state.screen else [])]
            title, body = ([*texts, "", ""])[:2]
            messages.append(p.JourneyCompleted(
                outcome=snapshot.outcome,
                title=text_for(title, self.catalogs, profile.locale, snapshot.context) if title else "",
                message=text_for(body, self.catalogs, profile.locale, snapshot.context) if body else ""))
        return messages

    async def push(self, live: Live, journey: CompiledJourney, snapshot: Snapshot) -> None:
        """`snapshot` (the state of `live.row`) to the devices connected here, without a database lookup."""
        session_id = live.row.id
        profiles = self.devices.profiles(session_id)
        for profile in profiles:
            for message in self.render(journey, snapshot, profile):
                await self.broadcaster.to_profile(session_id, profile.profile, message)
        live.pushed = max(live.pushed, live.row.version)
        if profiles and (started := context.current().started):  # not known for another node's change
            self.metrics.screen_pushed(journey.journey.name, time.monotonic() - started)

    async def progress(self, session_id: str, check: str, status: str) -> None:
        """One room per session: every device of it sees each check move."""
        known: CheckStatus = next((s for s in _STATUSES if s == status), "error")
        await self.broadcaster.to_session(session_id, p.VerificationProgress(check=check, status=known))

    async def tell(self, session_id: str, error: p.SdkError) -> None:
        await self.broadcaster.to_session(session_id, p.error_message(error))

    async def on_remote_change(self, row: SessionRow, push: bool) -> None:
        """Another node committed `row`: keep our copy fresh and show the devices connected here."""
        async with self.live.locked(row.id):
            if row.status in ("erased", "erasing"):
                self.live.drop(row.id)
                self.live.forget_tokens(row.id)
                return
            if self.live.peek(row.id) is None and not self.devices.has(row.id):
                return  # nothing of this session here to keep fresh
            live = self.live.put(row)  # kept only if newer than our copy
            # Our copy may already be this new (a conflict reloaded it) without our devices having been shown
            # it: what counts for the push is what they were last shown.
            if push and row.version > live.pushed and live.row.version == row.version:
                await self.push(live, self.journey_of(live.row), decode_snapshot(row))


__all__ = ["Broadcaster", "Presenter"]
