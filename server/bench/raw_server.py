"""The baseline of `arabesque bench sessions`: a minimal python-socketio server replaying recorded screens.

Same stack as `arabesque serve` (uvicorn with uvloop, httptools and websockets-sansio; python-socketio's
defaults) and the same messages, but no journey, no validation, no database: what the raw transport
costs for the same walk. `POST /v1/sessions` answers with a token so session creation has a baseline too.
Run as `python -m server.bench.raw_server PORT SCREENS.json`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from pathlib import Path

import socketio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def build(screens: list[dict[str, object]]) -> socketio.ASGIApp:
    sio = socketio.AsyncServer(async_mode="asgi")
    ids = itertools.count(1)
    state: dict[str, list[int]] = {}  # sid -> [position in the walk, revision]
    background: set[asyncio.Task[None]] = set()

    def screen_for(sid: str) -> dict[str, object]:
        position, revision = state[sid]
        return {**screens[position], "revision": revision}

    async def send_later(sid: str) -> None:
        await sio.emit("message", screen_for(sid), to=sid, namespace="/sdk")

    async def connect(sid: str, environ: dict[str, object], auth: object) -> None:
        if not isinstance(auth, dict) or not auth.get("token"):
            raise socketio.exceptions.ConnectionRefusedError("no token")
        state[sid] = [0, 1]  # like Arabesque: nothing is sent before hello

    async def disconnect(sid: str, reason: object = None) -> None:
        state.pop(sid, None)

    async def message(sid: str, data: dict[str, object]) -> dict[str, object]:
        kind = data.get("type")
        if kind == "hello":  # like Arabesque: the ack, then the screen rendered for the declared profile
            task = asyncio.create_task(send_later(sid))
            background.add(task)
            task.add_done_callback(background.discard)
            return {"type": "welcome", "protocol_version": "1.0.0", "session_id": sid, "locale": "en"}
        entry = state[sid]
        revision = entry[1]
        entry[0] = entry[0] % (len(screens) - 1) + 1
        entry[1] += 1
        await sio.emit("message", screen_for(sid), to=sid, namespace="/sdk")
        return {"type": "screen.accepted", "screen_id": data.get("screen_id"), "revision": revision,
                "next_revision": revision + 1}

    sio.on("connect", connect, namespace="/sdk")
    sio.on("disconnect", disconnect, namespace="/sdk")
    sio.on("message", message, namespace="/sdk")

    async def create(request: Request) -> JSONResponse:
        body = await request.json()
        n = next(ids)
        return JSONResponse({"session_id": f"s_{n}", "token": f"t_{n}", "journey": body.get("journey")}, 201)

    async def ready(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ready"})

    app = Starlette(routes=[Route("/v1/sessions", create, methods=["POST"]), Route("/readyz", ready)])
    return socketio.ASGIApp(sio, other_asgi_app=app, socketio_path="socket.io")


def main() -> None:
    port = int(sys.argv[1])
    screens = json.loads(Path(sys.argv[2]).read_text())["screens"]
    uvicorn.run(build(screens), host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                ws="websockets-sansio", log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
