"""`client.projects`: create, find, list, change and delete your projects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.client import endpoints
from workbench.client.errors import Conflict, NotFound
from workbench.client.models import Project, id_of, is_uuid

if TYPE_CHECKING:
    from workbench.client.client import Client


class Projects:
    def __init__(self, client: Client) -> None:
        self._client = client

    def _project(self, data: Any) -> Project:
        return Project.model_validate(data).bound(self._client)

    def list(self, *, all_users: bool = False) -> list[Project]:
        """Your projects by name (every user's, for an administrator with `all_users=True`)."""
        items = self._client.transport.pages(
            endpoints.LIST_PROJECTS, params={"all": all_users or None}
        )
        return [self._project(item) for item in items]

    def get(self, project: Project | str) -> Project:
        """A project by id, or by name among your own."""
        if isinstance(project, str) and not is_uuid(project):
            return self.find(project)
        data = self._client.transport.send(
            endpoints.GET_PROJECT, project_id=id_of(project, "project")
        )
        return self._project(data)

    def find(self, name: str) -> Project:
        """Your project called `name`; `NotFound` if there is none."""
        for project in self.list():
            if project.name == name:
                return project
        raise NotFound(f"you have no project called {name!r}", field="name")

    def create(self, name: str, description: str = "", *, exist_ok: bool = False) -> Project:
        """A new project; with `exist_ok`, your existing project of that name instead of 409."""
        body = {"name": name, "description": description}
        try:
            data = self._client.transport.send(endpoints.CREATE_PROJECT, json=body)
        except Conflict:
            if not exist_ok:
                raise
            return self.find(name)
        return self._project(data)

    def update(
        self,
        project: Project | str,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Project:
        """Change the fields given; the others stay."""
        body = {
            k: v for k, v in {"name": name, "description": description}.items() if v is not None
        }
        data = self._client.transport.send(
            endpoints.UPDATE_PROJECT, json=body, project_id=id_of(project, "project")
        )
        return self._project(data)

    def delete(self, project: Project | str) -> None:
        """Delete the project with its agents and their executions."""
        self._client.transport.send(endpoints.DELETE_PROJECT, project_id=id_of(project, "project"))
