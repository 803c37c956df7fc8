"""Typed results of image checks, and the presets that set their thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

Mode = Literal["error", "warn", "off"]
Status = Literal["passed", "failed", "warning", "skipped"]
Preset = Literal["relaxed", "normal", "strict"]
Direction = Literal["min", "max"]


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """One check: did it pass, how well (0-100, 50 = at the threshold), on what raw value, and why not."""

    name: str
    passed: bool
    status: Status
    score: float
    value: float
    threshold: float
    mode: Mode = "error"
    reason: str = ""
    message_key: str = ""


class Report(msgspec.Struct, frozen=True, kw_only=True):
    """All checks of one capture. `passed` is false when any check in `error` mode failed.

    `message_key` names the first failure the user can fix (for the retake screen).
    """

    passed: bool
    message_key: str
    failed: list[str]
    warnings: list[str]
    checks: dict[str, CheckResult]
    corners: list[tuple[float, float]] = []  # a found document's (tl, tr, br, bl) in the photo's pixels


class Limit(msgspec.Struct, frozen=True, kw_only=True):
    threshold: float
    direction: Direction
    reason: str
    message_key: str


def presets(reason: str, message_key: str, direction: Direction, relaxed: float, normal: float, strict: float
            ) -> dict[Preset, Limit]:
    """One check's limit under each preset."""
    values: tuple[tuple[Preset, float], ...] = (("relaxed", relaxed), ("normal", normal), ("strict", strict))
    return {preset: Limit(threshold=value, direction=direction, reason=reason, message_key=message_key)
            for preset, value in values}


def score_of(value: float, threshold: float, direction: Direction) -> float:
    """0-100, monotone in the value, exactly 50 at the threshold."""
    value = max(value, 0.0)
    if threshold <= 0:
        return 100.0 if direction == "min" or value <= 0 else 0.0
    ratio = value / (value + threshold) if direction == "min" else threshold / (value + threshold)
    return round(100.0 * ratio, 1)


class Policy(msgspec.Struct, frozen=True, kw_only=True):
    """Thresholds from a named preset, with per-check overrides and modes (error, warn, off)."""

    preset: Preset = "normal"
    thresholds: dict[str, float] = {}
    modes: dict[str, Mode] = {}

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> Policy:
        """`{"preset": "strict", "mode.glare": "warn", "threshold.sharpness": 9}` (a task's params)."""
        preset = params.get("preset", "normal")
        thresholds = {k.removeprefix("threshold."): float(v) for k, v in params.items()
                      if k.startswith("threshold.") and isinstance(v, int | float)}
        modes = {k.removeprefix("mode."): v for k, v in params.items() if k.startswith("mode.")}
        return msgspec.convert({"preset": preset, "thresholds": thresholds, "modes": modes}, cls)


def judge(name: str, value: float, limits: Mapping[str, Mapping[Preset, Limit]], policy: Policy) -> CheckResult:
    """Compare `value` with the policy's threshold for `name`."""
    base = limits[name][policy.preset]
    threshold = policy.thresholds.get(name, base.threshold)
    mode = policy.modes.get(name, "error")
    ok = value >= threshold if base.direction == "min" else value <= threshold
    score = score_of(value, threshold, base.direction)
    if mode == "off":
        return CheckResult(name=name, passed=True, status="skipped", score=score, value=round(value, 4),
                           threshold=threshold, mode=mode)
    status: Status = "passed" if ok else "warning" if mode == "warn" else "failed"
    return CheckResult(name=name, passed=ok, status=status, score=score, value=round(value, 4), threshold=threshold,
                       mode=mode, reason="" if ok else base.reason, message_key="" if ok else base.message_key)


def skipped(name: str, reason: str = "") -> CheckResult:
    return CheckResult(name=name, passed=True, status="skipped", score=0.0, value=0.0, threshold=0.0, mode="off",
                       reason=reason)


def failed(name: str, reason: str, message_key: str, policy: Policy, value: float = 0.0,
           threshold: float = 0.0) -> CheckResult:
    """A check that fails outright (nothing to measure), still honouring its mode."""
    mode = policy.modes.get(name, "error")
    if mode == "off":
        return skipped(name)
    return CheckResult(name=name, passed=False, status="warning" if mode == "warn" else "failed", score=0.0,
                       value=value, threshold=threshold, mode=mode, reason=reason, message_key=message_key)


def report(checks: list[CheckResult], order: tuple[str, ...]) -> Report:
    """Collect checks; the retake message follows `order` (what the user should fix first)."""
    by_name = {c.name: c for c in checks}
    errors = [c for c in checks if c.status == "failed"]
    first = min(errors, key=lambda c: order.index(c.name) if c.name in order else len(order), default=None)
    return Report(passed=not errors, message_key=first.message_key if first else "",
                  failed=[c.name for c in errors], warnings=[c.name for c in checks if c.status == "warning"],
                  checks=by_name)


__all__ = ["CheckResult", "Direction", "Limit", "Mode", "Policy", "Preset", "Report", "Status", "failed", "judge",
           "presets", "report", "score_of", "skipped"]
