"""The audit log on SQLite and PostgreSQL: appended and read with filters, newest first, in pages; never
changed or deleted (the database refuses UPDATE and DELETE whoever asks)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from server.access import SYSTEM, Principal
from server.audit import Audit, AuditFilter
from server.db import Database, Repository
from server.db.migrate import upgrade
from server.db.schema import audit
from tests.conftest import NOW, fresh_postgres

OPS = Principal(tenant="acme", role="admin", actor="api_key:ak_ops", name="ops")
REVIEWER = Principal(tenant="acme", role="reviewer", actor="user:u_1", name="rita@example.com")
OTHER = Principal(tenant="globex", role="admin", actor="api_key:ak_globex", name="globex")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=1)
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Repository]:
    async def run(url: str) -> AsyncIterator[Repository]:
        await asyncio.to_thread(upgrade, url)
        made = Repository(Database(url))
        try:
            yield made
        finally:
            await made.close()

    if request.param == "sqlite":
        async for made in run(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"):
            yield made
    else:
        with fresh_postgres() as url:
            async for made in run(url):
                yield made


async def rows(repo: Repository) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await repo.db.read(lambda conn: conn.execute(select(audit).order_by(audit.c.id)).all())]


async def test_the_database_refuses_to_change_or_delete_an_audit_record(repo: Repository) -> None:
    log = Audit(repo, Clock())
    await log.record(OPS, "key.created", "api_key", "ak_1", after={"role": "admin"})
    await log.record(OPS, "session.erased", "session", "s_1", erased_by="api_key:ak_ops")
    before = await rows(repo)
    attempts = [update(audit).values(actor="someone else"), update(audit).where(audit.c.id == 1).values(details="{}"),
                delete(audit), delete(audit).where(audit.c.action == "session.erased")]
    for statement in attempts:
        with pytest.raises(DBAPIError, match="the audit log is append-only"):
            await repo.db.write(lambda conn, s=statement: conn.execute(s))  # type: ignore[misc]
    assert await rows(repo) == before
    await log.record(OPS, "key.revoked", "api_key", "ak_1")  # appending still works
    assert await repo.db.read(lambda conn: conn.execute(select(func.count()).select_from(audit)).scalar_one()) == 3


async def test_filters_pick_by_actor_action_prefix_subject_and_time_within_the_tenant(repo: Repository) -> None:
    clock = Clock()
    log = Audit(repo, clock)
    await log.record(OPS, "key.created", "api_key", "ak_1")                   # 12:01
    await log.record(REVIEWER, "case.claimed", "case", "s_1")                 # 12:02
    await log.record(REVIEWER, "case.decided", "case", "s_1")                 # 12:03
    await log.record(OPS, "file.downloaded", "file", "f_1", session_id="s_1")  # 12:04
    await log.record(SYSTEM, "session.erased", "session", "s_1", tenant="acme")  # 12:05
    await log.record(OTHER, "key.created", "api_key", "ak_2")                 # 12:06, another tenant
    await log.record(OPS, "cases.exported", "report", "r_1")                  # 12:07: "case." is not its prefix

    async def actions(**wanted: object) -> list[str]:
        page = await log.page("acme", AuditFilter(**wanted))  # type: ignore[arg-type]
        return [e.action for e in page.entries]

    assert await actions() == ["cases.exported", "session.erased", "file.downloaded", "case.decided", "case.claimed",
                               "key.created"]
    assert await actions(action="case.") == ["case.decided", "case.claimed"]
    assert await actions(action="case.claimed") == ["case.claimed"]
    assert await actions(action="case") == []  # exact unless it ends in "."
    assert await actions(actor="user:u_1") == ["case.decided", "case.claimed"]
    assert await actions(actor="system") == ["session.erased"]
    assert await actions(subject_id="s_1") == ["session.erased", "case.decided", "case.claimed"]
    at = NOW + dt.timedelta(minutes=2)
    assert await actions(since=at, until=at + dt.timedelta(minutes=2)) == ["case.decided", "case.claimed"]
    assert [e.subject_id for e in (await log.page("globex", AuditFilter())).entries] == ["ak_2"]
    [erased] = (await log.page("acme", AuditFilter(action="session.erased"))).entries
    assert (erased.actor, erased.actor_name, erased.tenant) == ("system", "system", "acme")


async def test_pages_go_back_from_the_newest_and_end_with_no_cursor(repo: Repository) -> None:
    log = Audit(repo, Clock())
    for i in range(7):
        await log.record(OPS, "key.created", "api_key", f"ak_{i}")
    seen: list[str] = []
    cursor: int | None = None
    pages = 0
    while True:
        page = await log.page("acme", AuditFilter(limit=3, before_id=cursor))
        seen += [e.subject_id for e in page.entries]
        pages += 1
        if page.next_cursor is None:
            break
        assert page.next_cursor == page.entries[-1].id
        cursor = page.next_cursor
    assert seen == [f"ak_{i}" for i in reversed(range(7))] and pages == 3
    exact = await log.page("acme", AuditFilter(limit=7))
    assert len(exact.entries) == 7 and exact.next_cursor is None
