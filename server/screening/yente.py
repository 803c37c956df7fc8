"""The yente backend: the `/match/{dataset}` API of OpenSanctions' screening service, for operators who run it.

One POST per query, `{"queries": {"q": {"schema", "properties"}}}`; the answer's `responses.q.results[]`
carry `id`, `caption`, `score`, `match`, `features` (what yente's scorer weighed), `properties` and
`datasets`. A timeout, a refused connection, a status other than 200 or an answer of another shape
fails the task with `screening.unavailable`, saying which.
"""

from __future__ import annotations

import httpx
import msgspec

from server.screening.errors import ScreeningUnavailable
from verification.screening import Candidate, Query


class _Result(msgspec.Struct, kw_only=True):
    id: str
    caption: str = ""
    score: float
    match: bool = False
    features: dict[str, float] = {}
    properties: dict[str, list[str]] = {}
    datasets: list[str] = []
    schema: str = ""


class _Response(msgspec.Struct, kw_only=True):
    results: list[_Result]


class _Answer(msgspec.Struct, kw_only=True):
    responses: dict[str, _Response]


_decode = msgspec.json.Decoder(_Answer).decode


def yente_properties(query: Query) -> dict[str, list[str]]:
    """The query as FtM properties, only those it knows."""
    known = {"name": query.name, "birthDate": query.birth_date, "nationality": query.nationality.lower(),
             "jurisdiction": query.jurisdiction.lower(), "registrationNumber": query.registration_number}
    if query.schema == "Person":
        known.pop("jurisdiction")
        known.pop("registrationNumber")
    else:
        known.pop("birthDate")
        known.pop("nationality")
    return {name: [value] for name, value in known.items() if value}


class YenteBackend:
    """Screens through a yente server at `base_url`, against `dataset` (`default`: every list it holds)."""

    def __init__(self, base_url: str, *, dataset: str = "default", timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.dataset = dataset
        self.timeout = timeout

    @property
    def version(self) -> str:
        return f"yente:{self.dataset}"

    async def screen(self, query: Query, *, limit: int, floor: float) -> list[Candidate]:
        body = {"queries": {"q": {"schema": query.schema, "properties": yente_properties(query)}}}
        url = f"{self.base_url}/match/{self.dataset}"
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                answer = await client.post(url, json=body, params={"limit": limit})
        except httpx.TimeoutException:
            raise ScreeningUnavailable(f"Expected an answer from yente at {url} within {self.timeout} s, got none",
                                       url=url) from None
        except httpx.HTTPError as exc:
            raise ScreeningUnavailable(f"Expected to reach yente at {url}, got {type(exc).__name__}: {exc}",
                                       url=url) from None
        if answer.status_code != 200:
            raise ScreeningUnavailable(f"Expected 200 from yente at {url}, got {answer.status_code}: "
                                       f"{answer.text[:200]}", url=url, status=answer.status_code)
        try:
            results = _decode(answer.content).responses["q"].results
        except (msgspec.DecodeError, KeyError) as exc:
            raise ScreeningUnavailable(f"Expected yente's match answer ({{\"responses\": {{\"q\": {{\"results\": "
                                       f"[...]}}}}}}) from {url}, got: {exc}", url=url) from None
        found = [Candidate(id=r.id, caption=r.caption or r.id, score=round(r.score, 4),
                           reasons=[f"yente score {r.score:.2f}" + (" (yente: match)" if r.match else "")]
                           + [f"{name} {value:.2f}" for name, value in sorted(r.features.items()) if value],
                           topics=r.properties.get("topics", []), datasets=r.datasets, schema=r.schema)
                 for r in results if r.score >= floor]
        found.sort(key=lambda c: (-c.score, c.id))
        return found[:limit]


__all__ = ["YenteBackend", "yente_properties"]
