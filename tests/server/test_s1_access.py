"""S1: every route × method × caller, through the real hub (OWASP API1:2023, BOLA).

Alice owns one of everything. Bob (another user) gets 404 on each of her resources by id and
never sees them in his listings; the administrator may read everything but change nothing of
hers (403); a caller without a token gets 401; another hub service gets 403. Afterwards all of
Alice's resources are as they were. The routes come from the served OpenAPI document, so a new
route without a row here fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fixtures.hub import RunningHub
from tests.server.helpers import agent_body, create_project, prompt_agent, unique, wait_finished

pytestmark = pytest.mark.hub

# A valid body for every write, so a refusal is about who asks, not what they sent.
BODIES: dict[tuple[str, str], Any] = {
    ("post", "/api/projects"): {"name": "bob-made-this"},
    ("put", "/api/projects/{project_id}"): {"name": "taken-over"},
    ("patch", "/api/projects/{project_id}"): {"description": "changed"},
    ("delete", "/api/projects/{project_id}"): None,
    ("post", "/api/projects/{project_id}/agents"): agent_body(name="planted"),
    ("put", "/api/agents/{agent_id}"): {"description": "changed"},
    ("patch", "/api/agents/{agent_id}"): {"description": "changed"},
    ("delete", "/api/agents/{agent_id}"): None,
    ("post", "/api/agents/{agent_id}/execute"): {"inputs": {"who": "mallory"}},
    ("delete", "/api/executions/{execution_id}"): None,
    ("post", "/api/executions/{execution_id}/cancel"): None,
    ("post", "/api/apikeys"): {"provider": "openai", "api_key": "sk-" + "b" * 30},
    ("patch", "/api/apikeys/{key_id}"): {"label": "changed"},
    ("delete", "/api/apikeys/{key_id}"): None,
    ("post", "/api/apikeys/{key_id}/check"): None,
    ("post", "/api/chat/sessions"): {"models": ["demo:x"]},
    ("put", "/api/chat/sessions/{session_id}"): {"title": "changed"},
    ("patch", "/api/chat/sessions/{session_id}"): {"title": "changed"},
    ("delete", "/api/chat/sessions/{session_id}"): None,
    ("post", "/api/chat/sessions/{session_id}/messages"): {"role": "user", "content": "hi"},
    ("post", "/api/chat/sessions/{session_id}/turns"): {"content": "hi"},
}
WEBSOCKETS = {"/api/executions/{execution_id}/live"}  # S5 tests them with a real upgrade
NOT_OWNED = {"/api/", "/api/me", "/api/openapi.json", "/metrics"}  # nobody's resources


@dataclass(frozen=True)
class Owned:
    ids: dict[str, str]

    def fill(self, path: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: self.ids[m.group(1)], path)


@pytest.fixture(scope="module")
def alices(hub: RunningHub) -> Owned:
    with hub.api(hub.user("alice")) as api:
        project = create_project(api, unique("s1"))
        agent = prompt_agent(api, project["id"], "demo:writer")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "a"}}).json()
        wait_finished(api, execution["id"])
        key = api.post("apikeys", json={"provider": "anthropic", "api_key": "sk-" + "a" * 30})
        chat = api.post("chat/sessions", json={"models": ["demo:a"]}).json()
        api.post(f"chat/sessions/{chat['id']}/messages", json={"role": "user", "content": "x"})
    return Owned(
        {
            "project_id": project["id"],
            "agent_id": agent["id"],
            "execution_id": execution["id"],
            "key_id": key.json()["id"],
            "session_id": chat["id"],
        }
    )


def operations(hub: RunningHub) -> Iterator[tuple[str, str]]:
    with hub.api(hub.admin) as api:
        document = api.get("openapi.json").json()
    for path, item in sorted(document["paths"].items()):
        for method in sorted(item):
            yield method, path


def snapshot(hub: RunningHub, owned: Owned) -> dict[str, Any]:
    """Everything of Alice's the matrix might change, as she sees it."""
    with hub.api(hub.user("alice")) as api:
        paths = [
            "projects/{project_id}",
            "projects/{project_id}/agents",
            "agents/{agent_id}",
            "executions/{execution_id}",
            "apikeys/{key_id}",
            "chat/sessions/{session_id}",
        ]
        found = {path: api.get(owned.fill(path)).json() for path in paths}
    # MLflow's writer records the run in the background: not a change anybody asked for.
    for name in ("tracking_status", "mlflow_run_id", "updated_at"):
        found["executions/{execution_id}"].pop(name)
    return found


def call(
    client: httpx.Client, hub: RunningHub, method: str, path: str, body: Any
) -> httpx.Response:
    url = hub.service_url.rstrip("/") + path
    return (
        client.request(method.upper(), url, json=body)
        if body is not None
        else client.request(method.upper(), url)
    )


def test_s1_every_route_has_a_row_here(hub: RunningHub) -> None:
    for method, path in operations(hub):
        if method != "get" and path not in WEBSOCKETS:
            assert (method, path) in BODIES, f"add {method.upper()} {path} to the S1 matrix"


def test_s1_other_user_gets_404_and_changes_nothing(hub: RunningHub, alices: Owned) -> None:
    before = snapshot(hub, alices)
    bob = hub.user("bob")
    refused = []
    with httpx.Client(headers=bob.headers, timeout=60) as client:
        for method, path in operations(hub):
            if "{" not in path or path in WEBSOCKETS:
                continue
            response = call(client, hub, method, alices.fill(path), BODIES.get((method, path)))
            if response.status_code != 404:
                refused.append((method, path, response.status_code))
    assert refused == [], "another user's resource must answer 404"
    assert snapshot(hub, alices) == before


def test_s1_other_user_never_lists_alices_resources(hub: RunningHub, alices: Owned) -> None:
    bob = hub.user("bob")
    with hub.api(bob) as api:
        listings = [
            api.get(path).text for path in ("projects", "executions", "apikeys", "chat/sessions")
        ]
        everyone = [
            api.get(path, params={"all": "true"}) for path in ("projects", "executions", "apikeys")
        ]
    for text in listings:
        for resource_id in alices.ids.values():
            assert resource_id not in text
    assert [r.status_code for r in everyone] == [403, 403, 403]


def test_s1_admin_reads_everything_and_changes_nothing(hub: RunningHub, alices: Owned) -> None:
    before = snapshot(hub, alices)
    unexpected = []
    with httpx.Client(headers=hub.admin.headers, timeout=60) as client:
        for method, path in operations(hub):
            if "{" not in path or path in WEBSOCKETS:
                continue
            response = call(client, hub, method, alices.fill(path), BODIES.get((method, path)))
            expected = 200 if method == "get" else 403
            if response.status_code != expected:
                unexpected.append((method, path, response.status_code))
        everyone = client.get(hub.api_url + "projects", params={"all": "true", "limit": 200})
    assert unexpected == []
    assert alices.ids["project_id"] in everyone.text
    assert snapshot(hub, alices) == before


@pytest.mark.parametrize(
    ("caller", "status"), [("anonymous", 401), ("other-service", 403), ("bad-token", 401)]
)
def test_s1_callers_without_a_user_are_refused_everywhere(
    hub: RunningHub, alices: Owned, caller: str, status: int
) -> None:
    headers = {
        "anonymous": {},
        "other-service": {"Authorization": f"token {hub.service_token('other-service')}"},
        "bad-token": {"Authorization": "token 0123456789abcdef"},
    }[caller]
    before = snapshot(hub, alices)
    unexpected = []
    with httpx.Client(headers=headers, timeout=60) as client:
        for method, path in operations(hub):
            if path in WEBSOCKETS or path == "/metrics":
                continue
            response = call(client, hub, method, alices.fill(path), BODIES.get((method, path)))
            if response.status_code != status:
                unexpected.append((method, path, response.status_code))
    assert unexpected == []
    assert snapshot(hub, alices) == before


def test_s1_owner_reads_each_of_her_resources(hub: RunningHub, alices: Owned) -> None:
    with httpx.Client(headers=hub.user("alice").headers, timeout=60) as client:
        statuses = {
            path: call(client, hub, "get", alices.fill(path), None).status_code
            for method, path in operations(hub)
            if method == "get" and path not in WEBSOCKETS and path not in NOT_OWNED
        }
    assert set(statuses.values()) == {200}, statuses


def test_s1_metrics_are_for_admins_and_the_scraper(hub: RunningHub) -> None:
    def status(token: str) -> int:
        return httpx.get(
            hub.service_url + "metrics", headers={"Authorization": f"token {token}"}, timeout=30
        ).status_code

    assert status(hub.admin.token) == 200
    assert status(hub.service_token("metrics-scraper")) == 200
    assert status(hub.user("bob").token) == 403
    assert status(hub.service_token("other-service")) == 403
