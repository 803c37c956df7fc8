"""Sessions: the core (the only writer of snapshots), its effects, what devices see, background tasks, and
the use cases of the SDK and of the integrator. `build_sessions` wires them; server/app.py calls it once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from server.db.ports import SessionRepository
from server.devices import Devices
from server.files import Files
from server.journeys import Registry
from server.live_sessions import LiveSessions
from server.metrics import Metrics
from server.relay import NoRelay, Relay
from server.sessions.core import Applied, Clock, SessionCore
from server.sessions.effects import EffectRunner, StartTask
from server.sessions.integrator import IntegratorSessions, SignalApplied
from server.sessions.presenter import Broadcaster, Presenter
from server.sessions.sdk import SdkSessions
from server.sessions.supervisor import Runner, Supervisor
from server.workflow import RunTask, TaskDone, TaskFailed
from ui_schemas.loader import Catalogs


class Sessions:
    """The parts, kept together for the transports, erasure, timers and tests."""

    def __init__(self, *, core: SessionCore, presenter: Presenter, supervisor: Supervisor, sdk: SdkSessions,
                 integrator: IntegratorSessions, effects: EffectRunner) -> None:
        self.core = core
        self.effects = effects
        self.presenter = presenter
        self.supervisor = supervisor
        self.sdk = sdk
        self.integrator = integrator


def build_sessions(*, repo: SessionRepository, registry: Registry, catalogs: Catalogs, files: Files, runner: Runner,
                   broadcaster: Broadcaster, devices: Devices, live: LiveSessions, clock: Clock,
                   token_ttl: dt.timedelta, relay: Relay | None = None, metrics: Metrics | None = None,
                   start_task: StartTask | None = None) -> Sessions:
    """`start_task`: how RunTask effects start (default: at once on this node's supervisor)."""
    relay = relay if relay is not None else NoRelay()
    metrics = metrics or Metrics()
    core = SessionCore(repo=repo, registry=registry, live=live, clock=clock, relay=relay, metrics=metrics)
    presenter = Presenter(devices=devices, broadcaster=broadcaster, catalogs=catalogs, live=live,
                          journey_of=core.journey, metrics=metrics)

    async def report(session_id: str, event: TaskDone | TaskFailed, data: Mapping[str, object]) -> Applied:
        kind = "task.done" if isinstance(event, TaskDone) else "task.failed"
        return await core.apply(session_id, event, kind=kind, data=data)

    supervisor = Supervisor(runner, read=files.read_reference, progress=presenter.progress, report=report,
                            metrics=metrics)

    async def start_here(session_id: str, effect: RunTask) -> None:
        supervisor.start(session_id, effect)

    effects = EffectRunner(supervisor, presenter, start_task or start_here)
    core.run_effects = effects.run
    sdk = SdkSessions(core=core, presenter=presenter, repo=repo, catalogs=catalogs,
                      shared=not isinstance(relay, NoRelay))
    integrator = IntegratorSessions(core=core, repo=repo, catalogs=catalogs, token_ttl=token_ttl)
    return Sessions(core=core, presenter=presenter, supervisor=supervisor, sdk=sdk, integrator=integrator,
                    effects=effects)


__all__ = [
    "Applied",
    "Broadcaster",
    "IntegratorSessions",
    "SdkSessions",
    "Sessions",
    "SignalApplied",
    "StartTask",
    "build_sessions",
]
