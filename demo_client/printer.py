"""What the demo client prints: one readable block per screen."""

from __future__ import annotations

from typing import TextIO

import sdk_protocol as p


class Printer:
    """One readable block per screen."""

    def __init__(self, out: TextIO, prefix: str = "") -> None:
        self.out = out
        self.prefix = prefix  # before each line: a child's run among its parent's lines

    def line(self, text: str = "") -> None:
        print(f"{self.prefix}{text}", file=self.out, flush=True)

    def screen(self, screen: p.Screen) -> None:
        step = f"  (step {screen.step.n} of {screen.step.m})" if screen.step else ""
        self.line(f"== screen {screen.screen_id} r{screen.revision}{step}: {screen.title}")
        for component in screen.components:
            kind = p.component_type(component)
            if isinstance(component, p.Input):
                extra = ""
                if isinstance(component, p.DocumentCapture):
                    extra = f" [{component.document_type or 'document'} {component.side}]"
                required = " *" if component.validation.required else ""
                label = component.text if isinstance(component, p.Consent) else component.label
                self.line(f"   [{kind}] {component.name}: {label[:90]}{required}{extra}")
            elif isinstance(component, p.Button):
                self.line(f"   [{kind}] {component.label} -> {component.action}")
            elif isinstance(component, p.Alert):
                self.line(f"   [{kind}:{component.severity}] {component.text}")
            else:
                self.line(f"   [{kind}] {getattr(component, 'text', '')}")
        if screen.actions:
            self.line(f"   actions: {', '.join(a.name for a in screen.actions)}")


__all__ = ["Printer"]
