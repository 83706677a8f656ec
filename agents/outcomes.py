"""What a step produced: its progress while it runs, and what its task hands on when it ends."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from agents.events import CallRecord, StepFailed


@dataclass(frozen=True)
class StepOutcome:
    """What a step task returns: the final event, and the output its dependants read."""

    step_id: str
    status: str  # "finished" | "failed" | "skipped"
    output: Any
    final: dict[str, Any]


@dataclass
class StepProgress:
    """What a running step has done so far: read when it is cancelled half-way."""

    calls: list[CallRecord] = field(default_factory=list)
    output: Any = None
    started: float = field(default_factory=time.perf_counter)


def failed_event(
    execution_id: str, step_id: str, progress: StepProgress, error: str, kind: str
) -> StepFailed:
    return StepFailed(
        execution_id,
        step_id=step_id,
        error=error,
        error_type=kind,
        calls=tuple(progress.calls),
        latency_ms=elapsed_ms(progress),
        retries=sum(c.retries for c in progress.calls),
        output=progress.output,
    )


def elapsed_ms(progress: StepProgress) -> float:
    return round((time.perf_counter() - progress.started) * 1000, 3)
