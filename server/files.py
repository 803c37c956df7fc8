"""A session's files: uploads through the server (streamed), direct uploads to S3, reading and links.

A file row is written only after its object is stored, and only while its session is active (checked in the
same transaction that writes the row): an upload finishing after its session's erasure is deleted, never kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeGuard

import sdk_protocol as p
from server.access import Principal
from server.api_types import CreateUpload, FileInfo, FileUrl, UploadCreated
from server.audit import Audit
from server.auth import new_id
from server.db import FileRow, UploadRow
from server.db.ports import SessionRepository
from server.live_sessions import Live
from server.storage import DocumentStore, ObjectNotFound, StorageError
from server.storage.base import safe_name
from server.storage.keys import file_key
from server.storage.s3 import PresignedPost
from verification.formats import SNIFF_BYTES, UPLOAD_TYPES, check_declared, decide_type, sniff

Clock = Callable[[], dt.datetime]


class PresigningStore(DocumentStore, Protocol):
    """A store that can hand out short-lived URLs to upload or read one object directly (S3)."""

    def presigned_post(self, key: str, *, content_type: str, max_bytes: int, expires: dt.timedelta,
                       now: dt.datetime) -> PresignedPost: ...

    def presigned_get(self, key: str, *, expires: dt.timedelta, filename: str) -> str: ...


def can_presign(store: DocumentStore) -> TypeGuard[PresigningStore]:
    return callable(getattr(store, "presigned_post", None)) and callable(getattr(store, "presigned_get", None))


def file_info(row: FileRow) -> FileInfo:
    return FileInfo(file_id=row.id, sha256=row.sha256, size=row.size, content_type=row.content_type,
                    name=row.original_name, created_at=row.created_at)


class Files:
    """Built once in server/app.py; `active` raises unless the session exists and is not erased. A file is
    stored under its session's tenant; `default_tenant` only resolves Rekognition `S3Object` names."""

    def __init__(self, *, repo: SessionRepository, store: DocumentStore, active: Callable[[str], Awaitable[Live]],
                 audit: Audit, clock: Clock, default_tenant: str, max_upload_bytes: int,
                 presign_ttl: dt.timedelta) -> None:
        self.repo = repo
        self.store = store
        self._active = active
        self.audit = audit
        self.clock = clock
        self.default_tenant = default_tenant
        self.max_upload_bytes = max_upload_bytes
        self.presign_ttl = presign_ttl

    # --- through the server ----------------------------------------------------

    async def receive(self, session_id: str, chunks: AsyncIterator[bytes], *, declared: str, name: str,
                      length: int | None = None) -> FileInfo:
        """Store one upload as it arrives: typed by its first bytes, hashed and counted on the way."""
        tenant = (await self._active(session_id)).row.tenant
        limit = self.max_upload_bytes
        if length is not None and length > limit:
            raise p.UploadTooLarge(f"Expected at most {limit} bytes, got {length}", limit=limit, found=length)
        head = b""
        async for chunk in chunks:
            head += chunk
            if len(head) >= SNIFF_BYTES:
                break
        content_type = decide_type(head, declared)
        hasher = hashlib.sha256()
        received = 0

        async def body() -> AsyncIterator[bytes]:
            nonlocal received
            piece = head
            while True:
                received += len(piece)
                if received > limit:
                    raise p.UploadTooLarge(f"Expected at most {limit} bytes, got more", limit=limit)
                hasher.update(piece)
                yield piece
                piece = await anext(chunks, b"")
                if not piece:
                    return

        file_id = new_id("f")
        key = file_key(tenant, session_id, file_id)
        try:
            await self.store.put_stream(key, body(), content_type=content_type)
        except StorageError:
            await self._active(session_id)  # erased while arriving: say so (the store lost its folder)
            raise
        row = FileRow(id=file_id, session_id=session_id, tenant=tenant, storage_key=key,
                      sha256=hasher.hexdigest(), size=received, content_type=content_type,
                      original_name=safe_name(name), created_at=self.clock())
        await self._record(row)
        return file_info(row)

    async def _record(self, row: FileRow, upload_id: str | None = None) -> None:
        """Write the row unless the session went away meanwhile; then (or on any failure) delete the object."""
        try:
            kept = await self.repo.add_file(row, upload_id=upload_id)
        except BaseException:
            await self.store.delete(row.storage_key)
            raise
        if not kept:
            await self.store.delete(row.storage_key)
            raise p.SessionErased("Expected an active session, got one erased while the file was arriving; the "
                                  "file was not kept", session_id=row.session_id)

    # --- reading ----------------------------------------------------------------

    async def row(self, session_id: str, file_id: str) -> FileRow:
        found = await self.repo.get_file(session_id, file_id)
        if found is None:
            raise p.FileNotFound(f"Expected a file of this session, got unknown id {file_id!r}", file_id=file_id)
        return found

    async def read(self, session_id: str, file_id: str) -> bytes:
        return await self.store.get((await self.row(session_id, file_id)).storage_key)

    async def read_reference(self, session_id: str, reference: str) -> bytes:
        """`f_...` in this session, or `s_.../f_...` in another session of the same tenant (an enrolled face)."""
        owner, _, file_id = reference.rpartition("/")
        if owner and owner != session_id:
            this, other = await self.repo.load_session(session_id), await self.repo.load_session(owner)
            if this is None or other is None or other.tenant != this.tenant:
                raise p.FileNotFound(f"Expected a file of this tenant, got unknown reference {reference[:80]!r}",
                                     file_id=reference[:80])
            return await self.read(owner, file_id)
        return await self.read(session_id, file_id)

    async def download(self, session_id: str, file_id: str, *,
                       by: Principal) -> FileUrl | tuple[FileRow, AsyncIterator[bytes]]:
        """S3: a short-lived presigned GET (never a public object). Local: the row and its bytes, streamed.
        Audited (`file.downloaded`) before anything is handed out."""
        row = await self.row(session_id, file_id)
        if can_presign(self.store):
            return await self.link(session_id, file_id, by=by)
        await self.store.head(row.storage_key)  # a clear file.not_found before a stream starts
        await self._downloaded(row, by, "stream")
        return row, self.store.stream(row.storage_key)

    async def link(self, session_id: str, file_id: str, *, by: Principal) -> FileUrl:
        """A presigned GET of one file for `by` (S3 only), audited (`file.downloaded`)."""
        row = await self.row(session_id, file_id)
        url = self.url(row)
        await self._downloaded(row, by, "url")
        return url

    async def _downloaded(self, row: FileRow, by: Principal, how: str) -> None:
        await self.audit.record(by, "file.downloaded", "file", row.id, tenant=row.tenant, session_id=row.session_id,
                                sha256=row.sha256, via=how)

    def url(self, row: FileRow) -> FileUrl:
        """A short-lived presigned GET; only S3 can make one (a local folder is read through GET .../files/id)."""
        if not can_presign(self.store):
            raise p.DirectUploadUnsupported("Expected S3 storage for presigned URLs, got a local folder; GET "
                                            f"/v1/sessions/{row.session_id}/files/{row.id} for the bytes instead")
        return FileUrl(url=self.store.presigned_get(row.storage_key, expires=self.presign_ttl, filename=row.id),
                       expires_at=self.clock() + self.presign_ttl)

    # --- direct uploads (presigned POST) ----------------------------------------

    async def create_upload(self, session_id: str, request: CreateUpload) -> UploadCreated:
        """A presigned POST for one file: the key, type and size limit are fixed by the server."""
        tenant = (await self._active(session_id)).row.tenant
        store = self.store
        if not can_presign(store):
            raise p.DirectUploadUnsupported(f"Expected S3 storage for direct uploads, got a local folder; upload "
                                            f"through POST /v1/sessions/{session_id}/files instead")
        content_type = check_declared(request.content_type)
        now = self.clock()
        upload_id, file_id = new_id("u"), new_id("f")
        key = file_key(tenant, session_id, file_id)
        post = store.presigned_post(key, content_type=content_type, max_bytes=self.max_upload_bytes,
                                    expires=self.presign_ttl, now=now)
        await self.repo.add_upload(UploadRow(
            id=upload_id, session_id=session_id, file_id=file_id, storage_key=key, content_type=content_type,
            max_bytes=self.max_upload_bytes, original_name=safe_name(request.filename), field=request.field,
            status="pending", created_at=now, expires_at=post.expires_at))
        return UploadCreated(upload_id=upload_id, file_id=file_id, url=post.url, fields=post.fields,
                             max_bytes=self.max_upload_bytes, expires_at=post.expires_at)

    async def complete_upload(self, session_id: str, message: p.UploadCompleted) -> p.UploadVerified:
        """Check what landed in the bucket (size, type by content, the SDK's hash); keep it or delete it."""
        tenant = (await self._active(session_id)).row.tenant
        upload = await self.repo.get_upload(session_id, message.upload_id)
        if upload is None or upload.status == "rejected":
            raise p.UploadNotFound(f"Expected an open upload of this session, got {message.upload_id!r}",
                                   upload_id=message.upload_id)
        if upload.status == "completed":
            row = await self.row(session_id, upload.file_id)
            return p.UploadVerified(upload_id=upload.id, file_id=row.id, sha256=row.sha256, size=row.size,
                                    content_type=row.content_type)
        try:
            head = await self.store.head(upload.storage_key)
        except ObjectNotFound:
            raise p.UploadMissing(f"Expected the file at the presigned location, got nothing there (upload "
                                  f"{upload.id})", upload_id=upload.id) from None
        data = b""
        problem: p.SdkError | None = None
        if head.size > upload.max_bytes or head.size == 0:
            problem = p.UploadTooLarge(f"Expected 1 to {upload.max_bytes} bytes, got {head.size}",
                                       limit=upload.max_bytes, found=head.size)
        else:
            data = await self.store.get(upload.storage_key)
            problem = _check_landed(data, upload, message.sha256)
        if problem is not None:
            await self.store.delete(upload.storage_key)
            await self.repo.reject_upload(upload.id)
            raise problem
        row = FileRow(id=upload.file_id, session_id=session_id, tenant=tenant, storage_key=upload.storage_key,
                      sha256=message.sha256, size=len(data), content_type=upload.content_type,
                      original_name=upload.original_name, created_at=self.clock())
        await self._record(row, upload_id=upload.id)
        return p.UploadVerified(upload_id=upload.id, file_id=row.id, sha256=row.sha256, size=row.size,
                                content_type=row.content_type)


def _check_landed(data: bytes, upload: UploadRow, sha256: str) -> p.SdkError | None:
    detected = sniff(data[:SNIFF_BYTES])
    digest_hex = hashlib.sha256(data).hexdigest()
    if len(data) > upload.max_bytes:
        return p.UploadTooLarge(f"Expected at most {upload.max_bytes} bytes, got {len(data)}",
                                limit=upload.max_bytes, found=len(data))
    if detected not in UPLOAD_TYPES:
        return p.UnsupportedFileType(f"Expected one of {', '.join(sorted(UPLOAD_TYPES))}, got "
                                     f"{detected or 'unrecognised bytes'}", detected=detected or "")
    if detected != upload.content_type:
        return p.UploadTypeMismatch(f"Expected {upload.content_type} as declared, got {detected}",
                                    declared=upload.content_type, detected=detected)
    if digest_hex != sha256:
        return p.UploadHashMismatch(f"Expected SHA-256 {sha256}, got {digest_hex}: the object is not what was "
                                    "uploaded", expected=sha256, found=digest_hex)
    return None


__all__ = ["Files", "PresigningStore", "can_presign", "file_info"]
