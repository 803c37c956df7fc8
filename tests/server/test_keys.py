"""API keys as use cases (server/keys.py) on the real repository, SQLite and PostgreSQL: made, listed, rotated
with a grace period, revoked, each change audited without the secret, and the authenticator's view of them."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

import sdk_protocol as p
from server.access import KeyNotFound, Principal
from server.audit import Audit
from server.auth import Authenticator, digest
from server.db import Database, Repository
from server.db.migrate import upgrade
from server.db.rows import AuditQuery, AuditRow, KeyRow
from server.keys import CreateKey, KeyAdmin, KeyInactive, parse_duration, parse_expiry
from server.live_sessions import LiveSessions
from tests.conftest import NOW, fresh_postgres

ADMIN = Principal(tenant="acme", role="admin", actor="api_key:ak_admin", name="ops", ip="10.0.0.1")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


class Keys:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.clock = Clock()
        self.changes = 0
        self.admin = KeyAdmin(repo, Audit(repo, self.clock), self.clock, on_change=self.changed)

    def changed(self) -> None:
        self.changes += 1

    async def audit(self, tenant: str = "acme") -> list[AuditRow]:
        return await self.repo.list_audit(AuditQuery(tenant=tenant, limit=500))

    def authenticator(self) -> Authenticator:
        return Authenticator(self.repo, LiveSessions(self.repo.load_session), self.clock, key_cache_seconds=60)


@pytest.fixture(params=["sqlite", "postgresql"])
async def keys(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Keys]:
    async def run(url: str) -> AsyncIterator[Keys]:
        await asyncio.to_thread(upgrade, url)
        repo = Repository(Database(url))
        try:
            yield Keys(repo)
        finally:
            await repo.close()

    if request.param == "sqlite":
        async for made in run(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"):
            yield made
    else:
        with fresh_postgres() as url:
            async for made in run(url):
                yield made


def integrator(name: str = "checkout", expires_at: dt.datetime | None = None) -> CreateKey:
    return CreateKey(name=name, role="integrator", expires_at=expires_at)


async def test_a_new_key_is_shown_once_kept_as_its_digest_and_audited_without_either(keys: Keys) -> None:
    created = await keys.admin.create(ADMIN, integrator(), tenant="acme")
    assert created.api_key.startswith("ak_") and len(created.api_key) >= 40
    assert (created.tenant, created.role, created.name, created.status) == ("acme", "integrator", "checkout", "active")
    assert created.prefix == created.api_key[:11] and created.created_by == "api_key:ak_admin"
    grant = await keys.repo.api_key_grant(digest(created.api_key))
    assert grant is not None and (grant.id, grant.tenant, grant.role) == (created.id, "acme", "integrator")
    [listed] = await keys.admin.list_keys(tenant="acme")
    assert "api_key" not in msgspec.to_builtins(listed) and listed.id == created.id
    [entry] = await keys.audit()
    assert (entry.action, entry.subject_type, entry.subject_id, entry.actor, entry.actor_name, entry.ip) == (
        "key.created", "api_key", created.id, "api_key:ak_admin", "ops", "10.0.0.1")
    assert entry.after == {"name": "checkout", "role": "integrator", "prefix": created.prefix, "expires_at": None}
    written = msgspec.json.encode(await keys.audit()).decode()
    assert created.api_key not in written and digest(created.api_key) not in written
    assert keys.changes == 1


async def test_keys_are_listed_per_tenant_or_all_together(keys: Keys) -> None:
    mine = await keys.admin.create(ADMIN, integrator("a"), tenant="acme")
    theirs = await keys.admin.create(ADMIN, integrator("b"), tenant="globex")
    assert [k.id for k in await keys.admin.list_keys(tenant="acme")] == [mine.id]
    assert [k.id for k in await keys.admin.list_keys(tenant="globex")] == [theirs.id]
    assert {k.id for k in await keys.admin.list_keys(tenant=None)} == {mine.id, theirs.id}
    assert [e.subject_id for e in await keys.audit("globex")] == [theirs.id]  # audited in the key's tenant


async def test_a_key_of_another_tenant_is_not_found_and_stays_as_it_was(keys: Keys) -> None:
    theirs = await keys.admin.create(ADMIN, integrator(), tenant="globex")
    with pytest.raises(KeyNotFound):
        await keys.admin.revoke(ADMIN, theirs.id, tenant="acme")
    with pytest.raises(KeyNotFound):
        await keys.admin.rotate(ADMIN, theirs.id, grace=dt.timedelta(0), tenant="acme")
    with pytest.raises(KeyNotFound) as unknown:
        await keys.admin.revoke(ADMIN, "ak_nope", tenant="acme")
    assert unknown.value.code == "key.not_found" and unknown.value.http_status == 404
    [kept] = await keys.admin.list_keys(tenant="globex")
    assert kept.status == "active" and [e.action for e in await keys.audit("globex")] == ["key.created"]


async def test_a_revoked_key_stops_and_revoking_it_again_changes_nothing(keys: Keys) -> None:
    created = await keys.admin.create(ADMIN, integrator(), tenant="acme")
    auth = keys.authenticator()
    assert (await auth.api_key(created.api_key)).id == created.id
    keys.clock.now += dt.timedelta(minutes=5)
    revoked = await keys.admin.revoke(ADMIN, created.id, tenant="acme")
    assert (revoked.status, revoked.revoked_at) == ("revoked", keys.clock.now)
    auth.forget_keys()
    with pytest.raises(p.InvalidApiKey):
        await auth.api_key(created.api_key)
    again = await keys.admin.revoke(ADMIN, created.id, tenant=None)
    assert again == revoked
    revocation, _ = await keys.audit()
    assert (revocation.action, revocation.before, revocation.after) == (
        "key.revoked", {"expires_at": None, "revoked_at": None},
        {"expires_at": None, "revoked_at": keys.clock.now.isoformat()})
    assert [e.action for e in await keys.audit()] == ["key.revoked", "key.created"]
    with pytest.raises(KeyInactive) as inactive:
        await keys.admin.rotate(ADMIN, created.id, grace=dt.timedelta(hours=1), tenant="acme")
    assert (inactive.value.code, inactive.value.http_status) == ("key.inactive", 409)


async def test_rotation_keeps_the_old_key_for_the_grace_period_and_gives_the_new_one_the_same_lifetime(
        keys: Keys) -> None:
    old = await keys.admin.create(ADMIN, integrator(expires_at=NOW + dt.timedelta(days=30)), tenant="acme")
    keys.clock.now += dt.timedelta(days=10)
    rotated = await keys.admin.rotate(ADMIN, old.id, grace=dt.timedelta(hours=1), tenant="acme")
    assert rotated.id != old.id and rotated.api_key != old.api_key
    assert (rotated.tenant, rotated.name, rotated.role) == ("acme", "checkout", "integrator")
    assert rotated.expires_at == keys.clock.now + dt.timedelta(days=30)
    assert rotated.replaced.id == old.id and rotated.replaced.status == "active"
    assert rotated.replaced.expires_at == keys.clock.now + dt.timedelta(hours=1)
    auth = keys.authenticator()
    assert (await auth.api_key(old.api_key)).id == old.id  # within the grace period, and now remembered
    assert (await auth.api_key(rotated.api_key)).id == rotated.id
    keys.clock.now += dt.timedelta(hours=1)
    with pytest.raises(p.InvalidApiKey) as expired:  # remembered, but its expiry is checked every time
        await auth.api_key(old.api_key)
    assert "expired" in expired.value.message
    assert (await auth.api_key(rotated.api_key)).id == rotated.id
    rotation, created = [e for e in await keys.audit() if e.action != "key.created" or e.subject_id != old.id]
    assert (created.action, created.subject_id, created.details) == ("key.created", rotated.id,
                                                                     {"rotated_from": old.id})
    assert (rotation.action, rotation.subject_id) == ("key.rotated", old.id)
    assert rotation.before == {"expires_at": (NOW + dt.timedelta(days=30)).isoformat(), "revoked_at": None}
    assert rotation.after == {"expires_at": rotated.replaced.expires_at.isoformat(), "revoked_at": None}
    assert rotation.details == {"replaced_by": rotated.id, "grace_seconds": 3600}
    with pytest.raises(KeyInactive):  # the old key has expired now
        await keys.admin.rotate(ADMIN, old.id, grace=dt.timedelta(0), tenant="acme")


async def test_rotation_without_grace_revokes_the_old_key_at_once(keys: Keys) -> None:
    old = await keys.admin.create(ADMIN, integrator(), tenant="acme")
    rotated = await keys.admin.rotate(ADMIN, old.id, grace=dt.timedelta(0), tenant=None)
    assert rotated.expires_at is None and rotated.replaced.status == "revoked"
    assert await keys.repo.api_key_grant(digest(old.api_key)) is None
    assert keys.changes == 2


async def test_two_rotations_of_one_key_at_once_make_one_new_key(keys: Keys) -> None:
    old = await keys.admin.create(ADMIN, integrator(), tenant="acme")
    both_read = asyncio.Barrier(2)
    get_key = keys.repo.get_key

    async def read_then_wait(key_id: str) -> KeyRow | None:
        row = await get_key(key_id)
        await both_read.wait()  # "at once": each read the key before either wrote (else the second rotates the new)
        return row

    keys.repo.get_key = read_then_wait  # type: ignore[method-assign]
    outcomes = await asyncio.gather(*(keys.admin.rotate(ADMIN, old.id, grace=dt.timedelta(minutes=5), tenant="acme")
                                      for _ in range(2)), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["KeyInactive", "KeyRotated"]
    assert len(await keys.admin.list_keys(tenant="acme")) == 2
    assert [e.action for e in await keys.audit()].count("key.rotated") == 1


@pytest.mark.parametrize(("request_", "tenant", "path"), [
    (integrator(expires_at=NOW), "acme", "$.expires_at"),
    (integrator(), "Acme Corp", "$.tenant"),
])
async def test_a_key_that_could_never_work_is_refused(keys: Keys, request_: CreateKey, tenant: str,
                                                      path: str) -> None:
    with pytest.raises(p.InvalidRequest) as refused:
        await keys.admin.create(ADMIN, request_, tenant=tenant)
    assert refused.value.details["path"] == path
    assert await keys.admin.list_keys(tenant=None) == [] and await keys.audit() == []


async def test_a_grace_period_past_thirty_days_is_refused(keys: Keys) -> None:
    old = await keys.admin.create(ADMIN, integrator(), tenant="acme")
    with pytest.raises(p.InvalidRequest):
        await keys.admin.rotate(ADMIN, old.id, grace=dt.timedelta(days=31), tenant="acme")
    assert [k.status for k in await keys.admin.list_keys(tenant="acme")] == ["active"]


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("30d", 2_592_000),
                                               ("2w", 1_209_600)])
def test_durations_read_as_their_units(text: str, seconds: int) -> None:
    assert parse_duration(text) == dt.timedelta(seconds=seconds)
    assert parse_expiry(text, NOW) == NOW + dt.timedelta(seconds=seconds)


def test_an_expiry_is_a_duration_or_an_iso_time_with_its_zone() -> None:
    assert parse_expiry("2027-01-31T00:00:00Z", NOW) == dt.datetime(2027, 1, 31, tzinfo=dt.UTC)
    assert parse_expiry("2027-01-31T02:00:00+02:00", NOW) == dt.datetime(2027, 1, 31, tzinfo=dt.UTC)
    for bad in ("2027-01-31T00:00:00", "tomorrow", "30 days", "1y", ""):
        with pytest.raises(p.InvalidRequest) as refused:
            parse_expiry(bad, NOW)
        assert "Expected a duration like 30d or an ISO-8601 time with a zone" in refused.value.message
