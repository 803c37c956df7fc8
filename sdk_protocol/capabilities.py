"""Capability negotiation: never send a component type the client did not declare."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from sdk_protocol.components import (
    CORE_COMPONENT_TYPES,
    AnyComponent,
    Repeater,
    component_type,
)


class Capabilities(msgspec.Struct, frozen=True, kw_only=True):
    """What one connected SDK can render."""

    components: frozenset[str]

    @classmethod
    def declare(cls, components: Iterable[str]) -> Capabilities:
        return cls(components=frozenset(components) | CORE_COMPONENT_TYPES)

    def supports(self, component: AnyComponent) -> bool:
        if component_type(component) not in self.components:
            return False
        if isinstance(component, Repeater):
            return all(component_type(f) in self.components for f in component.fields)
        return True


class Downgraded(msgspec.Struct, frozen=True, kw_only=True):
    """The result of fitting a screen to a client: components to send, or what is missing."""

    components: list[AnyComponent]
    missing: list[str]


def fit_components(components: Iterable[AnyComponent], capabilities: Capabilities) -> Downgraded:
    """Replace each unsupported component by its first supported fallback.

    `missing` lists the types that had no usable fallback; when it is not empty
    the server sends an `upgrade_required` screen instead.
    """
    fitted: list[AnyComponent] = []
    missing: list[str] = []
    for component in components:
        candidate: AnyComponent | None = component
        while candidate is not None and not capabilities.supports(candidate):
            candidate = candidate.fallback
        if candidate is None:
            missing.append(component_type(component))
        else:
            fitted.append(candidate)
    return Downgraded(components=fitted, missing=sorted(set(missing)))


__all__ = ["Capabilities", "Downgraded", "fit_components"]
