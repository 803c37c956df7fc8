"""Unknown keys in a definition: refused here, though the wire Structs allow them.

Components are `sdk_protocol` Structs, which keep unknown fields allowed on the wire (the
schema-evolution policy). A journey is authored by hand, where an unknown key is a typo
(`lable:`, `requird:`) that would silently make a field optional; so the loader walks the
raw data beside the type and names every key the Struct it lands in does not have.
"""

from __future__ import annotations

import difflib
import functools

import msgspec
import msgspec.inspect as mi

Step = str | int


class UnknownField(msgspec.Struct, frozen=True, kw_only=True):
    """A key at `path` that the Struct `owner` (its wire tag or class name) has no field for."""

    path: tuple[Step, ...]
    key: str
    owner: str
    known: tuple[str, ...]

    @property
    def suggestion(self) -> str | None:
        close = difflib.get_close_matches(self.key, self.known, n=1)
        return close[0] if close else None


@functools.cache
def _type_info(kind: type) -> mi.Type:
    # inspect is slow-ish; one walk per definition type, at load time only.
    return mi.type_info(kind)


def unknown_fields(raw: object, kind: type) -> list[UnknownField]:
    """Every key in `raw` that the Struct it would decode into does not declare, in document order."""
    found: list[UnknownField] = []
    _walk(raw, _type_info(kind), (), found)
    return found


def _walk(value: object, kind: mi.Type, path: tuple[Step, ...], found: list[UnknownField]) -> None:
    if isinstance(kind, mi.Metadata):
        _walk(value, kind.type, path, found)
    elif isinstance(kind, mi.UnionType):
        chosen = _choose(value, kind)
        if chosen is not None:
            _walk(value, chosen, path, found)
    elif isinstance(kind, mi.StructType):
        if isinstance(value, dict):
            _struct(value, kind, path, found)
    elif isinstance(kind, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        if isinstance(value, list):
            for i, item in enumerate(value):
                _walk(item, kind.item_type, (*path, i), found)
    elif isinstance(kind, mi.TupleType):
        if isinstance(value, list):
            for i, (item, item_type) in enumerate(zip(value, kind.item_types, strict=False)):
                _walk(item, item_type, (*path, i), found)
    elif isinstance(kind, mi.DictType) and isinstance(value, dict):
        for key, item in value.items():
            _walk(item, kind.value_type, (*path, str(key)), found)


def _struct(value: dict[object, object], kind: mi.StructType, path: tuple[Step, ...],
            found: list[UnknownField]) -> None:
    fields = {f.encode_name: f for f in kind.fields}
    owner = str(kind.tag) if kind.tag is not None else kind.cls.__name__
    for key, item in value.items():
        if key == kind.tag_field:
            continue
        field = fields.get(str(key))
        if field is None:
            found.append(UnknownField(path=path, key=str(key), owner=owner, known=tuple(fields)))
        else:
            _walk(item, field.type, (*path, str(key)), found)


def _choose(value: object, union: mi.UnionType) -> mi.Type | None:
    """The member of a union that `value` would decode as; None when no member fits (msgspec says why)."""
    members = [t.type if isinstance(t, mi.Metadata) else t for t in union.types]
    if isinstance(value, dict):
        structs = [t for t in members if isinstance(t, mi.StructType)]
        if len(structs) == 1 and structs[0].tag_field is None:
            return structs[0]
        for struct in structs:
            if struct.tag_field is not None and value.get(struct.tag_field) == struct.tag:
                return struct
        return next((t for t in members if isinstance(t, mi.DictType)), None)
    if isinstance(value, list):
        return next((t for t in members if isinstance(t, mi.ListType | mi.VarTupleType | mi.TupleType)), None)
    return None


__all__ = ["UnknownField", "unknown_fields"]
