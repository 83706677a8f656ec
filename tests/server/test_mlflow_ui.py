"""The MLflow UI behind the hub login (S10), showing each user only their own experiments (S1)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fixtures.hub import HubUser, RunningHub
from tests.server.helpers import create_project, prompt_agent, wait_finished

pytestmark = pytest.mark.hub


def tracked_run(hub: RunningHub, user: HubUser) -> dict[str, str]:
    """A finished execution of `user`'s, recorded in MLflow: its run and experiment."""
    with hub.api(user) as api:
        agent = prompt_agent(api, create_project(api)["id"], "demo:writer")
        execution = api.post(f"agents/{agent['id']}/execute", json={"inputs": {"who": "u"}}).json()
        wait_finished(api, execution["id"])
        deadline = time.monotonic() + 60
        while (found := api.get(f"executions/{execution['id']}").json())["mlflow_run_id"] is None:
            assert time.monotonic() < deadline, "the run never reached MLflow"
            time.sleep(0.5)
    return {"run_id": found["mlflow_run_id"]}


@pytest.fixture(scope="module")
def alices_run(hub: RunningHub) -> dict[str, str]:
    return tracked_run(hub, hub.user("alice"))


def ui(hub: RunningHub, client: httpx.Client, path: str, **kwargs: object) -> httpx.Response:
    return client.request(kwargs.pop("method", "GET"), hub.service_url + "mlflow" + path, **kwargs)  # type: ignore[arg-type]


def test_s10_ui_is_not_reachable_without_login(hub: RunningHub) -> None:
    with httpx.Client(timeout=60) as anonymous:
        page = ui(hub, anonymous, "/", headers={"Sec-Fetch-Mode": "navigate"})
        api = ui(hub, anonymous, "/ajax-api/2.0/mlflow/experiments/search?max_results=10")
    assert page.status_code == 302  # to the hub's login
    assert "/hub/api/oauth2/authorize" in page.headers["location"]
    assert api.status_code in (302, 401, 403)


def test_owner_sees_her_run_in_the_ui(hub: RunningHub, alices_run: dict[str, str]) -> None:
    with hub.browser(hub.user("alice")) as browser:
        page = ui(hub, browser, "/")
        run = ui(
            hub, browser, "/ajax-api/2.0/mlflow/runs/get", params={"run_id": alices_run["run_id"]}
        )
        experiments = ui(
            hub, browser, "/ajax-api/2.0/mlflow/experiments/search", params={"max_results": 100}
        )
    assert page.status_code == 200
    assert run.status_code == 200, run.text
    experiment_id = run.json()["run"]["info"]["experiment_id"]
    assert experiment_id in [e["experiment_id"] for e in experiments.json()["experiments"]]


def test_s1_other_user_gets_404_on_her_run_and_no_experiments(
    hub: RunningHub, alices_run: dict[str, str]
) -> None:
    with hub.browser(hub.user("bob")) as browser:
        run = ui(
            hub, browser, "/ajax-api/2.0/mlflow/runs/get", params={"run_id": alices_run["run_id"]}
        )
        experiments = ui(
            hub, browser, "/ajax-api/2.0/mlflow/experiments/search", params={"max_results": 100}
        )
    assert run.status_code == 404
    assert alices_run["run_id"] not in experiments.text
    assert all("alice" not in e["name"] for e in experiments.json().get("experiments", []))


def test_writes_through_the_ui_are_refused(hub: RunningHub, alices_run: dict[str, str]) -> None:
    with hub.browser(hub.user("alice")) as browser:
        xsrf = browser.cookies.get("_xsrf", path="/services/workbench/") or ""
        response = ui(
            hub,
            browser,
            "/ajax-api/2.0/mlflow/runs/delete",
            method="POST",
            json={"run_id": alices_run["run_id"]},
            headers={"X-XSRFToken": xsrf},
        )
        still_there = ui(
            hub, browser, "/ajax-api/2.0/mlflow/runs/get", params={"run_id": alices_run["run_id"]}
        )
    assert response.status_code == 403
    assert still_there.json()["run"]["info"]["lifecycle_stage"] == "active"
