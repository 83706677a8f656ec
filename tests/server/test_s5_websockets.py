"""S5: the execution live channel refuses an unauthenticated upgrade and a foreign Origin."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.fixtures.hub import RunningHub
from tests.server.helpers import create_project, live_url, prompt_agent, wait_finished

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def execution_id(hub: RunningHub) -> str:
    with hub.api(hub.user("alice")) as api:
        agent = prompt_agent(api, create_project(api)["id"], "demo:writer")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "w"}}).json()
        wait_finished(api, execution["id"])
    return str(execution["id"])


def refused_status(url: str, headers: dict[str, str]) -> int:
    with pytest.raises(InvalidStatus) as refused, connect(url, additional_headers=headers):
        pass
    return refused.value.response.status_code


def test_s5_upgrade_without_credentials_is_refused(hub: RunningHub, execution_id: str) -> None:
    assert refused_status(live_url(hub, execution_id), {}) in (401, 403)


def test_s5_upgrade_with_an_unknown_token_is_refused(hub: RunningHub, execution_id: str) -> None:
    headers = {"Authorization": "token not-a-token"}
    assert refused_status(live_url(hub, execution_id), headers) in (401, 403)


def test_s5_upgrade_from_a_foreign_origin_is_refused(hub: RunningHub, execution_id: str) -> None:
    headers = {**hub.user("alice").headers, "Origin": "http://evil.example.org"}
    assert refused_status(live_url(hub, execution_id), headers) == 403


def test_s5_another_users_execution_is_404(hub: RunningHub, execution_id: str) -> None:
    assert refused_status(live_url(hub, execution_id), hub.user("bob").headers) == 404


def test_s5_browser_cookie_from_the_same_origin_connects(
    hub: RunningHub, execution_id: str
) -> None:
    with hub.browser(hub.user("alice")) as browser:
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)
    headers = {"Cookie": cookie, "Origin": hub.url}
    with connect(live_url(hub, execution_id), additional_headers=headers) as socket:
        first = json.loads(socket.recv(timeout=30))
    assert first["type"] == "snapshot"
    assert first["execution"]["status"] == "COMPLETED"


def test_s5_browser_cookie_from_a_foreign_origin_is_refused(
    hub: RunningHub, execution_id: str
) -> None:
    with hub.browser(hub.user("alice")) as browser:
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)
    headers = {"Cookie": cookie, "Origin": "http://127.0.0.1:1"}
    assert refused_status(live_url(hub, execution_id), headers) == 403


def test_live_channel_without_upgrade_is_400(hub: RunningHub, execution_id: str) -> None:
    response = httpx.get(
        hub.api_url + f"executions/{execution_id}/live", headers=hub.user("alice").headers
    )
    assert response.status_code == 400
    assert "WebSocket" in response.json()["error"]
