"""Whether a decision fits the case's journey: its reason codes, its items, and what the review state handles."""

from __future__ import annotations

from server.cases.errors import InvalidDecision
from server.cases.types import DecisionRequest
from ui_schemas.model import Journey, ReviewState


def _one_of(value: str, table: dict[str, str], what: str) -> None:
    if value not in table:
        raise InvalidDecision(f"Expected {what} of this journey ({', '.join(sorted(table)) or 'none'}), got "
                              f"{value[:64]!r}", value=value[:64], allowed=", ".join(sorted(table)))


def check_decision(journey: Journey, state: str, request: DecisionRequest) -> None:
    """Raise `case.invalid_decision` when the decision cannot be taken on this journey as it stands."""
    review = journey.review
    current = journey.states.get(state)
    handled = sorted(current.on) if isinstance(current, ReviewState) else []
    if request.action not in handled:
        raise InvalidDecision(f"Expected one of the decisions this journey takes in {state!r} "
                              f"({', '.join(handled) or 'none'}), got {request.action!r}", action=request.action)
    if request.action == "approve":
        if request.reason is not None or request.items:
            raise InvalidDecision("Expected an approval without a reason or items, got some", action="approve")
        return
    if request.action == "reject":
        if request.reason is None:
            raise InvalidDecision("Expected a reason to reject, got none", action="reject")
        _one_of(request.reason, review.reject_reasons if review else {}, "a reject reason")
        if request.items:
            raise InvalidDecision("Expected a rejection without items, got some", action="reject")
        return
    if not request.items:
        raise InvalidDecision("Expected at least one item to redo, got none", action="request_changes")
    seen: set[str] = set()
    for item in request.items:
        _one_of(item.item, review.change_items if review else {}, "an item")
        _one_of(item.reason, review.change_reasons if review else {}, "a change reason")
        if item.item in seen:
            raise InvalidDecision(f"Expected each item once, got {item.item!r} twice", item=item.item)
        seen.add(item.item)


__all__ = ["check_decision"]
