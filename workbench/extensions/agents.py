"""Task agents: `/api/projects/{project_id}/agents` and `/api/agents/{agent_id}`."""

from __future__ import annotations

from typing import ClassVar

from tornado import web

from workbench.extensions.base import WorkbenchAPIHandler
from workbench.extensions.routes import PAGE_QUERY, Listing, Operation, route
from workbench.services import AgentCreate, AgentUpdate, TaskAgent

TAG = "agents"


class AgentListHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "The project's agents, by name", TAG, response=Listing(TaskAgent), query=PAGE_QUERY
        ),
        "post": Operation(
            "Create an agent in the project",
            TAG,
            status=201,
            body=AgentCreate,
            response=TaskAgent,
            errors=(409,),
        ),
    }

    @web.authenticated
    async def get(self, project_id: str) -> None:
        page = await self.call(
            self.workbench.services.agents.list_agents, project_id, **self.page_arguments()
        )
        self.respond_page(page)

    @web.authenticated
    async def post(self, project_id: str) -> None:
        agent = await self.call(
            self.workbench.services.agents.create_agent, project_id, self.json_body()
        )
        self.respond(agent, status=201, location=self.api_url("agents", str(agent.id)))


_UPDATE = Operation(
    "Change an agent (only the fields given)",
    TAG,
    body=AgentUpdate,
    response=TaskAgent,
    errors=(409,),
)


class AgentHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("An agent", TAG, response=TaskAgent),
        "put": _UPDATE,
        "patch": _UPDATE,
        "delete": Operation("Delete an agent with its executions", TAG, status=204),
    }

    @web.authenticated
    async def get(self, agent_id: str) -> None:
        self.respond(await self.call(self.workbench.services.agents.get_agent, agent_id))

    @web.authenticated
    async def patch(self, agent_id: str) -> None:
        agent = await self.call(
            self.workbench.services.agents.update_agent, agent_id, self.json_body()
        )
        self.respond(agent)

    put = patch

    @web.authenticated
    async def delete(self, agent_id: str) -> None:
        await self.call(self.workbench.services.agents.delete_agent, agent_id)
        self.respond_empty()


default_handlers = [
    route("/api/projects/{project_id}/agents", AgentListHandler),
    route("/api/agents/{agent_id}", AgentHandler),
]
