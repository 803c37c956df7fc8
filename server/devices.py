"""The SDK connections of this node, by session and rendering profile: kept in memory, never in the
database. A transition renders once per profile present here; other nodes render for their own
devices when the relay tells them (see relay.py)."""

from __future__ import annotations

import datetime as dt
import hashlib

import msgspec


class ClientProfile(msgspec.Struct, frozen=True, kw_only=True):
    """How one kind of connected client wants screens: its locale, the components it renders, and whether it
    speaks protocol 1.3 (selfie challenges, server/workflow/challenge.py)."""

    profile: str
    locale: str
    components: list[str]
    challenge: bool = False


def profile_of(locale: str, components: frozenset[str], *, challenge: bool = False) -> ClientProfile:
    """Clients that share a locale, component set and challenge support get the same rendering: one room each."""
    listed = sorted(components)
    text = f"{locale}|{','.join(listed)}" + ("|challenge" if challenge else "")
    key = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]
    return ClientProfile(profile=key, locale=locale, components=listed, challenge=challenge)


class Connection:
    """One SDK connection of this node: its session, until when its token counts, and its profile once it has
    said `hello` (None before: nothing is rendered for it until then)."""

    __slots__ = ("expires_at", "profile", "session_id")

    def __init__(self, session_id: str, expires_at: dt.datetime, profile: ClientProfile | None = None) -> None:
        self.session_id = session_id
        self.expires_at = expires_at
        self.profile = profile


class _Held:
    """A profile and how many of the session's connections on this node use it."""

    __slots__ = ("count", "profile")

    def __init__(self, profile: ClientProfile) -> None:
        self.profile = profile
        self.count = 0


class Devices:
    """Which session and profile each connection (Socket.IO sid) of this node has."""

    def __init__(self) -> None:
        self._by_sid: dict[str, Connection] = {}
        self._by_session: dict[str, dict[str, _Held]] = {}
        self._connected: dict[str, int] = {}  # session id -> connections here, greeted or not

    def __len__(self) -> int:
        return len(self._by_sid)

    def connect(self, sid: str, session_id: str, expires_at: dt.datetime) -> Connection:
        self.detach(sid)
        connection = self._by_sid[sid] = Connection(session_id, expires_at)
        self._connected[session_id] = self._connected.get(session_id, 0) + 1
        return connection

    def greet(self, sid: str, profile: ClientProfile) -> ClientProfile | None:
        """Give a connection its `hello` profile (in place of any earlier one); returns the earlier one."""
        connection = self._by_sid.get(sid)
        if connection is None:
            return None
        before = connection.profile
        if before is not None:
            self._release(connection.session_id, before)
        connection.profile = profile
        held = self._by_session.setdefault(connection.session_id, {}).setdefault(profile.profile, _Held(profile))
        held.count += 1
        return before

    def of(self, sid: str) -> Connection | None:
        return self._by_sid.get(sid)

    def detach(self, sid: str) -> None:
        connection = self._by_sid.pop(sid, None)
        if connection is None:
            return
        session_id = connection.session_id
        if connection.profile is not None:
            self._release(session_id, connection.profile)
        left = self._connected.get(session_id, 1) - 1
        if left > 0:
            self._connected[session_id] = left
        else:
            self._connected.pop(session_id, None)

    def _release(self, session_id: str, profile: ClientProfile) -> None:
        profiles = self._by_session.get(session_id, {})
        held = profiles.get(profile.profile)
        if held is not None:
            held.count -= 1
            if held.count <= 0:
                del profiles[profile.profile]
        if not profiles:
            self._by_session.pop(session_id, None)

    def profiles(self, session_id: str) -> list[ClientProfile]:
        """The distinct rendering profiles of this session's greeted connections on this node."""
        profiles = self._by_session.get(session_id)
        return [held.profile for held in profiles.values()] if profiles else []

    def has(self, session_id: str) -> bool:
        """Whether any connection of this session (greeted or not) is on this node."""
        return session_id in self._connected


__all__ = ["ClientProfile", "Connection", "Devices", "profile_of"]
