"""What the service layer returns: frozen dataclasses, read-only copies of rows (never ORM rows).

`Execution.steps` and `ChatSession.messages` are filled by the `get_*` calls and empty in
listings. `APIKey` has no ciphertext and no plaintext: only the masked `hint`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from workbench.db.enums import ChatRole, ExecutionStatus, Role, StepStatus, TrackingStatus

T = TypeVar("T")


def from_row(cls: type[T], row: object, **overrides: Any) -> T:
    """Copy the attributes `cls` declares out of `row`; `overrides` supply the rest."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values = {name: getattr(row, name) for name in names if name not in overrides}
    return cls(**values, **overrides)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: `total` counts every matching item, not just this page."""

    items: tuple[T, ...]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    name: str
    email: str | None
    role: Role
    last_login_at: dt.datetime | None  # when the hub last sent them (to within 15 minutes)
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class Project:
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    description: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class TaskAgent:
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    description: str
    configuration: dict[str, Any]
    substeps: list[Any]
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class ExecutionStep:
    id: uuid.UUID
    execution_id: uuid.UUID
    step_id: str
    position: int
    kind: str
    status: StepStatus
    models: list[str]
    depends_on: list[str]
    queued_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    latency_ms: float | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    retries: int
    output: Any
    error: str | None
    error_type: str | None
    details: dict[str, Any]  # {"calls": [CallRecord dicts], "reason": why it was skipped}


@dataclass(frozen=True)
class Execution:
    id: uuid.UUID
    task_agent_id: uuid.UUID
    user_id: uuid.UUID
    number: int  # 1, 2, 3, ... per agent
    status: ExecutionStatus
    inputs: dict[str, Any]
    spec: dict[str, Any]  # the whole AgentSpec as it was at creation: AgentSpec.parse(spec)
    result: dict[str, Any] | None
    error: str | None
    cancel_requested: bool
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    latency_ms: float | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    mlflow_run_id: str | None
    tracking_status: TrackingStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    steps: tuple[ExecutionStep, ...] = ()

    @property
    def is_finished(self) -> bool:
        return self.status.is_terminal


@dataclass(frozen=True)
class APIKey:
    id: uuid.UUID
    user_id: uuid.UUID
    provider: str
    label: str | None
    hint: str  # masked, e.g. "sk-…abcd"
    base_url: str | None
    last_used_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class ChatMessage:
    id: uuid.UUID
    session_id: uuid.UUID
    seq: int  # 1, 2, 3, ... within the session
    role: ChatRole
    model: str | None
    content: str
    error: str | None
    latency_ms: float | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    execution_id: uuid.UUID | None
    created_at: dt.datetime


@dataclass(frozen=True)
class ChatSession:
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    models: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    messages: tuple[ChatMessage, ...] = ()


@dataclass(frozen=True)
class AuditEvent:
    id: int  # increasing: the order events were written
    at: dt.datetime
    actor_id: uuid.UUID | None
    actor_name: str
    action: str
    resource_type: str
    resource_id: str | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any]
