"""What the back office needs from the cases service (server/cases/service.py implements it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from server.access import Principal
from server.cases.types import CaseDetail, CaseList, CaseQuery, CaseSummary, DecisionRequest, NoteView

CaseListener = Callable[[str, CaseSummary], Awaitable[None]]
"""called with (tenant, summary) on every change of a case on this node"""


class CaseService(Protocol):
    async def list(self, principal: Principal, query: CaseQuery) -> CaseList: ...

    async def get(self, principal: Principal, session_id: str) -> CaseDetail: ...

    async def claim(self, principal: Principal, session_id: str) -> CaseSummary: ...

    async def assign(self, principal: Principal, session_id: str, assignee: str) -> CaseSummary: ...

    async def release(self, principal: Principal, session_id: str) -> CaseSummary: ...

    async def decide(self, principal: Principal, session_id: str, request: DecisionRequest) -> CaseSummary: ...

    async def add_note(self, principal: Principal, session_id: str, text: str) -> NoteView: ...

    async def next_case(self, principal: Principal) -> CaseSummary | None: ...

    def subscribe(self, listener: CaseListener) -> None: ...


__all__ = ["CaseListener", "CaseService"]
