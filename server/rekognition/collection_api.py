"""The seven collection operations in Rekognition's shapes: request body in, response body out, for the
tenant the caller's credentials stand for (server/rekognition/api.py routes them)."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec
import numpy as np

from server.db.faces import CollectionRow, FaceRow
from server.rekognition.collection_shapes import (
    CollectionRequest,
    CreateCollectionRequest,
    CreateCollectionResponse,
    DeleteCollectionResponse,
    DeleteFacesRequest,
    DeleteFacesResponse,
    Face,
    FaceMatch,
    FaceRecord,
    IndexFacesRequest,
    IndexFacesResponse,
    ListFacesRequest,
    ListFacesResponse,
    SearchFacesByImageRequest,
    SearchFacesByImageResponse,
    SearchFacesRequest,
    SearchFacesResponse,
    UnindexedFace,
)
from server.rekognition.collections import MODEL_VERSION, Collections, Match, box_of, face_row
from server.rekognition.shapes import Image, InvalidParameter, ResourceAlreadyExists, ResourceNotFound

ImageBytes = Callable[[Image, str], Awaitable[bytes]]
Operation = Callable[[str, bytes], Awaitable[bytes]]
T = TypeVar("T")


def face_shape(row: FaceRow) -> Face:
    return Face(face_id=row.id, bounding_box=box_of(row), image_id=row.image_id,
                external_image_id=row.external_image_id or None, confidence=row.confidence,
                index_faces_model_version=MODEL_VERSION)


def _matches(matches: list[Match]) -> list[FaceMatch]:
    return [FaceMatch(similarity=m.similarity, face=face_shape(m.face)) for m in matches]


def _token(after: str) -> str:
    return base64.urlsafe_b64encode(after.encode()).decode()


def _after(token: str | None) -> str:
    """The face id a NextToken continues after ("" for the first page)."""
    if not token:
        return ""
    try:
        after = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        after = ""
    if not after or _token(after) != token:
        raise InvalidParameter(f"Expected a NextToken from a previous ListFaces, got {token[:40]!r}")
    return after


def decode(body: bytes, kind: type[T]) -> T:
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InvalidParameter(f"Request has invalid parameters: {exc}") from None


def collection_operations(collections: Collections, image_bytes: ImageBytes) -> dict[str, Operation]:
    """Rekognition operation name -> handler(tenant, body)."""

    async def create(tenant: str, body: bytes) -> bytes:
        request = decode(body, CreateCollectionRequest)
        row = CollectionRow(tenant=tenant, id=request.collection_id, created_at=collections.clock(),
                            model_version=MODEL_VERSION, revision=0)
        if not await collections.records.create_collection(row):
            raise ResourceAlreadyExists(f"Expected a new collection id, got {request.collection_id!r}, which exists")
        return msgspec.json.encode(CreateCollectionResponse(status_code=200, collection_arn=collections.arn(row.id),
                                                            face_model_version=MODEL_VERSION))

    async def delete_collection(tenant: str, body: bytes) -> bytes:
        request = decode(body, CollectionRequest)
        if not await collections.records.delete_collection(tenant, request.collection_id):
            raise ResourceNotFound(f"Expected an existing collection, got unknown id {request.collection_id!r}")
        collections.index.forget((tenant, request.collection_id))
        return msgspec.json.encode(DeleteCollectionResponse(status_code=200))

    async def index_faces(tenant: str, body: bytes) -> bytes:
        request = decode(body, IndexFacesRequest)
        if await collections.records.collection(tenant, request.collection_id) is None:
            raise ResourceNotFound(f"Expected an existing collection, got unknown id {request.collection_id!r}")
        found = await collections.faces(await image_bytes(request.image, "Image"), max_faces=request.max_faces,
                                        quality_filter=request.quality_filter)
        image_id, now = str(uuid.uuid4()), collections.clock()
        rows = [face_row(tenant, request.collection_id, f, image_id=image_id, now=now,
                         external_image_id=request.external_image_id or "") for f in found if f.descriptor]
        await collections.add(tenant, request.collection_id, rows)
        details = [f.detail for f in found if f.descriptor]
        return msgspec.json.encode(IndexFacesResponse(
            face_records=[FaceRecord(face=face_shape(r), face_detail=d) for r, d in zip(rows, details, strict=True)],
            face_model_version=MODEL_VERSION,
            unindexed_faces=[UnindexedFace(reasons=f.reasons, face_detail=f.detail) for f in found if f.reasons]))

    async def search_by_image(tenant: str, body: bytes) -> bytes:
        request = decode(body, SearchFacesByImageRequest)
        await collections.shelf(tenant, request.collection_id)  # an unknown collection before any image work
        found = await collections.faces(await image_bytes(request.image, "Image"), max_faces=1,
                                        quality_filter=request.quality_filter)
        probe = next((f for f in found if f.descriptor), None)
        if probe is None:
            raise InvalidParameter("Request has invalid parameters: there are no faces in the image",
                                   reason="verification.no_face")
        matches = await collections.search(tenant, request.collection_id, np.frombuffer(probe.descriptor, np.float32),
                                           limit=request.max_faces, threshold=request.face_match_threshold)
        return msgspec.json.encode(SearchFacesByImageResponse(
            searched_face_bounding_box=probe.detail.bounding_box, searched_face_confidence=probe.detail.confidence,
            face_matches=_matches(matches), face_model_version=MODEL_VERSION))

    async def search_faces(tenant: str, body: bytes) -> bytes:
        request = decode(body, SearchFacesRequest)
        await collections.shelf(tenant, request.collection_id)
        found = await collections.records.faces_by_id(tenant, request.collection_id, [request.face_id])
        if not found:
            raise ResourceNotFound(f"Expected a face of collection {request.collection_id!r}, got unknown face id "
                                   f"{request.face_id!r}")
        searched = found[0]
        matches = await collections.search(tenant, request.collection_id, searched.vector(), limit=request.max_faces,
                                           threshold=request.face_match_threshold, exclude=searched.id)
        return msgspec.json.encode(SearchFacesResponse(searched_face_id=searched.id, face_matches=_matches(matches),
                                                       face_model_version=MODEL_VERSION))

    async def list_faces(tenant: str, body: bytes) -> bytes:
        request = decode(body, ListFacesRequest)
        if await collections.records.collection(tenant, request.collection_id) is None:
            raise ResourceNotFound(f"Expected an existing collection, got unknown id {request.collection_id!r}")
        limit = request.max_results or 1000
        rows = await collections.records.list_faces(tenant, request.collection_id, after=_after(request.next_token),
                                                    limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return msgspec.json.encode(ListFacesResponse(faces=[face_shape(r) for r in rows],
                                                     face_model_version=MODEL_VERSION,
                                                     next_token=_token(rows[-1].id) if more else None))

    async def delete_faces(tenant: str, body: bytes) -> bytes:
        request = decode(body, DeleteFacesRequest)
        deleted = await collections.delete(tenant, request.collection_id, request.face_ids)
        return msgspec.json.encode(DeleteFacesResponse(deleted_faces=deleted))

    return {"CreateCollection": create, "DeleteCollection": delete_collection, "IndexFaces": index_faces,
            "SearchFacesByImage": search_by_image, "SearchFaces": search_faces, "ListFaces": list_faces,
            "DeleteFaces": delete_faces}


__all__ = ["collection_operations", "decode", "face_shape"]
