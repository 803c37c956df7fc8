"""Uploads as an SDK makes them: streamed in 64 KiB chunks with progress, to `POST /v1/sessions/{id}/files`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx

from demo_client.printer import Printer
from demo_client.review import DemoError


class Uploads:
    """Sends files to a session and prints their progress."""

    def __init__(self, http: httpx.AsyncClient, printer: Printer) -> None:
        self.http = http
        self.printer = printer

    async def send(self, session_id: str, token: str, filename: str, data: bytes) -> str:
        name, suffix = filename.rsplit(".", 1)[0], "." + filename.rsplit(".", 1)[-1]
        total = len(data)
        sent = 0
        report: Callable[[int], None] = self._progress(name, total)

        async def body() -> AsyncIterator[bytes]:
            nonlocal sent
            for start in range(0, total, 64 * 1024):
                chunk = data[start:start + 64 * 1024]
                sent += len(chunk)
                report(sent)
                yield chunk

        content_type = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
                        ".heic": "image/heic", ".webp": "image/webp", ".pdf": "application/pdf"}.get(
            suffix.lower(), "application/octet-stream")
        response = await self.http.post(f"/v1/sessions/{session_id}/files", params={"filename": filename},
                                        content=body(), headers={"Authorization": f"Bearer {token}",
                                                                 "Content-Type": content_type,
                                                                 "Content-Length": str(total)})
        if response.status_code != 201:
            raise DemoError(f"upload of {name} failed: {response.status_code} {response.text}")
        file_id: str = response.json()["file_id"]
        self.printer.line(f"   uploaded {filename}: {file_id} ({total} bytes)")
        return file_id

    def _progress(self, name: str, total: int) -> Callable[[int], None]:
        marks = {25, 50, 75, 100}

        def report(sent: int) -> None:
            percent = int(sent * 100 / total) if total else 100
            for mark in sorted(marks):
                if percent >= mark:
                    marks.discard(mark)
                    self.printer.line(f"   upload {name}: {mark}%")

        return report



__all__ = ["Uploads"]
