"""Dotted paths into a session's context (`person.first_name`, `owners.0.country`): one home.

Pure functions over plain dicts; the context is never mutated, `set_path` copies along the path.
"""

from __future__ import annotations

from collections.abc import Mapping


def get_path(data: Mapping[str, object], path: str) -> object:
    """The value at `path`, or None when any step is missing; digits index into lists."""
    value: object = data
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def set_path(data: Mapping[str, object], path: str, value: object) -> dict[str, object]:
    """A copy of `data` with `value` at `path`, copying only the dicts along the path."""
    head, _, rest = path.partition(".")
    copy = dict(data)
    if not rest:
        copy[head] = value
        return copy
    child = copy.get(head)
    copy[head] = set_path(child if isinstance(child, dict) else {}, rest, value)
    return copy


def path_root(path: str) -> str:
    """`person.first_name` -> `person`."""
    return path.partition(".")[0]


def paths_overlap(a: str, b: str) -> bool:
    """True when one path is the other or lies inside it (`checks` and `checks.front.passed`)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


__all__ = ["get_path", "path_root", "paths_overlap", "set_path"]
