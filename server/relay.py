"""Telling the other nodes that a session changed, so each renders the new screen for its own devices.

With one node there is nobody to tell (`NoRelay`). With several (`ARABESQUE_REDIS_URL`), each commit
is published on a Redis channel with the stored row; every other node updates its cached copy (if
newer) and pushes to the devices connected to it. Publishing goes through one queue per node, so the
changes of a session arrive in the order they were committed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Protocol

import msgspec
import redis.asyncio as aioredis

from server.db import SessionRow

CHANNEL = "arabesque:sessions"
MAX_OUTBOX = 10_000
log = logging.getLogger("arabesque.relay")


class Changed(msgspec.Struct, frozen=True, kw_only=True):
    node: str
    row: SessionRow
    push: bool = True
    """whether the change shows a new screen (False: only keep copies fresh, e.g. after erasure)"""


OnChange = Callable[[SessionRow, bool], Coroutine[object, object, None]]


class Relay(Protocol):
    """Where a committed change is announced to the other nodes."""

    def publish(self, row: SessionRow, *, push: bool) -> None: ...

    async def start(self, on_change: OnChange) -> None: ...

    async def close(self) -> None: ...


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("applying a change relayed from another node failed", exc_info=error)


class NoRelay:
    """A single node: every device is connected here."""

    def publish(self, row: SessionRow, *, push: bool) -> None:
        return None

    async def start(self, on_change: OnChange) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisRelay:
    """Publish and subscribe on one Redis channel; a node ignores its own messages."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.node = uuid.uuid4().hex
        self._redis: aioredis.Redis | None = None
        self._outbox: collections.deque[bytes] = collections.deque()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._encode = msgspec.json.Encoder().encode
        self._decode = msgspec.json.Decoder(Changed).decode
        self.dropped = 0

    def publish(self, row: SessionRow, *, push: bool) -> None:
        if len(self._outbox) >= MAX_OUTBOX:  # Redis unreachable for a while: the oldest news goes first
            self._outbox.popleft()
            self.dropped += 1
        self._outbox.append(self._encode(Changed(node=self.node, row=row, push=push)))
        self._wake.set()

    async def start(self, on_change: OnChange) -> None:
        self._redis = aioredis.from_url(self.url)
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL)
        self._tasks = [asyncio.create_task(self._send(), name="relay-send"),
                       asyncio.create_task(self._receive(pubsub, on_change), name="relay-receive")]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._redis is not None:
            await self._redis.aclose()

    async def _send(self) -> None:
        assert self._redis is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                batch = [self._outbox.popleft() for _ in range(min(len(self._outbox), 256))]
                try:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for payload in batch:
                            pipe.publish(CHANNEL, payload)
                        await pipe.execute()
                except Exception as exc:  # other nodes' copies catch up at their next conflict or connect;
                    # their devices see the screen after the session's next change
                    # its type only: redis-py quotes a failed pipeline's commands, the session rows included
                    log.warning("relay publish failed (%d change(s) not announced): %s", len(batch),
                                type(exc).__name__)
                    await asyncio.sleep(0.5)

    async def _receive(self, pubsub: aioredis.client.PubSub, on_change: OnChange) -> None:
        handling: set[asyncio.Task[None]] = set()
        while True:
            try:
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    changed = self._decode(message["data"])
                    if changed.node == self.node:
                        continue
                    # a task each, so one session's busy lock does not hold up the others; tasks start in
                    # arrival order and the session lock is fair, so a session's changes keep their order
                    task = asyncio.create_task(on_change(changed.row, changed.push))
                    handling.add(task)
                    task.add_done_callback(handling.discard)
                    task.add_done_callback(_log_failure)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("relay subscription failed, resubscribing: %s", type(exc).__name__)
                await asyncio.sleep(0.5)
                with contextlib.suppress(Exception):
                    await pubsub.subscribe(CHANNEL)


__all__ = ["CHANNEL", "Changed", "NoRelay", "OnChange", "RedisRelay", "Relay"]
