"""Receivers on 127.0.0.1 for the webhook tests, stopped afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.server.webhooks.receiver import Receiver


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    started: list[Receiver] = []

    def make() -> Receiver:
        started.append(Receiver().start())
        return started[-1]

    yield make
    for receiver in started:
        receiver.stop()
