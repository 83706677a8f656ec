"""The MLflow UI behind the hub login (S10), showing each user only their own experiments (S1).

Every test runs twice: on the session's hub, whose service tracks into a store and starts its own
`mlflow server` for the UI, and on a hub whose tracking URI is a remote MLflow tracking server
over http, as in production, which the service's proxy forwards to instead.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest

from tests.fakes.provider_server import FakeProvider
from tests.fixtures.hub import HubUser, RunningHub, provider_base_urls, start_hub
from tests.fixtures.mlflow import TrackingServer
from tests.server.helpers import create_project, prompt_agent, wait_finished

pytestmark = pytest.mark.hub

CROSS_SITE = "https://elsewhere.example.org"


@pytest.fixture(scope="module")
def remote_tracking_hub(
    tmp_path_factory: pytest.TempPathFactory,
    fake_provider: FakeProvider,
    mlflow_tracking_server: TrackingServer,
) -> Iterator[RunningHub]:
    """A second hub whose service tracks into `mlflow_tracking_server` (WORKBENCH_MLFLOW_...)."""
    extra = {
        "WORKBENCH_PROVIDER_BASE_URLS": provider_base_urls(fake_provider),
        "WORKBENCH_MLFLOW_TRACKING_URI": mlflow_tracking_server.url,
    }
    with start_hub(tmp_path_factory.mktemp("hub-remote-mlflow"), extra) as running:
        yield running


@pytest.fixture(scope="module", params=["tracking store", "tracking server"])
def ui_hub(request: pytest.FixtureRequest) -> RunningHub:
    if request.param == "tracking store":
        return request.getfixturevalue("hub")
    return request.getfixturevalue("remote_tracking_hub")


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
    with hub.browser(user) as browser:
        run = ui(
            hub, browser, "/ajax-api/2.0/mlflow/runs/get", params={"run_id": found["mlflow_run_id"]}
        )
    assert run.status_code == 200, run.text
    return {
        "run_id": found["mlflow_run_id"],
        "experiment_id": run.json()["run"]["info"]["experiment_id"],
    }


@pytest.fixture(scope="module")
def alices_run(ui_hub: RunningHub) -> dict[str, str]:
    return tracked_run(ui_hub, ui_hub.user("alice"))


def ui(hub: RunningHub, client: httpx.Client, path: str, **kwargs: object) -> httpx.Response:
    return client.request(kwargs.pop("method", "GET"), hub.service_url + "mlflow" + path, **kwargs)  # type: ignore[arg-type]


def xsrf_header(client: httpx.Client) -> dict[str, str]:
    return {"X-XSRFToken": client.cookies.get("_xsrf", path="/services/workbench/") or ""}


def test_s10_ui_is_not_reachable_without_login(ui_hub: RunningHub) -> None:
    with httpx.Client(timeout=60) as anonymous:
        page = ui(ui_hub, anonymous, "/", headers={"Sec-Fetch-Mode": "navigate"})
        api = ui(ui_hub, anonymous, "/ajax-api/2.0/mlflow/experiments/search?max_results=10")
    assert page.status_code == 302  # to the hub's login
    assert "/hub/api/oauth2/authorize" in page.headers["location"]
    assert api.status_code in (302, 401, 403)


def test_ui_page_and_its_scripts_load_under_the_service_path(ui_hub: RunningHub) -> None:
    with ui_hub.browser(ui_hub.user("alice")) as browser:
        page = ui(ui_hub, browser, "/")
        script = re.search(r'src="(static-files/[^"]+\.js)"', page.text)
        assert page.status_code == 200 and script, page.text[:500]
        loaded = ui(ui_hub, browser, "/" + script[1])
    assert loaded.status_code == 200
    assert "javascript" in loaded.headers["content-type"]


def test_owner_sees_her_run_in_the_ui(ui_hub: RunningHub, alices_run: dict[str, str]) -> None:
    with ui_hub.browser(ui_hub.user("alice")) as browser:
        run = ui(
            ui_hub,
            browser,
            "/ajax-api/2.0/mlflow/runs/get",
            params={"run_id": alices_run["run_id"]},
        )
        experiments = ui(
            ui_hub, browser, "/ajax-api/2.0/mlflow/experiments/search", params={"max_results": 100}
        )
        runs = ui(
            ui_hub,
            browser,
            "/ajax-api/2.0/mlflow/runs/search",
            method="POST",
            json={"experiment_ids": [alices_run["experiment_id"]]},
            headers={**xsrf_header(browser), "Origin": ui_hub.url},
        )
    assert run.status_code == 200, run.text
    assert alices_run["experiment_id"] in [
        e["experiment_id"] for e in experiments.json()["experiments"]
    ]
    assert runs.status_code == 200, runs.text
    assert alices_run["run_id"] in [r["info"]["run_id"] for r in runs.json()["runs"]]


def test_s1_other_user_gets_404_on_her_run_and_no_experiments(
    ui_hub: RunningHub, alices_run: dict[str, str]
) -> None:
    with ui_hub.browser(ui_hub.user("bob")) as browser:
        run = ui(
            ui_hub,
            browser,
            "/ajax-api/2.0/mlflow/runs/get",
            params={"run_id": alices_run["run_id"]},
        )
        experiment = ui(
            ui_hub,
            browser,
            "/ajax-api/2.0/mlflow/experiments/get",
            params={"experiment_id": alices_run["experiment_id"]},
        )
        experiments = ui(
            ui_hub, browser, "/ajax-api/2.0/mlflow/experiments/search", params={"max_results": 100}
        )
    assert run.status_code == 404
    assert experiment.status_code == 404
    assert alices_run["run_id"] not in experiments.text
    assert all("alice" not in e["name"] for e in experiments.json().get("experiments", []))


def test_s1_asking_for_a_stream_still_gets_the_cut_listing(
    ui_hub: RunningHub, alices_run: dict[str, str]
) -> None:
    with ui_hub.browser(ui_hub.user("bob")) as browser:
        experiments = ui(
            ui_hub,
            browser,
            "/ajax-api/2.0/mlflow/experiments/search",
            params={"max_results": 100},
            headers={"Accept": "text/event-stream"},
        )
    assert experiments.status_code == 200
    assert all("alice" not in e["name"] for e in experiments.json().get("experiments", []))


def test_writes_through_the_ui_are_refused(ui_hub: RunningHub, alices_run: dict[str, str]) -> None:
    with ui_hub.browser(ui_hub.user("alice")) as browser:
        response = ui(
            ui_hub,
            browser,
            "/ajax-api/2.0/mlflow/runs/delete",
            method="POST",
            json={"run_id": alices_run["run_id"]},
            headers=xsrf_header(browser),
        )
        still_there = ui(
            ui_hub,
            browser,
            "/ajax-api/2.0/mlflow/runs/get",
            params={"run_id": alices_run["run_id"]},
        )
    assert response.status_code == 403
    assert still_there.json()["run"]["info"]["lifecycle_stage"] == "active"


def test_s10_cross_site_requests_are_refused(
    ui_hub: RunningHub, alices_run: dict[str, str]
) -> None:
    with ui_hub.browser(ui_hub.user("alice")) as browser:
        response = ui(
            ui_hub,
            browser,
            "/ajax-api/2.0/mlflow/runs/search",
            method="POST",
            json={"experiment_ids": [alices_run["experiment_id"]]},
            headers={**xsrf_header(browser), "Origin": CROSS_SITE},
        )
    assert response.status_code == 403
    assert alices_run["run_id"] not in response.text


def test_with_a_tracking_server_the_ui_shows_its_runs_and_starts_no_server_of_its_own(
    remote_tracking_hub: RunningHub, mlflow_tracking_server: TrackingServer
) -> None:
    carol = remote_tracking_hub.user("carol")
    shown = tracked_run(remote_tracking_hub, carol)  # read through the UI

    stored = mlflow_tracking_server.store.client().get_run(shown["run_id"])
    assert stored.info.experiment_id == shown["experiment_id"]
    assert remote_tracking_hub.process_id is not None
    started = psutil.Process(remote_tracking_hub.process_id).children(recursive=True)
    assert [command for p in started if "mlflow" in " ".join(command := _cmdline(p))] == []


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:  # it ended meanwhile
        return []
