"""The session cache: never goes back to an older row, loads under the session's lock, forgets the erased."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

import sdk_protocol as p
from server.db import SessionRow
from server.live_sessions import LiveSessions

NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)


def row(version: int, status: str = "active") -> SessionRow:
    return SessionRow(id="s_1", tenant="t", journey="kyc_individual", journey_version=1, reference="", locale="en",
                      state="welcome", status=status, outcome=None, version=version, snapshot="{}", next_due_at=None,
                      created_at=NOW, updated_at=NOW, completed_at=None)


def test_an_older_row_never_replaces_a_newer_one() -> None:
    live = LiveSessions(lambda session_id: asyncio.sleep(0, None))  # type: ignore[arg-type,return-value]
    live.put(row(6))
    kept = live.put(row(5))
    assert kept.row.version == 6


async def test_a_load_waits_for_the_write_holding_the_session() -> None:
    stored = {"version": 5}
    loads: list[int] = []

    async def load(session_id: str) -> SessionRow:
        loads.append(stored["version"])
        return row(stored["version"])

    live = LiveSessions(load)
    async with live.locked("s_1"):
        fetching = asyncio.create_task(live.fetch("s_1"))
        await asyncio.sleep(0.01)
        stored["version"] = 6  # the holder commits, then lets go
        live.put(row(6))
    assert (await fetching).row.version == 6 and loads == []


async def test_an_erased_session_is_not_live() -> None:
    async def load(session_id: str) -> SessionRow:
        return row(7, status="erasing")

    with pytest.raises(p.SessionErased):
        await LiveSessions(load).fetch("s_1")
