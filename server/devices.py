"""The SDK connections of this node, by session and rendering profile: kept in memory, never in the
database. A transition renders once per profile present here; other nodes render for their own
devices when the relay tells them (see relay.py)."""

from __future__ import annotations

import hashlib

import msgspec

import sdk_protocol as p


class ClientProfile(msgspec.Struct, frozen=True, kw_only=True):
    """How one kind of connected client wants screens: its locale and the components it renders."""

    profile: str
    locale: str
    components: list[str]


def profile_of(locale: str, components: frozenset[str]) -> ClientProfile:
    """Clients that share a locale and component set get the same rendering: one room each."""
    listed = sorted(components)
    key = hashlib.sha1(f"{locale}|{','.join(listed)}".encode(), usedforsecurity=False).hexdigest()[:16]
    return ClientProfile(profile=key, locale=locale, components=listed)


def default_profile(locale: str) -> ClientProfile:
    """What a client gets before its `hello`: the core components, in the session's locale."""
    return profile_of(locale, p.CORE_COMPONENT_TYPES)


class _Held:
    """A profile and how many of the session's connections on this node use it."""

    __slots__ = ("count", "profile")

    def __init__(self, profile: ClientProfile) -> None:
        self.profile = profile
        self.count = 0


class Devices:
    """Which session and profile each connection (Socket.IO sid) of this node has."""

    def __init__(self) -> None:
        self._by_sid: dict[str, tuple[str, ClientProfile]] = {}
        self._by_session: dict[str, dict[str, _Held]] = {}

    def __len__(self) -> int:
        return len(self._by_sid)

    def attach(self, sid: str, session_id: str, profile: ClientProfile) -> None:
        self.detach(sid)
        self._by_sid[sid] = (session_id, profile)
        held = self._by_session.setdefault(session_id, {}).setdefault(profile.profile, _Held(profile))
        held.count += 1

    def of(self, sid: str) -> tuple[str, ClientProfile] | None:
        """The session and profile of a connection of this node."""
        return self._by_sid.get(sid)

    def switch(self, sid: str, profile: ClientProfile) -> ClientProfile | None:
        """Give a connection its `hello` profile in place of the one it had; returns the old one."""
        found = self._by_sid.get(sid)
        if found is None:
            return None
        self.attach(sid, found[0], profile)
        return found[1]

    def detach(self, sid: str) -> None:
        found = self._by_sid.pop(sid, None)
        if found is None:
            return
        session_id, profile = found
        profiles = self._by_session.get(session_id, {})
        held = profiles.get(profile.profile)
        if held is not None:
            held.count -= 1
            if held.count <= 0:
                del profiles[profile.profile]
        if not profiles:
            self._by_session.pop(session_id, None)

    def profiles(self, session_id: str) -> list[ClientProfile]:
        """The distinct rendering profiles of this session's connections on this node."""
        profiles = self._by_session.get(session_id)
        return [held.profile for held in profiles.values()] if profiles else []

    def has(self, session_id: str) -> bool:
        return session_id in self._by_session


__all__ = ["ClientProfile", "Devices", "default_profile", "profile_of"]
