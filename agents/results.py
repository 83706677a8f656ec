"""The result of an execution, built from its events alone.

`ResultBuilder` folds the event stream (`agents.events`) into an `ExecutionResult`: the status,
every finished step's output, and per step its status, error, calls, latency, tokens and cost.
Because it needs nothing but the events, the same result can be rebuilt from a stored or
replayed stream (`ExecutionResult.from_events`).

Step statuses: COMPLETED, FAILED, SKIPPED (a step it needed did not finish) and CANCELLED
(stopped, or never started, because the execution was cancelled).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agents.events import (
    CallRecord,
    Event,
    ExecutionFinished,
    ExecutionStarted,
    StepFailed,
    StepFinished,
    StepQueued,
    StepSkipped,
    StepStarted,
)


@dataclass(frozen=True)
class StepResult:
    step_id: str
    status: str  # "QUEUED" | "RUNNING" until the step ends; then see the module docstring
    output: Any = None
    error: str | None = None
    error_type: str | None = None
    calls: tuple[CallRecord, ...] = ()
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    retries: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "step_id": self.step_id,
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "error_type": self.error_type,
            "calls": [c.to_dict() for c in self.calls],
            "latency_ms": self.latency_ms,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "retries": self.retries,
        }


@dataclass(frozen=True)
class ExecutionResult:
    execution_id: str
    agent_name: str
    status: str  # "COMPLETED" | "FAILED" | "CANCELLED"
    outputs: dict[str, Any]  # step id -> output, for every step that finished
    steps: dict[str, StepResult]  # in the order the steps were queued
    error: str | None = None
    latency_ms: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    events: tuple[Event, ...] = field(default=(), repr=False)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> ExecutionResult:
        builder = ResultBuilder()
        for event in events:
            builder.add(event)
        return builder.result()

    def to_dict(self) -> dict[str, Any]:
        return {
            "execution_id": self.execution_id,
            "agent_name": self.agent_name,
            "status": self.status,
            "outputs": self.outputs,
            "steps": {k: v.to_dict() for k, v in self.steps.items()},
            "error": self.error,
            "latency_ms": self.latency_ms,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
        }


class ResultBuilder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self._execution_id = ""
        self._agent = ""
        self._steps: dict[str, StepResult] = {}
        self._finished: ExecutionFinished | None = None

    def add(self, event: Event) -> None:
        self.events.append(event)
        self._execution_id = self._execution_id or event.execution_id
        if isinstance(event, ExecutionStarted):
            self._agent = event.agent_name
        elif isinstance(event, StepQueued):
            self._steps[event.step_id] = StepResult(event.step_id, "QUEUED")
        elif isinstance(event, StepStarted):
            self._steps[event.step_id] = StepResult(event.step_id, "RUNNING")
        elif isinstance(event, StepFinished):
            self._steps[event.step_id] = StepResult(
                event.step_id,
                "COMPLETED",
                output=event.output,
                calls=event.calls,
                latency_ms=event.latency_ms,
                input_tokens=event.input_tokens,
                output_tokens=event.output_tokens,
                cost_usd=event.cost_usd,
                retries=event.retries,
            )
        elif isinstance(event, StepFailed):
            status = "CANCELLED" if event.error_type == "cancelled" else "FAILED"
            self._steps[event.step_id] = StepResult(
                event.step_id,
                status,
                output=event.output,
                error=event.error,
                error_type=event.error_type,
                calls=event.calls,
                latency_ms=event.latency_ms,
                retries=event.retries,
                **call_totals(event.calls),
            )
        elif isinstance(event, StepSkipped):
            status = "CANCELLED" if event.cause == "cancelled" else "SKIPPED"
            self._steps[event.step_id] = StepResult(event.step_id, status, error=event.reason)
        elif isinstance(event, ExecutionFinished):
            self._finished = event

    @property
    def steps(self) -> dict[str, StepResult]:
        return dict(self._steps)

    def result(self) -> ExecutionResult:
        finished = self._finished
        return ExecutionResult(
            execution_id=self._execution_id,
            agent_name=self._agent,
            status=finished.status if finished else "FAILED",
            outputs=dict(finished.outputs) if finished else {},
            steps=dict(self._steps),
            error=finished.error if finished else "the execution did not finish",
            latency_ms=finished.latency_ms if finished else 0.0,
            input_tokens=finished.input_tokens if finished else None,
            output_tokens=finished.output_tokens if finished else None,
            cost_usd=finished.cost_usd if finished else None,
            events=tuple(self.events),
        )


def call_totals(calls: Iterable[CallRecord]) -> dict[str, Any]:
    """Tokens and cost of the calls that were answered (failed calls are not billed); the cost is
    None when any answered call's price is unknown."""
    answered = [c for c in calls if c.error is None]

    def total(values: list[int | None]) -> int | None:
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    costs = [c.cost_usd for c in answered]
    unknown = not answered or any(c is None for c in costs)
    return {
        "input_tokens": total([c.input_tokens for c in answered]),
        "output_tokens": total([c.output_tokens for c in answered]),
        "cost_usd": None if unknown else round(sum(c for c in costs if c is not None), 10),
    }
