"""Small helpers for engine tests: unique model names, spec builders, an event recorder."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from agents.events import Event


def unique(prefix: str) -> str:
    """A model name no other test uses, so programmed behaviours and counters stay separate."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def spec(*steps: dict[str, Any], model: str | None = None, **defaults: Any) -> dict[str, Any]:
    if model is not None:
        defaults["model"] = model
    return {"name": "test-agent", "defaults": defaults, "substeps": list(steps)}


class Recorder:
    """An `on_event` callback that keeps every event and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, kind: str, step_id: str | None = None) -> list[Any]:
        return [
            e
            for e in list(self.events)
            if e.type == kind and (step_id is None or getattr(e, "step_id", None) == step_id)
        ]

    def types_for(self, step_id: str) -> list[str]:
        return [e.type for e in list(self.events) if getattr(e, "step_id", None) == step_id]

    def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 20) -> Event:
        with self._changed:
            found = self._changed.wait_for(
                lambda: next((e for e in self.events if predicate(e)), None), timeout
            )
        if not found:
            raise TimeoutError("the awaited event did not arrive")
        return next(e for e in self.events if predicate(e))
