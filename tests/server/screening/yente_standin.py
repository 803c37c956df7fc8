"""A stand-in for yente on 127.0.0.1: `POST /match/{dataset}` in yente's shape, answered from a small list.

`mode`: ok, slow (answers after 3 s), error (500), shape (200 with another body). Every request body is kept.
"""

from __future__ import annotations

import asyncio
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.server.live import free_port
from verification.screening import Entity, Query, ScreeningIndex


class YenteStandIn:
    def __init__(self, entities: list[Entity]) -> None:
        self.port = free_port()
        self.mode = "ok"
        self.requests: list[tuple[str, dict[str, object], dict[str, str]]] = []
        self.index = ScreeningIndex(entities)
        self.by_id = {e.id: e for e in entities}
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def match(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append((request.path_params["dataset"], body, dict(request.query_params)))
        if self.mode == "slow":
            await asyncio.sleep(3)
        if self.mode == "error":
            return JSONResponse({"detail": "index not ready"}, status_code=500)
        if self.mode == "shape":
            return JSONResponse({"results": []})
        responses = {}
        for key, query in body["queries"].items():
            props = query["properties"]
            found = self.index.screen(Query(name=props["name"][0], schema=query["schema"],
                                            birth_date=props.get("birthDate", [""])[0]), floor=0.3)
            responses[key] = {"status": 200, "results": [
                {"id": c.id, "caption": c.caption, "schema": c.schema, "score": c.score, "match": c.score > 0.7,
                 "features": {"person_name_jaro_winkler": c.score, "dob_year_disjoint": 0.0},
                 "properties": self.by_id[c.id].properties, "datasets": c.datasets, "referents": []}
                for c in found], "total": {"value": len(found)}}
        return JSONResponse({"responses": responses, "limit": 5})

    def start(self) -> YenteStandIn:
        app = Starlette(routes=[Route("/match/{dataset}", self.match, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the yente stand-in did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(10)
