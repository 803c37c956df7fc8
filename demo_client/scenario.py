"""Scenarios: the answers a demo run gives per screen, what a reviewer does, and whom a journey's children show."""

from __future__ import annotations

from pathlib import Path

import msgspec
import yaml

from demo_client.review import DemoError, ReviewStep

SCENARIOS_DIR = Path(__file__).parent / "scenarios"


class ChildFace(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who a child's captures show: a face of demo_client/faces.py, the sex the card's MRZ prints."""

    face: str
    sex: str = "X"


class ChildPlan(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A scenario's `children`: the scenario each child walks, and the faces, one per child in the parent's
    order (a KYB's owners are different people: the server looks for a face seen before under another name)."""

    scenario: str = "approve"
    people: list[ChildFace] = []


class Scenario(msgspec.Struct, frozen=True, kw_only=True):
    answers: dict[str, list[dict[str, object]]]
    prefill_files: dict[str, str] = {}
    reviewer: list[ReviewStep] = []
    children: ChildPlan = ChildPlan()


def load_scenario(journey: str, name: str, directory: Path = SCENARIOS_DIR) -> Scenario:
    path = directory / f"{journey}.yaml"
    if not path.is_file():
        raise DemoError(f"no scenario file for journey {journey!r} in {directory}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if name not in raw.get("scenarios", {}):
        raise DemoError(f"scenario {name!r} is not in {path} (have: {', '.join(raw.get('scenarios', {}))})")
    merged = {**raw.get("base", {}), **(raw["scenarios"][name] or {})}
    reviewer = msgspec.convert(merged.pop("reviewer", []), list[ReviewStep])
    children = msgspec.convert(merged.pop("children", {}), ChildPlan)
    answers = {screen: value if isinstance(value, list) else [value] for screen, value in merged.items()}
    return Scenario(answers=answers, prefill_files=raw.get("prefill_files", {}), reviewer=reviewer,
                    children=children)


__all__ = ["SCENARIOS_DIR", "ChildFace", "ChildPlan", "Scenario", "load_scenario"]
