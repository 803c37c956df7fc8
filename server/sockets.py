"""The SDK channel: Socket.IO namespace /sdk, event `message`. A thin adapter over the use cases.

Per-connection state (session id, rendering profile) lives in this node's `Devices`, never in the
database or on a namespace object. Handlers run in each connection's
own receive loop (`async_handlers=False`), so one connection's messages are handled one at a time, in
order, and a connection that floods waits for its own replies instead of crowding out the others;
on top of that each connection has a token bucket. Errors are mapped to the wire here, once.
"""

from __future__ import annotations

import asyncio
import logging
import time

import socketio

import sdk_protocol as p
from server import context
from server.auth import Authenticator
from server.devices import ClientProfile, Connection, Devices
from server.fast_json import Unreadable
from server.files import Files
from server.ratelimit import RateLimiter
from server.sessions import SdkSessions

NAMESPACE = "/sdk"
EVENT = "message"
FLOOD_BURSTS = 2
"""A connection refused this many bursts' worth of messages in a row is flooding: the server stops reading
it until its bucket is full again. Its messages wait in its own TCP buffers (backpressure) and cost the
others nothing; closing it instead would make the server read and discard everything it had queued."""
log = logging.getLogger("arabesque.sockets")


def room(session_id: str, profile: str) -> str:
    return f"{session_id}:{profile}"


class SocketBroadcaster:
    """Sends to this node's devices of a session that share a rendering profile, or to every device of a
    session on every node (through the Socket.IO manager, Redis when there are several nodes)."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def to_profile(self, session_id: str, profile: str, message: p.Message) -> None:
        # the packet encoder (server/fast_json.py) takes the Struct as it is; other nodes render their own
        await self.sio.emit(EVENT, message, to=room(session_id, profile), namespace=NAMESPACE, ignore_queue=True)

    async def to_session(self, session_id: str, message: p.Message) -> None:
        await self.sio.emit(EVENT, p.to_wire(message), to=session_id, namespace=NAMESPACE)


def register_handlers(sio: socketio.AsyncServer, *, sdk: SdkSessions, files: Files, auth: Authenticator,
                      devices: Devices, limiter: RateLimiter, limits: p.Limits = p.DEFAULT_LIMITS) -> None:
    background: set[asyncio.Task[None]] = set()
    refused: dict[str, int] = {}  # sid -> messages refused in a row for their rate
    flood_limit = FLOOD_BURSTS * int(limiter.burst)

    def later(sid: str, session_id: str, profile: ClientProfile) -> None:
        task = asyncio.create_task(send_current(sid, session_id, profile))
        background.add(task)  # keep a reference until it is done, or it may be collected mid-flight
        task.add_done_callback(background.discard)

    async def throttle(sid: str, session_id: str) -> None:
        """Take a token for this connection, or refuse; past the flood limit, also stop reading it for a while
        (this handler runs in the connection's own receive loop, so waiting here pauses only this one)."""
        try:
            limiter.check(sid)
        except p.RateLimited as exc:
            count = refused[sid] = refused.get(sid, 0) + 1
            if count >= flood_limit:
                pause = limiter.burst / limiter.rate
                log.warning("connection of %s sent %d messages over its rate in a row: not read for %.1fs",
                            session_id, count, pause)
                refused[sid] = 0
                exc.details["paused"] = pause
                await asyncio.sleep(pause)
            raise
        refused.pop(sid, None)

    async def send_current(sid: str, session_id: str, profile: ClientProfile) -> None:
        """After the `welcome` ack has gone out: the current screen, rendered for this client."""
        try:
            for message in await sdk.current(session_id, profile):
                await sio.emit(EVENT, message, to=sid, namespace=NAMESPACE)
        except p.SdkError as exc:
            await sio.emit(EVENT, p.error_message(exc), to=sid, namespace=NAMESPACE)

    async def connect(sid: str, environ: dict[str, object], auth_data: object) -> None:
        token = auth_data.get("token") if isinstance(auth_data, dict) else None
        try:
            grant = await auth.token(token)
            await sdk.check_active(grant.session_id)
        except p.SdkError as exc:
            # The client's connect_error handler receives {"message": ..., "data": <error message>}.
            raise socketio.exceptions.ConnectionRefusedError(exc.message, p.to_wire(p.error_message(exc))) from None
        devices.connect(sid, grant.session_id, grant.expires_at)  # nothing is rendered for it before `hello`

    async def disconnect(sid: str, reason: object = None) -> None:
        devices.detach(sid)
        limiter.forget(sid)
        refused.pop(sid, None)

    async def greet(sid: str, connection: Connection, message: p.Hello) -> p.Message:
        session_id = connection.session_id
        welcome, profile = sdk.hello(message, session_id)
        before = devices.greet(sid, profile)  # replaces an earlier hello's profile: one rendering each
        if before is None:
            await sio.enter_room(sid, session_id, namespace=NAMESPACE)
        elif before != profile:
            await sio.leave_room(sid, room(session_id, before.profile), namespace=NAMESPACE)
        await sio.enter_room(sid, room(session_id, profile.profile), namespace=NAMESPACE)
        later(sid, session_id, profile)
        return welcome

    async def handle(sid: str, connection: Connection, args: tuple[object, ...]) -> p.Message:
        session_id = connection.session_id
        await throttle(sid, session_id)
        auth.check_unexpired(connection.expires_at)
        if args and isinstance(args[0], Unreadable):
            raise args[0].error
        if len(args) != 1:
            raise p.InvalidMessage(f"Expected one message object per event, got {len(args)} arguments", path="$")
        message = p.decode_client(args[0], limits=limits)
        if isinstance(message, p.Hello):
            return await greet(sid, connection, message)
        profile = connection.profile
        if profile is None:
            raise p.HandshakeRequired(f"Expected `hello` first on a new connection, got {message_type(message)!r}")
        if isinstance(message, p.ScreenSubmit):
            return await sdk.submit(session_id, message, profile.locale, challenge=profile.challenge)
        if isinstance(message, p.ScreenAction):
            return await sdk.action(session_id, message)
        return await files.complete_upload(session_id, message)

    async def on_message(sid: str, *args: object) -> object:
        connection = devices.of(sid)
        if connection is None:  # a message racing the connection's close
            return p.error_message(p.InvalidToken("Expected a message on a connected session, got one after it left"))
        with context.scope(request_id=context.new_request_id(), session_id=connection.session_id, tenant="",
                           started=time.monotonic()):
            try:
                return await handle(sid, connection, args)
            except p.StaleScreen as exc:
                if connection.profile is not None:
                    later(sid, connection.session_id, connection.profile)
                return p.error_message(exc)
            except p.SdkError as exc:
                return p.error_message(exc)
            except Exception:
                log.exception("unexpected error handling a message of %s", connection.session_id)
                return p.error_message(p.InternalError("Expected to handle the message, got an internal error"))

    async def on_other(event: str, sid: str, *args: object) -> object:
        error = p.InvalidMessage(f"Expected the event {EVENT!r}, got {event[:64]!r}", event=event[:64])
        return p.error_message(error)

    sio.on("connect", connect, namespace=NAMESPACE)
    sio.on("disconnect", disconnect, namespace=NAMESPACE)
    sio.on(EVENT, on_message, namespace=NAMESPACE)
    sio.on("*", on_other, namespace=NAMESPACE)


def message_type(message: p.Message) -> str:
    return str(type(message).__struct_config__.tag)


__all__ = ["EVENT", "NAMESPACE", "SocketBroadcaster", "register_handlers", "room"]
