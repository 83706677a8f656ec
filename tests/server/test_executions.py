"""Executing agents through the real hub: 202 at once, the fake provider, live events, cancel."""

from __future__ import annotations

import time

import pytest

from tests.fakes.behaviour import Behaviour
from tests.fixtures.hub import RunningHub, error_of
from tests.server.helpers import (
    create_project,
    prompt_agent,
    store_key,
    unique,
    wait_finished,
    watch,
)

pytestmark = pytest.mark.hub


def test_execute_answers_202_at_once_and_the_execution_completes(hub: RunningHub) -> None:
    alice = hub.user("alice")
    model = unique("gpt-slow")
    hub.fake_provider.program(model, then=Behaviour(latency=3.0, text="Hello, Ada."))
    with hub.api(alice) as api:
        store_key(api, "openai")
        agent = prompt_agent(api, create_project(api)["id"], f"openai:{model}")
        response = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "Ada"}})
        assert response.status_code == 202, response.text
        execution = response.json()
        # Answered while the model was still thinking: not finished, no output yet.
        assert execution["status"] in ("PENDING", "RUNNING")
        assert execution["result"] is None
        assert response.headers["Location"].endswith(f"/api/executions/{execution['id']}")
        finished = wait_finished(api, execution["id"])
    assert finished["status"] == "COMPLETED", finished["error"]
    assert finished["steps"][0]["output"] == "Hello, Ada."
    assert finished["result"]["greet"] == "Hello, Ada."


def test_live_channel_sends_snapshot_events_and_closes_when_finished(hub: RunningHub) -> None:
    alice = hub.user("alice")
    model = unique("gpt-live")
    hub.fake_provider.program(model, then=Behaviour(latency=1.0, token_delay=0.05, text="a b c d"))
    with hub.api(alice) as api:
        store_key(api, "openai")
        agent = prompt_agent(api, create_project(api)["id"], f"openai:{model}")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "Bo"}}).json()
    messages = watch(hub, alice, execution["id"])
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "snapshot"
    assert messages[0]["execution"]["id"] == execution["id"]
    assert kinds[-1] == "execution_finished"
    assert messages[-1]["status"] == "COMPLETED"
    assert "step_finished" in kinds
    assert "".join(m["text"] for m in messages if m["type"] == "step_token") == "a b c d"


def test_demo_agents_run_offline_and_say_so(hub: RunningHub) -> None:
    admin = hub.admin
    with hub.api(admin) as api:
        projects = api.get("projects").json()["items"]
        demo = next(p for p in projects if p["name"] == "Demo")
        agents = api.get(f"projects/{demo['id']}/agents").json()["items"]
        assert len(agents) == 2
        executions = [api.post(f"agents/{a['id']}/execute").json() for a in agents]
        finished = [wait_finished(api, e["id"]) for e in executions]
    for execution in finished:
        assert execution["status"] == "COMPLETED", execution["error"]
        for step in execution["steps"]:
            output = step["output"]
            text = output if isinstance(output, str) else " ".join(output.values())
            assert "Demo model" in text


def test_s12_cancel_returns_with_the_execution_cancelled(hub: RunningHub) -> None:
    alice = hub.user("alice")
    model = unique("gpt-hang")
    hub.fake_provider.program(model, then=Behaviour(latency=30.0, text="too late"))
    with hub.api(alice) as api:
        store_key(api, "openai")
        agent = prompt_agent(api, create_project(api)["id"], f"openai:{model}")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "x"}}).json()
        time.sleep(1.0)
        response = api.post(f"executions/{execution['id']}/cancel")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "CANCELLED"
        again = api.post(f"executions/{execution['id']}/cancel")
        status = api.get(f"executions/{execution['id']}/status").json()
    assert again.status_code == 409
    assert status["status"] == "CANCELLED"
    assert all(step["status"] != "RUNNING" for step in status["steps"])


def test_execute_without_a_required_input_is_422_naming_it(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        agent = prompt_agent(api, create_project(api)["id"], "demo:writer")
        response = api.post(f"agents/{agent['id']}/execute", json={"inputs": {}})
        executions = api.get(f"agents/{agent['id']}/executions").json()
    assert response.status_code == 422
    assert error_of(response)["field"] == "inputs.who"
    assert error_of(response)["code"] == "unprocessable"
    assert executions["total"] == 0


def test_execution_without_a_key_fails_saying_what_to_add(hub: RunningHub) -> None:
    with hub.api(hub.new_user("keyless")) as api:
        agent = prompt_agent(api, create_project(api)["id"], "anthropic:claude-test")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "x"}}).json()
        finished = wait_finished(api, execution["id"])
    assert finished["status"] == "FAILED"
    assert "anthropic" in finished["steps"][0]["error"]


# ---- S12, S13 through the hub ---------------------------------------------------------------


def test_s12_after_cancel_no_further_step_starts(hub: RunningHub) -> None:
    alice = hub.user("alice")
    slow, later = unique("gpt-first"), unique("gpt-second")
    hub.fake_provider.program(slow, then=Behaviour(latency=30.0, text="first"))
    body = {
        "name": unique("chain"),
        "configuration": {"defaults": {"model": f"openai:{slow}"}},
        "substeps": [
            {"id": "first", "prompt": "go"},
            {"id": "second", "model": f"openai:{later}", "prompt": "then {{ first }}"},
        ],
    }
    with hub.api(alice) as api:
        store_key(api, "openai")
        agent = api.post(f"projects/{create_project(api)['id']}/agents", json=body).json()
        execution = api.post(f"agents/{agent['id']}/execute").json()
        time.sleep(1.0)
        cancelled = api.post(f"executions/{execution['id']}/cancel").json()
        time.sleep(1.0)
        after = api.get(f"executions/{execution['id']}").json()
    assert cancelled["status"] == after["status"] == "CANCELLED"
    assert {s["step_id"]: s["status"] for s in after["steps"]}["second"] in ("SKIPPED", "QUEUED")
    assert hub.fake_provider.requests(later) == []


def test_s13_rate_limit_is_retried_then_answered(hub: RunningHub) -> None:
    alice = hub.user("alice")
    model = unique("gpt-busy")
    hub.fake_provider.program(
        model, Behaviour(status=429, retry_after=0.2), then=Behaviour(text="got through")
    )
    with hub.api(alice) as api:
        store_key(api, "openai")
        agent = prompt_agent(api, create_project(api)["id"], f"openai:{model}")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "r"}}).json()
        finished = wait_finished(api, execution["id"])
    assert finished["status"] == "COMPLETED"
    assert finished["steps"][0]["output"] == "got through"
    assert finished["steps"][0]["retries"] >= 1


def test_s13_rate_limit_that_never_ends_is_an_error_not_an_empty_answer(hub: RunningHub) -> None:
    alice = hub.user("alice")
    model = unique("gpt-saturated")
    hub.fake_provider.program(model, then=Behaviour(status=429, retry_after=0.1))
    with hub.api(alice) as api:
        store_key(api, "openai")
        agent = prompt_agent(api, create_project(api)["id"], f"openai:{model}")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "r"}}).json()
        finished = wait_finished(api, execution["id"])
    step = finished["steps"][0]
    assert finished["status"] == "FAILED"
    assert step["output"] in (None, "")
    assert "429" in step["error"] or "rate" in step["error"].lower()
