"""The notebook client against the real hub and workbench service: projects, agents, keys."""

from __future__ import annotations

import pytest
import yaml

from agents.spec import AgentSpec
from tests.fixtures.hub import RunningHub
from tests.notebooks.conftest import unique
from workbench.client import BadRequest, Client, Conflict, NotFound, Project
from workbench.client.endpoints import ENDPOINTS

pytestmark = pytest.mark.hub

SPEC = {
    "name": "summarise",
    "description": "three bullet points",
    "defaults": {"model": "demo:writer", "temperature": 0.2},
    "inputs": {"text": "string"},
    "substeps": [
        {"id": "summary", "prompt": "Summarise in three bullet points:\n{{ text }}"},
        {"id": "title", "prompt": "A title for:\n{{ summary }}"},
    ],
}


def test_every_client_endpoint_is_in_the_served_openapi_document(client: Client) -> None:
    document = client.openapi()
    missing = [
        f"{e.method.upper()} {e.path}"
        for e in ENDPOINTS
        if e.method not in document["paths"].get(e.path, {})
    ]
    assert missing == []


def test_me_is_the_token_owner(client: Client, notebook_user) -> None:
    me = client.me()
    assert me.name == notebook_user.name
    assert not me.is_admin


# ---- projects ----------------------------------------------------------------------------------


def test_project_round_trip(client: Client) -> None:
    name = unique("round-trip")
    created = client.projects.create(name, "first")
    assert client.projects.get(created.id) == created
    assert client.projects.get(name).id == created.id
    assert name in [p.name for p in client.projects.list()]
    changed = client.projects.update(created, description="second")
    assert (changed.name, changed.description) == (name, "second")
    client.projects.delete(created)
    with pytest.raises(NotFound):
        client.projects.get(created.id)


def test_creating_a_duplicate_project_raises_conflict_unless_exist_ok(
    client: Client, project: Project
) -> None:
    with pytest.raises(Conflict):
        client.projects.create(project.name)
    assert client.projects.create(project.name, exist_ok=True).id == project.id


def test_another_users_project_is_not_found(
    client: Client, other_client: Client, project: Project
) -> None:
    with pytest.raises(NotFound):
        other_client.projects.get(project.id)
    with pytest.raises(NotFound):
        other_client.agents.create(project.id, SPEC)


# ---- agents ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        pytest.param(SPEC, id="dict"),
        pytest.param(yaml.safe_dump(SPEC), id="yaml"),
        pytest.param(AgentSpec.parse(SPEC), id="spec"),
    ],
)
def test_agent_is_created_from_a_dict_yaml_or_spec(
    client: Client, project: Project, written: object
) -> None:
    agent = client.agents.create(project, written)
    assert agent.name == "summarise"
    assert agent.project_id == project.id
    assert agent.spec == AgentSpec.parse(SPEC)
    assert [a.id for a in client.agents.list(project)] == [agent.id]


def test_agent_is_found_by_name_in_a_project(client: Client, project: Project) -> None:
    agent = client.agents.create(project, SPEC)
    assert client.agents.get("summarise", project=project).id == agent.id
    assert client.agents.get(agent.id) == agent


def test_pushing_an_agent_again_replaces_its_spec(client: Client, project: Project) -> None:
    first = client.agents.create(project, SPEC)
    changed = {**SPEC, "defaults": {"model": "demo:other"}}
    with pytest.raises(Conflict):
        client.agents.create(project, changed)
    second = client.agents.create(project, changed, replace=True)
    assert second.id == first.id
    assert second.spec.defaults.model == "demo:other"


def test_agent_spec_update_and_delete(client: Client, project: Project) -> None:
    agent = client.agents.create(project, SPEC)
    spec = agent.spec.model_copy(update={"description": "shorter"})
    updated = client.agents.update(agent, spec=spec, description="now shorter")
    assert (updated.spec.description, updated.description) == ("shorter", "now shorter")
    client.agents.delete(agent)
    with pytest.raises(NotFound):
        client.agents.get(agent.id)


def test_bad_spec_raises_bad_request_naming_the_field(
    hub: RunningHub, notebook_user, client: Client, project: Project
) -> None:
    bad = {**SPEC, "substeps": [{"id": "summary", "prompt": "{{ text }}", "model": "opnai:x"}]}
    with pytest.raises(BadRequest) as raised:
        client.agents.create(project, bad)
    with hub.api(notebook_user) as api:
        body = api.post(f"projects/{project.id}/agents", json=_columns(bad)).json()
    assert raised.value.message == body["error"]
    assert raised.value.field == body["field"] == "substeps.0.model"
    assert "opnai" in str(raised.value)


def _columns(spec: dict) -> dict:
    configuration = {k: v for k, v in spec.items() if k != "substeps"}
    return {"name": spec["name"], "configuration": configuration, "substeps": spec["substeps"]}


# ---- keys --------------------------------------------------------------------------------------


def test_keys_are_shown_masked(client: Client) -> None:
    plaintext = "sk-canary-" + unique("key") + "-abcd"
    added = client.keys.add("openai", plaintext, label=unique("label"))
    try:
        listed = {k.id: k for k in client.keys.list()}
        assert listed[added.id].hint == added.hint
        assert added.hint.endswith("abcd") and plaintext not in added.hint
        frame = client.keys.frame()
        assert plaintext not in frame.to_csv()
        assert added.hint in set(frame["hint"])
    finally:
        client.keys.delete(added)
    assert added.id not in {k.id for k in client.keys.list()}
