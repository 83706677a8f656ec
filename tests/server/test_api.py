"""Every REST endpoint's happy path and its errors, through the real hub, with a user's token."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.hub import RunningHub, error_of
from tests.server.helpers import (
    agent_body,
    create_project,
    prompt_agent,
    unique,
    wait_finished,
)

pytestmark = pytest.mark.hub


# ---- projects ----------------------------------------------------------------------------


def test_project_lifecycle(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        name = unique("lifecycle")
        created = api.post("projects", json={"name": name, "description": "first"})
        assert created.status_code == 201
        project = created.json()
        assert created.headers["Location"].endswith(f"/api/projects/{project['id']}")
        assert api.get(f"projects/{project['id']}").json()["description"] == "first"
        patched = api.patch(f"projects/{project['id']}", json={"description": "second"})
        assert patched.json()["description"] == "second"
        assert patched.json()["name"] == name
        put = api.put(f"projects/{project['id']}", json={"name": name + "-renamed"})
        assert put.json()["name"] == name + "-renamed"
        assert api.delete(f"projects/{project['id']}").status_code == 204
        gone = api.get(f"projects/{project['id']}")
    assert gone.status_code == 404
    assert error_of(gone)["code"] == "not_found"


def test_project_list_is_paginated_by_name(hub: RunningHub) -> None:
    user = hub.new_user("pager")
    with hub.api(user) as api:
        for name in ("c-project", "a-project", "b-project"):
            create_project(api, name)
        first = api.get("projects", params={"limit": 2}).json()
        second = api.get("projects", params={"limit": 2, "offset": 2}).json()
    assert [p["name"] for p in first["items"]] == ["a-project", "b-project"]
    assert first["total"] == 3
    assert [p["name"] for p in second["items"]] == ["c-project"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"offset": -1}, "offset"),
     ({"limit": "ten"}, "limit"), ({"all": "maybe"}, "all")],
)  # fmt: skip
def test_bad_paging_is_400_naming_the_parameter(
    hub: RunningHub, params: dict[str, object], field: str
) -> None:
    with hub.api(hub.user("alice")) as api:
        response = api.get("projects", params=params)
    assert response.status_code == 400
    assert error_of(response)["field"] == field


def test_duplicate_project_name_is_409_naming_the_field(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        name = unique("twice")
        create_project(api, name)
        response = api.post("projects", json={"name": name})
    assert response.status_code == 409
    assert error_of(response)["field"] == "name"


@pytest.mark.parametrize(
    ("body", "field"),
    [(b'{"name": ', "body"), (b"[1, 2]", "body"), (b'{"description": "no name"}', "name"),
     (b'{"name": ""}', "name"), (b'{"name": 42}', "name")],
)  # fmt: skip
def test_invalid_project_body_is_400_naming_the_field(
    hub: RunningHub, body: bytes, field: str
) -> None:
    with hub.api(hub.user("alice")) as api:
        response = api.post("projects", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["field"] == field


def test_body_over_the_limit_is_413(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        body = json.dumps({"name": unique("big"), "description": "x" * (1024 * 1024 + 10)})
        response = api.post("projects", content=body, headers={"Content-Type": "application/json"})
        names = [p["name"] for p in api.get("projects", params={"limit": 200}).json()["items"]]
    assert response.status_code == 413
    assert error_of(response)["field"] == "body"
    assert not any(n.startswith("big-") for n in names)


def test_unknown_api_path_and_method_answer_json(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        missing = api.get("no-such-thing")
        wrong_method = api.delete("projects")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["code"] == "method_not_allowed"


def test_request_id_is_echoed_or_made(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        given = api.get("me", headers={"X-Request-Id": "trace-0123456789"})
        made = api.get("me")
    assert given.headers["X-Request-Id"] == "trace-0123456789"
    assert len(made.headers["X-Request-Id"]) == 32


def test_me_and_index(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        index = api.get("").json()
        me = api.get("me").json()
    assert index["openapi"].endswith("/api/openapi.json")
    assert me["name"] == "alice"


# ---- agents ------------------------------------------------------------------------------


def test_agent_lifecycle(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        project = create_project(api)
        agent = prompt_agent(api, project["id"], "demo:writer")
        listed = api.get(f"projects/{project['id']}/agents").json()
        assert [a["id"] for a in listed["items"]] == [agent["id"]]
        assert api.get(f"agents/{agent['id']}").json()["substeps"][0]["id"] == "greet"
        renamed = api.patch(f"agents/{agent['id']}", json={"description": "greets"})
        assert renamed.json()["description"] == "greets"
        duplicate = api.post(
            f"projects/{project['id']}/agents", json=agent_body(name=agent["name"])
        )
        assert duplicate.status_code == 409
        assert api.delete(f"agents/{agent['id']}").status_code == 204
        assert api.get(f"agents/{agent['id']}").status_code == 404


def test_agent_with_an_invalid_spec_is_400_naming_the_problem(hub: RunningHub) -> None:
    body = agent_body("nosuchprovider:model")
    with hub.api(hub.user("alice")) as api:
        response = api.post(f"projects/{create_project(api)['id']}/agents", json=body)
    assert response.status_code == 400
    assert error_of(response)["field"] == "configuration.defaults.model"


def test_agent_of_a_missing_project_is_404(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        response = api.post(
            "projects/00000000-0000-0000-0000-000000000000/agents", json=agent_body()
        )
        malformed = api.get("projects/not-a-uuid/agents")
    assert response.status_code == 404
    assert malformed.status_code == 404


# ---- executions --------------------------------------------------------------------------


def test_executions_of_an_agent_are_paginated_newest_first(hub: RunningHub) -> None:
    with hub.api(hub.new_user("runner")) as api:
        agent = prompt_agent(api, create_project(api)["id"], "demo:writer")
        ids = [
            api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": str(i)}}).json()["id"]
            for i in range(3)
        ]
        for execution_id in ids:
            wait_finished(api, execution_id)
        first = api.get(f"agents/{agent['id']}/executions", params={"limit": 2}).json()
        rest = api.get(f"agents/{agent['id']}/executions", params={"offset": 2}).json()
        mine = api.get("executions", params={"status": "COMPLETED"}).json()
        bad_status = api.get("executions", params={"status": "DONE"})
    assert [e["number"] for e in first["items"]] == [3, 2]
    assert first["total"] == 3
    assert [e["id"] for e in rest["items"]] == [ids[0]]
    assert {e["id"] for e in mine["items"]} == set(ids)
    assert bad_status.status_code == 400
    assert error_of(bad_status)["field"] == "status"


def test_finished_execution_can_be_deleted(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        agent = prompt_agent(api, create_project(api)["id"], "demo:writer")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "z"}}).json()
        wait_finished(api, execution["id"])
        status = api.get(f"executions/{execution['id']}/status").json()
        assert api.delete(f"executions/{execution['id']}").status_code == 204
        assert api.get(f"executions/{execution['id']}").status_code == 404
    assert status["status"] == "COMPLETED"
    assert [s["status"] for s in status["steps"]] == ["COMPLETED"]


def test_cancel_of_a_finished_execution_is_409(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        agent = prompt_agent(api, create_project(api)["id"], "demo:writer")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "z"}}).json()
        wait_finished(api, execution["id"])
        response = api.post(f"executions/{execution['id']}/cancel")
    assert response.status_code == 409


# ---- API keys ----------------------------------------------------------------------------


def test_key_is_stored_and_only_ever_shown_masked(hub: RunningHub) -> None:
    plaintext = "sk-masked-" + "0123456789abcdef" * 2
    with hub.api(hub.user("alice")) as api:
        created = api.post("apikeys", json={"provider": "openai", "api_key": plaintext})
        key = created.json()
        listed = api.get("apikeys")
        fetched = api.get(f"apikeys/{key['id']}")
        relabelled = api.patch(f"apikeys/{key['id']}", json={"label": "work"})
        responses = [created, listed, fetched, relabelled]
        assert api.delete(f"apikeys/{key['id']}").status_code == 204
        assert api.get(f"apikeys/{key['id']}").status_code == 404
    assert created.status_code == 201
    assert key["hint"] == "sk-…cdef"
    assert relabelled.json()["label"] == "work"
    for response in responses:
        assert plaintext not in response.text
        assert plaintext[3:-4] not in response.text


def test_openai_compatible_key_needs_a_base_url(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        response = api.post("apikeys", json={"provider": "openai-compatible", "api_key": "x" * 20})
    assert response.status_code == 400
    assert error_of(response)["field"] == "base_url"


def test_unknown_provider_is_400_naming_it(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        response = api.post("apikeys", json={"provider": "opnai", "api_key": "x" * 20})
    assert response.status_code == 400
    assert error_of(response)["field"] == "provider"


# ---- chat --------------------------------------------------------------------------------


def test_chat_session_and_messages(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        created = api.post(
            "chat/sessions", json={"title": "compare", "models": ["demo:a", "demo:b"]}
        )
        assert created.status_code == 201
        session = created.json()
        prompt = api.post(
            f"chat/sessions/{session['id']}/messages", json={"role": "user", "content": "Hi?"}
        )
        reply = api.post(
            f"chat/sessions/{session['id']}/messages",
            json={"role": "assistant", "model": "demo:a", "content": "Hello."},
        )
        assert prompt.status_code == 201 and reply.status_code == 201
        messages = api.get(f"chat/sessions/{session['id']}/messages").json()
        full = api.get(f"chat/sessions/{session['id']}").json()
        renamed = api.patch(f"chat/sessions/{session['id']}", json={"title": "renamed"}).json()
        listed = api.get("chat/sessions").json()
        assert api.delete(f"chat/sessions/{session['id']}").status_code == 204
        gone = api.get(f"chat/sessions/{session['id']}/messages")
    assert [m["seq"] for m in messages["items"]] == [1, 2]
    assert [m["content"] for m in full["messages"]] == ["Hi?", "Hello."]
    assert renamed["title"] == "renamed"
    assert session["id"] in [s["id"] for s in listed["items"]]
    assert gone.status_code == 404


def test_chat_session_model_names_are_checked(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        response = api.post("chat/sessions", json={"models": ["gpt-4o"]})
    assert response.status_code == 400
    assert error_of(response)["field"] == "models"
