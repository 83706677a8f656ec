"""Task agents: named specs in a project, validated before anything is written."""

from __future__ import annotations

import pytest

from agents.spec import AgentSpec
from workbench.db import Database, models
from workbench.errors import Conflict, InvalidInput, NotFound
from workbench.services import Actor, ExecutionStatus, Project, Services

from .bodies import SUBSTEPS, agent_body
from .rows import count


@pytest.fixture
def project(services: Services, alice: Actor) -> Project:
    return services.projects.create_project(alice, {"name": "essays"})


def test_create_agent_stores_the_spec_in_its_normal_form(
    services: Services, alice: Actor, project: Project
) -> None:
    agent = services.agents.create_agent(
        alice, project.id, agent_body(configuration={"inputs": {"topic": "string"}})
    )
    assert agent.project_id == project.id
    stored = services.agents.get_agent(alice, agent.id)
    spec = AgentSpec.from_columns(stored.configuration, stored.substeps)
    assert spec.name == "writer"
    assert spec.inputs["topic"].type == "string"  # the shorthand, spelled out
    assert [(s.id, s.kind) for s in spec.substeps] == [
        ("outline", "prompt"),
        ("compare", "compare"),
    ]


def test_inputs_keep_the_order_their_author_wrote(
    services: Services, alice: Actor, project: Project
) -> None:
    written = {"zeta": "string", "topic": "string", "alpha": "integer"}
    agent = services.agents.create_agent(
        alice, project.id, agent_body(configuration={"inputs": written})
    )
    stored = services.agents.get_agent(alice, agent.id)
    assert list(AgentSpec.from_columns(stored.configuration, stored.substeps).inputs) == list(
        written
    )
    execution = services.executions.create_execution(
        alice, agent.id, {"alpha": 1, "topic": "t", "zeta": "z"}
    )
    assert list(AgentSpec.parse(execution.spec).inputs) == list(written)


def test_list_agents_by_name(services: Services, alice: Actor, project: Project) -> None:
    for name in ["zeta", "alpha"]:
        services.agents.create_agent(alice, project.id, agent_body(name))
    page = services.agents.list_agents(alice, project.id)
    assert [a.name for a in page.items] == ["alpha", "zeta"]


def test_update_agent_replaces_only_the_given_fields(
    services: Services, alice: Actor, project: Project
) -> None:
    agent = services.agents.create_agent(alice, project.id, agent_body(description="keep"))
    configuration = {**agent.configuration, "defaults": {"temperature": 0.9}}
    updated = services.agents.update_agent(alice, agent.id, {"configuration": configuration})
    assert updated.description == "keep"
    assert updated.substeps == agent.substeps
    assert updated.configuration["defaults"]["temperature"] == 0.9


def test_renaming_an_agent_renames_its_spec(
    services: Services, alice: Actor, project: Project
) -> None:
    agent = services.agents.create_agent(alice, project.id, agent_body())
    renamed = services.agents.update_agent(alice, agent.id, {"name": "editor"})
    assert renamed.configuration["name"] == "editor"


def test_duplicate_agent_name_in_a_project_is_a_conflict(
    services: Services, alice: Actor, project: Project
) -> None:
    services.agents.create_agent(alice, project.id, agent_body("w"))
    with pytest.raises(Conflict) as caught:
        services.agents.create_agent(alice, project.id, agent_body("w"))
    assert caught.value.field == "name"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (agent_body(configuration="{not json"), "configuration"),
        (agent_body(configuration=["a", "list"]), "configuration"),
        (agent_body(substeps={"id": "a"}), "substeps"),
        (agent_body(substeps=["not an object"]), "substeps.0"),
        (agent_body(configuration={"blob": "x" * 600_000}), "configuration"),
        (agent_body(status="COMPLETED"), "status"),
        (agent_body(""), "name"),
        (agent_body(substeps=[]), "substeps"),
        (
            agent_body(configuration={"defaults": {"model": "opnai:gpt-4o"}}),
            "configuration.defaults.model",
        ),
        (
            agent_body(configuration={"defaults": {"temperature": 7}}),
            "configuration.defaults.temperature",
        ),
        (agent_body(substeps=[{**SUBSTEPS[0], "model": "opnai:gpt-4o"}]), "substeps.0.model"),
        (agent_body(substeps=[{**SUBSTEPS[0], "prompt": "{{ nowhere }}"}]), "substeps.0.prompt"),
        (agent_body(substeps=[SUBSTEPS[0], {**SUBSTEPS[0]}]), "substeps.1.id"),
    ],
)
def test_bad_agent_input_names_the_field_and_writes_nothing(
    services: Services, db: Database, alice: Actor, project: Project, body: dict, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.agents.create_agent(alice, project.id, body)
    assert caught.value.field == field
    assert count(db, models.TaskAgent) == 0


def test_update_with_null_name_is_refused(
    services: Services, alice: Actor, project: Project
) -> None:
    agent = services.agents.create_agent(alice, project.id, agent_body("w"))
    with pytest.raises(InvalidInput) as caught:
        services.agents.update_agent(alice, agent.id, {"name": None})
    assert caught.value.field == "name"


def test_delete_agent_removes_its_executions(
    services: Services, db: Database, alice: Actor, project: Project
) -> None:
    agent = services.agents.create_agent(alice, project.id, agent_body("w"))
    execution = services.executions.create_execution(alice, agent.id, {})
    services.executions.finish(execution.id, ExecutionStatus.COMPLETED, result={})
    services.agents.delete_agent(alice, agent.id)
    with pytest.raises(NotFound):
        services.agents.get_agent(alice, agent.id)
    assert count(db, models.Execution) == 0


def test_every_spec_problem_is_reported_at_once(
    services: Services, alice: Actor, project: Project
) -> None:
    body = agent_body(
        configuration={"defaults": {"model": "opnai:x"}},
        substeps=[{"id": "a", "prompt": "{{ b }}"}, {"id": "b", "prompt": "{{ a }}"}],
    )
    with pytest.raises(InvalidInput) as caught:
        services.agents.create_agent(alice, project.id, body)
    fields = {error.field for error in caught.value.errors}
    assert {"configuration.defaults.model", "substeps.0"} <= fields


def test_an_invalid_update_leaves_the_agent_as_it_was(
    services: Services, alice: Actor, project: Project
) -> None:
    agent = services.agents.create_agent(alice, project.id, agent_body())
    with pytest.raises(InvalidInput) as caught:
        services.agents.update_agent(alice, agent.id, {"substeps": [{"id": "x", "prompt": ""}]})
    assert caught.value.field == "substeps.0.prompt"
    assert services.agents.get_agent(alice, agent.id) == agent
