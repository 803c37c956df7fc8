"""The yente backend against a stand-in speaking yente's `/match` API, directly and through the real server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import sdk_protocol as p
from server.screening.errors import ScreeningUnavailable
from server.screening.yente import YenteBackend
from tests.server.live import Sdk, Server
from tests.server.screening.journey import LISTED, write_journey
from tests.server.screening.yente_standin import YenteStandIn
from verification.screening import Entity, Query


@pytest.fixture
def yente() -> Iterator[YenteStandIn]:
    entities = [Entity(id=str(e["id"]), schema=str(e["schema"]), properties=e["properties"],  # type: ignore[arg-type]
                       datasets=e.get("datasets", []), caption=str(e.get("caption", ""))) for e in LISTED if e["schema"] != "Sanction"]  # type: ignore[arg-type]
    standin = YenteStandIn(entities).start()
    yield standin
    standin.stop()


async def test_a_match_sends_the_query_as_ftm_properties_and_reads_the_candidates(yente: YenteStandIn) -> None:
    backend = YenteBackend(yente.url, dataset="sanctions", timeout=2)
    found = await backend.screen(Query(name="Vladimir Putin", birth_date="1952-10-07", nationality="RU"), limit=5,
                                 floor=0.5)
    dataset, body, params = yente.requests[-1]
    assert dataset == "sanctions" and params == {"limit": "5"}
    assert body == {"queries": {"q": {"schema": "Person", "properties": {
        "name": ["Vladimir Putin"], "birthDate": ["1952-10-07"], "nationality": ["ru"]}}}}
    assert [c.id for c in found] == ["os-putin"] and found[0].caption == "Vladimir Putin"
    assert found[0].reasons[0].startswith("yente score ") and "(yente: match)" in found[0].reasons[0]
    assert any(r.startswith("person_name_jaro_winkler ") for r in found[0].reasons)
    assert found[0].topics == ["sanction", "role.pep"] and found[0].datasets == ["eu_fsf", "us_ofac_sdn"]
    assert backend.version == "yente:sanctions"
    company = await backend.screen(Query(name="Acme Trading", schema="Company", jurisdiction="IR",
                                         registration_number="IR-12345"), limit=5, floor=0.5)
    assert yente.requests[-1][1] == {"queries": {"q": {"schema": "Company", "properties": {
        "name": ["Acme Trading"], "jurisdiction": ["ir"], "registrationNumber": ["IR-12345"]}}}}
    assert [c.id for c in company] == ["os-acme"]


@pytest.mark.parametrize(("mode", "says"), [
    ("slow", "Expected an answer from yente at {url}/match/default within 0.5 s, got none"),
    ("error", "Expected 200 from yente at {url}/match/default, got 500"),
    ("shape", "Expected yente's match answer"),
])
async def test_a_slow_failing_or_strange_yente_fails_with_its_code(yente: YenteStandIn, mode: str, says: str) -> None:
    yente.mode = mode
    with pytest.raises(ScreeningUnavailable) as caught:
        await YenteBackend(yente.url, timeout=0.5).screen(Query(name="Ada Lovelace"), limit=5, floor=0.5)
    assert caught.value.code == "screening.unavailable"
    assert caught.value.message.startswith(says.format(url=yente.url))


async def test_an_unreachable_yente_fails_with_its_code() -> None:
    from tests.server.live import free_port

    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ScreeningUnavailable, match=f"Expected to reach yente at {url}/match/default, got Connect"):
        await YenteBackend(url, timeout=1).screen(Query(name="Ada Lovelace"), limit=5, floor=0.5)


async def _screen(server: Server, first: str, last: str) -> dict[str, object]:
    session = server.create("screened_person")
    device = await Sdk(server, session["token"]).connect()
    screen = await device.screen("person")
    await device.submit(screen, {"first_name": first, "last_name": last})
    await device.next(p.Message, lambda m: (isinstance(m, p.Screen) and m.screen_id == "manual_review")
                      or isinstance(m, p.JourneyCompleted), timeout=60)
    await device.close()
    view = await asyncio.to_thread(server.session, session["session_id"])
    data = view["data"]
    assert isinstance(data, dict)
    return data


async def test_the_server_screens_through_yente_for_many_sessions_at_once(
        server_factory: Callable[..., Server], yente: YenteStandIn, tmp_path: Path) -> None:
    server = server_factory({"ARABESQUE_SCREENING_BACKEND": "yente", "ARABESQUE_SCREENING_YENTE_URL": yente.url,
                             "ARABESQUE_JOURNEYS_DIR": str(write_journey(tmp_path / "journeys"))}).start()
    names = [("Vladimir", "Putin"), ("Ada", "Lovelace")] * 8
    results = await asyncio.gather(*(_screen(server, first, last) for first, last in names))
    for (first, _), data in zip(names, results, strict=True):
        found = data["screening"]["person"]  # type: ignore[index]
        assert found["backend"] == "yente" and found["list_version"] == "yente:default"
        assert found["hits"] == (1 if first == "Vladimir" else 0), found
    assert len(yente.requests) == len(names)
