"""The progress bar shown while an execution runs: one tick per finished step.

`tqdm.auto` picks the bar: the notebook widget in Jupyter (ipywidgets), plain text on stderr
elsewhere. The bar follows a `StepTally`, which both the live channel's events and polled
snapshots of the execution feed, so it looks the same however the client is waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.events import (
    Event,
    ExecutionFinished,
    ExecutionStarted,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
)
from workbench.client.models import STEP_TERMINAL, Execution


@dataclass
class StepTally:
    """How far an execution has got: its steps, which are running, which are done."""

    total: int = 0
    running: list[str] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    status: str = "PENDING"

    def apply_event(self, event: Event) -> None:
        if isinstance(event, ExecutionStarted):
            self.total = max(self.total, len(event.step_ids))
            self.status = "RUNNING"
        elif isinstance(event, StepStarted):
            if event.step_id not in self.running:
                self.running.append(event.step_id)
        elif isinstance(event, StepFinished | StepFailed | StepSkipped):
            self._finish(event.step_id, failed=not isinstance(event, StepFinished))
        elif isinstance(event, ExecutionFinished):
            self.status = event.status

    def apply_snapshot(self, execution: Execution) -> None:
        steps = [(s.step_id, s.status) for s in execution.steps]
        self.apply_states(execution.status, steps, planned=len(execution.spec.get("substeps", ())))

    def apply_states(
        self, status: str, steps: Sequence[tuple[str, str]], *, planned: int = 0
    ) -> None:
        """The execution's status and each step's (`step_id`, status), as the server reports."""
        self.status = status
        self.total = max(self.total, len(steps), planned)
        self.running = [step_id for step_id, state in steps if state == "RUNNING"]
        for step_id, state in steps:
            if state in STEP_TERMINAL:
                self._finish(step_id, failed=state != "COMPLETED")

    def _finish(self, step_id: str, *, failed: bool) -> None:
        if step_id in self.running:
            self.running.remove(step_id)
        self.done.add(step_id)
        if failed:
            self.failed.add(step_id)

    def describe(self) -> str:
        if self.running:
            return "running " + ", ".join(self.running)
        return self.status.lower()


class StepProgress:
    """A tqdm bar over an execution's steps; a no-op when disabled."""

    def __init__(self, label: str, *, total: int = 0, enabled: bool = True) -> None:
        self.tally = StepTally(total=total)
        self._bar: Any = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total or None, desc=label, unit="step", leave=True)

    def update(self) -> None:
        if self._bar is None:
            return
        tally = self.tally
        if tally.total and self._bar.total != tally.total:
            self._bar.total = tally.total
        self._bar.n = len(tally.done)
        postfix = tally.describe()
        if tally.failed:
            postfix += f" ({len(tally.failed)} failed)"
        self._bar.set_postfix_str(postfix, refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self.update()
            self._bar.close()

    def __enter__(self) -> StepProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
