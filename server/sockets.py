"""The SDK channel: Socket.IO namespace /sdk, event `message`. A thin adapter over the service.

Per-connection state (session id, rendering profile) lives in this node's `Devices`, never in the
database or on a namespace object. Handlers run in each connection's
own receive loop (`async_handlers=False`), so one connection's messages are handled one at a time, in
order, and a connection that floods waits for its own replies instead of crowding out the others;
on top of that each connection has a token bucket. Errors are mapped to the wire here, once.
"""

from __future__ import annotations

import asyncio
import logging

import socketio

import sdk_protocol as p
from server.devices import ClientProfile, Devices, default_profile
from server.ratelimit import RateLimiter
from server.service import SessionService

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


def register_handlers(sio: socketio.AsyncServer, service: SessionService, devices: Devices,
                      limiter: RateLimiter) -> None:
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
        for _ in range(300):  # the CONNECT packet goes out after the handler returns; wait for it
            if sio.manager.is_connected(sid, NAMESPACE):
                break
            await asyncio.sleep(0.01)
        try:
            for message in await service.current_messages(session_id, profile):
                await sio.emit(EVENT, message, to=sid, namespace=NAMESPACE)
        except p.SdkError as exc:
            await sio.emit(EVENT, p.error_message(exc), to=sid, namespace=NAMESPACE)

    async def connect(sid: str, environ: dict[str, object], auth: object) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            session_id = await service.authenticate_token(token)
            profile = default_profile(await service.session_locale(session_id))
        except p.SdkError as exc:
            # The client's connect_error handler receives {"message": ..., "data": <error message>}.
            raise socketio.exceptions.ConnectionRefusedError(exc.message, p.to_wire(p.error_message(exc))) from None
        await sio.enter_room(sid, session_id, namespace=NAMESPACE)
        await sio.enter_room(sid, room(session_id, profile.profile), namespace=NAMESPACE)
        devices.attach(sid, session_id, profile)
        later(sid, session_id, profile)

    async def disconnect(sid: str, reason: object = None) -> None:
        devices.detach(sid)
        limiter.forget(sid)
        refused.pop(sid, None)

    async def on_message(sid: str, *args: object) -> object:
        connected = devices.of(sid)
        if connected is None:  # a message racing the connection's close
            return p.error_message(p.InvalidToken("Expected a message on a connected session, got one after it left"))
        session_id, profile = connected
        try:
            await throttle(sid, session_id)
            if len(args) != 1:
                raise p.InvalidMessage(f"Expected one message object per event, got {len(args)} arguments",
                                       path="$")
            message = p.decode_client(args[0])
            if isinstance(message, p.Hello):
                welcome, new_profile = service.hello(message, session_id)
                if new_profile != profile:
                    await sio.leave_room(sid, room(session_id, profile.profile), namespace=NAMESPACE)
                    await sio.enter_room(sid, room(session_id, new_profile.profile), namespace=NAMESPACE)
                    devices.switch(sid, new_profile)  # replaces the connect-time profile: one rendering each
                later(sid, session_id, new_profile)
                reply: p.Message = welcome
            elif isinstance(message, p.ScreenSubmit):
                reply = await service.submit(session_id, message, profile.locale)
            elif isinstance(message, p.ScreenAction):
                reply = await service.action(session_id, message)
            else:
                reply = await service.complete_upload(session_id, message)
        except p.StaleScreen as exc:
            reply = p.error_message(exc)
            later(sid, session_id, profile)
        except p.SdkError as exc:
            reply = p.error_message(exc)
        except Exception:
            log.exception("unexpected error handling a message of %s", session_id)
            reply = p.error_message(p.InternalError("Expected to handle the message, got an internal error"))
        return reply  # the Socket.IO ack; the packet encoder takes the Struct as it is

    async def on_other(event: str, sid: str, *args: object) -> object:
        error = p.InvalidMessage(f"Expected the event {EVENT!r}, got {event[:64]!r}", event=event[:64])
        return p.error_message(error)

    sio.on("connect", connect, namespace=NAMESPACE)
    sio.on("disconnect", disconnect, namespace=NAMESPACE)
    sio.on(EVENT, on_message, namespace=NAMESPACE)
    sio.on("*", on_other, namespace=NAMESPACE)


__all__ = ["EVENT", "NAMESPACE", "SocketBroadcaster", "register_handlers", "room"]
