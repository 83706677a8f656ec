"""The workbench from Python: a REST client for notebooks, local prototyping, rich display.

    import workbench
    client = workbench.connect()          # in a notebook server spawned by the hub
    project = client.projects.create("demo", exist_ok=True)

- `Client` / `connect()`: projects, agents, executions, keys over the REST API with the user's
  hub token (`workbench.client.client`); errors are `workbench.client.errors` exceptions
  carrying the server's message.
- `workbench.client.local`: run a spec in the notebook with the `agents` engine, tracked to a
  local MLflow store, before pushing it with `client.agents.create(project, spec)`.
- `client.analysis`: tracked executions as DataFrames from the workbench's MLflow, per-model
  figures, output diffs and links into the MLflow UI (`workbench.client.analysis`).
- `compare_models`, DataFrames (`workbench.client.frames`) and HTML display
  (`workbench.client.display`).

This package never imports the server side (`workbench.db`, `workbench.services`): a notebook
needs neither the database URL nor the master keys (DESIGN.md §3.2).
"""

from typing import Any

from workbench.client.analysis import NotTracked
from workbench.client.client import Client, connect
from workbench.client.display import register_formatters
from workbench.client.errors import (
    APIError,
    BadRequest,
    ConfigurationError,
    Conflict,
    ConnectionFailed,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServerError,
    Unauthenticated,
    Unprocessable,
    WorkbenchClientError,
)
from workbench.client.executions import WaitTimeout
from workbench.client.live import LiveUnavailable, Snapshot
from workbench.client.models import Agent, APIKey, Execution, ExecutionStep, Project, User

register_formatters()


def __getattr__(name: str) -> Any:
    # The comparison needs pandas, which takes a second to import: load it when first asked.
    if name in ("ModelComparison", "compare_models"):
        from workbench.client import compare

        return getattr(compare, name)
    raise AttributeError(f"module 'workbench.client' has no attribute {name!r}")


__all__ = [
    "APIError",
    "APIKey",
    "Agent",
    "BadRequest",
    "Client",
    "ConfigurationError",
    "Conflict",
    "ConnectionFailed",
    "Execution",
    "ExecutionStep",
    "LiveUnavailable",
    "ModelComparison",
    "NotFound",
    "NotTracked",
    "PayloadTooLarge",
    "PermissionDenied",
    "Project",
    "ServerError",
    "Snapshot",
    "Unauthenticated",
    "Unprocessable",
    "User",
    "WaitTimeout",
    "WorkbenchClientError",
    "compare_models",
    "connect",
]
