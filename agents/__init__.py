"""The agent engine: agent specs in, events out. Never imports `workbench` (DESIGN.md §3.1).

    from agents import AgentSpec, Credentials, Engine

    spec = AgentSpec.from_yaml(open("writer.yaml").read())
    with Engine() as engine:
        result = engine.run(spec, {"topic": "tides"}, Credentials.of(openai="sk-..."))

`Engine`, `AgentSpec` and `ExecutionResult` load on first use, so importing `agents.events`
(as tracking does) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agents.credentials import Credentials, ProviderCredential
from agents.events import CallRecord, Event, event_from_dict

if TYPE_CHECKING:
    from agents.engine import Engine, ExecutionHandle
    from agents.results import ExecutionResult, StepResult
    from agents.spec import AgentSpec, SpecProblem, SpecValidationError

_LAZY = {
    "AgentSpec": "agents.spec",
    "SpecProblem": "agents.spec",
    "SpecValidationError": "agents.spec",
    "Engine": "agents.engine",
    "ExecutionHandle": "agents.engine",
    "ExecutionResult": "agents.results",
    "StepResult": "agents.results",
}

__all__ = [
    "AgentSpec",
    "CallRecord",
    "Credentials",
    "Engine",
    "Event",
    "ExecutionHandle",
    "ExecutionResult",
    "ProviderCredential",
    "SpecProblem",
    "SpecValidationError",
    "StepResult",
    "event_from_dict",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agents' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
