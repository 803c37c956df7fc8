"""Rekognition's face collections served from our own face analysis: a tenant's collections in the database
(server/db/faces.py), searched through the in-memory index (server/faces_index.py).

Detection and descriptors run in the worker pool, as CompareFaces does; a search runs in a thread (numpy
releases the GIL). Collections are per tenant: another tenant's collection of the same id is another
collection, and one the tenant does not have is ResourceNotFoundException.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from server.db.faces import CollectionRow, FaceRecords, FaceRow
from server.faces_index import FaceIndex, Hit, Shelf, ShelfKey
from server.rekognition.mapping import FoundFace, faces_for_collection
from server.rekognition.shapes import BoundingBox, InvalidParameter, QualityFilter, ResourceNotFound
from server.tasks import Compute
from verification.faces import OPERATING_POINTS, similarity

MODEL_VERSION = "arabesque-dlib-1"
ACCOUNT = "000000000000"
SEARCH_REACH = 2 * OPERATING_POINTS["review"].distance
"""the cosine distance at which similarity reaches 0: nothing farther can pass any threshold"""


def face_row(tenant: str, collection_id: str, face: FoundFace, *, image_id: str, external_image_id: str,
             now: dt.datetime, session_id: str | None = None) -> FaceRow:
    box = face.detail.bounding_box
    return FaceRow(id=str(uuid.uuid4()), tenant=tenant, collection_id=collection_id, image_id=image_id,
                   external_image_id=external_image_id, session_id=session_id, confidence=face.detail.confidence,
                   box_width=box.width, box_height=box.height, box_left=box.left, box_top=box.top,
                   descriptor=face.descriptor, created_at=now)


def box_of(row: FaceRow) -> BoundingBox:
    return BoundingBox(width=row.box_width, height=row.box_height, left=row.box_left, top=row.box_top)


class Match:
    """An enrolled face and its similarity (0-100) to the probe."""

    __slots__ = ("face", "similarity")

    def __init__(self, face: FaceRow, score: float) -> None:
        self.face = face
        self.similarity = score


class Collections:
    """Collections of every tenant; built once in server/app.py."""

    def __init__(self, records: FaceRecords, index: FaceIndex, pool: Compute, *, clock: Callable[[], dt.datetime],
                 region: str) -> None:
        self.records = records
        self.index = index
        self.pool = pool
        self.clock = clock
        self.region = region
        self._loading: defaultdict[ShelfKey, asyncio.Lock] = defaultdict(asyncio.Lock)

    def arn(self, collection_id: str) -> str:
        return f"aws:rekognition:{self.region}:{ACCOUNT}:collection/{collection_id}"

    async def ensure(self, tenant: str, collection_id: str) -> None:
        """Create the collection unless the tenant has it (the KYC enrolment's)."""
        await self.records.create_collection(CollectionRow(tenant=tenant, id=collection_id, created_at=self.clock(),
                                                           model_version=MODEL_VERSION, revision=0))

    async def faces(self, image: bytes, *, max_faces: int | None, quality_filter: QualityFilter) -> list[FoundFace]:
        return await self.pool.run(_faces, image, max_faces, quality_filter)

    async def add(self, tenant: str, collection_id: str, rows: Sequence[FaceRow]) -> None:
        revision = await self.records.add_faces(tenant, collection_id, rows)
        if revision is None:
            raise ResourceNotFound(f"Expected an existing collection, got unknown id {collection_id!r}")
        self.index.apply((tenant, collection_id), revision, [(r.id, np.frombuffer(r.descriptor, np.float32))
                                                             for r in rows], [])

    async def delete(self, tenant: str, collection_id: str, face_ids: Sequence[str]) -> list[str]:
        outcome = await self.records.delete_faces(tenant, collection_id, face_ids)
        if outcome is None:
            raise ResourceNotFound(f"Expected an existing collection, got unknown id {collection_id!r}")
        revision, deleted = outcome
        self.index.apply((tenant, collection_id), revision, [], deleted)
        return deleted

    async def shelf(self, tenant: str, collection_id: str) -> Shelf:
        """The collection's index at its stored revision, loaded from the database when behind."""
        key = (tenant, collection_id)
        found = await self.records.collection(tenant, collection_id)
        if found is None:
            self.index.forget(key)
            raise ResourceNotFound(f"Expected an existing collection, got unknown id {collection_id!r}")
        shelf = self.index.get(key, found.revision)
        if shelf is not None:
            return shelf
        async with self._loading[key]:  # one load per collection at a time; the others then find it
            shelf = self.index.get(key, found.revision)
            if shelf is None:
                loaded = await self.records.load(tenant, collection_id)
                if loaded is None:
                    raise ResourceNotFound(f"Expected an existing collection, got unknown id {collection_id!r}")
                revision, ids, vectors = loaded
                shelf = await asyncio.to_thread(Shelf, revision, ids, vectors)
                self.index.put(key, shelf)
        return shelf

    async def search(self, tenant: str, collection_id: str, probe: np.ndarray, *, limit: int, threshold: float,
                     exclude: str = "") -> list[Match]:
        """The enrolled faces at or above `threshold` similarity, most similar first."""
        if not 0.0 <= threshold <= 100.0:
            raise InvalidParameter(f"Expected FaceMatchThreshold between 0 and 100, got {threshold}")
        shelf = await self.shelf(tenant, collection_id)
        hits: list[Hit] = await asyncio.to_thread(shelf.search, probe, limit=limit + (1 if exclude else 0),
                                                  max_distance=SEARCH_REACH if threshold > 0 else 2.0)
        scored = [(h.face_id, similarity(h.distance)) for h in hits if h.face_id != exclude]
        scored = [(face_id, score) for face_id, score in scored if score >= threshold][:limit]
        rows = {r.id: r for r in await self.records.faces_by_id(tenant, collection_id, [f for f, _ in scored])}
        # a face deleted between the search and this read is no longer a match
        return [Match(rows[face_id], score) for face_id, score in scored if face_id in rows]


def _faces(image: bytes, max_faces: int | None, quality_filter: QualityFilter) -> list[FoundFace]:
    return faces_for_collection(image, max_faces=max_faces, quality_filter=quality_filter)


__all__ = ["MODEL_VERSION", "Collections", "Match", "box_of", "face_row"]
