"""Build the ASGI application: the only place that wires real dependencies together."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import socketio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

import sdk_protocol as p
from server.auth import digest, resolve_api_key, resolve_rekognition_keys
from server.checks import TASKS, warm_up
from server.db import Database, Repository
from server.db.migrate import upgrade
from server.devices import Devices
from server.fast_json import FastJson
from server.http import build_routes, http_error_handler, internal_error_handler, sdk_error_handler
from server.journeys import load_registry
from server.local_faces import LocalFaceMatcher
from server.ratelimit import RateLimiter
from server.rekognition.api import build_rekognition_routes
from server.rekognition.providers import AwsRekognition, LocalRekognition, Rekognition, RekognitionFaceMatcher
from server.relay import NoRelay, RedisRelay, Relay
from server.service import SessionService
from server.settings import Settings
from server.sockets import SocketBroadcaster, register_handlers
from server.storage import open_store
from server.tasks import FaceMatcher, TaskRunner
from server.workers import WorkerPool
from server.workflow import RulesEngine
from ui_schemas.loader import load_catalogs

log = logging.getLogger("arabesque")
FULL_GC_EVERY = 1000
"""middle-generation collections between two full ones (Python's default is 10)"""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Application:
    """The running server's parts, kept together so tests and the CLI can reach them."""

    def __init__(self, settings: Settings, *, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.settings = settings
        catalogs = load_catalogs()
        extra = [Path(settings.journeys_dir)] if settings.journeys_dir else []
        self.registry = load_registry(engine=RulesEngine(), catalogs=catalogs, extra=extra, tasks=TASKS.keys())
        self.database = Database(settings.resolved_database_url, max_queue=settings.write_queue_limit,
                                 max_wait_seconds=settings.write_wait_seconds)
        self.repo = Repository(self.database)
        self.store = open_store(settings)
        manager = socketio.AsyncRedisManager(settings.redis_url) if settings.redis_url else None
        self.relay: Relay = RedisRelay(settings.redis_url) if settings.redis_url else NoRelay()
        origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
        # async_handlers=False: each connection's messages are handled in its own receive loop, in order;
        # json=FastJson: msgspec encodes our Structs straight into packets
        self.sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager, async_handlers=False,
                                        json=FastJson, cors_allowed_origins=origins or [],
                                        max_http_buffer_size=settings.max_message_bytes)
        self.devices = Devices()
        self.pool = WorkerPool(settings.worker_count, settings.task_timeout_seconds, initializer=warm_up)
        self.faces: Rekognition
        matcher: FaceMatcher
        if settings.face_provider == "local":
            self.faces, matcher = LocalRekognition(self.pool), LocalFaceMatcher(self.pool)
        else:
            self.faces = AwsRekognition(region=settings.rekognition_region,
                                        endpoint_url=settings.rekognition_endpoint_url or None)
            matcher = RekognitionFaceMatcher(self.faces)
        key_id, secret, _ = resolve_rekognition_keys(settings)
        self.rekognition_keys = {key_id: secret}
        self.service = SessionService(
            repo=self.repo, registry=self.registry, catalogs=catalogs, store=self.store,
            tasks=TaskRunner(TASKS, pool=self.pool, faces=matcher), broadcaster=SocketBroadcaster(self.sio),
            clock=clock, token_ttl=dt.timedelta(seconds=settings.token_ttl_seconds), tenant=settings.tenant,
            max_upload_bytes=settings.max_upload_bytes, presign_ttl=dt.timedelta(seconds=settings.presign_seconds),
            retention=dt.timedelta(seconds=settings.retention_seconds) if settings.retention_seconds else None,
            devices=self.devices, relay=self.relay, cache_capacity=settings.session_cache_size,
        )
        register_handlers(self.sio, self.service, self.devices,
                          RateLimiter(settings.sdk_rate_per_second, settings.sdk_rate_burst, what="SDK connection"))
        api_limiter = RateLimiter(settings.api_rate_per_second, settings.api_rate_burst, what="API key")
        sdk_http_limiter = RateLimiter(settings.sdk_rate_per_second, settings.sdk_rate_burst,
                                       what="session (SDK HTTP requests)")
        self._timers: asyncio.Task[None] | None = None
        starlette = Starlette(
            routes=[*build_routes(self.service, max_upload_bytes=settings.max_upload_bytes, readiness=self.readiness,
                                  api_limiter=api_limiter, sdk_limiter=sdk_http_limiter),
                    *build_rekognition_routes(self.service, self.faces, self.rekognition_keys.get)],
            exception_handlers={p.SdkError: sdk_error_handler, HTTPException: http_error_handler,
                                Exception: internal_error_handler},
            middleware=[Middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "DELETE"],
                                   allow_headers=["authorization", "content-type"])] if origins else [],
            lifespan=self.lifespan,
        )
        self.asgi = socketio.ASGIApp(self.sio, other_asgi_app=starlette, socketio_path="socket.io")

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        await asyncio.to_thread(upgrade, self.settings.resolved_database_url)
        self.database.start()
        await self.relay.start(self.service.on_remote_change)
        key, _ = await asyncio.to_thread(resolve_api_key, self.settings)
        await self.repo.ensure_api_key("ak_default", "default", digest(key), utc_now())
        self.pool.start()
        resumed = await self.service.resume_tasks()
        if resumed:
            log.info("resumed %d verification task(s) interrupted by a restart", resumed)
        self._timers = asyncio.create_task(self._fire_timers(), name="timers")
        # Everything loaded so far (modules, journeys, catalogs, engines) lives as long as the process: keep it
        # out of the collector's full passes. Those passes stop the event loop for about 100 ms with 1,000
        # sockets (their tasks and frames), and objects merely in flight when a young pass runs count towards
        # the next one, so by default one came every few seconds under load: now one in a thousand middle
        # passes may become a full one (reference counting frees nearly everything long before).
        gc.collect()
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_GC_EVERY)
        try:
            yield
        finally:
            self._timers.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timers
            await self.relay.close()
            self.pool.shutdown()
            await self.repo.close()

    async def _fire_timers(self) -> None:
        """Due timers every poll; erasures (interrupted ones, retention) every tenth poll. Both are read from
        the database, so they survive restarts."""
        polls = 0
        while True:
            try:
                await self.service.fire_due_timers()
                if polls % 10 == 0:
                    await self.service.sweep_erasures()
            except Exception:
                log.exception("background loop failed; retrying")
            polls += 1
            await asyncio.sleep(self.settings.timer_poll_seconds)

    async def readiness(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        try:
            await self.repo.ping()
        except Exception as exc:
            problems["database"] = f"{type(exc).__name__}: {exc}"
        try:
            await self.store.check()
        except p.SdkError as exc:
            problems["storage"] = exc.message
        return problems


__all__ = ["Application", "utc_now"]
