"""The journey engine and rules: pure (no I/O, no clock, no network)."""

from server.workflow.checker import check_journey
from server.workflow.engine import next_due, parse_delay, start, transition
from server.workflow.graph import edges
from server.workflow.journey import CompiledJourney, compile_journey
from server.workflow.render import localize_errors, render_screen
from server.workflow.rules import CompiledRule, RuleError, RuleEvaluation, RulesEngine, js_truthy
from server.workflow.snapshot import (
    AnyEffect,
    AnyEvent,
    CancelTask,
    Complete,
    Decision,
    Notify,
    RejectInput,
    Result,
    ReviewDecision,
    ReviewItem,
    RunTask,
    ShowScreen,
    Signal,
    Snapshot,
    Submit,
    TaskDone,
    TaskFailed,
    Tick,
    UserAction,
)

__all__ = [
    "AnyEffect",
    "AnyEvent",
    "CancelTask",
    "CompiledJourney",
    "CompiledRule",
    "Complete",
    "Decision",
    "Notify",
    "RejectInput",
    "Result",
    "ReviewDecision",
    "ReviewItem",
    "RuleError",
    "RuleEvaluation",
    "RulesEngine",
    "RunTask",
    "ShowScreen",
    "Signal",
    "Snapshot",
    "Submit",
    "TaskDone",
    "TaskFailed",
    "Tick",
    "UserAction",
    "check_journey",
    "compile_journey",
    "edges",
    "js_truthy",
    "localize_errors",
    "next_due",
    "parse_delay",
    "render_screen",
    "start",
    "transition",
]
