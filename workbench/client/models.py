"""What the API returns, as read-only Python objects: projects, agents, executions, keys, users.

The records mirror the JSON the service serves (`workbench.services.entities`), parsed with
pydantic; fields the client does not know are ignored, so a newer server does not break an older
client. Agents and executions keep a reference to the client that fetched them, for the
conveniences a notebook wants (`agent.run(...)`, `execution.wait()`); executions run locally
(`workbench.client.local`) have none.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

if TYPE_CHECKING:
    import pandas as pd

    from agents.spec import AgentSpec
    from workbench.client.client import Client
    from workbench.client.compare import ModelComparison

EXECUTION_TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
STEP_TERMINAL = frozenset({"COMPLETED", "FAILED", "SKIPPED", "CANCELLED"})


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    _client: Client | None = PrivateAttr(default=None)

    def bound(self, client: Client | None) -> Self:
        """This record, remembering the client that fetched it."""
        self._client = client
        return self

    def _require_client(self) -> Client:
        if self._client is None:
            raise RuntimeError(
                f"this {type(self).__name__} was not fetched from a workbench; use a Client"
            )
        return self._client


class User(Record):
    id: uuid.UUID
    name: str
    email: str | None = None
    role: str
    last_login_at: dt.datetime | None = None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "ADMIN"

    def __repr__(self) -> str:
        return f"User(name={self.name!r}, role={self.role!r})"


class Project(Record):
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    description: str = ""
    created_at: dt.datetime
    updated_at: dt.datetime

    def __repr__(self) -> str:
        return f"Project(name={self.name!r}, id='{self.id}')"

    def _repr_html_(self) -> str:
        from workbench.client import display

        return display.project_html(self)


class Agent(Record):
    """A task agent stored in a project; `spec` is its `agents.spec.AgentSpec`."""

    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    description: str = ""
    configuration: dict[str, Any] = Field(default_factory=dict)
    substeps: list[Any] = Field(default_factory=list)
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def spec(self) -> AgentSpec:
        from agents.spec import AgentSpec

        return AgentSpec.from_columns(self.configuration, self.substeps, name=self.name)

    def run(
        self,
        inputs: dict[str, Any] | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
        progress: bool = True,
    ) -> Execution:
        """Execute this agent on the server (see `Executions.run`)."""
        return self._require_client().executions.run(
            self, inputs, wait=wait, timeout=timeout, progress=progress
        )

    def executions(self) -> list[Execution]:
        """This agent's executions, newest first."""
        return self._require_client().executions.list(agent=self)

    def __repr__(self) -> str:
        return f"Agent(name={self.name!r}, id='{self.id}', steps={len(self.substeps)})"

    def _repr_html_(self) -> str:
        from workbench.client import display

        return display.spec_html(
            self.spec, title=f"agent {self.name}", description=self.description
        )


class ExecutionStep(Record):
    """One substep of an execution, as it stands."""

    step_id: str
    position: int = 0
    kind: str = "prompt"
    status: str = "QUEUED"
    models: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    queued_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    retries: int = 0
    output: Any = None
    error: str | None = None
    error_type: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_finished(self) -> bool:
        return self.status in STEP_TERMINAL

    def __repr__(self) -> str:
        return f"ExecutionStep({self.step_id!r}, {self.status})"

    @property
    def calls(self) -> list[dict[str, Any]]:
        """The step's model calls (`agents.events.CallRecord` as dicts), in the order made."""
        return list(self.details.get("calls") or [])


class Execution(Record):
    """One execution of an agent: its status, inputs, outputs and steps."""

    id: str
    task_agent_id: uuid.UUID | None = None  # None for a local run
    user_id: uuid.UUID | None = None
    number: int | None = None  # 1, 2, ... per agent
    status: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    spec: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    cancel_requested: bool = False
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    mlflow_run_id: str | None = None
    tracking_status: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    steps: tuple[ExecutionStep, ...] = ()

    @property
    def is_finished(self) -> bool:
        return self.status in EXECUTION_TERMINAL

    @property
    def agent_name(self) -> str:
        return str(self.spec.get("name", ""))

    @property
    def outputs(self) -> dict[str, Any]:
        """Step id -> output of every step that produced one (the final result once finished)."""
        if self.result:
            return dict(self.result)
        return {s.step_id: s.output for s in self.steps if s.output is not None}

    def step(self, step_id: str) -> ExecutionStep:
        for step in self.steps:
            if step.step_id == step_id:
                return step
        known = ", ".join(s.step_id for s in self.steps) or "none"
        raise KeyError(f"no step {step_id!r} in this execution (steps: {known})")

    def refresh(self) -> Execution:
        """The execution as it is now on the server."""
        return self._require_client().executions.get(self.id)

    def wait(self, timeout: float | None = None, *, progress: bool = True) -> Execution:
        """Block until the execution finishes (see `Executions.wait`)."""
        return self._require_client().executions.wait(self, timeout=timeout, progress=progress)

    def cancel(self) -> Execution:
        return self._require_client().executions.cancel(self)

    def steps_frame(self) -> pd.DataFrame:
        """One row per step (see `workbench.client.frames.steps_frame`)."""
        from workbench.client import frames

        return frames.steps_frame(self)

    def calls_frame(self) -> pd.DataFrame:
        """One row per model call (see `workbench.client.frames.calls_frame`)."""
        from workbench.client import frames

        return frames.calls_frame([self])

    def __repr__(self) -> str:
        number = f" #{self.number}" if self.number is not None else ""
        done = sum(step.is_finished for step in self.steps)
        return (
            f"Execution({self.agent_name!r}{number}, {self.status}, "
            f"{done}/{len(self.steps)} steps finished, id='{self.id}')"
        )

    def compare_models(self, step_id: str | None = None) -> ModelComparison:
        """The models of a compare step side by side (see `workbench.client.compare`)."""
        from workbench.client.compare import compare_models

        return compare_models(self, step_id=step_id)

    def _repr_html_(self) -> str:
        from workbench.client import display

        return display.execution_html(self)


class APIKey(Record):
    """A stored provider key, masked: `hint` is all of it the server will ever show."""

    id: uuid.UUID
    user_id: uuid.UUID
    provider: str
    label: str | None = None
    hint: str
    base_url: str | None = None
    last_used_at: dt.datetime | None = None
    created_at: dt.datetime
    updated_at: dt.datetime

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"APIKey({self.provider!r}, {self.hint!r}{label}, id='{self.id}')"


def id_of(value: Any, kind: str) -> str:
    """The id of a record, a UUID or an id string; anything else is a `TypeError` naming `kind`."""
    if isinstance(value, Record) and hasattr(value, "id"):
        return str(value.id)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise TypeError(f"{kind} must be a {kind} object or its id, not {type(value).__name__}")


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
