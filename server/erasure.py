"""Erasure: delete a session's documents and personal data, verify that nothing is left, keep an audit record.

An erasure first marks the session `erasing` (so nothing new is accepted for it: uploads check that in the
transaction that records them), then empties its storage folder and its rows; a sweep finishes interrupted
erasures and erases completed sessions past the retention period.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
from collections.abc import Callable

import sdk_protocol as p
from server.access import SYSTEM, Principal
from server.audit import Audit
from server.db import ErasureRecord
from server.db.outbox import Outbox
from server.db.ports import SessionRepository
from server.relay import Relay
from server.sessions import Sessions
from server.storage import DocumentStore, StorageError
from server.storage.keys import session_prefix
from server.webhooks.events import SessionErasedData, event
from server.workflow.children import erases_with_parent

log = logging.getLogger("arabesque.erasure")
DELETE_ATTEMPTS = 3


class Eraser:
    """Built once in server/app.py."""

    def __init__(self, *, sessions: Sessions, repo: SessionRepository, store: DocumentStore, relay: Relay,
                 audit: Audit, clock: Callable[[], dt.datetime], retention: dt.timedelta | None) -> None:
        self.sessions = sessions
        self.repo = repo
        self.store = store
        self.relay = relay
        self.audit = audit
        self.clock = clock
        self.retention = retention
        self._erasing: collections.Counter[str] = collections.Counter()
        """erasures running on this node, which the sweep leaves to them"""

    async def erase(self, session_id: str, by: Principal) -> ErasureRecord:
        """Erase a session of `by`'s tenant (another tenant's session is `session.not_found`, as an unknown id
        is); the audit record `session.erased` is written with the erasure's last step."""
        record = await self._erase(session_id, by, tenant=by.tenant, erased_by=by.actor, reason="request")
        await self._erase_children(session_id, by)
        return record

    async def _erase_children(self, session_id: str, by: Principal) -> None:
        """A parent's children go with it, unless its journey keeps them (`on_erase: keep`); theirs with them."""
        kids = await self.repo.children_of(session_id)
        if not kids:
            return
        parent = await self.sessions.core.stored_row(session_id)
        journey = self.sessions.core.journey(parent)
        for child in kids:
            if child.status != "erased" and erases_with_parent(journey, child.child_group or ""):
                await self._erase(child.id, by, tenant=by.tenant, erased_by=by.actor, reason="parent_erased")
                await self._erase_children(child.id, by)

    async def _erase(self, session_id: str, by: Principal, *, tenant: str | None, erased_by: str,
                     reason: str) -> ErasureRecord:
        self._erasing[session_id] += 1
        try:
            return await self._erase_now(session_id, by, tenant=tenant, erased_by=erased_by, reason=reason)
        finally:
            self._erasing[session_id] -= 1
            if self._erasing[session_id] <= 0:
                del self._erasing[session_id]

    async def _erase_now(self, session_id: str, by: Principal, *, tenant: str | None, erased_by: str,
                            reason: str) -> ErasureRecord:
        live = self.sessions.core.live
        async with live.locked(session_id):
            row = await self.sessions.core.stored_row(session_id)
            if tenant is not None and row.tenant != tenant:
                raise p.SessionNotFound(f"Expected an existing session, got unknown id {session_id[:80]!r}",
                                        session_id=session_id[:80])
            if row.status == "erased":
                return await self._record(session_id)
            await self.repo.mark_erasing(session_id, erased_by, self.clock())
            live.drop(session_id)
            live.forget_tokens(session_id)
        self.sessions.supervisor.cancel_session(session_id)
        await self.sessions.presenter.tell(session_id, p.SessionErased(
            "Expected an active session, got one that has been erased", session_id=session_id))
        prefix = session_prefix(row.tenant, session_id)
        for _ in range(DELETE_ATTEMPTS):
            await self.store.delete_prefix(prefix)
            if not await self.store.keys(prefix):
                break
        else:
            raise StorageError(f"Expected no document left under {prefix} after erasure, some remain; will retry",
                               session_id=session_id)
        now = self.clock()
        outbox = Outbox([event(row.tenant, session_id, SessionErasedData(session_id=session_id, erased_by=erased_by,
                                                                         reason=reason), now)])
        await self.repo.finish_erasure(session_id, now, outbox=outbox, audit=self.audit.entry(
            by, "session.erased", "session", session_id, tenant=row.tenant, erased_by=erased_by, reason=reason))
        await self.sessions.core.deliver(outbox.streams)
        if await self.repo.count_rows(session_id) or await self.store.keys(prefix):
            raise p.InternalError(f"Expected erasure of {session_id} to leave nothing, something remains")
        record = await self._record(session_id)
        erased = await self.repo.load_session(session_id)
        if erased is not None:
            self.relay.publish(erased, push=False)  # other nodes forget their copy and its tokens
        log.info("session %s erased by %s", session_id, erased_by)
        return record

    async def _record(self, session_id: str) -> ErasureRecord:
        record = await self.repo.erasure_record(session_id)
        if record is None:
            raise p.InternalError(f"Expected the erasure record of {session_id}, got none", session_id=session_id)
        return record

    async def sweep(self) -> int:
        """Finish interrupted erasures, and erase completed sessions past the retention period, as the server
        (`SYSTEM`, in each session's tenant); one session that cannot be erased now is logged and left for the
        next sweep, the others go on."""
        cutoff = self.clock() - self.retention if self.retention else None
        erased = 0
        for session_id in await self.repo.due_for_erasure(cutoff):
            if self._erasing[session_id]:
                continue  # not interrupted: running here now
            try:
                interrupted_by = await self.repo.erased_by(session_id)
                await self._erase(session_id, SYSTEM, tenant=None, erased_by=interrupted_by or "retention",
                                  reason="interrupted" if interrupted_by else "retention")
                erased += 1
            except p.SdkError as exc:
                log.warning("erasure of %s not finished: %s", session_id, exc.code)
        return erased


__all__ = ["Eraser"]
