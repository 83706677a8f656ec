"""The MLflow UI server as the workbench starts it: loopback only, under its prefix, filterable."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

from tests.tracking.helpers import only_run
from tests.tracking.scenarios import context_for, new_id, rich_execution
from tracking import SyncState, Tracker
from tracking.ui import RemoteServer, remote_server, server_command
from tracking.ui_access import (
    MlflowExperimentLookup,
    MlflowRequest,
    allowed_experiment_ids,
    authorize,
    filter_response,
)

PREFIX = "/services/workbench/mlflow"


@dataclass(frozen=True)
class UiServer:
    url: str  # with the prefix
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def ui_server(mlflow_module_store) -> Iterator[UiServer]:
    port = free_port()
    command = server_command(
        backend_store_uri=mlflow_module_store.tracking_uri,
        artifact_root=mlflow_module_store.artifact_root,
        port=port,
        static_prefix=PREFIX,
    )
    log = open(mlflow_module_store.path / "server.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        command.argv,
        env={**os.environ, **command.env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}{PREFIX}"
    deadline = time.monotonic() + command.startup_timeout_s
    try:
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, (mlflow_module_store.path / "server.log").read_text()
            assert time.monotonic() < deadline, "the MLflow UI did not start in time"
            time.sleep(0.2)
        yield UiServer(url, process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_s10_the_ui_is_served_under_its_prefix_on_loopback_only(ui_server):
    page = httpx.get(f"{ui_server.url}/")
    assert page.status_code == 200
    script = re.search(r'src="(static-files/[^"]+\.js)"', page.text)[1]
    assert httpx.get(f"{ui_server.url}/{script}").status_code == 200
    assert httpx.get(ui_server.url.removesuffix(PREFIX) + "/").status_code == 404
    port = urlsplit(ui_server.url).port
    listening = [
        c.laddr.ip
        for c in psutil.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    ]
    assert listening and set(listening) <= {"127.0.0.1", "::1"}


def test_executions_are_recorded_through_the_tracking_server(ui_server, mlflow_module_store):
    execution_id = new_id()
    with Tracker(ui_server.url) as tracker:
        status = tracker.record(context_for(execution_id), rich_execution(execution_id))
    assert status.state is SyncState.SYNCED

    client = mlflow_module_store.client()
    run = only_run(client, "alice/Research")
    assert run.info.run_id == status.run_id
    assert run.data.metrics["calls"] == 8
    traces = client.search_traces(locations=[run.info.experiment_id])
    assert [t.info.trace_metadata["mlflow.sourceRun"] for t in traces] == [run.info.run_id]
    artifact = httpx.get(
        f"{ui_server.url}/get-artifact",
        params={"path": "steps/outline/output.txt", "run_uuid": run.info.run_id},
    )
    assert artifact.text == "1. Moon 2. Sun"


def test_the_real_experiment_list_is_cut_to_what_the_user_may_read(ui_server, mlflow_module_store):
    bob = new_id()
    with Tracker(ui_server.url) as tracker:
        tracker.record(
            context_for(bob, project_id="proj-bob", owner_name="bob"), rich_execution(bob)
        )
    client = mlflow_module_store.client()
    allowed = allowed_experiment_ids(client, ["proj-1"])
    request = MlflowRequest("GET", "/ajax-api/2.0/mlflow/experiments/search", {}, b"")
    decision = authorize(request, allowed, MlflowExperimentLookup(client))
    response = httpx.get(
        f"{ui_server.url}/ajax-api/2.0/mlflow/experiments/search", params={"max_results": 100}
    )
    names = {e["name"] for e in response.json()["experiments"]}
    assert {"alice/Research", "bob/Research"} <= names

    shown = json.loads(filter_response(decision, response.content, allowed))

    assert [e["name"] for e in shown["experiments"]] == ["alice/Research"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"host": "0.0.0.0"}, "host"),
        ({"static_prefix": "mlflow"}, "static_prefix"),
        ({"static_prefix": "/mlflow/"}, "static_prefix"),
        ({"backend_store_uri": ""}, "backend_store_uri"),
    ],
)
def test_a_bad_server_option_is_refused_naming_it(options, field):
    settings = {
        "backend_store_uri": "sqlite:///x.db",
        "artifact_root": None,
        "port": 5000,
        "static_prefix": "/mlflow",
        **options,
    }
    with pytest.raises(ValueError, match=field):
        server_command(**settings)


@pytest.mark.parametrize(
    ("tracking_uri", "server"),
    [
        (
            "http://mlflow.ns.svc.cluster.local:5000",
            RemoteServer("http", "mlflow.ns.svc.cluster.local", 5000),
        ),
        ("https://mlflow.example.org/", RemoteServer("https", "mlflow.example.org", 443)),
        ("HTTP://127.0.0.1/mlflow/", RemoteServer("http", "127.0.0.1", 80, "/mlflow")),
    ],
)
def test_a_tracking_server_uri_names_the_server_the_ui_forwards_to(tracking_uri, server):
    assert remote_server(tracking_uri) == server


@pytest.mark.parametrize(
    "tracking_uri",
    ["sqlite:////data/mlflow.db", "postgresql+psycopg://u@db/mlflow", "/data/mlruns"],
)
def test_a_store_uri_names_no_server(tracking_uri):
    assert remote_server(tracking_uri) is None


def test_the_ui_path_goes_under_the_servers_own_prefix():
    at_root = RemoteServer("http", "mlflow", 5000)
    under_prefix = RemoteServer("http", "mlflow", 5000, "/mlflow")

    assert at_root.path_for("/ajax-api/2.0/mlflow/runs/get") == "/ajax-api/2.0/mlflow/runs/get"
    assert under_prefix.path_for("/") == "/mlflow/"


@pytest.mark.parametrize(
    ("tracking_uri", "host_header"),
    [
        ("http://mlflow.ns.svc.cluster.local:5000", "mlflow.ns.svc.cluster.local:5000"),
        ("https://mlflow.example.org", "mlflow.example.org"),
        ("http://[::1]:5000", "[::1]:5000"),
    ],
)
def test_the_server_is_asked_under_the_host_name_its_clients_use(tracking_uri, host_header):
    assert remote_server(tracking_uri).netloc == host_header
