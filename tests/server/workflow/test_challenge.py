"""Selfie challenges in the pure core: drawn by the server per revision, shown only to 1.3 clients, stored with the
frames at submit, and validated with stable field codes (tests/server/challenge/journeys/selfie_challenge.yaml)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest

import sdk_protocol as p
from server.journeys import load_registry
from server.plugins import checked_tasks
from server.settings import Settings
from server.workflow import CompiledJourney, RejectInput, RulesEngine, render_screen
from server.workflow.challenge import draw_moves
from tests.server.workflow.test_engine import FILE, Walk
from ui_schemas.loader import Catalogs

JOURNEY = Path(__file__).parents[1] / "challenge" / "journeys" / "selfie_challenge.yaml"
FRAMES = ["f_frame000001", "f_frame000002", "f_frame000003"]


@pytest.fixture(scope="module")
def journey(engine: RulesEngine, catalogs: Catalogs) -> CompiledJourney:
    found = load_registry(engine=engine, catalogs=catalogs, extra=[JOURNEY], tasks=checked_tasks(Settings()).checks).get("selfie_challenge")
    assert found is not None
    return found


def selfie_of(walk: Walk, catalogs: Catalogs, *, speaks_challenge: bool,
              components: frozenset[str] = p.ALL_COMPONENT_TYPES) -> p.Component:
    screen = render_screen(walk.journey, walk.snapshot, catalogs=catalogs, locale="en",
                           capabilities=p.Capabilities.declare(components), speaks_challenge=speaks_challenge)
    return next(c for c in screen.components if isinstance(c, p.SelfieCapture | p.FileUpload))


def test_a_1_3_client_is_sent_moves_in_both_directions_and_an_older_one_no_challenge_at_all(
        journey: CompiledJourney, catalogs: Catalogs) -> None:
    walk = Walk(journey)
    new = selfie_of(walk, catalogs, speaks_challenge=True)
    old = selfie_of(walk, catalogs, speaks_challenge=False)
    assert isinstance(new, p.SelfieCapture) and isinstance(old, p.SelfieCapture)
    assert new.challenge is not None and sorted(new.challenge) == ["turn_left", "turn_right"]
    assert new.challenge == draw_moves(walk.snapshot, "selfie", 2)
    wire = msgspec.json.decode(msgspec.json.encode(old))
    assert "challenge" not in wire and "challenge_moves" not in wire


def test_the_moves_depend_on_the_session_and_revision_and_always_alternate(journey: CompiledJourney) -> None:
    starts = dt.datetime(2026, 11, 28, 6, 0, tzinfo=dt.UTC)
    drawn = {tuple(draw_moves(msgspec.structs.replace(Walk(journey).snapshot,
                                                      started_at=starts + dt.timedelta(microseconds=i)), "selfie", 3))
             for i in range(40)}
    assert drawn == {("turn_left", "turn_right", "turn_left"), ("turn_right", "turn_left", "turn_right")}


def test_the_frames_are_stored_with_the_moves_the_server_drew_not_with_any_the_client_sends(
        journey: CompiledJourney, catalogs: Catalogs) -> None:
    walk = Walk(journey)
    shown = selfie_of(walk, catalogs, speaks_challenge=True)
    assert isinstance(shown, p.SelfieCapture)
    walk.submit({"file": FILE, "file_frames": FRAMES})
    stored = walk.snapshot.context["captures"]
    assert stored == {"selfie": {"file": FILE, "file_frames": FRAMES, "file_challenge": shown.challenge}}
    assert walk.snapshot.task is not None
    refused = Walk(journey).submit({"file": FILE, "file_challenge": ["turn_left", "turn_right"]}, allow_errors=True)
    errors = [e for effect in refused.effects if isinstance(effect, RejectInput) for e in effect.errors]
    assert [(e.pointer, e.code) for e in errors] == [("/file_challenge", "validation.unknown_field")]


def test_an_old_client_s_single_selfie_is_stored_without_frames_or_moves(journey: CompiledJourney) -> None:
    walk = Walk(journey)
    walk.submit({"file": FILE})
    assert walk.snapshot.context["captures"] == {"selfie": {"file": FILE}}


@pytest.mark.parametrize(("frames", "shown"), [
    ("f_frame000001", "string"), ([], "a list of 0"), (FRAMES[:2], "a list of 2"), (FRAMES * 4, "a list of 12")])
def test_frames_that_are_not_a_list_of_3_to_11_file_ids_get_challenge_frames(
        journey: CompiledJourney, frames: object, shown: str) -> None:
    result = Walk(journey).submit({"file": FILE, "file_frames": frames}, allow_errors=True)
    errors = [e for effect in result.effects if isinstance(effect, RejectInput) for e in effect.errors]
    assert [(e.pointer, e.code) for e in errors] == [("/file_frames", "validation.challenge_frames")]
    assert errors[0].message == f"Expected 3 to 11 file ids of the frames after the selfie, got {shown}"
    assert errors[0].params == {"min_items": 3, "max_items": 11}


def test_a_frame_that_is_not_a_file_id_is_named_by_its_index(journey: CompiledJourney) -> None:
    result = Walk(journey).submit({"file": FILE, "file_frames": [*FRAMES[:2], 7]}, allow_errors=True)
    errors = [e for effect in result.effects if isinstance(effect, RejectInput) for e in effect.errors]
    assert [(e.pointer, e.code) for e in errors] == [("/file_frames/2", "validation.file_id")]
