"""Events the engine emits while it runs an execution: the contract with tracking and the server.

Every event is a frozen dataclass with the execution id and a wall-clock timestamp (`at`, epoch
seconds). Events round-trip through plain JSON (`to_dict` / `event_from_dict`), so they can be
sent over a WebSocket, stored, or replayed into tracking later. No event ever carries a credential.

Order: `ExecutionStarted` first, `ExecutionFinished` last; for each step, `StepQueued`, then
`StepStarted`, then any `StepToken` / `StepRetrying` / `CallFinished`, then exactly one of
`StepFinished`, `StepFailed` or `StepSkipped`.

Tokens are batched: one `StepToken` may carry several pieces of text. When a call is retried,
the `StepRetrying` event says so, and the text streamed by the failed attempt is superseded by
what the next attempt streams.

A step makes one or more model *calls*: a plain step makes one, a fan-out step one per model, a
feedback loop one per draft, critique and refinement. Each call is reported by `CallFinished`
and summarised in the step's final event, so per-model comparisons never need to re-derive
anything from outputs.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

RunStatus = Literal["COMPLETED", "FAILED", "CANCELLED"]


def now() -> float:
    return time.time()


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _plain(value: Any) -> Any:
    """Containers copied, records turned into dicts; leaves (str, numbers, None) shared."""
    if isinstance(value, CallRecord):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value


@dataclass(frozen=True)
class CallRecord:
    """One model call inside a step: what was asked, of which model, and what it cost."""

    model: str  # "provider:model", e.g. "openai:gpt-4o-mini"
    role: str  # "answer", "variant", "draft", "critique", "refine"
    round: int | None = None  # feedback-loop round, 1-based; None outside loops
    system_prompt: str | None = None
    user_prompt: str = ""
    output: str | None = None
    error: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None  # time to first token, when streamed
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_input_tokens: int | None = None
    cost_usd: float | None = None  # None when the model has no known price; never a made-up 0
    retries: int = 0
    cached: bool = False  # answered from the response cache
    verdict: str | None = None  # feedback-loop critique: "accept" | "revise"
    error_type: str | None = None  # with `error`: see StepFailed.error_type

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _field_names(type(self))}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallRecord:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Event:
    execution_id: str
    at: float = field(default_factory=now, kw_only=True)

    type: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        # Like dataclasses.asdict, without deep-copying every leaf (events are sent by the
        # thousand while an execution streams).
        data = {name: _plain(getattr(self, name)) for name in _field_names(type(self))}
        data["type"] = self.type
        return data


@dataclass(frozen=True)
class ExecutionStarted(Event):
    type: ClassVar[str] = "execution_started"
    agent_name: str = ""
    step_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepQueued(Event):
    type: ClassVar[str] = "step_queued"
    step_id: str = ""
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepStarted(Event):
    type: ClassVar[str] = "step_started"
    step_id: str = ""
    kind: str = "prompt"  # "prompt" | "compare" | "feedback_loop"
    models: tuple[str, ...] = ()
    worker: str | None = None  # address of the Dask worker running the step


@dataclass(frozen=True)
class StepToken(Event):
    """A streamed piece of a running call's output."""

    type: ClassVar[str] = "step_token"
    step_id: str = ""
    model: str = ""
    text: str = ""
    role: str = "answer"
    round: int | None = None


@dataclass(frozen=True)
class StepRetrying(Event):
    type: ClassVar[str] = "step_retrying"
    step_id: str = ""
    model: str = ""
    attempt: int = 1  # the attempt that failed, 1-based
    delay_s: float = 0.0  # how long the engine waits before the next attempt
    error: str = ""


@dataclass(frozen=True)
class CallFinished(Event):
    type: ClassVar[str] = "call_finished"
    step_id: str = ""
    call: CallRecord | None = None


@dataclass(frozen=True)
class StepFinished(Event):
    type: ClassVar[str] = "step_finished"
    step_id: str = ""
    output: Any = None  # str for a prompt step; {model: str} for compare; final draft for a loop
    calls: tuple[CallRecord, ...] = ()
    latency_ms: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    retries: int = 0


@dataclass(frozen=True)
class StepFailed(Event):
    type: ClassVar[str] = "step_failed"
    step_id: str = ""
    error: str = ""  # readable, secret-free; says what to do where it can
    # "rate_limited", "timeout", "provider_error", "connection", "auth", "bad_request",
    # "template", "worker_lost", "cancelled" or "internal"
    error_type: str = ""
    calls: tuple[CallRecord, ...] = ()
    latency_ms: float = 0.0
    retries: int = 0
    output: Any = None  # what the step produced before failing: a compare step's answers so far


@dataclass(frozen=True)
class StepSkipped(Event):
    """A step that never ran: a dependency failed, or the execution was cancelled first."""

    type: ClassVar[str] = "step_skipped"
    step_id: str = ""
    reason: str = ""
    cause: str = "dependency_failed"  # or "cancelled": the execution was cancelled first


@dataclass(frozen=True)
class ExecutionFinished(Event):
    type: ClassVar[str] = "execution_finished"
    status: RunStatus = "COMPLETED"
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    latency_ms: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        ExecutionStarted,
        StepQueued,
        StepStarted,
        StepToken,
        StepRetrying,
        CallFinished,
        StepFinished,
        StepFailed,
        StepSkipped,
        ExecutionFinished,
    )
}


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from `Event.to_dict()` output (e.g. after a JSON round trip)."""
    data = dict(data)
    kind = data.pop("type", None)
    try:
        cls = EVENT_TYPES[kind]
    except KeyError:
        raise ValueError(f"unknown event type {kind!r} (known: {', '.join(EVENT_TYPES)})") from None
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    for key in ("step_ids", "depends_on", "models"):
        if key in kwargs and kwargs[key] is not None:
            kwargs[key] = tuple(kwargs[key])
    if "calls" in kwargs:
        kwargs["calls"] = tuple(CallRecord.from_dict(c) for c in kwargs["calls"] or ())
    if kwargs.get("call") is not None:
        kwargs["call"] = CallRecord.from_dict(kwargs["call"])
    return cls(**kwargs)
