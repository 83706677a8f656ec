"""Event sequences shaped like real executions, built from the engine's event dataclasses.

Each scenario emits what the engine emits (queued, started, tokens, calls, the step's final event)
in the documented order, with timestamps that advance like a real run. The figures are chosen so
that aggregates can be checked by hand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from agents.events import (
    CallFinished,
    CallRecord,
    Event,
    ExecutionFinished,
    ExecutionStarted,
    StepFailed,
    StepFinished,
    StepQueued,
    StepRetrying,
    StepSkipped,
    StepStarted,
    StepToken,
)
from tracking.context import ExecutionContext

GPT = "openai:gpt-4o-mini"
START = 1_700_000_000.0
CLAUDE = "anthropic:claude-sonnet-4"


def new_id() -> str:
    return str(uuid.uuid4())


def spec_for(*steps: dict[str, Any], name: str = "writer") -> dict[str, Any]:
    return {
        "name": name,
        "version": 1,
        "defaults": {"model": GPT, "temperature": 0.2, "max_tokens": 512},
        "inputs": {"topic": {"type": "string"}},
        "substeps": list(steps),
    }


def context_for(
    execution_id: str,
    *,
    project_id: str = "proj-1",
    project_name: str = "Research",
    owner_name: str = "alice",
    agent_id: str = "agent-1",
    agent_name: str = "writer",
    user_name: str = "alice",
    spec: dict[str, Any] | None = None,
    inputs: dict[str, Any] | None = None,
) -> ExecutionContext:
    return ExecutionContext(
        execution_id=execution_id,
        project_id=project_id,
        project_name=project_name,
        owner_name=owner_name,
        agent_id=agent_id,
        agent_name=agent_name,
        user_name=user_name,
        spec=spec if spec is not None else spec_for({"id": "outline", "model": GPT}),
        inputs=inputs if inputs is not None else {"topic": "tides"},
    )


@dataclass
class Script:
    """Writes one execution's events with a clock that advances as steps take time."""

    execution_id: str
    at: float = START
    events: list[Event] = field(default_factory=list)

    def tick(self, seconds: float = 0.01) -> float:
        self.at += seconds
        return self.at

    def add(self, event_type: type[Event], **fields: Any) -> None:
        self.events.append(event_type(self.execution_id, at=self.tick(), **fields))

    def start(self, agent_name: str, step_ids: tuple[str, ...]) -> None:
        self.add(ExecutionStarted, agent_name=agent_name, step_ids=step_ids)

    def step(
        self,
        step_id: str,
        kind: str,
        calls: list[CallRecord],
        *,
        output: Any = None,
        depends_on: tuple[str, ...] = (),
        retries: int = 0,
        failure: tuple[str, str] | None = None,
    ) -> None:
        models = tuple(dict.fromkeys(c.model for c in calls))
        self.add(StepQueued, step_id=step_id, depends_on=depends_on)
        self.add(StepStarted, step_id=step_id, kind=kind, models=models)
        for _ in range(retries):
            self.add(
                StepRetrying,
                step_id=step_id,
                model=models[0],
                attempt=1,
                delay_s=0.5,
                error="429 Too Many Requests",
            )
        for call in calls:
            if call.output:
                self.add(StepToken, step_id=step_id, model=call.model, text=call.output[:5])
            self.tick((call.latency_ms or 0) / 1000)
            self.add(CallFinished, step_id=step_id, call=call)
        latency = sum(c.latency_ms or 0 for c in calls)
        if failure is not None:
            error, error_type = failure
            self.add(
                StepFailed,
                step_id=step_id,
                error=error,
                error_type=error_type,
                calls=tuple(calls),
                latency_ms=latency,
                retries=retries,
            )
            return
        self.add(
            StepFinished,
            step_id=step_id,
            output=output,
            calls=tuple(calls),
            latency_ms=latency,
            input_tokens=_total(c.input_tokens for c in calls),
            output_tokens=_total(c.output_tokens for c in calls),
            cost_usd=_total(c.cost_usd for c in calls),
            retries=retries,
        )

    def skip(self, step_id: str, reason: str) -> None:
        self.add(StepQueued, step_id=step_id)
        self.add(StepSkipped, step_id=step_id, reason=reason)

    def finish(self, status: str, outputs: dict[str, Any], error: str | None = None) -> None:
        finals = [e for e in self.events if isinstance(e, StepFinished | StepFailed)]
        calls = [c for e in finals for c in e.calls]
        self.add(
            ExecutionFinished,
            status=status,
            outputs=outputs,
            error=error,
            latency_ms=(self.at - self.events[0].at) * 1000,
            input_tokens=_total(c.input_tokens for c in calls),
            output_tokens=_total(c.output_tokens for c in calls),
            cost_usd=_total(c.cost_usd for c in calls),
        )


def _total(values) -> Any:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def call(
    model: str,
    output: str | None,
    *,
    role: str = "answer",
    latency_ms: float = 100.0,
    input_tokens: int | None = 10,
    output_tokens: int | None = 20,
    reasoning_tokens: int | None = None,
    cached_input_tokens: int | None = None,
    cost_usd: float | None = 0.001,
    round: int | None = None,
    error: str | None = None,
    verdict: str | None = None,
    prompt: str = "Write about tides.",
    retries: int = 0,
) -> CallRecord:
    return CallRecord(
        model=model,
        role=role,
        round=round,
        system_prompt="You are a careful writer.",
        user_prompt=prompt,
        output=output,
        error=error,
        latency_ms=latency_ms,
        ttft_ms=latency_ms / 4,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        reasoning_tokens=reasoning_tokens,
        cached_input_tokens=cached_input_tokens,
        cost_usd=cost_usd,
        retries=retries,
        verdict=verdict,
    )


def plain_execution(
    execution_id: str, *, answer: str = "Tides follow the moon.", start_at: float = START
) -> list[Event]:
    """One prompt step that completes."""
    script = Script(execution_id, at=start_at)
    script.start("writer", ("outline",))
    script.step("outline", "prompt", [call(GPT, answer)], output=answer)
    script.finish("COMPLETED", {"outline": answer})
    return script.events


def rich_execution(execution_id: str, *, start_at: float = START) -> list[Event]:
    """Every kind of step: a prompt, a two-model compare, a two-round feedback loop, a step that
    fails with a provider error, and the step depending on it, skipped. Ends FAILED."""
    script = Script(execution_id, at=start_at)
    steps = ("outline", "compare", "essay", "translate", "polish")
    script.start("writer", steps)
    script.step(
        "outline",
        "prompt",
        [call(GPT, "1. Moon 2. Sun", latency_ms=120, retries=1)],
        output="1. Moon 2. Sun",
        retries=1,
    )
    script.step(
        "compare",
        "compare",
        [
            call(
                GPT,
                "GPT says tides.",
                latency_ms=200,
                input_tokens=30,
                output_tokens=40,
                cost_usd=0.002,
            ),
            call(
                CLAUDE,
                "Claude says tides.",
                latency_ms=400,
                input_tokens=32,
                output_tokens=50,
                reasoning_tokens=12,
                cached_input_tokens=16,
                cost_usd=0.004,
            ),
        ],
        output={GPT: "GPT says tides.", CLAUDE: "Claude says tides."},
        depends_on=("outline",),
    )
    script.step(
        "essay",
        "feedback_loop",
        [
            call(GPT, "Draft one.", role="draft", round=1, latency_ms=300),
            call(
                CLAUDE,
                "Too short.",
                role="critique",
                round=1,
                latency_ms=150,
                verdict="revise",
                cost_usd=None,
            ),
            call(GPT, "Draft two, longer.", role="refine", round=2, latency_ms=350),
            call(
                CLAUDE,
                "Good.",
                role="critique",
                round=2,
                latency_ms=120,
                verdict="accept",
                cost_usd=None,
            ),
        ],
        output="Draft two, longer.",
        depends_on=("outline",),
    )
    script.step(
        "translate",
        "prompt",
        [
            call(
                CLAUDE,
                None,
                error="provider_error: 500 Internal Server Error",
                latency_ms=80,
                input_tokens=None,
                output_tokens=None,
                cost_usd=None,
            )
        ],
        failure=("anthropic returned 500 Internal Server Error; try again later", "provider_error"),
        depends_on=("essay",),
    )
    script.skip("polish", "dependency 'translate' failed")
    script.finish(
        "FAILED",
        {"outline": "1. Moon 2. Sun", "essay": "Draft two, longer."},
        error="step 'translate' failed: anthropic returned 500 Internal Server Error",
    )
    return script.events
