"""Children states through the pure engine: which children start, how their outcomes land, when the parent
goes on, what leaving early does, and what the checker refuses."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

import sdk_protocol as p
from server.journeys import Registry, check_files
from server.workflow import (
    Cancel,
    ChildDone,
    CompiledJourney,
    EndChildren,
    RulesEngine,
    ShowScreen,
    Signal,
    StartChildren,
    Submit,
    Tick,
    check_journey,
    compile_journey,
    render_screen,
)
from server.workflow.children import pending
from tests.server.workflow.test_engine import NOW, Walk
from ui_schemas.loader import Catalogs
from ui_schemas.model import Journey

OWNERS = [
    {"first_name": "Ada", "last_name": "Lovelace", "share": 60, "is_director": False},
    {"first_name": "Tiny", "last_name": "Holder", "share": 5, "is_director": False},
    {"first_name": "Grace", "last_name": "Hopper", "share": 10, "is_director": True},
]


@pytest.fixture
def registry_journey(registry: Registry) -> CompiledJourney:
    journey = registry.get("kyc_individual")
    assert journey is not None
    return journey


def parent_definition(**changes: object) -> dict[str, object]:
    owners_state: dict[str, object] = {
        "type": "children", "group": "owners", "journey": "kyc_individual", "items": "ownership.owners",
        "where": "needs_kyc", "label": ["first_name", "last_name"],
        "prefill": {"first_name": "first_name", "last_name": "last_name"},
        "screen": {"title": "review.waiting.title", "components": [
            {"type": "content.heading", "text": "review.waiting.title"}]},
        "after": [{"delay": "7d", "target": "timed_out"}],
        "on": {"done": [{"target": "approved", "guard": "all_approved"},
                        {"target": "rejected", "guard": "any_rejected"},
                        {"target": "manual_review"}],
               "stop": "timed_out"},
    }
    owners_state.update(changes)
    final = {"type": "final"}
    return {
        "name": "parent", "version": 1, "title": "kyb.title", "initial": "owners",
        "rules": {
            "needs_kyc": {"or": [{">=": [{"var": "share"}, 25]}, {"==": [{"var": "is_director"}, True]}]},
            "all_approved": {"var": "children.owners.all_approved"},
            "any_rejected": {"var": "children.owners.any_rejected"},
        },
        "states": {
            "owners": {"type": "screen", "store_at": "ownership", "screen": {"components": [
                {"type": "input.repeater", "name": "owners", "label": "kyb.owners.list", "fields": [
                    {"type": "input.text", "name": "first_name", "label": "field.first_name"},
                    {"type": "input.text", "name": "last_name", "label": "field.last_name"},
                    {"type": "input.text", "name": "share", "label": "field.ownership_share",
                     "input_type": "number"},
                    {"type": "input.checkbox", "name": "is_director", "label": "field.is_director"}]}]},
                       "on": {"submit": "verify_owners"}},
            "verify_owners": owners_state,
            "approved": {**final, "outcome": "approved"},
            "rejected": {**final, "outcome": "rejected"},
            "manual_review": {**final, "outcome": "manual_review"},
            "timed_out": {**final, "outcome": "expired"},
        },
    }


def compiled(engine: RulesEngine, **changes: object) -> CompiledJourney:
    journey = msgspec.convert(parent_definition(**changes), Journey)
    assert check_journey(journey, engine=engine) == []
    return compile_journey(journey, engine)


def waiting(engine: RulesEngine, owners: list[dict[str, object]] = OWNERS, **changes: object) -> Walk:
    walk = Walk(compiled(engine, **changes))
    walk.apply(Submit(screen_id="owners", revision=walk.snapshot.revision, values={"owners": owners}))
    return walk


def test_entering_starts_one_child_per_item_the_where_rule_selects(engine: RulesEngine) -> None:
    walk = waiting(engine)
    assert (walk.snapshot.state, walk.snapshot.status) == ("verify_owners", "waiting")
    started = next(e for e in walk.effects if isinstance(e, StartChildren))
    assert (started.group, started.journey, started.version) == ("owners", "kyc_individual", None)
    assert [(c.label, c.prefill) for c in started.children] == [
        ("Ada Lovelace", {"first_name": "Ada", "last_name": "Lovelace"}),
        ("Grace Hopper", {"first_name": "Grace", "last_name": "Hopper"})]
    group = walk.snapshot.context["children"]["owners"]  # type: ignore[index]
    assert (group["count"], group["pending"], group["all_approved"], group["done"]) == (2, 2, False, False)
    assert pending(walk.journey, walk.snapshot) == started  # what a restart starts again (none twice: same keys)
    start = walk.snapshot.trace[-1]
    assert (start.event, [e.result for e in start.evaluations]) == ("children.start", [True, False, True])


def test_the_parent_goes_on_once_the_last_child_ends_and_the_trace_names_their_outcomes(engine: RulesEngine) -> None:
    walk = waiting(engine)
    first, second = next(e for e in walk.effects if isinstance(e, StartChildren)).children
    walk.apply(ChildDone(group="owners", key=first.key, session_id="s_ada", outcome="approved"))
    assert (walk.snapshot.state, walk.snapshot.status) == ("verify_owners", "waiting")
    assert walk.effects == [ShowScreen(state="verify_owners", revision=walk.snapshot.revision)]
    assert pending(walk.journey, walk.snapshot).children == [second]  # type: ignore[union-attr]
    walk.apply(ChildDone(group="owners", key=second.key, session_id="s_grace", outcome="approved"))
    assert (walk.snapshot.status, walk.snapshot.outcome) == ("final", "approved")
    done = walk.snapshot.trace[-1]
    assert (done.event, done.target) == ("children.done", "approved")
    assert done.reason == "owners: s_ada (Ada Lovelace): approved; s_grace (Grace Hopper): approved"
    assert [e.result for e in done.evaluations] == [True]  # all_approved, read when the last one ended


def test_guards_read_the_counts_and_a_rejected_child_decides(engine: RulesEngine) -> None:
    walk = waiting(engine)
    first, second = next(e for e in walk.effects if isinstance(e, StartChildren)).children
    walk.apply(ChildDone(group="owners", key=first.key, session_id="s_1", outcome="rejected"))
    walk.apply(ChildDone(group="owners", key=second.key, session_id="s_2", outcome="approved"))
    group = walk.snapshot.context["children"]["owners"]  # type: ignore[index]
    assert (group["approved"], group["rejected"], group["any_rejected"], group["all_approved"]) == (1, 1, True, False)
    assert walk.snapshot.outcome == "rejected"


def test_a_childs_outcome_counts_once_a_second_delivery_is_refused(engine: RulesEngine) -> None:
    walk = waiting(engine)
    first, _ = next(e for e in walk.effects if isinstance(e, StartChildren)).children
    walk.apply(ChildDone(group="owners", key=first.key, session_id="s_1", outcome="approved"))
    with pytest.raises(p.EventNotAllowed, match="running child"):
        walk.apply(ChildDone(group="owners", key=first.key, session_id="s_1", outcome="approved"))
    with pytest.raises(p.EventNotAllowed, match="running child"):
        walk.apply(ChildDone(group="directors", key="9.9", session_id="s_9", outcome="approved"))


def test_no_selected_items_take_done_at_once(engine: RulesEngine) -> None:
    walk = waiting(engine, owners=[OWNERS[1]])
    assert (walk.snapshot.status, walk.snapshot.outcome) == ("final", "manual_review")  # all_approved of none: false
    assert not any(isinstance(e, StartChildren) for e in walk.effects)
    assert (walk.snapshot.trace[-1].event, walk.snapshot.trace[-1].reason) == ("children.done", "verify_owners: no children")


def test_a_timeout_cancels_the_children_still_running_unless_the_journey_keeps_them(engine: RulesEngine) -> None:
    walk = waiting(engine)
    first, second = next(e for e in walk.effects if isinstance(e, StartChildren)).children
    walk.apply(ChildDone(group="owners", key=first.key, session_id="s_1", outcome="approved"))
    walk.now = NOW + dt.timedelta(days=8)
    walk.apply(Tick())
    assert walk.snapshot.outcome == "expired"
    assert EndChildren(group="owners", keys=[second.key]) in walk.effects
    kept = waiting(engine, on_exit="keep")
    kept.apply(Signal(name="stop"))
    assert kept.snapshot.outcome == "expired" and not any(isinstance(e, EndChildren) for e in kept.effects)


def test_the_integrator_cannot_fake_the_childrens_end_with_a_signal(engine: RulesEngine) -> None:
    walk = waiting(engine)
    with pytest.raises(p.EventNotAllowed, match="signal 'done'"):
        walk.apply(Signal(name="done"))


def test_cancel_ends_a_journey_at_its_abandoned_state_and_stops_its_task(registry_journey: CompiledJourney) -> None:
    walk = Walk(registry_journey)
    walk.apply(Cancel(reason="parent s_1 ended", actor="session:s_1"))
    assert (walk.snapshot.state, walk.snapshot.outcome) == ("abandoned", "abandoned")
    assert (walk.snapshot.trace[-1].event, walk.snapshot.trace[-1].reason) == ("cancel", "parent s_1 ended")


def test_cancel_needs_an_abandoned_state(engine: RulesEngine) -> None:
    walk = waiting(engine)
    with pytest.raises(p.EventNotAllowed, match="outcome abandoned"):
        walk.apply(Cancel(reason="x"))


def test_the_waiting_screen_shows_each_childs_status(engine: RulesEngine, catalogs: Catalogs) -> None:
    walk = waiting(engine)
    first, _ = next(e for e in walk.effects if isinstance(e, StartChildren)).children
    walk.apply(ChildDone(group="owners", key=first.key, session_id="s_1", outcome="approved"))
    screen = render_screen(walk.journey, walk.snapshot, catalogs=catalogs, locale="en",
                           capabilities=p.Capabilities.declare(sorted(p.ALL_COMPONENT_TYPES)))
    lines = [(c.severity, c.text) for c in screen.components if isinstance(c, p.Alert)]
    assert screen.waiting and lines == [("success", "Ada Lovelace: verified"),
                                        ("info", "Grace Hopper: waiting for their verification")]


@pytest.mark.parametrize(("changes", "pointer", "message"), [
    ({"on": {"stop": "timed_out"}}, "/states/verify_owners/on", "no `done` transition"),
    ({"where": "nope"}, "/states/verify_owners/where", "unknown rule 'nope'"),
    ({"label": ["surname"]}, "/states/verify_owners/label/0", "no field 'surname'"),
    ({"items": "owners.list"}, "/states/verify_owners/items", "no screen, task or assignment provides"),
    ({"journey": "parent"}, "/states/verify_owners/journey", "cannot start itself"),
])
def test_the_checker_refuses_a_broken_children_state(engine: RulesEngine, changes: dict[str, object], pointer: str,
                                                     message: str) -> None:
    journey = msgspec.convert(parent_definition(**changes), Journey)
    problems = check_journey(journey, engine=engine)
    assert any(pr.pointer == pointer and message in pr.message for pr in problems), problems


def test_loading_refuses_a_child_journey_that_is_not_loaded(engine: RulesEngine, catalogs: Catalogs,
                                                             tmp_path: object) -> None:
    import pathlib

    import yaml

    folder = pathlib.Path(str(tmp_path))
    (folder / "parent.yaml").write_text(yaml.safe_dump(parent_definition(journey="kyc_nobody")))
    _, problems = check_files([folder], engine=engine, catalogs=None)
    assert [(pr.pointer, pr.message.split(",")[0]) for pr in problems] == [
        ("/states/verify_owners/journey", "Expected a loaded journey (parent)")]
