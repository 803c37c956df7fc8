"""Handoff links: "continue on your phone". A device of a session (or the integrator) asks for a one-time,
short-lived link; another device exchanges it once for a fresh session token of the same session.

The link is `<public URL>/continue#<code>`: the code sits in the fragment, so it never reaches a server's
access log, and it is stored only as its SHA-256 digest. The link never carries a session token. The claim
is one conditional UPDATE (server/db/handoffs.py), so exactly one exchange of a code ever succeeds; every
device of the session, on every node, is then told `handoff.claimed`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable

import segno

import sdk_protocol as p
from server.access import Principal
from server.api_types import HandoffCreated, HandoffExchanged
from server.audit import Audit
from server.auth import digest, new_id, new_token
from server.db.handoffs import Claim, HandoffRow, NewToken
from server.db.ports import HandoffRepository
from server.db.rows import AuditRow
from server.live_sessions import LiveSessions
from server.sessions import Broadcaster

CODE_PREFIX = "hc_"
CODE_PATTERN = re.compile(r"^hc_[A-Za-z0-9_-]{32}$")
"""`hc_` + `secrets.token_urlsafe(24)`: 192 random bits"""
CONTINUE_PATH = "/continue"


def new_code() -> str:
    return CODE_PREFIX + secrets.token_urlsafe(24)


def qr_data_uri(url: str) -> str:
    """The URL as a QR code (error correction M), an SVG `data:` URI an `<img src>` takes."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4))


def session_principal(session_id: str, tenant: str, ip: str) -> Principal:
    """Who acts with a session's SDK token, for the audit log: the session's own device."""
    return Principal(tenant=tenant, role="viewer", actor=f"session:{session_id}", name="sdk", ip=ip)


class Handoffs:
    """Built once in server/app.py."""

    def __init__(self, *, repo: HandoffRepository, live: LiveSessions, broadcaster: Broadcaster, audit: Audit,
                 clock: Callable[[], dt.datetime], ttl: dt.timedelta, token_ttl: dt.timedelta,
                 public_url: str = "") -> None:
        self.repo = repo
        self.live = live
        self.broadcaster = broadcaster
        self.audit = audit
        self.clock = clock
        self.ttl = ttl
        self.token_ttl = token_ttl
        self.public_url = public_url.rstrip("/")

    async def create(self, session_id: str, *, by: Principal | None, ip: str, base_url: str) -> HandoffCreated:
        """A link for `session_id` (whose tenant the caller checked), asked for by an API key or login (`by`) or
        by the session's own device (`by` None). `base_url` is the request's, used without a public URL."""
        live = await self.live.fetch(session_id)  # session.erased, session.not_found
        row = live.row
        principal = by or session_principal(session_id, row.tenant, ip)
        code = new_code()
        now = self.clock()
        link = HandoffRow(id=new_id("h"), session_id=session_id, tenant=row.tenant, created_at=now,
                          expires_at=now + self.ttl)
        audit = self.audit.entry(principal, "session.handoff_created", "session", session_id, tenant=row.tenant,
                                 handoff_id=link.id, expires_at=link.expires_at.isoformat())
        if not await self.repo.add_handoff(link, digest(code), audit=audit):
            raise p.SessionErased("Expected an active session, got one that has been erased", session_id=session_id)
        url = f"{self.public_url or base_url.rstrip('/')}{CONTINUE_PATH}#{code}"
        return HandoffCreated(handoff_id=link.id, url=url, qr_svg=qr_data_uri(url), expires_at=link.expires_at)

    async def exchange(self, code: str, *, ip: str) -> HandoffExchanged:
        """A fresh token of the link's session: `handoff.not_found`, `handoff.used`, `handoff.expired` or
        `session.erased` otherwise."""
        if not CODE_PATTERN.match(code):
            raise p.HandoffNotFound("Expected the code of a handoff link (hc_...), got something else")
        now = self.clock()
        token = new_token()
        new = NewToken(token_hash=digest(token), expires_at=now + self.token_ttl)

        def audit(link: HandoffRow) -> AuditRow:
            return self.audit.entry(session_principal(link.session_id, link.tenant, ip), "session.handoff_claimed",
                                    "session", link.session_id, tenant=link.tenant, handoff_id=link.id)

        claim = await self.repo.claim_handoff(digest(code), now, new, audit=audit)
        link = _claimed(claim)
        self.live.remember_token(new.token_hash, link.session_id, new.expires_at)
        await self.broadcaster.to_session(link.session_id, p.HandoffClaimed(handoff_id=link.id, claimed_at=now))
        return HandoffExchanged(session_id=link.session_id, token=token, expires_at=new.expires_at,
                                locale=claim.locale)


def _claimed(claim: Claim) -> HandoffRow:
    """The claimed link, or the refusal that says why there is none."""
    link = claim.handoff
    if claim.outcome == "claimed" and link is not None:
        return link
    if claim.outcome == "used" and link is not None and link.used_at is not None:
        raise p.HandoffUsed(f"Expected an unused handoff link, got one used at {link.used_at.isoformat()}: a link "
                            "works once; ask for a new one", handoff_id=link.id, used_at=link.used_at.isoformat())
    if claim.outcome == "expired" and link is not None:
        raise p.HandoffExpired(f"Expected an unexpired handoff link, got one that expired at "
                               f"{link.expires_at.isoformat()}; ask for a new one", handoff_id=link.id,
                               expired_at=link.expires_at.isoformat())
    if claim.outcome == "erased" and link is not None:
        raise p.SessionErased("Expected an active session, got one that has been erased",
                              session_id=link.session_id)
    raise p.HandoffNotFound("Expected the code of a handoff link, got one that is unknown (or whose session was "
                            "erased)")


__all__ = ["CODE_PATTERN", "CONTINUE_PATH", "Handoffs", "new_code", "qr_data_uri", "session_principal"]
