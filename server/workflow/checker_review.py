"""Part of the journey checker (checker.py): review states and the journey's `review:` section."""

from __future__ import annotations

import re

from sdk_protocol import Input
from server.workflow.checker_reads import Add, suggest
from ui_schemas.model import Journey, ReviewState

FLAG = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def check_review_state(journey: Journey, state_id: str, state: ReviewState, add: Add) -> None:
    """A review state handles a person's approve and reject (and request_changes when changes can be asked
    for); the journey says which reasons and items reviewers may pick."""
    base = f"/states/{state_id}"
    review = journey.review
    if review is None:
        add(base, "a review state needs the journey's `review:` (reject reasons, change items)",
            "add `review: {reject_reasons: {...}}` at the top level")
    elif not review.reject_reasons:
        add("/review/reject_reasons", "reviewers need at least one reject reason")
    for event in ("approve", "reject"):
        if event not in state.on:
            add(f"{base}/on", f"review state has no `{event}` transition", f"add `on.{event}:`")
    if review is not None and review.change_items and "request_changes" not in state.on:
        add(f"{base}/on", "the journey lists change items but the review state has no `request_changes`",
            "add `on.request_changes:`")
    if "request_changes" in state.on and (review is None or not review.change_items or not review.change_reasons):
        add("/review", "`request_changes` needs `change_items` and `change_reasons`")
    if state.screen is not None and any(isinstance(c, Input) for c in state.screen.components):
        add(f"{base}/screen", "a review state's waiting screen cannot collect input")


def check_reviews(journey: Journey, add: Add) -> None:
    """Every review state, and the `review:` section's flags: each an identifier naming one of the rules."""
    for state_id, state in journey.states.items():
        if isinstance(state, ReviewState):
            check_review_state(journey, state_id, state, add)
    review = journey.review
    for flag, rule in (review.flags if review is not None else {}).items():
        if rule not in journey.rules:
            add(f"/review/flags/{flag}", f"flag names unknown rule {rule!r}", suggest(rule, journey.rules))
        if FLAG.match(flag) is None:
            add(f"/review/flags/{flag}", f"expected a flag name of a-z, 0-9 and _, got {flag!r}")


__all__ = ["check_review_state", "check_reviews"]
