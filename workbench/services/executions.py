"""Executions: created before they are submitted, moved along by the engine's events, never lost.

Users create, read, list, cancel and delete executions. The server's runner drives the rest,
for executions it created (these calls take no actor): `record_event` for every engine event,
`mark_running` / `finish` where it acts on its own (a submission that failed, a cancel), and
`set_tracking` for MLflow. At start-up, `recover_interrupted` fails whatever a previous
process left PENDING or RUNNING (DESIGN.md §3.5, SECURITY.md S11). Once an execution or a
step is in a terminal state, nothing moves it out again, so late events cannot resurrect it.

Users' actions and start-up recovery are audited; the runner's progress reports are not (the
execution and step rows are their record).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from agents import events
from agents.spec import AgentSpec, SpecValidationError
from workbench.db import models
from workbench.db.enums import ExecutionStatus, StepStatus, TrackingStatus
from workbench.db.types import utc_now
from workbench.errors import Conflict, FieldError, InvalidInput
from workbench.services.actor import SYSTEM, Actor
from workbench.services.agents import agent_spec, load_agent
from workbench.services.base import (
    ServiceBase,
    audit,
    check_access,
    not_found,
    paginate,
    require_admin,
    require_user,
)
from workbench.services.entities import Execution, ExecutionStep, Page, from_row
from workbench.services.validation import DEFAULT_LIMIT, check_json_size, invalid, parse_id

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted by server restart"

_FINISHED_STATUS = {
    "COMPLETED": ExecutionStatus.COMPLETED,
    "FAILED": ExecutionStatus.FAILED,
    "CANCELLED": ExecutionStatus.CANCELLED,
}


def _when(at: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(at, dt.UTC)


def execution_entity(row: models.Execution, *, with_steps: bool = False) -> Execution:
    steps = tuple(from_row(ExecutionStep, step) for step in row.steps) if with_steps else ()
    return from_row(Execution, row, steps=steps)


def load_execution(
    session: Session, actor: Actor, execution_id: uuid.UUID | str, *, write: bool
) -> models.Execution:
    """The execution, if `actor` may read it (or change it, with `write`)."""
    execution_id = parse_id(execution_id, "execution")
    row = session.execute(
        select(models.Execution, models.Project.owner_id)
        .join(models.TaskAgent, models.Execution.task_agent_id == models.TaskAgent.id)
        .join(models.Project, models.TaskAgent.project_id == models.Project.id)
        .where(models.Execution.id == execution_id)
    ).first()
    if row is None:
        raise not_found("execution", execution_id)
    execution, owner_id = row
    check_access(actor, owner_id, resource="execution", resource_id=execution_id, write=write)
    return execution


# The spec of an agent (name, configuration, substeps) to run with these inputs, or an error.
SpecCheck = Callable[[str, dict[str, Any], list[Any], Mapping[str, Any]], AgentSpec]


class ExecutionService(ServiceBase):
    # ---- what users do -------------------------------------------------------------------

    def create_execution(
        self,
        actor: Actor,
        agent_id: uuid.UUID | str,
        inputs: Mapping[str, Any] | None = None,
        *,
        check: SpecCheck | None = None,
    ) -> Execution:
        """A PENDING execution of the agent as it is now; the runner submits it afterwards.

        `inputs` are checked against the agent's declared inputs (problems named `inputs.<name>`)
        and stored with defaults filled in; `spec` keeps the whole spec that runs
        (`AgentSpec.parse(execution.spec)`), whatever later happens to the agent.

        `check(name, configuration, substeps, inputs)`, when given, makes the agent's spec in
        place of the default validation (the runner's, which also refuses what cannot run); it
        is called after the permission check and before anything is written.
        """
        inputs = {} if inputs is None else inputs
        if not isinstance(inputs, Mapping):
            raise InvalidInput("invalid input: inputs: must be a JSON object", field="inputs")
        inputs = dict(inputs)
        check_json_size(inputs, "inputs")
        user_id = require_user(actor)
        with self._transaction() as session:
            agent = load_agent(session, actor, agent_id, write=True)
            if check is None:
                spec = agent_spec(agent.name, agent.configuration, agent.substeps)
            else:
                spec = check(agent.name, agent.configuration, agent.substeps, inputs)
            try:
                inputs = spec.resolve_inputs(inputs)
            except SpecValidationError as e:
                raise invalid([FieldError(p.path, p.message) for p in e.problems]) from None
            # Locking the agent row serialises numbering among concurrent creations.
            session.execute(
                select(models.TaskAgent.id).where(models.TaskAgent.id == agent.id).with_for_update()
            )
            last = session.scalar(
                select(func.max(models.Execution.number)).where(
                    models.Execution.task_agent_id == agent.id
                )
            )
            execution = models.Execution(
                task_agent_id=agent.id,
                user_id=user_id,
                number=(last or 0) + 1,
                status=ExecutionStatus.PENDING,
                inputs=inputs,
                spec=spec.to_dict(),
            )
            session.add(execution)
            session.flush()
            audit(
                session,
                actor,
                "execution.create",
                "execution",
                execution.id,
                agent_id=str(agent.id),
            )
            return execution_entity(execution)

    def get_execution(self, actor: Actor, execution_id: uuid.UUID | str) -> Execution:
        """The execution with its steps, in the order the engine queued them."""
        with self._transaction() as session:
            execution = load_execution(session, actor, execution_id, write=False)
            return execution_entity(execution, with_steps=True)

    def list_executions(
        self,
        actor: Actor,
        *,
        agent_id: uuid.UUID | str | None = None,
        status: ExecutionStatus | str | None = None,
        offset: int = 0,
        limit: int = DEFAULT_LIMIT,
        all_users: bool = False,
    ) -> Page[Execution]:
        """Newest first: one agent's executions (by number), else the actor's own (or, for an
        ADMIN with `all_users`, everyone's) by creation time."""
        query = select(models.Execution)
        if status is not None:
            try:
                query = query.where(models.Execution.status == ExecutionStatus(status))
            except ValueError:
                known = ", ".join(s.value for s in ExecutionStatus)
                raise InvalidInput(
                    f"invalid input: status: {status!r} is not one of {known}", field="status"
                ) from None
        order_by = (models.Execution.created_at.desc(), models.Execution.id.desc())
        with self._transaction() as session:
            if agent_id is not None:
                agent = load_agent(session, actor, agent_id, write=False)
                query = query.where(models.Execution.task_agent_id == agent.id)
                order_by = (models.Execution.number.desc(),)
            elif all_users:
                require_admin(actor, "list every user's executions")
            else:
                query = query.where(models.Execution.user_id == require_user(actor))
            return paginate(
                session,
                query,
                order_by=order_by,
                offset=offset,
                limit=limit,
                convert=execution_entity,
            )

    def request_cancel(self, actor: Actor, execution_id: uuid.UUID | str) -> Execution:
        """Flag the execution for cancellation; the runner stops it and records CANCELLED."""
        with self._transaction() as session:
            execution = load_execution(session, actor, execution_id, write=True)
            if execution.status.is_terminal:
                raise Conflict(
                    f"execution {execution.id} has already finished ({execution.status})"
                )
            if not execution.cancel_requested:
                execution.cancel_requested = True
                session.flush()
                audit(session, actor, "execution.cancel", "execution", execution.id)
            return execution_entity(execution)

    def delete_execution(self, actor: Actor, execution_id: uuid.UUID | str) -> None:
        """Delete a finished execution and its steps; a live one must be cancelled first."""
        with self._transaction() as session:
            execution = load_execution(session, actor, execution_id, write=True)
            if not execution.status.is_terminal:
                raise Conflict(
                    f"execution {execution.id} is {execution.status}: cancel it before deleting it"
                )
            audit(session, actor, "execution.delete", "execution", execution.id)
            session.delete(execution)

    # ---- what the runner does (no actor: it only touches executions it created) ---------

    def is_cancel_requested(self, execution_id: uuid.UUID | str) -> bool:
        with self._transaction() as session:
            execution = self._runner_load(session, execution_id)
            return execution.cancel_requested

    def mark_running(self, execution_id: uuid.UUID | str) -> Execution:
        """PENDING → RUNNING (a no-op for an execution already running or finished)."""
        with self._transaction() as session:
            execution = self._runner_load(session, execution_id)
            self._start(execution, None)
            session.flush()
            return execution_entity(execution)

    def finish(
        self,
        execution_id: uuid.UUID | str,
        status: ExecutionStatus | str,
        *,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
        latency_ms: float | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cost_usd: float | None = None,
    ) -> Execution:
        """Record the final state. The first call wins: a finished execution stays as it is."""
        status = ExecutionStatus(status)
        if not status.is_terminal:
            raise ValueError(f"finish() needs a terminal status, not {status}")
        with self._transaction() as session:
            execution = self._runner_load(session, execution_id)
            if not execution.status.is_terminal:
                self._finish(
                    session,
                    execution,
                    status,
                    at=None,
                    result=None if result is None else dict(result),
                    error=error,
                    totals=(latency_ms, input_tokens, output_tokens, cost_usd),
                )
            return execution_entity(execution)

    def record_event(self, event: events.Event) -> None:
        """Apply one engine event to the execution and step rows (token events are not stored)."""
        self.record_events([event])

    def record_events(self, batch: Iterable[events.Event]) -> None:
        """Apply engine events, in order, in one transaction (token events are not stored).

        The runner hands over every event that queued up while it wrote the previous ones, so
        a busy service pays one commit per batch rather than one per event."""
        stored = [event for event in batch if not isinstance(event, events.StepToken)]
        if not stored:
            return
        with self._transaction() as session:
            loaded: dict[str, models.Execution] = {}
            steps = _BatchSteps(session)
            for event in stored:
                execution = loaded.get(event.execution_id)
                if execution is None:
                    execution = self._runner_load(session, event.execution_id)
                    loaded[event.execution_id] = execution
                self._apply_event(steps, execution, event)

    def _apply_event(
        self, steps: _BatchSteps, execution: models.Execution, event: events.Event
    ) -> None:
        if execution.status.is_terminal:
            log.debug("ignoring %s for finished execution %s", event.type, execution.id)
            return
        if isinstance(event, events.ExecutionStarted):
            self._start(execution, event.at)
            steps.create_missing(execution, event.step_ids)
        elif isinstance(event, events.ExecutionFinished):
            self._finish(
                steps.session,
                execution,
                _FINISHED_STATUS[event.status],
                at=event.at,
                result=dict(event.outputs),
                error=event.error,
                totals=(
                    event.latency_ms,
                    event.input_tokens,
                    event.output_tokens,
                    event.cost_usd,
                ),
            )
        else:
            self._start(execution, None)
            self._apply_step_event(steps, execution, event)

    def tracking_names(self, execution_id: uuid.UUID | str) -> dict[str, str]:
        """The names MLflow files an execution under (project, owner, agent, the user who ran
        it), in one query, for the runner (which acts as the system)."""
        execution_id = parse_id(execution_id, "execution")
        owner, runner = aliased(models.User), aliased(models.User)
        with self._transaction() as session:
            row = session.execute(
                select(
                    models.Project.id,
                    models.Project.name,
                    owner.name,
                    models.TaskAgent.id,
                    models.TaskAgent.name,
                    runner.name,
                )
                .select_from(models.Execution)
                .join(models.TaskAgent, models.Execution.task_agent_id == models.TaskAgent.id)
                .join(models.Project, models.TaskAgent.project_id == models.Project.id)
                .join(owner, models.Project.owner_id == owner.id)
                .join(runner, models.Execution.user_id == runner.id)
                .where(models.Execution.id == execution_id)
            ).first()
        if row is None:
            raise not_found("execution", execution_id)
        project_id, project_name, owner_name, agent_id, agent_name, user_name = row
        return {
            "project_id": str(project_id),
            "project_name": project_name,
            "owner_name": owner_name,
            "agent_id": str(agent_id),
            "agent_name": agent_name,
            "user_name": user_name,
        }

    def set_tracking(
        self,
        execution_id: uuid.UUID | str,
        status: TrackingStatus | str,
        *,
        mlflow_run_id: str | None = None,
    ) -> None:
        """Record whether the execution reached MLflow, and under which run."""
        execution_id = parse_id(execution_id, "execution")
        values: dict[str, Any] = {"tracking_status": TrackingStatus(status)}
        if mlflow_run_id is not None:
            values["mlflow_run_id"] = mlflow_run_id
        with self._transaction() as session:
            # One UPDATE, without loading the row: the runner reports every execution's status.
            updated = session.execute(
                update(models.Execution)
                .where(models.Execution.id == execution_id)
                .values(values)
                .execution_options(synchronize_session=False)
            )
            if updated.rowcount == 0:  # type: ignore[attr-defined]
                raise not_found("execution", execution_id)

    def untracked_executions(
        self, *, limit: int = 100, finished_before: dt.datetime | None = None
    ) -> list[Execution]:
        """Finished executions MLflow has not received yet, oldest first: the backfill queue.

        With `finished_before`, only those that finished before then (the live tracker may still
        be retrying the later ones)."""
        since = [] if finished_before is None else [models.Execution.finished_at < finished_before]
        with self._transaction() as session:
            rows = session.scalars(
                select(models.Execution)
                .where(
                    *since,
                    models.Execution.tracking_status != TrackingStatus.SYNCED,
                    models.Execution.status.in_(
                        [
                            ExecutionStatus.COMPLETED,
                            ExecutionStatus.FAILED,
                            ExecutionStatus.CANCELLED,
                        ]
                    ),
                )
                .order_by(models.Execution.created_at, models.Execution.id)
                .limit(limit)
                .options(selectinload(models.Execution.steps))
            ).all()
            return [execution_entity(row, with_steps=True) for row in rows]

    def recover_interrupted(self) -> list[uuid.UUID]:
        """Fail every execution a previous process left PENDING or RUNNING; keep finished steps.

        Call once at start-up, before accepting work. Returns the ids it failed.
        """
        with self._transaction() as session:
            rows = session.scalars(
                select(models.Execution)
                .where(
                    models.Execution.status.in_([ExecutionStatus.PENDING, ExecutionStatus.RUNNING])
                )
                .options(selectinload(models.Execution.steps))
                .with_for_update()
            ).all()
            for execution in rows:
                for step in execution.steps:
                    if step.status is StepStatus.RUNNING:
                        step.status = StepStatus.FAILED
                        step.error = INTERRUPTED
                        step.error_type = "interrupted"
                        step.finished_at = utc_now()
                    elif step.status is StepStatus.QUEUED:
                        step.status = StepStatus.SKIPPED
                        step.details = {**step.details, "reason": INTERRUPTED}
                self._finish(
                    session,
                    execution,
                    ExecutionStatus.FAILED,
                    at=None,
                    result=None,
                    error=INTERRUPTED,
                    totals=None,
                )
                audit(session, SYSTEM, "execution.interrupt", "execution", execution.id)
            if rows:
                log.warning("marked %d interrupted execution(s) FAILED", len(rows))
            return [execution.id for execution in rows]

    # ---- internals -----------------------------------------------------------------------

    @staticmethod
    def _runner_load(session: Session, execution_id: uuid.UUID | str) -> models.Execution:
        execution_id = parse_id(execution_id, "execution")
        execution = session.get(models.Execution, execution_id)
        if execution is None:
            raise not_found("execution", execution_id)
        return execution

    @staticmethod
    def _start(execution: models.Execution, at: float | None) -> None:
        if execution.status is ExecutionStatus.PENDING:
            execution.status = ExecutionStatus.RUNNING
            execution.started_at = utc_now() if at is None else _when(at)

    @staticmethod
    def _finish(
        session: Session,
        execution: models.Execution,
        status: ExecutionStatus,
        *,
        at: float | None,
        result: dict[str, Any] | None,
        error: str | None,
        totals: tuple[float | None, int | None, int | None, float | None] | None,
    ) -> None:
        execution.status = status
        execution.finished_at = utc_now() if at is None else _when(at)
        if execution.started_at is None:
            execution.started_at = execution.finished_at
        if result is not None:
            execution.result = result
        execution.error = error
        if totals is not None:
            (
                execution.latency_ms,
                execution.input_tokens,
                execution.output_tokens,
                execution.cost_usd,
            ) = totals
        session.flush()

    def _apply_step_event(
        self, steps: _BatchSteps, execution: models.Execution, event: events.Event
    ) -> None:
        step_id = getattr(event, "step_id", "")
        if not step_id:
            return
        step = steps.get(execution, step_id)
        if step.status.is_terminal:
            return
        match event:
            case events.StepQueued():
                step.queued_at = _when(event.at)
                step.depends_on = list(event.depends_on)
            case events.StepStarted():
                step.status = StepStatus.RUNNING
                step.started_at = _when(event.at)
                step.kind = event.kind
                step.models = list(event.models)
            case events.StepRetrying():
                step.retries = max(step.retries, event.attempt)
            case events.CallFinished() if event.call is not None:
                calls = [*step.details.get("calls", []), event.call.to_dict()]
                step.details = {**step.details, "calls": calls}
            case events.StepFinished():
                step.status = StepStatus.COMPLETED
                step.output = event.output
                step.input_tokens = event.input_tokens
                step.output_tokens = event.output_tokens
                step.cost_usd = event.cost_usd
                self._close_step(step, event.at, event.latency_ms, event.retries, event.calls)
            case events.StepFailed():
                cancelled = event.error_type == "cancelled"
                step.status = StepStatus.CANCELLED if cancelled else StepStatus.FAILED
                step.error = event.error
                step.error_type = event.error_type or None
                self._close_step(step, event.at, event.latency_ms, event.retries, event.calls)
            case events.StepSkipped():
                step.status = StepStatus.SKIPPED
                step.finished_at = _when(event.at)
                step.details = {**step.details, "reason": event.reason}

    @staticmethod
    def _close_step(
        step: models.ExecutionStep,
        at: float,
        latency_ms: float,
        retries: int,
        calls: tuple[events.CallRecord, ...],
    ) -> None:
        step.finished_at = _when(at)
        step.latency_ms = latency_ms
        step.retries = max(step.retries, retries)
        if calls:
            step.details = {**step.details, "calls": [call.to_dict() for call in calls]}
        if step.started_at is None:
            step.started_at = step.finished_at


class _BatchSteps:
    """The step rows one batch of events touches, each selected once: a step's events of a
    batch change the same row, which the commit writes in one UPDATE."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[tuple[uuid.UUID, str], models.ExecutionStep] = {}

    def create_missing(self, execution: models.Execution, step_ids: Iterable[str]) -> None:
        """The execution's steps in the engine's order, those not stored yet created (one select
        for all of them, not one per step)."""
        stored = set(
            self.session.scalars(
                select(models.ExecutionStep.step_id).where(
                    models.ExecutionStep.execution_id == execution.id
                )
            )
        )
        for position, step_id in enumerate(step_ids):
            if step_id not in stored:
                step = _new_step(execution, step_id, position)
                # Added to the session, not appended to `execution.steps`: that would load them.
                self.session.add(step)
                self._rows[(execution.id, step_id)] = step

    def get(self, execution: models.Execution, step_id: str) -> models.ExecutionStep:
        key = (execution.id, step_id)
        step = self._rows.get(key)
        if step is None:
            step = self.session.scalar(
                select(models.ExecutionStep).where(
                    models.ExecutionStep.execution_id == execution.id,
                    models.ExecutionStep.step_id == step_id,
                )
            )
        if step is None:  # a step the engine did not announce: after all the others
            step = _new_step(execution, step_id, len(execution.steps))
            execution.steps.append(step)
        self._rows[key] = step
        return step


def _new_step(execution: models.Execution, step_id: str, position: int) -> models.ExecutionStep:
    return models.ExecutionStep(
        execution_id=execution.id,
        step_id=step_id,
        position=position,
        # What the columns' defaults would give at the flush, which may come later.
        kind="prompt",
        status=StepStatus.QUEUED,
        models=[],
        depends_on=[],
        retries=0,
        details={},
    )
