"""The Prometheus endpoint counts API requests per route and executions per final status."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.fixtures.hub import RunningHub
from tests.server.helpers import create_project, prompt_agent, wait_finished

pytestmark = pytest.mark.hub


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the sample `name{labels...}` (labels in any order), 0 when absent."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[len(name) : line.rindex("}")]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def metrics(hub: RunningHub) -> str:
    response = httpx.get(hub.service_url + "metrics", headers=hub.admin.headers, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_api_requests_are_counted_per_route_template(hub: RunningHub) -> None:
    route = "/api/projects/{project_id}"
    before = sample(metrics(hub), "workbench_api_requests_total", route=route, method="GET")
    with hub.api(hub.user("alice")) as api:
        project = create_project(api)
        for _ in range(3):
            api.get(f"projects/{project['id']}")
    text = metrics(hub)
    after = sample(text, "workbench_api_requests_total", route=route, method="GET", status="200")
    assert after - before >= 3
    assert project["id"] not in text  # routes are templates, never ids
    assert (
        sample(text, "workbench_api_request_duration_seconds_count", route=route, method="GET") >= 3
    )


def test_executions_are_counted_per_final_status(hub: RunningHub) -> None:
    text = metrics(hub)
    before = sample(text, "workbench_executions_total", status="COMPLETED")
    calls_before = sample(text, "workbench_provider_calls_total", provider="demo", outcome="ok")
    with hub.api(hub.user("alice")) as api:
        agent = prompt_agent(api, create_project(api)["id"], "demo:writer")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "m"}}).json()
        wait_finished(api, execution["id"])
    text = metrics(hub)
    assert sample(text, "workbench_executions_total", status="COMPLETED") == before + 1
    assert sample(text, "workbench_execution_duration_seconds_count", status="COMPLETED") >= 1
    assert "workbench_executions_in_progress" in text
    calls = sample(text, "workbench_provider_calls_total", provider="demo", outcome="ok")
    assert calls == calls_before + 1  # one prompt step, one call
