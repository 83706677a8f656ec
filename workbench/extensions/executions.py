"""Executions: run an agent (`POST /api/agents/{agent_id}/execute`, 202 at once), follow, cancel.

Executing goes through the server's `ExecutionRunner`, which persists the execution and submits
it to the engine off the request path; the answer carries the PENDING execution and a
`Location` to poll (`…/status`) or to watch live (`…/live`, a WebSocket).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field
from tornado import web

from workbench.extensions.base import ApiError, WorkbenchAPIHandler
from workbench.extensions.routes import (
    ALL_USERS_QUERY,
    PAGE_QUERY,
    Listing,
    Operation,
    Query,
    route,
)
from workbench.services import Execution, ExecutionStatus, StepStatus
from workbench.services.validation import Input

TAG = "executions"
STATUS_QUERY = Query(
    "status",
    {"type": "string", "enum": [s.value for s in ExecutionStatus]},
    "only executions in this status",
)


class ExecuteRequest(Input):
    """What `execute` accepts: the agent's inputs, by name."""

    inputs: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class StepState:
    step_id: str
    status: StepStatus
    error: str | None


@dataclass(frozen=True)
class ExecutionState:
    """The short answer to "where is it?": status, error and each step's status."""

    id: uuid.UUID
    status: ExecutionStatus
    error: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    steps: tuple[StepState, ...]

    @classmethod
    def of(cls, execution: Execution) -> ExecutionState:
        return cls(
            id=execution.id,
            status=execution.status,
            error=execution.error,
            started_at=execution.started_at,
            finished_at=execution.finished_at,
            steps=tuple(StepState(s.step_id, s.status, s.error) for s in execution.steps),
        )


class ExecuteHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Execute the agent: answers at once with the PENDING execution",
            TAG,
            status=202,
            body=ExecuteRequest,
            response=Execution,
            errors=(422,),
            description="422 when the agent's spec or the inputs cannot be executed; `errors` "
            "names each problem (`configuration.…`, `substeps.…`, `inputs.…`).",
        )
    }

    @web.authenticated
    async def post(self, agent_id: str) -> None:
        request = self.parse_body(ExecuteRequest)
        execution = await self.call(self.workbench.runner.start_execution, agent_id, request.inputs)
        self.respond(execution, status=202, location=self.api_url("executions", str(execution.id)))


class AgentExecutionListHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "The agent's executions, newest first",
            TAG,
            response=Listing(Execution),
            query=(*PAGE_QUERY, STATUS_QUERY),
        )
    }

    @web.authenticated
    async def get(self, agent_id: str) -> None:
        page = await self.call(
            self.workbench.services.executions.list_executions,
            agent_id=agent_id,
            status=self.get_query_argument("status", None) or None,
            **self.page_arguments(),
        )
        self.respond_page(page)


class ExecutionListHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "Your executions, newest first",
            TAG,
            response=Listing(Execution),
            query=(*PAGE_QUERY, STATUS_QUERY, ALL_USERS_QUERY),
        )
    }

    @web.authenticated
    async def get(self) -> None:
        page = await self.call(
            self.workbench.services.executions.list_executions,
            status=self.get_query_argument("status", None) or None,
            all_users=self.bool_argument("all"),
            **self.page_arguments(),
        )
        self.respond_page(page)


class ExecutionHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("An execution with its steps", TAG, response=Execution),
        "delete": Operation(
            "Delete a finished execution",
            TAG,
            status=204,
            errors=(409,),
            description="409 while it is PENDING or RUNNING: cancel it first.",
        ),
    }

    @web.authenticated
    async def get(self, execution_id: str) -> None:
        self.respond(
            await self.call(self.workbench.services.executions.get_execution, execution_id)
        )

    @web.authenticated
    async def delete(self, execution_id: str) -> None:
        await self.call(self.workbench.services.executions.delete_execution, execution_id)
        self.respond_empty()


class ExecutionStatusHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "An execution's status and its steps' statuses", TAG, response=ExecutionState
        )
    }

    @web.authenticated
    async def get(self, execution_id: str) -> None:
        execution = await self.call(self.workbench.services.executions.get_execution, execution_id)
        self.respond(ExecutionState.of(execution))


class CancelHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Cancel an execution: when this answers, no further step starts",
            TAG,
            response=Execution,
            errors=(409,),
            description="409 when it has already finished.",
        )
    }

    @web.authenticated
    async def post(self, execution_id: str) -> None:
        if self.json_body():
            raise ApiError(400, "cancel takes no body", field="body")
        execution = await self.call_waiting(self.workbench.runner.cancel_execution, execution_id)
        self.respond(execution)


default_handlers = [
    route("/api/agents/{agent_id}/execute", ExecuteHandler),
    route("/api/agents/{agent_id}/executions", AgentExecutionListHandler),
    route("/api/executions", ExecutionListHandler),
    route("/api/executions/{execution_id}", ExecutionHandler),
    route("/api/executions/{execution_id}/status", ExecutionStatusHandler),
    route("/api/executions/{execution_id}/cancel", CancelHandler),
]
