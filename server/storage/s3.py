"""Documents in any S3-compatible store (AWS S3, MinIO, Ceph RGW, R2) through boto3.

boto3 blocks, so every call runs in a thread. Large writes go up as multipart uploads
(aborted if the stream fails, so nothing half-written remains). Transient failures are
retried by botocore's standard retry mode, with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import msgspec
from botocore.exceptions import BotoCoreError, ClientError

from server.storage.base import ObjectHead, ObjectNotFound, StorageError, check_key

T = TypeVar("T")
PART_SIZE = 8 * 1024 * 1024
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class PresignedPost(msgspec.Struct, frozen=True, kw_only=True):
    """Where and how an SDK uploads one file directly: POST `url` with `fields` plus the file."""

    url: str
    fields: dict[str, str]
    expires_at: dt.datetime


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip().rstrip(":")
    return f"{type(exc).__name__}: {exc}"


class S3Store:
    """`s3://bucket/prefix` with an injected boto3 S3 client (built in server/storage/__init__.py)."""

    def __init__(self, *, client: Any, bucket: str, prefix: str = "", sse: str = "", kms_key_id: str = "",
                 part_size: int = PART_SIZE) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.sse = sse
        self.kms_key_id = kms_key_id
        self.part_size = max(part_size, 5 * 1024 * 1024)  # S3's minimum part size

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _encryption(self) -> dict[str, str]:
        if not self.sse:
            return {}
        extra = {"ServerSideEncryption": self.sse}
        if self.sse == "aws:kms" and self.kms_key_id:
            extra["SSEKMSKeyId"] = self.kms_key_id
        return extra

    async def _call(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(fn, **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in MISSING:
                raise ObjectNotFound(f"Expected a stored document at {kwargs.get('Key', '')}, got none",
                                     key=str(kwargs.get("Key", ""))) from None
            raise StorageError(f"Expected the document store to answer, got {_describe(exc)}", reason=code) from None
        except BotoCoreError as exc:
            raise StorageError(f"Expected the document store to answer, got {_describe(exc)}",
                               reason=type(exc).__name__) from None

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        await self._call(self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data,
                         ContentType=content_type, **self._encryption())

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], *, content_type: str) -> int:
        """One PUT for small files; a multipart upload (aborted on any failure) for large ones."""
        full_key = self._key(key)
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, object]] = []
        size = 0
        try:
            async for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                while len(buffer) >= self.part_size:
                    if upload_id is None:
                        created = await self._call(self.client.create_multipart_upload, Bucket=self.bucket,
                                                   Key=full_key, ContentType=content_type, **self._encryption())
                        upload_id = str(created["UploadId"])
                    piece, buffer = bytes(buffer[: self.part_size]), buffer[self.part_size:]
                    part = await self._call(self.client.upload_part, Bucket=self.bucket, Key=full_key,
                                            UploadId=upload_id, PartNumber=len(parts) + 1, Body=piece)
                    parts.append({"PartNumber": len(parts) + 1, "ETag": part["ETag"]})
            if upload_id is None:
                await self._call(self.client.put_object, Bucket=self.bucket, Key=full_key, Body=bytes(buffer),
                                 ContentType=content_type, **self._encryption())
                return size
            if buffer:
                part = await self._call(self.client.upload_part, Bucket=self.bucket, Key=full_key,
                                        UploadId=upload_id, PartNumber=len(parts) + 1, Body=bytes(buffer))
                parts.append({"PartNumber": len(parts) + 1, "ETag": part["ETag"]})
            await self._call(self.client.complete_multipart_upload, Bucket=self.bucket, Key=full_key,
                             UploadId=upload_id, MultipartUpload={"Parts": parts})
            return size
        except BaseException:
            if upload_id is not None:
                await asyncio.shield(self._abort(full_key, upload_id))
            raise

    async def _abort(self, full_key: str, upload_id: str) -> None:
        # An abandoned multipart upload is invisible to readers; a bucket lifecycle rule reaps it.
        with contextlib.suppress(ClientError, BotoCoreError):
            await asyncio.to_thread(self.client.abort_multipart_upload, Bucket=self.bucket, Key=full_key,
                                    UploadId=upload_id)

    async def get(self, key: str) -> bytes:
        response = await self._call(self.client.get_object, Bucket=self.bucket, Key=self._key(key))
        body = response["Body"]
        try:
            data: bytes = await asyncio.to_thread(body.read)
        finally:
            body.close()
        return data

    async def stream(self, key: str, chunk_size: int = 256 * 1024) -> AsyncIterator[bytes]:
        response = await self._call(self.client.get_object, Bucket=self.bucket, Key=self._key(key))
        body = response["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, chunk_size):
                yield chunk
        finally:
            body.close()

    async def head(self, key: str) -> ObjectHead:
        found = await self._call(self.client.head_object, Bucket=self.bucket, Key=self._key(key))
        return ObjectHead(size=int(found["ContentLength"]), content_type=str(found.get("ContentType", "")))

    async def delete(self, key: str) -> None:
        await self._call(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    async def keys(self, prefix: str) -> list[str]:
        full = self._key(prefix) + "/"
        found: list[str] = []
        token: str | None = None
        while True:
            page = await self._call(self.client.list_objects_v2, Bucket=self.bucket, Prefix=full,
                                    **({"ContinuationToken": token} if token else {}))
            found += [str(item["Key"])[len(self.prefix):] for item in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return sorted(found)
            token = str(page["NextContinuationToken"])

    async def delete_prefix(self, prefix: str) -> int:
        keys = await self.keys(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self.prefix + k} for k in keys[start:start + 1000]]
            result = await self._call(self.client.delete_objects, Bucket=self.bucket,
                                      Delete={"Objects": batch, "Quiet": True})
            if result.get("Errors"):
                first = result["Errors"][0]
                raise StorageError(f"Expected every object to be deleted, got {first.get('Code')} for "
                                   f"{first.get('Key')}")
        uploads = await self._call(self.client.list_multipart_uploads, Bucket=self.bucket,
                                   Prefix=self._key(prefix) + "/")
        for upload in uploads.get("Uploads", []):
            await self._abort(str(upload["Key"]), str(upload["UploadId"]))
        return len(keys)

    async def check(self) -> None:
        try:
            await asyncio.to_thread(self.client.list_objects_v2, Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"Expected to list s3://{self.bucket}/{self.prefix}, got {_describe(exc)} "
                               "(check the bucket, the endpoint and the credentials)") from None

    def presigned_post(self, key: str, *, content_type: str, max_bytes: int, expires: dt.timedelta,
                       now: dt.datetime) -> PresignedPost:
        """A POST policy that lets one SDK upload exactly this key, this type, at most `max_bytes`."""
        fields = {"Content-Type": content_type, **{f"x-amz-server-side-encryption{suffix}": value for suffix, value in
                                                   (("", self.sse), ("-aws-kms-key-id", self.kms_key_id)) if value}}
        conditions: list[object] = [["content-length-range", 1, max_bytes], {"Content-Type": content_type}]
        conditions += [{name: value} for name, value in fields.items() if name != "Content-Type"]
        post = self.client.generate_presigned_post(self.bucket, self._key(key), Fields=fields,
                                                   Conditions=conditions, ExpiresIn=int(expires.total_seconds()))
        return PresignedPost(url=post["url"], fields={k: str(v) for k, v in post["fields"].items()},
                             expires_at=now + expires)

    def presigned_get(self, key: str, *, expires: dt.timedelta, filename: str) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object", ExpiresIn=int(expires.total_seconds()),
            Params={"Bucket": self.bucket, "Key": self._key(key),
                    "ResponseContentDisposition": f'attachment; filename="{filename}"'})
        return url


__all__ = ["PresignedPost", "S3Store"]
