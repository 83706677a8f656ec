"""Chat turns through the REST API: 202 at once, every model's answer stored as a message."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.fakes.behaviour import Behaviour
from tests.fixtures.hub import RunningHub, error_of
from tests.server.helpers import store_key, unique, watch

pytestmark = pytest.mark.hub


def messages_of(api: httpx.Client, session_id: str, count: int, timeout: float = 60) -> list[Any]:
    """The session's messages once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        items = api.get(f"chat/sessions/{session_id}/messages").json()["items"]
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.2)


def test_a_turn_answers_202_and_every_models_reply_becomes_a_message(hub: RunningHub) -> None:
    alice = hub.user("alice")
    gpt, claude = unique("gpt-chat"), unique("claude-chat")
    hub.fake_provider.program(gpt, then=Behaviour(latency=1.0, token_delay=0.02, text="Hi from G"))
    hub.fake_provider.program(claude, then=Behaviour(text="Hi from C"))
    models = [f"openai:{gpt}", f"anthropic:{claude}"]
    with hub.api(alice) as api:
        store_key(api, "openai")
        store_key(api, "anthropic")
        session = api.post("chat/sessions", json={"title": "pair", "models": models}).json()
        response = api.post(f"chat/sessions/{session['id']}/turns", json={"content": "Hello?"})
        assert response.status_code == 202, response.text
        turn = response.json()
        assert response.headers["Location"].endswith(f"/api/executions/{turn['execution_id']}")
        assert turn["message"]["role"] == "user" and turn["message"]["content"] == "Hello?"
        assert turn["models"] == {"model_1": models[0], "model_2": models[1]}

        live = watch(hub, alice, turn["execution_id"])
        streamed = "".join(
            m["text"] for m in live if m["type"] == "step_token" and m["step_id"] == "model_1"
        )
        assert streamed == "Hi from G"
        messages = messages_of(api, session["id"], 3)
    user, *replies = messages
    assert user["execution_id"] == turn["execution_id"]
    assert sorted((r["model"], r["content"], r["error"]) for r in replies) == [
        (models[1], "Hi from C", None),
        (models[0], "Hi from G", None),
    ]
    assert all(r["execution_id"] == turn["execution_id"] for r in replies)
    assert all(r["output_tokens"] and r["latency_ms"] for r in replies)


def test_a_model_without_a_key_answers_with_the_reason(hub: RunningHub) -> None:
    with hub.api(hub.new_user("chatless")) as api:
        session = api.post("chat/sessions", json={"models": ["anthropic:claude-x"]}).json()
        turn = api.post(f"chat/sessions/{session['id']}/turns", json={"content": "hi"}).json()
        messages = messages_of(api, session["id"], 2)
    assert len(messages) == 2, messages
    reply = messages[1]
    assert (reply["role"], reply["execution_id"]) == ("assistant", turn["execution_id"])
    assert "anthropic" in reply["error"]


def test_another_users_session_is_404_and_gets_no_message(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        session = api.post("chat/sessions", json={"models": ["demo:echo"]}).json()
        with hub.api(hub.user("bob")) as other:
            response = other.post(f"chat/sessions/{session['id']}/turns", json={"content": "hi"})
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
        assert api.get(f"chat/sessions/{session['id']}/messages").json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "content"), ({"content": "   "}, "content"), ({"content": "hi", "role": "x"}, "role")],
)
def test_a_bad_turn_is_400_naming_the_field(hub: RunningHub, body: dict, field: str) -> None:
    with hub.api(hub.user("alice")) as api:
        session = api.post("chat/sessions", json={"models": ["demo:echo"]}).json()
        response = api.post(f"chat/sessions/{session['id']}/turns", json=body)
        assert response.status_code == 400, response.text
        assert error_of(response)["field"] == field
        assert api.get(f"chat/sessions/{session['id']}/messages").json()["total"] == 0
