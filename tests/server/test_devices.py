"""This node's connections by session and rendering profile: one rendering per profile in use."""

from __future__ import annotations

import sdk_protocol as p
from server.devices import Devices, default_profile, profile_of


def test_two_devices_with_the_same_profile_share_one_rendering() -> None:
    devices = Devices()
    phone = profile_of("de", p.ALL_COMPONENT_TYPES)
    devices.attach("sid1", "s_1", phone)
    devices.attach("sid2", "s_1", phone)
    assert devices.profiles("s_1") == [phone]
    devices.detach("sid1")
    assert devices.profiles("s_1") == [phone]
    devices.detach("sid2")
    assert devices.profiles("s_1") == [] and not devices.has("s_1")


def test_hello_replaces_the_connect_time_profile() -> None:
    devices = Devices()
    devices.attach("sid1", "s_1", default_profile("en"))
    declared = profile_of("en", p.ALL_COMPONENT_TYPES)
    assert devices.switch("sid1", declared) == default_profile("en")
    assert devices.profiles("s_1") == [declared]
    assert len(devices) == 1


def test_an_unknown_connection_switches_nothing() -> None:
    assert Devices().switch("nobody", default_profile("en")) is None
