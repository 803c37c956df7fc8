"""This node's connections by session and rendering profile: one rendering per profile in use."""

from __future__ import annotations

import datetime as dt

import sdk_protocol as p
from server.devices import Devices, profile_of

LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def test_two_devices_with_the_same_profile_share_one_rendering() -> None:
    devices = Devices()
    phone = profile_of("de", p.ALL_COMPONENT_TYPES)
    for sid in ("sid1", "sid2"):
        devices.connect(sid, "s_1", LATER)
        devices.greet(sid, phone)
    assert devices.profiles("s_1") == [phone]
    devices.detach("sid1")
    assert devices.profiles("s_1") == [phone]
    devices.detach("sid2")
    assert devices.profiles("s_1") == [] and not devices.has("s_1")


def test_a_connection_has_no_rendering_until_it_says_hello() -> None:
    devices = Devices()
    connection = devices.connect("sid1", "s_1", LATER)
    assert connection.profile is None and devices.profiles("s_1") == [] and devices.has("s_1")
    declared = profile_of("en", p.ALL_COMPONENT_TYPES)
    assert devices.greet("sid1", declared) is None
    assert devices.profiles("s_1") == [declared] and connection.profile == declared


def test_a_second_hello_replaces_the_first_profile() -> None:
    devices = Devices()
    devices.connect("sid1", "s_1", LATER)
    first = profile_of("en", p.CORE_COMPONENT_TYPES)
    devices.greet("sid1", first)
    declared = profile_of("en", p.ALL_COMPONENT_TYPES)
    assert devices.greet("sid1", declared) == first
    assert devices.profiles("s_1") == [declared]
    assert len(devices) == 1


def test_an_unknown_connection_greets_nothing() -> None:
    assert Devices().greet("nobody", profile_of("en", p.CORE_COMPONENT_TYPES)) is None
