"""Task agents: named agent specs inside a project, stored as `configuration` + `substeps`.

Every create and update checks the whole spec (`agents.spec.AgentSpec`): structure and meaning,
each problem reported at its path in the stored columns (`substeps.1.prompt`,
`configuration.defaults.model`). What is stored is the spec's own normal form
(`AgentSpec.to_columns()`), with the agent's name as the spec's name.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.spec import AgentSpec, SpecValidationError
from workbench.db import models
from workbench.errors import Conflict, FieldError
from workbench.services.actor import Actor
from workbench.services.base import (
    ServiceBase,
    audit,
    check_access,
    not_found,
    paginate,
    refuse_if_running,
)
from workbench.services.entities import Page, TaskAgent, from_row
from workbench.services.projects import load_project
from workbench.services.validation import (
    DEFAULT_LIMIT,
    Input,
    Name,
    Text,
    check_json_size,
    invalid,
    parse_id,
    validate,
)


class AgentCreate(Input):
    name: Name
    description: Text = ""
    configuration: dict[str, Any] = Field(default_factory=dict)
    substeps: list[dict[str, Any]] = Field(default_factory=list)


class AgentUpdate(Input):
    """Only the fields given change."""

    name: Name | None = None
    description: Text | None = None
    configuration: dict[str, Any] | None = None
    substeps: list[dict[str, Any]] | None = None

    @field_validator("name", "description", "configuration", "substeps", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


def load_agent(
    session: Session, actor: Actor, agent_id: uuid.UUID | str, *, write: bool
) -> models.TaskAgent:
    """The agent, if `actor` may read it (or change it, with `write`)."""
    agent_id = parse_id(agent_id, "agent")
    row = session.execute(
        select(models.TaskAgent, models.Project.owner_id)
        .join(models.Project, models.TaskAgent.project_id == models.Project.id)
        .where(models.TaskAgent.id == agent_id)
    ).first()
    if row is None:
        raise not_found("agent", agent_id)
    agent, owner_id = row
    check_access(actor, owner_id, resource="agent", resource_id=agent_id, write=write)
    return agent


def agent_spec(name: str, configuration: dict[str, Any], substeps: list[Any]) -> AgentSpec:
    """The agent's spec, or `InvalidInput` naming every problem at its column path."""
    check_json_size(configuration, "configuration")
    check_json_size(substeps, "substeps")
    try:
        return AgentSpec.from_columns(configuration, substeps, name=name).check()
    except SpecValidationError as e:
        raise invalid([FieldError(p.column_path, p.message) for p in e.problems]) from None


def _check_name_free(
    session: Session, project_id: uuid.UUID, name: str, agent_id: uuid.UUID | None
) -> None:
    clash = session.scalar(
        select(models.TaskAgent.id).where(
            models.TaskAgent.project_id == project_id, models.TaskAgent.name == name
        )
    )
    if clash is not None and clash != agent_id:
        raise Conflict(f"this project already has an agent named {name!r}", field="name")


class AgentService(ServiceBase):
    def create_agent(
        self, actor: Actor, project_id: uuid.UUID | str, data: AgentCreate | Mapping[str, Any]
    ) -> TaskAgent:
        create = validate(AgentCreate, data)
        spec = agent_spec(create.name, create.configuration, create.substeps)
        configuration, substeps = spec.to_columns()
        with self._transaction() as session:
            project = load_project(session, actor, project_id, write=True)
            _check_name_free(session, project.id, create.name, None)
            agent = models.TaskAgent(
                project_id=project.id,
                name=create.name,
                description=create.description,
                configuration=configuration,
                substeps=substeps,
            )
            session.add(agent)
            session.flush()
            audit(
                session,
                actor,
                "agent.create",
                "agent",
                agent.id,
                project_id=str(project.id),
                name=agent.name,
            )
            return from_row(TaskAgent, agent)

    def get_agent(self, actor: Actor, agent_id: uuid.UUID | str) -> TaskAgent:
        with self._transaction() as session:
            return from_row(TaskAgent, load_agent(session, actor, agent_id, write=False))

    def list_agents(
        self,
        actor: Actor,
        project_id: uuid.UUID | str,
        *,
        offset: int = 0,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[TaskAgent]:
        """The project's agents by name."""
        with self._transaction() as session:
            project = load_project(session, actor, project_id, write=False)
            return paginate(
                session,
                select(models.TaskAgent).where(models.TaskAgent.project_id == project.id),
                order_by=(models.TaskAgent.name,),
                offset=offset,
                limit=limit,
                convert=lambda row: from_row(TaskAgent, row),
            )

    def update_agent(
        self, actor: Actor, agent_id: uuid.UUID | str, data: AgentUpdate | Mapping[str, Any]
    ) -> TaskAgent:
        update = validate(AgentUpdate, data)
        with self._transaction() as session:
            agent = load_agent(session, actor, agent_id, write=True)
            changes = update.model_dump(exclude_unset=True)
            if {"name", "configuration", "substeps"} & changes.keys():
                spec = agent_spec(
                    changes.get("name", agent.name),
                    changes.get("configuration", agent.configuration),
                    changes.get("substeps", agent.substeps),
                )
                changes["configuration"], changes["substeps"] = spec.to_columns()
            if "name" in changes:
                _check_name_free(session, agent.project_id, changes["name"], agent.id)
            for field, value in changes.items():
                setattr(agent, field, value)
            session.flush()
            given = sorted(update.model_fields_set)
            audit(session, actor, "agent.update", "agent", agent.id, fields=given)
            return from_row(TaskAgent, agent)

    def delete_agent(self, actor: Actor, agent_id: uuid.UUID | str) -> None:
        """Delete the agent with its executions and their steps (none may be live)."""
        with self._transaction() as session:
            agent = load_agent(session, actor, agent_id, write=True)
            refuse_if_running(session, models.TaskAgent.id == agent.id, "the agent")
            audit(session, actor, "agent.delete", "agent", agent.id, name=agent.name)
            session.delete(agent)
