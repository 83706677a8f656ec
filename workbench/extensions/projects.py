"""Projects: `/api/projects` and `/api/projects/{project_id}`."""

from __future__ import annotations

from typing import ClassVar

from tornado import web

from workbench.extensions.base import WorkbenchAPIHandler
from workbench.extensions.routes import ALL_USERS_QUERY, PAGE_QUERY, Listing, Operation, route
from workbench.services import Project, ProjectCreate, ProjectUpdate

TAG = "projects"


class ProjectListHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "Your projects, by name",
            TAG,
            response=Listing(Project),
            query=(*PAGE_QUERY, ALL_USERS_QUERY),
        ),
        "post": Operation(
            "Create a project",
            TAG,
            status=201,
            body=ProjectCreate,
            response=Project,
            errors=(409,),
        ),
    }

    @web.authenticated
    async def get(self) -> None:
        page = await self.call(
            self.workbench.services.projects.list_projects,
            all_users=self.bool_argument("all"),
            **self.page_arguments(),
        )
        self.respond_page(page)

    @web.authenticated
    async def post(self) -> None:
        project = await self.call(self.workbench.services.projects.create_project, self.json_body())
        self.respond(project, status=201, location=self.api_url("projects", str(project.id)))


_UPDATE = Operation(
    "Change a project's name or description (only the fields given)",
    TAG,
    body=ProjectUpdate,
    response=Project,
    errors=(409,),
)


class ProjectHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("A project", TAG, response=Project),
        "put": _UPDATE,
        "patch": _UPDATE,
        "delete": Operation(
            "Delete a project with its agents and their executions", TAG, status=204
        ),
    }

    @web.authenticated
    async def get(self, project_id: str) -> None:
        self.respond(await self.call(self.workbench.services.projects.get_project, project_id))

    @web.authenticated
    async def patch(self, project_id: str) -> None:
        project = await self.call(
            self.workbench.services.projects.update_project, project_id, self.json_body()
        )
        self.respond(project)

    put = patch

    @web.authenticated
    async def delete(self, project_id: str) -> None:
        await self.call(self.workbench.services.projects.delete_project, project_id)
        self.respond_empty()


default_handlers = [
    route("/api/projects", ProjectListHandler),
    route("/api/projects/{project_id}", ProjectHandler),
]
