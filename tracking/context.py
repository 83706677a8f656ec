"""What the tracker needs to know about one execution besides its events.

The workbench builds an `ExecutionContext` from its own rows (project, agent, users) and hands it
to `Tracker.start` or `Tracker.record`. Everything in it ends up in MLflow, so it never holds a
credential; the secrets to scrub are passed beside it, never inside it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tracking import keys

_MAX_NAME_LENGTH = 200


class InvalidContext(ValueError):
    """An `ExecutionContext` field holds a value the tracker cannot record."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"ExecutionContext.{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class ExecutionContext:
    """One execution as the workbench knows it: who ran which agent of which project."""

    execution_id: str
    project_id: str
    project_name: str
    owner_name: str  # the project's owner: experiments are named "<owner>/<project>"
    agent_id: str
    agent_name: str
    user_name: str  # who started the execution
    spec: Mapping[str, Any] = field(default_factory=dict)  # the agent spec as JSON-able data
    inputs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("execution_id", "project_id", "agent_id"):
            value = getattr(self, name)
            if not keys.is_id(value):
                raise InvalidContext(
                    name,
                    f"{value!r} is not an id (letters, digits, '-' and '_'; at most 128)",
                )
        for name in ("project_name", "owner_name", "agent_name", "user_name"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidContext(name, "must be a non-empty string")
            if len(value) > _MAX_NAME_LENGTH:
                raise InvalidContext(name, f"is longer than {_MAX_NAME_LENGTH} characters")
        for name in ("spec", "inputs"):
            value = getattr(self, name)
            if not isinstance(value, Mapping):
                raise InvalidContext(name, f"must be a mapping, not {type(value).__name__}")
            try:
                json.dumps(value)
            except (TypeError, ValueError) as e:
                raise InvalidContext(name, f"is not JSON-serialisable ({e})") from None
