"""The local face matcher: dlib on this server, in the verification worker pool."""

from __future__ import annotations

from server.workers import WorkerPool
from verification.faces import FaceComparison, compare


class LocalFaceMatcher:
    """A FaceMatcher that compares in the worker pool (TaskTimeout / WorkerCrashed keep their codes)."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool

    async def compare(self, reference: bytes, probe: bytes) -> FaceComparison:
        return await self.pool.run(compare, reference, probe)


__all__ = ["LocalFaceMatcher"]
