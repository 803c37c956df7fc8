"""Build the ASGI application: the only place that wires real dependencies together."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator, Callable
from importlib.metadata import version
from pathlib import Path

import socketio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

import sdk_protocol as p
from server.audit import Audit
from server.auth import Authenticator, digest, resolve_api_key, resolve_rekognition_keys
from server.background import Background, task_starter
from server.backoffice import Logins, build_backoffice, register_live
from server.cases.routes import build_case_routes
from server.cases.service import Cases
from server.checks import warm_up
from server.children import Children
from server.db import Database, Repository
from server.db.faces import FaceRecords
from server.db.migrate import upgrade
from server.devices import Devices
from server.duplicates import SEARCH_DUPLICATES, Duplicates
from server.erasure import Eraser
from server.faces_index import FaceIndex
from server.fast_json import fast_json
from server.files import Files
from server.handoffs import Handoffs
from server.http import Guard, build_routes, http_error_handler, internal_error_handler, sdk_error_handler
from server.http_admin import build_admin_routes
from server.http_handoff import build_handoff_routes
from server.idempotency import Idempotency
from server.jobs import JobEngine, LocalJobs, Periodic
from server.jobs.pg import PgJobs
from server.journeys import load_registry
from server.keys import KeyAdmin
from server.live_sessions import LiveSessions
from server.local_faces import LocalFaceMatcher
from server.metrics import Metrics
from server.observe import Observe
from server.openapi import Reference
from server.plugins import build_http_task, load_tasks
from server.ratelimit import RateLimiter
from server.rekognition.api import build_rekognition_routes
from server.rekognition.collections import Collections
from server.rekognition.providers import AwsRekognition, LocalRekognition, Rekognition, RekognitionFaceMatcher
from server.relay import NoRelay, RedisRelay, Relay
from server.screening.task import screening_tasks
from server.sessions import build_sessions
from server.settings import Settings
from server.sockets import SocketBroadcaster, register_handlers
from server.storage import open_store
from server.tasks import FaceMatcher, TaskRunner
from server.users import Users
from server.web import build_web
from server.webhooks.events import EVENT_DATA
from server.webhooks.routes import build_webhook_routes
from server.webhooks.wiring import build_webhooks
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
        self.http_task = build_http_task(settings)
        self.database = Database(settings.resolved_database_url, max_queue=settings.write_queue_limit,
                                 max_wait_seconds=settings.write_wait_seconds)
        self.repo = Repository(self.database)
        self.store = open_store(settings)
        manager = socketio.AsyncRedisManager(settings.redis_url) if settings.redis_url else None
        self.relay: Relay = RedisRelay(settings.redis_url) if settings.redis_url else NoRelay()
        origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
        # async_handlers=False: each connection's messages are handled in its own receive loop, in order;
        # json=fast_json(): msgspec encodes our Structs straight into packets, and refuses oversized messages with
        # their code; engine.io closes only connections sending more than four times that
        self.sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager, async_handlers=False,
                                        json=fast_json(settings.max_message_bytes), cors_allowed_origins=origins or [],
                                        max_http_buffer_size=settings.transport_max_bytes)
        self.devices = Devices()
        self.pool = WorkerPool(settings.worker_count, settings.task_timeout_seconds, initializer=warm_up)
        self.metrics = Metrics()
        self.metrics.watch_connections(self.devices.__len__)
        self.metrics.watch_pool(queued=self.pool.queued, busy=self.pool.busy, size=self.pool.size)
        self.faces: Rekognition
        matcher: FaceMatcher
        if settings.face_provider == "local":
            self.faces, matcher = LocalRekognition(self.pool), LocalFaceMatcher(self.pool)
        else:
            self.faces = AwsRekognition(region=settings.rekognition_region,
                                        endpoint_url=settings.rekognition_endpoint_url or None)
            matcher = RekognitionFaceMatcher(self.faces)
        self.collections = Collections(FaceRecords(self.database), FaceIndex(max_faces=settings.face_index_size),
                                       self.pool, clock=clock, region=settings.rekognition_region)
        key_id, secret, _ = resolve_rekognition_keys(settings)
        self.rekognition_keys = {key_id: secret}
        self.live = LiveSessions(self.repo.load_session, capacity=settings.session_cache_size)
        # --- background work: jobs in this process (embedded), or on procrastinate run by `arabesque worker`
        self.jobs: JobEngine
        if settings.jobs == "procrastinate":
            self.jobs = PgJobs(settings.resolved_database_url, concurrency=settings.job_concurrency_count,
                               heartbeat_seconds=settings.job_heartbeat_seconds,
                               stalled_seconds=settings.job_stalled_seconds)
        else:
            self.jobs = LocalJobs()
        # --- access: tenants, roles, API keys and the audit log ---
        self.audit = Audit(self.repo, clock)
        self.auth = Authenticator(self.repo, self.live, clock, key_cache_seconds=settings.key_cache_seconds)
        self.keys = KeyAdmin(self.repo, self.audit, clock, on_change=self.auth.forget_keys)
        # --- end of access ---
        self.files = Files(repo=self.repo, store=self.store, active=self.live.fetch, audit=self.audit, clock=clock,
                           default_tenant=settings.tenant, max_upload_bytes=settings.max_upload_bytes,
                           presign_ttl=dt.timedelta(seconds=settings.presign_seconds))
        self.duplicates = Duplicates(self.collections, self.collections.records, self.repo, self.files, clock=clock)
        # the same registry `arabesque journeys check` uses
        self.tasks = load_tasks(self.http_task, configured={**screening_tasks(settings),
                                                            SEARCH_DUPLICATES: self.duplicates.task()})
        self.registry = load_registry(engine=RulesEngine(), catalogs=catalogs, extra=extra, tasks=self.tasks.checks)
        broadcaster = SocketBroadcaster(self.sio)
        self.sessions = build_sessions(
            repo=self.repo, registry=self.registry, catalogs=catalogs, files=self.files,
            runner=TaskRunner(self.tasks.functions, pool=self.pool, faces=matcher), broadcaster=broadcaster,
            devices=self.devices, live=self.live, clock=clock,
            token_ttl=dt.timedelta(seconds=settings.token_ttl_seconds), relay=self.relay, metrics=self.metrics,
            start_task=task_starter(self.jobs))
        self.eraser = Eraser(sessions=self.sessions, repo=self.repo, store=self.store, relay=self.relay,
                             audit=self.audit, clock=clock,
                             retention=dt.timedelta(seconds=settings.retention_seconds)
                             if settings.retention_seconds else None)
        self.handoffs = Handoffs(repo=self.repo, live=self.live, broadcaster=broadcaster, audit=self.audit,
                                 clock=clock, ttl=dt.timedelta(seconds=settings.handoff_seconds),
                                 token_ttl=dt.timedelta(seconds=settings.token_ttl_seconds),
                                 public_url=settings.public_url)
        self.cases = Cases(store=self.repo, sessions=self.sessions, catalogs=catalogs, audit=self.audit, clock=clock)
        self.background = Background(sessions=self.sessions, repo=self.repo, jobs=self.jobs, sweep=self.eraser.sweep,
                                     poll_seconds=settings.timer_poll_seconds,
                                     resume_periodically=isinstance(self.jobs, PgJobs))
        self.children = Children(sessions=self.sessions, repo=self.repo, jobs=self.jobs,
                                 token_ttl=dt.timedelta(seconds=settings.token_ttl_seconds))
        self.jobs.every(Periodic(name="faces.enrol", handler=self.duplicates.enrol_due,
                                 seconds=settings.timer_poll_seconds))
        self.webhooks = build_webhooks(settings=settings, repo=self.repo, jobs=self.jobs, sessions=self.sessions,
                                       audit=self.audit, metrics=self.metrics, clock=clock)
        register_handlers(self.sio, sdk=self.sessions.sdk, files=self.files, auth=self.auth, devices=self.devices,
                          limiter=RateLimiter(settings.sdk_rate_per_second, settings.sdk_rate_burst,
                                              what="SDK connection"), limits=settings.limits())
        api_limiter = RateLimiter(settings.api_rate_per_second, settings.api_rate_burst, what="API key")
        sdk_http_limiter = RateLimiter(settings.sdk_rate_per_second, settings.sdk_rate_burst,
                                       what="session (SDK HTTP requests)")
        # --- the back office: accounts, logins (whose cookie the REST API takes too), pages, live updates
        self.users = Users(self.repo, self.audit, clock)
        self.logins = Logins(self.repo, self.users, self.audit, clock,
                             ttl=dt.timedelta(seconds=settings.login_ttl_seconds), cookie_secure=settings.cookie_secure,
                             limiter=RateLimiter(settings.login_rate_per_minute / 60, settings.login_rate_burst,
                                                 what="IP address (back-office logins)"))
        self.auth.logins = self.logins
        backoffice = build_backoffice(logins=self.logins, cases=self.cases, users=self.users, files=self.files,
                                      audit=self.audit)
        register_live(self.sio, logins=self.logins, cases=self.cases)
        # ---
        self.idempotency = Idempotency(self.repo, clock, limits=settings.limits())
        guard = Guard(self.auth, api_limiter, self.idempotency)
        routes = [*build_routes(sessions=self.sessions, files=self.files, eraser=self.eraser, auth=self.auth,
                                readiness=self.readiness, api_limiter=api_limiter, sdk_limiter=sdk_http_limiter,
                                idempotency=self.idempotency, limits=settings.limits()),
                  *build_handoff_routes(handoffs=self.handoffs, sessions=self.sessions.integrator, auth=self.auth,
                                        guard=guard, sdk_limiter=sdk_http_limiter, limits=settings.limits(),
                                        exchange_limiter=RateLimiter(settings.handoff_rate_per_minute / 60,
                                                                     settings.handoff_rate_burst,
                                                                     what="IP address (handoff exchanges)")),
                  *build_case_routes(self.cases, guard, settings.limits()),
                  *build_admin_routes(keys=self.keys, audit=self.audit, guard=guard, limits=settings.limits()),
                  *build_webhook_routes(self.webhooks, guard, settings.limits()),
                  *build_rekognition_routes(self.files, self.auth, self.faces, self.rekognition_keys.get,
                                            self.collections),
                  *backoffice,
                  *build_web(catalogs, self.sessions.integrator, demo=settings.demo == "on", tenant=settings.tenant,
                             limits=settings.limits()),
                  *([self.metrics.route()] if settings.metrics == "on" else [])]
        routes += Reference(routes, title="Arabesque", version=version("arabesque"),
                            webhooks=EVENT_DATA).routes_of_its_own()
        starlette = Starlette(
            routes=routes,
            exception_handlers={p.SdkError: sdk_error_handler, HTTPException: http_error_handler,
                                Exception: internal_error_handler},
            middleware=[Middleware(CORSMiddleware, allow_origins=origins,
                                   allow_methods=["GET", "POST", "PATCH", "DELETE"],
                                   allow_headers=["authorization", "content-type", "idempotency-key"],
                                   expose_headers=["idempotent-replayed"])] if origins else [],
            lifespan=self.lifespan,
        )
        self.starlette = starlette
        self.asgi = Observe(socketio.ASGIApp(self.sio, other_asgi_app=starlette, socketio_path="socket.io"),
                            routes=starlette.routes, metrics=self.metrics)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        await self.start(runs_jobs=isinstance(self.jobs, LocalJobs))
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
            await self.stop()

    async def start(self, *, runs_jobs: bool) -> None:
        """Migrate, connect, and (`runs_jobs`: the embedded backend, or a worker node) take up the work that
        the database says is unfinished."""
        await asyncio.to_thread(upgrade, self.settings.resolved_database_url)
        self.database.start()
        await self.relay.start(self.sessions.presenter.on_remote_change)
        key, _ = await asyncio.to_thread(resolve_api_key, self.settings)
        await self.repo.ensure_api_key("ak_default", "default", digest(key), utc_now(), tenant=self.settings.tenant)
        self.pool.start()
        if isinstance(self.jobs, PgJobs):
            await self.jobs.open()
        if runs_jobs:
            resumed = await self.background.resume_tasks()
            if resumed:
                log.info("resumed %d verification task(s) interrupted by a restart", resumed)
            if delivered := await self.children.resume():
                log.info("delivered %d child outcome(s) a restart had interrupted", delivered)
        if isinstance(self.jobs, LocalJobs):
            self.jobs.start()

    async def stop(self) -> None:
        if isinstance(self.jobs, LocalJobs):
            await self.jobs.stop()
        elif isinstance(self.jobs, PgJobs):
            await self.jobs.close()
        await self.relay.close()
        await self.webhooks.sender.close()
        await self.http_task.outbound.close()
        self.pool.shutdown()
        await self.repo.close()

    async def readiness(self) -> dict[str, str]:
        """Every check run, by name: "ok" or what failed."""
        checks = {"database": "ok", "storage": "ok"}
        try:
            await self.repo.ping()
        except Exception as exc:
            checks["database"] = f"{type(exc).__name__}: {exc}"
        try:
            await self.store.check()
        except p.SdkError as exc:
            checks["storage"] = exc.message
        return checks


__all__ = ["Application", "utc_now"]
