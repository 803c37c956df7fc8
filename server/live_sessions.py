"""Sessions in memory: the row and snapshot of each session this node works on, one lock per session.

A transition reads the snapshot from here, not from the database, and commits with the version it
read (optimistic): if another node (or anything else) changed the row meanwhile, the commit is
refused and the entry is reloaded. The lock serialises the events of one session on this node, so
their commits never race each other and their screens go out in order. Bounded (least recently
used entries go first), and tokens opened here are remembered so a connect needs no query.

The snapshot is kept as its JSON text and decoded when used (microseconds): kept decoded, every
transition would leave a new tree of dicts for the cyclic garbage collector to promote, and its full
passes (about 100 ms with 1,000 sockets) would run every second or so.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable

import msgspec

import sdk_protocol as p
from server.db import SessionRow
from server.workflow import Snapshot

REPLIES_KEPT = 8


_decode_snapshot = msgspec.json.Decoder(Snapshot).decode


class Live:
    """One session as this node last read or wrote it (`row.snapshot` holds the snapshot's JSON), and the
    version last pushed to this node's devices (a copy refreshed without a push must not stop the relay's)."""

    __slots__ = ("pushed", "replies", "row")

    def __init__(self, row: SessionRow) -> None:
        self.row = row
        self.pushed = 0
        self.replies: dict[str, bytes] = {}  # recent idempotent replies by key (the database has them all)

    @property
    def snapshot(self) -> Snapshot:
        return _decode_snapshot(self.row.snapshot)

    def remember(self, key: str, reply: bytes) -> None:
        self.replies[key] = reply
        if len(self.replies) > REPLIES_KEPT:
            del self.replies[next(iter(self.replies))]


def decode_snapshot(row: SessionRow) -> Snapshot:
    return _decode_snapshot(row.snapshot)


class _SessionLock:
    """A session's lock and how many hold or wait for it (it is dropped when none do)."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class LiveSessions:
    """The cache and the per-session locks; `load` reads a row from the database."""

    def __init__(self, load: Callable[[str], Awaitable[SessionRow | None]], *, capacity: int = 20_000,
                 tokens: int = 50_000) -> None:
        self._load = load
        self.capacity = capacity
        self._entries: collections.OrderedDict[str, Live] = collections.OrderedDict()
        self._locks: dict[str, _SessionLock] = {}
        self._tokens: collections.OrderedDict[str, tuple[str, dt.datetime]] = collections.OrderedDict()
        self._token_capacity = tokens

    @contextlib.asynccontextmanager
    async def locked(self, session_id: str) -> AsyncIterator[None]:
        """Hold this session's lock (not reentrant: code inside calls the `_locked` variants)."""
        held = self._locks.get(session_id)
        if held is None:
            held = self._locks[session_id] = _SessionLock()
        held.users += 1
        try:
            async with held.lock:
                yield
        finally:
            held.users -= 1
            if held.users == 0:
                del self._locks[session_id]

    def peek(self, session_id: str) -> Live | None:
        return self._entries.get(session_id)

    async def fetch(self, session_id: str) -> Live:
        """`get` for callers that do not hold the session's lock: a load then cannot land after a newer
        write or an erasure of the same session."""
        live = self._entries.get(session_id)
        if live is not None:
            self._entries.move_to_end(session_id)
            return live
        async with self.locked(session_id):
            return await self.get(session_id)

    async def get(self, session_id: str) -> Live:
        """The live session (the caller holds its lock); SessionNotFound or SessionErased when there is none."""
        live = self._entries.get(session_id)
        if live is not None:
            self._entries.move_to_end(session_id)
            return live
        return await self.reload(session_id)

    async def reload(self, session_id: str) -> Live:
        row = await self._load(session_id)
        if row is None:
            self.drop(session_id)
            raise p.SessionNotFound(f"Expected an existing session, got unknown id {session_id!r}",
                                    session_id=session_id)
        if row.status in ("erased", "erasing"):
            self.drop(session_id)
            raise p.SessionErased("Expected an active session, got one that has been erased", session_id=session_id)
        return self.put(row)

    def put(self, row: SessionRow) -> Live:
        """Keep `row` as the session's current state (its `snapshot` is the snapshot's JSON); an older version
        than the one kept never replaces it."""
        live = self._entries.get(row.id)
        if live is None:
            live = self._entries[row.id] = Live(row)
            if len(self._entries) > self.capacity:
                self._evict()
        else:
            if row.version >= live.row.version:
                live.row = row
            self._entries.move_to_end(row.id)
        return live

    def drop(self, session_id: str) -> None:
        self._entries.pop(session_id, None)

    def _evict(self) -> None:
        """Forget the least recently used entries whose session nobody holds or waits for."""
        for session_id in list(self._entries)[: max(1, self.capacity // 10)]:
            if session_id not in self._locks:
                del self._entries[session_id]

    # --- tokens ---------------------------------------------------------------

    def remember_token(self, token_hash: str, session_id: str, expires_at: dt.datetime) -> None:
        self._tokens[token_hash] = (session_id, expires_at)
        if len(self._tokens) > self._token_capacity:
            self._tokens.popitem(last=False)

    def token(self, token_hash: str) -> tuple[str, dt.datetime] | None:
        return self._tokens.get(token_hash)

    def forget_tokens(self, session_id: str) -> None:
        for token_hash in [h for h, (owner, _) in self._tokens.items() if owner == session_id]:
            del self._tokens[token_hash]


__all__ = ["Live", "LiveSessions", "decode_snapshot"]
