"""The local backend: an FtM list read from a file or folder once, indexed in this process, screened in a thread.

The index is built on the first screening (a 100,000-entity list takes a few seconds) and kept: a
new list is read when the server restarts. A query takes milliseconds; it runs in a thread so the
event loop keeps serving while it does.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from verification.screening import Candidate, Query, ScreeningIndex, list_version, load_entities


class LocalBackend:
    """Screens against the FtM list at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._index: ScreeningIndex | None = None
        self._version = ""
        self._lock = asyncio.Lock()

    @property
    def version(self) -> str:
        return self._version

    def _load(self) -> tuple[ScreeningIndex, str]:
        version = list_version(self.path)
        entities, _skipped = load_entities(self.path)
        return ScreeningIndex(entities), version

    async def index(self) -> ScreeningIndex:
        """The list's index, built by the first caller while the others wait for it."""
        if self._index is None:
            async with self._lock:
                if self._index is None:
                    self._index, self._version = await asyncio.to_thread(self._load)
        assert self._index is not None  # built above, by this caller or the one it waited for
        return self._index

    async def screen(self, query: Query, *, limit: int, floor: float) -> list[Candidate]:
        index = await self.index()
        return await asyncio.to_thread(index.screen, query, limit=limit, floor=floor)


__all__ = ["LocalBackend"]
