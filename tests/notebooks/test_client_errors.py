"""Every kind of error answer surfaces as its own exception, carrying the server's message."""

from __future__ import annotations

import pytest

from tests.fixtures.hub import HubUser, RunningHub, error_of, free_port
from tests.notebooks.conftest import unique
from workbench.client import (
    APIError,
    BadRequest,
    Client,
    ConnectionFailed,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServerError,
    Unauthenticated,
    Unprocessable,
    connect,
)
from workbench.client.errors import error_for


@pytest.mark.hub
def test_unknown_token_raises_unauthenticated_with_the_servers_message(hub: RunningHub) -> None:
    with hub.api(token="not-a-hub-token") as api:
        expected = error_of(api.get("me"))["error"]
    with pytest.raises(Unauthenticated) as raised:
        connect(hub.service_url, token="not-a-hub-token")
    assert raised.value.message == expected
    assert raised.value.status == 401


@pytest.mark.hub
def test_token_without_the_workbench_scope_raises_permission_denied(
    hub: RunningHub, notebook_user: HubUser
) -> None:
    token = hub.token(notebook_user, ["read:users:name!user"])
    with Client(hub.service_url, token=token) as client, pytest.raises(PermissionDenied) as raised:
        client.projects.list()
    assert "access:services!service=workbench" in raised.value.message


@pytest.mark.hub
def test_oversized_body_raises_payload_too_large_naming_the_body(client: Client) -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        client.projects.create(unique("big"), description="x" * (2 * 1024 * 1024))
    assert raised.value.field == "body"
    assert "limit" in raised.value.message


@pytest.mark.hub
def test_invalid_field_raises_bad_request_naming_it(
    hub: RunningHub, notebook_user: HubUser, client: Client
) -> None:
    with hub.api(notebook_user) as api:
        expected = error_of(api.post("projects", json={"name": ""}))
    with pytest.raises(BadRequest) as raised:
        client.projects.create("")
    assert (raised.value.message, raised.value.field) == (expected["error"], expected["field"])
    assert [p.field for p in raised.value.errors] == [e["field"] for e in expected["errors"]]


@pytest.mark.hub
def test_missing_resource_raises_not_found(client: Client) -> None:
    with pytest.raises(NotFound) as raised:
        client.agents.get("00000000-0000-0000-0000-000000000000")
    assert raised.value.status == 404 and raised.value.message


def test_unreachable_workbench_raises_connection_failed() -> None:
    url = f"http://127.0.0.1:{free_port()}/services/workbench/"
    with Client(url, token="t") as client, pytest.raises(ConnectionFailed, match="cannot reach"):
        client.me()


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, BadRequest),
        (401, Unauthenticated),
        (403, PermissionDenied),
        (404, NotFound),
        (413, PayloadTooLarge),
        (422, Unprocessable),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_each_status_has_its_exception_with_the_body_message(
    status: int, exception: type[APIError]
) -> None:
    body = {"error": "what went wrong", "field": "name", "code": "x", "errors": []}
    error = error_for(status, body, method="GET", url="http://h/api/x")
    assert type(error) is exception
    assert (error.message, error.field, error.status) == ("what went wrong", "name", status)


def test_an_answer_without_a_json_body_says_what_came_back() -> None:
    error = error_for(502, None, method="GET", url="http://h/api/me", reason="Bad Gateway")
    assert isinstance(error, ServerError)
    assert str(error) == "GET http://h/api/me answered 502 Bad Gateway"


def test_field_errors_are_listed_under_the_message() -> None:
    body = {
        "error": "invalid input",
        "field": "inputs.a",
        "code": "invalid_input",
        "errors": [
            {"field": "inputs.a", "message": "missing"},
            {"field": "inputs.b", "message": "not an input"},
        ],
    }
    text = str(error_for(400, body))
    assert text.splitlines() == ["invalid input", "  inputs.a: missing", "  inputs.b: not an input"]


def test_unexpected_json_is_not_mistaken_for_an_error_body() -> None:
    error = error_for(418, {"detail": "teapot"}, method="POST", url="http://h/x")
    assert type(error) is APIError and error.status == 418
    assert str(error) == "POST http://h/x answered 418"
