from __future__ import annotations

from server.workflow.context import get_path, path_root, paths_overlap, set_path


def test_get_path_walks_dicts_and_list_indexes_and_answers_none_when_missing() -> None:
    context: dict[str, object] = {"person": {"first_name": "Ada"}, "owners": [{"country": "DE"}]}
    assert get_path(context, "person.first_name") == "Ada"
    assert get_path(context, "owners.0.country") == "DE"
    assert get_path(context, "owners.1.country") is None
    assert get_path(context, "person.first_name.x") is None
    assert get_path(context, "nobody") is None


def test_set_path_copies_along_the_path_and_leaves_the_original_alone() -> None:
    original: dict[str, object] = {"person": {"first_name": "Ada"}, "other": {"kept": 1}}
    updated = set_path(original, "person.last_name", "Lovelace")
    assert updated == {"person": {"first_name": "Ada", "last_name": "Lovelace"}, "other": {"kept": 1}}
    assert original == {"person": {"first_name": "Ada"}, "other": {"kept": 1}}
    assert updated["other"] is original["other"]
    assert set_path({"a": 3}, "a.b", 1) == {"a": {"b": 1}}


def test_roots_and_overlaps() -> None:
    assert path_root("person.first_name") == "person"
    assert path_root("person") == "person"
    assert paths_overlap("checks", "checks.front.passed")
    assert paths_overlap("checks.front.passed", "checks")
    assert not paths_overlap("checks", "checksum")
