"""`client.agents`: task agents in a project, from an `AgentSpec`, a dict, YAML or a file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from agents.spec import AgentSpec
from workbench.client import endpoints
from workbench.client.errors import Conflict, NotFound
from workbench.client.models import Agent, Project, id_of, is_uuid

if TYPE_CHECKING:
    from workbench.client.client import Client

SpecLike = AgentSpec | Mapping[str, Any] | str | Path


def spec_columns(spec: SpecLike) -> dict[str, Any]:
    """The request body fields for `spec`: `name`, `configuration`, `substeps`.

    A dict, YAML or JSON text is sent as written, so the server's checks report every problem
    with its path; an `AgentSpec` is sent in its normal form.
    """
    if isinstance(spec, AgentSpec):
        configuration, substeps = spec.to_columns()
        return {"name": spec.name, "configuration": configuration, "substeps": substeps}
    if isinstance(spec, Path):
        spec = spec.read_text(encoding="utf-8")
    if isinstance(spec, str):
        try:
            data = yaml.safe_load(spec)
        except yaml.YAMLError as e:
            raise ValueError(f"spec: not valid YAML or JSON: {e}") from None
        if not isinstance(data, Mapping):
            raise ValueError(
                f"spec: expected a mapping (name, inputs, substeps, ...), got {data!r}"
            )
        spec = data
    if not isinstance(spec, Mapping):
        raise TypeError(
            "spec must be an agents.spec.AgentSpec, a dict, YAML/JSON text or a path, "
            f"not {type(spec).__name__}"
        )
    configuration = dict(spec)
    substeps = configuration.pop("substeps", [])
    body: dict[str, Any] = {"configuration": configuration, "substeps": substeps}
    if configuration.get("name") is not None:
        body["name"] = configuration["name"]
    return body


class Agents:
    def __init__(self, client: Client) -> None:
        self._client = client

    def _agent(self, data: Any) -> Agent:
        return Agent.model_validate(data).bound(self._client)

    def list(self, project: Project | str) -> list[Agent]:
        """The project's agents, by name."""
        items = self._client.transport.pages(
            endpoints.LIST_AGENTS, project_id=self._project_id(project)
        )
        return [self._agent(item) for item in items]

    def get(self, agent: Agent | str, *, project: Project | str | None = None) -> Agent:
        """An agent by id, or by name within `project`."""
        if project is not None and isinstance(agent, str) and not is_uuid(agent):
            return self.find(project, agent)
        data = self._client.transport.send(endpoints.GET_AGENT, agent_id=id_of(agent, "agent"))
        return self._agent(data)

    def find(self, project: Project | str, name: str) -> Agent:
        """The agent called `name` in `project`; `NotFound` if there is none."""
        for agent in self.list(project):
            if agent.name == name:
                return agent
        raise NotFound(f"the project has no agent called {name!r}", field="name")

    def create(
        self,
        project: Project | str,
        spec: SpecLike,
        *,
        name: str | None = None,
        description: str | None = None,
        replace: bool = False,
    ) -> Agent:
        """Store `spec` as an agent of `project` (named after the spec unless `name` is given).

        With `replace`, an agent of the same name in the project gets this spec instead of the
        409 a duplicate name otherwise answers: handy when re-running a notebook.
        """
        body = spec_columns(spec)
        if name is not None:
            body["name"] = name
        if description is not None:
            body["description"] = description
        project_id = self._project_id(project)
        try:
            data = self._client.transport.send(
                endpoints.CREATE_AGENT, json=body, project_id=project_id
            )
        except Conflict:
            if not replace or "name" not in body:
                raise
            existing = self.find(project_id, body["name"])
            return self.update(existing, spec=spec, description=description)
        return self._agent(data)

    def update(
        self,
        agent: Agent | str,
        *,
        spec: SpecLike | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> Agent:
        """Change what is given: the spec, the name, the description."""
        body: dict[str, Any] = {}
        if spec is not None:
            columns = spec_columns(spec)
            body["configuration"] = columns["configuration"]
            body["substeps"] = columns["substeps"]
        if name is not None:
            body["name"] = name
        if description is not None:
            body["description"] = description
        data = self._client.transport.send(
            endpoints.UPDATE_AGENT, json=body, agent_id=id_of(agent, "agent")
        )
        return self._agent(data)

    def delete(self, agent: Agent | str) -> None:
        """Delete the agent with its executions."""
        self._client.transport.send(endpoints.DELETE_AGENT, agent_id=id_of(agent, "agent"))

    def _project_id(self, project: Project | str) -> str:
        if _is_name(project):
            return str(self._client.projects.find(str(project)).id)
        return id_of(project, "project")


def _is_name(project: Project | str) -> bool:
    return isinstance(project, str) and not is_uuid(project)
