"""Projects: a user's folders of task agents. Deleting one deletes its agents and executions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.db import models
from workbench.errors import Conflict
from workbench.services.actor import Actor
from workbench.services.base import (
    ServiceBase,
    audit,
    check_access,
    not_found,
    paginate,
    refuse_if_running,
    require_admin,
    require_user,
)
from workbench.services.entities import Page, Project, from_row
from workbench.services.validation import DEFAULT_LIMIT, Input, Name, Text, parse_id, validate


class ProjectCreate(Input):
    name: Name
    description: Text = ""


class ProjectUpdate(Input):
    """Only the fields given change."""

    name: Name | None = None
    description: Text | None = None

    @field_validator("name", "description", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


def load_project(
    session: Session, actor: Actor, project_id: uuid.UUID | str, *, write: bool
) -> models.Project:
    """The project, if `actor` may read it (or change it, with `write`)."""
    project_id = parse_id(project_id, "project")
    project = session.get(models.Project, project_id)
    if project is None:
        raise not_found("project", project_id)
    check_access(actor, project.owner_id, resource="project", resource_id=project_id, write=write)
    return project


def _check_name_free(
    session: Session, owner_id: uuid.UUID, name: str, project_id: uuid.UUID | None
) -> None:
    clash = session.scalar(
        select(models.Project.id).where(
            models.Project.owner_id == owner_id, models.Project.name == name
        )
    )
    if clash is not None and clash != project_id:
        raise Conflict(f"you already have a project named {name!r}", field="name")


class ProjectService(ServiceBase):
    def create_project(self, actor: Actor, data: ProjectCreate | Mapping[str, Any]) -> Project:
        owner_id = require_user(actor)
        create = validate(ProjectCreate, data)
        with self._transaction() as session:
            _check_name_free(session, owner_id, create.name, None)
            project = models.Project(
                owner_id=owner_id, name=create.name, description=create.description
            )
            session.add(project)
            session.flush()
            audit(session, actor, "project.create", "project", project.id, name=project.name)
            return from_row(Project, project)

    def get_project(self, actor: Actor, project_id: uuid.UUID | str) -> Project:
        with self._transaction() as session:
            return from_row(Project, load_project(session, actor, project_id, write=False))

    def list_projects(
        self,
        actor: Actor,
        *,
        offset: int = 0,
        limit: int = DEFAULT_LIMIT,
        all_users: bool = False,
    ) -> Page[Project]:
        """The actor's projects by name; with `all_users` (ADMIN only), everyone's."""
        query = select(models.Project)
        if all_users:
            require_admin(actor, "list every user's projects")
        else:
            query = query.where(models.Project.owner_id == require_user(actor))
        with self._transaction() as session:
            return paginate(
                session,
                query,
                order_by=(models.Project.name, models.Project.id),
                offset=offset,
                limit=limit,
                convert=lambda row: from_row(Project, row),
            )

    def update_project(
        self,
        actor: Actor,
        project_id: uuid.UUID | str,
        data: ProjectUpdate | Mapping[str, Any],
    ) -> Project:
        update = validate(ProjectUpdate, data)
        with self._transaction() as session:
            project = load_project(session, actor, project_id, write=True)
            changes = update.model_dump(exclude_unset=True)
            if "name" in changes:
                _check_name_free(session, project.owner_id, changes["name"], project.id)
            for field, value in changes.items():
                setattr(project, field, value)
            session.flush()
            audit(session, actor, "project.update", "project", project.id, fields=sorted(changes))
            return from_row(Project, project)

    def delete_project(self, actor: Actor, project_id: uuid.UUID | str) -> None:
        """Delete the project with its agents, their executions and steps (none may be live)."""
        with self._transaction() as session:
            project = load_project(session, actor, project_id, write=True)
            refuse_if_running(session, models.TaskAgent.project_id == project.id, "the project")
            audit(session, actor, "project.delete", "project", project.id, name=project.name)
            session.delete(project)
