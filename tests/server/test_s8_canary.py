"""S8: a canary key, stored and used in an execution the provider fails (echoing the key back, as
providers do in "incorrect API key" messages), appears in no API response, live event, log line,
MLflow file or plaintext database byte of the running workbench."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest

from tests.fakes.behaviour import Behaviour
from tests.fixtures.hub import RunningHub
from tests.server.helpers import create_project, prompt_agent, unique, wait_finished, watch

pytestmark = pytest.mark.hub


def files_containing(root: Path, needle: bytes) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and needle in path.read_bytes():
            found.append(str(path.relative_to(root)))
    return found


def test_s8_canary_key_never_leaks(hub: RunningHub) -> None:
    canary = "sk-canary-" + secrets.token_hex(20)
    model = unique("gpt-refuses")
    hub.fake_provider.program(
        model,
        then=Behaviour(status=401, error_message=f"Incorrect API key provided: {canary}."),
    )
    user = hub.new_user("canary")
    seen: list[str] = []
    with hub.api(user) as api:
        key = api.post("apikeys", json={"provider": "openai", "api_key": canary})
        seen.append(key.text)
        agent = prompt_agent(api, create_project(api)["id"], f"openai:{model}")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "x"}})
        seen.append(execution.text)
        execution_id = execution.json()["id"]
        seen.append(json.dumps(watch(hub, user, execution_id)))
        finished = wait_finished(api, execution_id)
        for path in (
            f"executions/{execution_id}",
            f"executions/{execution_id}/status",
            f"agents/{agent['id']}/executions",
            "executions",
            "apikeys",
            f"apikeys/{key.json()['id']}",
        ):
            seen.append(api.get(path).text)
        deadline = time.monotonic() + 60
        while api.get(f"executions/{execution_id}").json()["tracking_status"] == "PENDING":
            assert time.monotonic() < deadline, "MLflow never received the execution"
            time.sleep(0.5)
    sent = hub.fake_provider.requests(model)
    assert sent and sent[0]["headers"].get("Authorization") == f"Bearer {canary}"  # it was used
    assert finished["status"] == "FAILED"
    assert finished["steps"][0]["error"], "the provider's refusal is reported"
    needle = canary.encode()
    for text in seen:
        assert canary not in text
        assert canary[3:-4] not in text  # not even the unmasked middle
    assert files_containing(hub.data_dir, needle) == []  # database, MLflow store, caches
    assert needle not in hub.log_path.read_bytes()  # the hub's and the service's logs
