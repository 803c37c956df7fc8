"""The write path: one writer committing batches, each job failing alone, overload answered server.busy."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

import sdk_protocol as p
from server.db import Database

ITEMS = sa.Table("items", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("name", sa.String(20), nullable=False))


@pytest.fixture
async def database(tmp_path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", max_queue=50)
    await db.write(ITEMS.create)
    yield db  # type: ignore[misc]
    await db.close()


def insert(i: int, name: str = "x") -> object:
    return lambda conn: conn.execute(ITEMS.insert().values(id=i, name=name)).rowcount


async def count(db: Database) -> int:
    return int(await db.read(lambda conn: conn.execute(sa.select(sa.func.count()).select_from(ITEMS)).scalar_one()))


async def test_writes_queued_together_commit_in_one_batch(database: Database) -> None:
    batches = database.batches
    assert await asyncio.gather(*(database.write(insert(i)) for i in range(40))) == [1] * 40  # type: ignore[arg-type]
    assert await count(database) == 40
    assert database.batches - batches < 40  # group commit: fewer commits than writes


async def test_a_failing_job_fails_alone_and_its_batch_mates_commit(database: Database) -> None:
    await database.write(insert(1))  # type: ignore[arg-type]
    results = await asyncio.gather(database.write(insert(2)), database.write(insert(1)),  # type: ignore[arg-type]
                                   database.write(insert(3)), return_exceptions=True)  # type: ignore[arg-type]
    assert results[0] == 1 and results[2] == 1
    assert isinstance(results[1], sa.exc.IntegrityError)
    assert await count(database) == 3


async def test_a_full_write_queue_answers_server_busy_with_a_retry_hint(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", max_queue=2)
    await db.write(ITEMS.create)
    release = threading.Event()

    def blocks(conn: Connection) -> None:
        release.wait(10)

    holding = asyncio.ensure_future(db.write(blocks))
    await asyncio.sleep(0.2)  # the writer is inside `blocks`; what comes next waits in the queue
    queued = [asyncio.ensure_future(db.write(insert(i))) for i in range(2)]  # type: ignore[arg-type]
    await asyncio.sleep(0)
    with pytest.raises(p.ServerBusy) as caught:
        await db.write(insert(9))  # type: ignore[arg-type]
    assert caught.value.code == "server.busy" and caught.value.details["retry_after"] > 0
    release.set()
    await holding
    assert await asyncio.gather(*queued) == [1, 1]
    await db.close()


async def test_a_write_waiting_longer_than_allowed_is_refused_not_committed_late(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", max_wait_seconds=0.2)
    await db.write(ITEMS.create)
    release = threading.Event()
    holding = asyncio.ensure_future(db.write(lambda conn: release.wait(10)))
    await asyncio.sleep(0.1)
    late = asyncio.ensure_future(db.write(insert(1)))  # type: ignore[arg-type]
    await asyncio.sleep(0.4)
    release.set()
    await holding
    with pytest.raises(p.ServerBusy):
        await late
    assert await count(db) == 0
    await db.close()


async def test_close_commits_what_is_queued(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    db = Database(url)
    await db.write(ITEMS.create)
    pending = [asyncio.ensure_future(db.write(insert(i))) for i in range(10)]  # type: ignore[arg-type]
    await asyncio.sleep(0)
    await db.close()
    assert all(task.done() and task.result() == 1 for task in pending)
    again = Database(url)
    assert await count(again) == 10
    await again.close()


async def test_a_lost_connection_answers_server_busy_not_an_internal_error(database: Database) -> None:
    def drops(conn: Connection) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    with pytest.raises(p.ServerBusy) as caught:
        await database.write(drops)
    assert "same idempotency key" in caught.value.message
    assert await database.write(insert(1)) == 1  # type: ignore[arg-type]  # a new connection serves the next


async def test_a_bug_in_a_job_stays_an_error_of_its_own(database: Database) -> None:
    def broken(conn: Connection) -> None:
        conn.execute(sa.text("SELECT * FROM no_such_table"))

    with pytest.raises(sa.exc.OperationalError, match="no such table"):
        await database.write(broken)
