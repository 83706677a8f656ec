"""Helpers the server tests share: resources made through the API, waiting, the live channel."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.fixtures.hub import HubUser, RunningHub

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def create_project(api: httpx.Client, name: str | None = None) -> dict[str, Any]:
    response = api.post("projects", json={"name": name or unique("project")})
    assert response.status_code == 201, response.text
    return response.json()


def agent_body(
    model: str = "demo:writer", *, name: str | None = None, prompt: str = "Say hello to {{ who }}"
) -> dict[str, Any]:
    """A valid agent: one prompt step on `model`, one input, `who`."""
    return {
        "name": name or unique("agent"),
        "configuration": {"inputs": {"who": {"type": "string"}}, "defaults": {"model": model}},
        "substeps": [{"id": "greet", "prompt": prompt}],
    }


def prompt_agent(
    api: httpx.Client, project_id: str, model: str, *, prompt: str = "Say hello to {{ who }}"
) -> dict[str, Any]:
    """An agent with one prompt step on `model` and one input, `who`."""
    response = api.post(f"projects/{project_id}/agents", json=agent_body(model, prompt=prompt))
    assert response.status_code == 201, response.text
    return response.json()


def store_key(
    api: httpx.Client, provider: str = "openai", key: str | None = None
) -> dict[str, Any]:
    response = api.post(
        "apikeys", json={"provider": provider, "api_key": key or f"sk-test-{secrets.token_hex(16)}"}
    )
    assert response.status_code == 201, response.text
    return response.json()


def wait_finished(api: httpx.Client, execution_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = api.get(f"executions/{execution_id}").json()
        if execution["status"] in TERMINAL:
            return execution
        time.sleep(0.2)
    raise AssertionError(f"execution {execution_id} still {execution['status']} after {timeout} s")


def live_url(hub: RunningHub, execution_id: str) -> str:
    return hub.api_url.replace("http://", "ws://") + f"executions/{execution_id}/live"


def watch(
    hub: RunningHub, user: HubUser, execution_id: str, timeout: float = 90
) -> list[dict[str, Any]]:
    """Every message of the execution's live channel until the server closes it."""
    messages = []
    with connect(
        live_url(hub, execution_id), additional_headers=user.headers, open_timeout=30
    ) as socket:
        deadline = time.monotonic() + timeout
        for raw in socket:
            messages.append(json.loads(raw))
            assert time.monotonic() < deadline, "the live channel did not close in time"
    return messages
