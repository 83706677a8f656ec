"""S2: fields a client must not set are refused, naming the field (OWASP API3:2023)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.hub import RunningHub, error_of
from tests.server.helpers import agent_body, create_project, prompt_agent, unique, wait_finished

pytestmark = pytest.mark.hub

FORBIDDEN = {
    "owner_id": "00000000-0000-0000-0000-000000000001",
    "user_id": "00000000-0000-0000-0000-000000000001",
    "role": "ADMIN",
    "status": "COMPLETED",
    "mlflow_run_id": "0123456789abcdef",
    "artifact_location": "file:///etc",
    "id": "00000000-0000-0000-0000-000000000002",
}


@pytest.fixture(scope="module")
def resources(hub: RunningHub) -> dict[str, str]:
    with hub.api(hub.user("alice")) as api:
        project = create_project(api)
        agent = prompt_agent(api, project["id"], "demo:writer")
        key = api.post("apikeys", json={"provider": "google", "api_key": "g" * 30}).json()
        chat = api.post("chat/sessions", json={"models": ["demo:a"]}).json()
    return {"project": project["id"], "agent": agent["id"], "key": key["id"], "chat": chat["id"]}


def writes(ids: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("POST", "projects", {"name": unique("s2")}),
        ("PATCH", f"projects/{ids['project']}", {}),
        ("PUT", f"projects/{ids['project']}", {}),
        ("POST", f"projects/{ids['project']}/agents", agent_body()),
        ("PATCH", f"agents/{ids['agent']}", {}),
        ("POST", f"agents/{ids['agent']}/execute", {"inputs": {"who": "x"}}),
        ("POST", "apikeys", {"provider": "openai", "api_key": "sk-" + "c" * 30}),
        ("PATCH", f"apikeys/{ids['key']}", {}),
        ("POST", "chat/sessions", {"models": ["demo:a"]}),
        ("PATCH", f"chat/sessions/{ids['chat']}", {}),
        ("POST", f"chat/sessions/{ids['chat']}/messages", {"role": "user", "content": "x"}),
    ]


@pytest.mark.parametrize("field", sorted(FORBIDDEN))
def test_s2_forbidden_field_is_refused_everywhere(
    hub: RunningHub, resources: dict[str, str], field: str
) -> None:
    accepted = []
    with hub.api(hub.user("alice")) as api:
        for method, path, body in writes(resources):
            response = api.request(method, path, json={**body, field: FORBIDDEN[field]})
            if response.status_code != 400 or error_of(response)["field"] != field:
                accepted.append((method, path, response.status_code))
        executions = api.get(f"agents/{resources['agent']}/executions").json()
    assert accepted == []
    assert executions["total"] == 0, "a refused execute must not create an execution"


def test_s2_nobody_sets_their_own_role(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        for method in ("PATCH", "PUT", "POST"):
            assert api.request(method, "me", json={"role": "ADMIN"}).status_code == 405
        assert api.get("me").json()["role"] == "USER"


def test_s2_execution_status_comes_from_the_engine_only(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        agent = prompt_agent(api, create_project(api)["id"], "demo:writer")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "y"}}).json()
        finished = wait_finished(api, execution["id"])
        for method in ("PATCH", "PUT"):
            response = api.request(
                method, f"executions/{execution['id']}", json={"status": "FAILED"}
            )
            assert response.status_code == 405
        assert api.get(f"executions/{execution['id']}").json()["status"] == finished["status"]
