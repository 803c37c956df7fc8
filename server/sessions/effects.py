"""Carry out the engine's effects after a commit: tasks start or stop, screens are pushed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import assert_never

from server.live_sessions import Live
from server.sessions.presenter import Presenter
from server.sessions.supervisor import Supervisor
from server.workflow import (
    AnyEffect,
    CancelTask,
    CompiledJourney,
    Complete,
    EndChildren,
    Notify,
    RejectInput,
    RunTask,
    ShowScreen,
    Snapshot,
    StartChildren,
)

log = logging.getLogger("arabesque.sessions")
StartTask = Callable[[str, RunTask], Awaitable[None]]
"""how a task is started: on this node's supervisor, or deferred as a `check.run` job (server/background.py)"""
ChildEffect = Callable[[Live, StartChildren | EndChildren], Awaitable[None]]
"""how children are started and cancelled (server/children.py)"""


async def _no_children(live: Live, effect: StartChildren | EndChildren) -> None:
    raise AssertionError(f"Expected child journeys to be wired, got {type(effect).__name__} of {live.row.id}")


class EffectRunner:
    """Every effect kind is handled here, checked to be exhaustive by mypy (`assert_never`)."""

    def __init__(self, supervisor: Supervisor, presenter: Presenter, start_task: StartTask) -> None:
        self.supervisor = supervisor
        self.presenter = presenter
        self.start_task = start_task
        self.children: ChildEffect = _no_children

    async def run(self, live: Live, journey: CompiledJourney, snapshot: Snapshot, effects: list[AnyEffect]) -> None:
        session_id = live.row.id
        show = False
        for effect in effects:
            match effect:
                case RunTask():
                    await self.start_task(session_id, effect)
                case CancelTask():
                    self.supervisor.cancel(session_id, effect.task_id)
                case Notify():
                    log.info("session %s: %s in state %s", session_id, effect.name, effect.state)
                case ShowScreen() | Complete():
                    show = True
                case RejectInput():
                    pass  # answered to the submitter by the use case; nothing was committed
                case StartChildren() | EndChildren():
                    await self.children(live, effect)
                case _:
                    assert_never(effect)
        if show:  # one push for the step, however many screens it names: devices see where it ended
            await self.presenter.push(live, journey, snapshot)


__all__ = ["ChildEffect", "EffectRunner", "StartTask"]
