"""The engine on Dask Gateway: a real `dask-gateway-server` on loopback ports, with local worker
processes and JupyterHub auth against the session's real hub, as in production.

The service authenticates with a hub service token (`other-service` here, its own
`JUPYTERHUB_API_TOKEN` in production); the gateway checks it with the hub's API. One cluster
serves the module's engine tests; the service test starts (and must stop) its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from dask_gateway import Gateway
from distributed import Client
from traitlets.config import Config

from agents.engine import Engine
from tests.agents.helpers import Recorder, spec, unique
from tests.fakes.provider_server import FakeProvider
from tests.fixtures.hub import ROOT, RunningHub, free_port, provider_base_urls
from tests.server.helpers import wait_finished
from workbench.errors import ConfigurationError
from workbench.extensions.app import WorkbenchApp
from workbench.gateway_cluster import (
    EngineCluster,
    GatewaySettings,
    GatewayUnavailable,
    check_gateway,
    open_gateway,
)

GATEWAY_CONFIG = """\
import sys
c.DaskGateway.address = "127.0.0.1:{api_port}"
c.Proxy.address = "127.0.0.1:{http_port}"
c.Proxy.tcp_address = "127.0.0.1:{tcp_port}"
c.DaskGateway.backend_class = "dask_gateway_server.backends.local.UnsafeLocalBackend"
c.DaskGateway.authenticator_class = "dask_gateway_server.auth.JupyterHubAuthenticator"
c.JupyterHubAuthenticator.jupyterhub_api_url = {hub_api!r}
c.JupyterHubAuthenticator.jupyterhub_api_token = "unused: users' tokens are checked with /user"
c.UnsafeLocalBackend.clusters_directory = {clusters!r}
c.LocalClusterConfig.scheduler_cmd = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
c.LocalClusterConfig.worker_cmd = [sys.executable, "-m", "distributed.cli.dask_worker"]
c.LocalClusterConfig.worker_threads = 16
c.LocalClusterConfig.environment = {{
    "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
    "DASK_LOGGING__DISTRIBUTED": "warning",
}}
"""
SERVICE_CONFIG = """\
from tests.server.stub_identity import StubHubIdentityProvider
c.WorkbenchServerApp.identity_provider_class = StubHubIdentityProvider
c.WorkbenchServerApp.ip = "127.0.0.1"
c.WorkbenchServerApp.port = {port}
c.WorkbenchServerApp.base_url = "/"
"""
HEADERS = {"Authorization": "token user:gateway-tester"}


@dataclass(frozen=True)
class RunningGateway:
    address: str
    proxy_address: str
    token: str  # a hub service token the gateway accepts
    log_path: Path

    def settings(self, **overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "proxy_address": self.proxy_address,
            "api_token": self.token,
            "max_workers": 2,
        }
        return GatewaySettings(self.address, **{**values, **overrides})

    def client(self) -> Gateway:
        return open_gateway(self.settings())

    def status(self, cluster_name: str) -> str:
        with self.client() as gateway:
            return gateway.get_cluster(cluster_name).status.name

    def running_clusters(self) -> set[str]:
        with self.client() as gateway:
            return {report.name for report in gateway.list_clusters()}


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the gateway did not start:\n" + log_path.read_text()[-3000:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="module")
def gateway(hub: RunningHub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    base = tmp_path_factory.mktemp("gateway")
    http_port, tcp_port = free_port(), free_port()
    config = base / "dask_gateway_config.py"
    config.write_text(
        GATEWAY_CONFIG.format(
            api_port=free_port(),
            http_port=http_port,
            tcp_port=tcp_port,
            hub_api=f"{hub.url}/hub/api",
            clusters=str(base / "clusters"),
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "DASK_"))}
    env["PYTHONPATH"] = str(ROOT)  # the workers run the agents package from this checkout
    log_path = base / "gateway.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dask_gateway_server", "-f", str(config)],
            env=env, cwd=base, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    address = f"http://127.0.0.1:{http_port}"
    try:
        _wait_healthy(address, process, log_path)
        yield RunningGateway(
            address, f"gateway://127.0.0.1:{tcp_port}", hub.service_token("other-service"), log_path
        )
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def gateway_cluster(gateway: RunningGateway) -> Iterator[EngineCluster]:
    cluster = EngineCluster.start(gateway.settings())
    yield cluster
    cluster.close()


@pytest.fixture(scope="module")
def gateway_engine(gateway_cluster: EngineCluster) -> Iterator[Engine]:
    with Engine(gateway_cluster.scheduler_address, security=gateway_cluster.security) as engine:
        engine.wait_ready(60)
        yield engine


@contextmanager
def cluster_client(gateway: RunningGateway, cluster_name: str) -> Iterator[Client]:
    """A Dask client of a gateway cluster, as its owner may open one."""
    with gateway.client() as client_gateway:
        report = client_gateway.get_cluster(cluster_name)
    with Client(report.scheduler_address, security=report.security, timeout=30) as client:
        yield client


def cluster_workers(gateway: RunningGateway, cluster_name: str) -> set[str]:
    with cluster_client(gateway, cluster_name) as client:
        client.wait_for_workers(1, timeout=60)
        return set(client.scheduler_info()["workers"])


def step_events_on_scheduler(
    gateway: RunningGateway, cluster_name: str, execution_id: str
) -> list[dict[str, Any]]:
    """The engine's events for one execution, as the gateway cluster's scheduler logged them."""
    with cluster_client(gateway, cluster_name) as client:
        topics = client.get_events()
    return [
        message
        for topic, events in topics.items()
        if topic.startswith("agents-events-")
        for _, message in events
        if message.get("execution_id") == execution_id
    ]


# ---- the engine on a gateway cluster ---------------------------------------------------------


def test_agent_runs_on_the_gateway_cluster_workers(
    gateway: RunningGateway,
    gateway_cluster: EngineCluster,
    gateway_engine: Engine,
    fake_provider: FakeProvider,
) -> None:
    model = unique("gateway")
    fake_provider.program(model, then={"latency": 0.2, "text": "from the gateway"})
    recorder = Recorder()
    steps = [{"id": f"s{i}", "prompt": f"q{i}"} for i in range(4)]
    steps.append({"id": "join", "prompt": "{{ s0 }} + {{ s3 }}"})
    result = gateway_engine.run(
        spec(*steps, model=f"openai:{model}"),
        {},
        fake_provider.credentials(),
        on_event=recorder,
        timeout=120,
    )
    assert result.status == "COMPLETED", result.error
    assert result.outputs["join"] == "from the gateway"
    ran_on = {event.worker for event in recorder.of("step_started")}
    assert ran_on, "no step reported its worker"
    assert ran_on <= cluster_workers(gateway, gateway_cluster.name)
    assert gateway_cluster.scheduler_address.startswith(f"{gateway.proxy_address}/")


def test_shared_cluster_is_joined_and_left_running(
    gateway: RunningGateway, gateway_cluster: EngineCluster
) -> None:
    joined = EngineCluster.start(gateway.settings(cluster_name=gateway_cluster.name))
    assert joined.scheduler_address == gateway_cluster.scheduler_address
    assert not joined.owned
    joined.close()
    assert gateway.status(gateway_cluster.name) == "RUNNING"


# ---- start-up checks ---------------------------------------------------------------------------


def test_check_passes_with_the_hub_token(gateway: RunningGateway) -> None:
    check_gateway(gateway.settings())


def test_check_names_the_credentials_when_the_hub_refuses_the_token(
    gateway: RunningGateway,
) -> None:
    with pytest.raises(GatewayUnavailable, match="refused the service's credentials") as caught:
        check_gateway(gateway.settings(api_token="not-a-hub-token"))
    assert "JUPYTERHUB_API_TOKEN" in caught.value.message
    assert "not-a-hub-token" not in caught.value.message


def test_check_names_the_setting_when_the_gateway_is_unreachable() -> None:
    address = f"http://127.0.0.1:{free_port()}"
    settings = GatewaySettings(address, api_token="t", timeout_s=10)
    with pytest.raises(GatewayUnavailable, match="cannot be reached") as caught:
        check_gateway(settings)
    assert address in caught.value.message
    assert caught.value.field == "WORKBENCH_DASK_GATEWAY"


# ---- the service -------------------------------------------------------------------------------


def service_env(tmp_path: Path, fake_provider: FakeProvider, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WORKBENCH_", "JUPYTERHUB_", "DASK_"))
    }
    env.update(
        {
            "WORKBENCH_DATA_DIR": str(tmp_path / "data"),
            "WORKBENCH_PROVIDER_BASE_URLS": provider_base_urls(fake_provider),
            "WORKBENCH_SEED_DEMO": "false",
            "WORKBENCH_DASHBOARD": "false",  # pages need the hub's OAuth, the stub has none
            "WORKBENCH_MLFLOW_UI": "false",
            "PYTHONPATH": str(ROOT),
            **extra,
        }
    )
    return env


def start_service(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    subprocess.run(
        [sys.executable, "-m", "workbench.cli", "db", "upgrade"],
        env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    config = tmp_path / "server_config.py"
    config.write_text(SERVICE_CONFIG.format(port=port))
    with (tmp_path / "service.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench.cli", "serve", "--config", str(config)],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return process, f"http://127.0.0.1:{port}/api/"


def wait_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(url, timeout=2).status_code == 401:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the service did not start:\n" + log.read_text(errors="replace")[-3000:])


def test_service_runs_executions_on_its_gateway_cluster_and_stops_it(
    tmp_path: Path, gateway: RunningGateway, fake_provider: FakeProvider
) -> None:
    before = gateway.running_clusters()
    env = service_env(
        tmp_path,
        fake_provider,
        WORKBENCH_DASK_GATEWAY=gateway.address,
        WORKBENCH_DASK_GATEWAY_PROXY=gateway.proxy_address,
        WORKBENCH_DASK_GATEWAY_MAX_WORKERS="1",
        JUPYTERHUB_API_TOKEN=gateway.token,
    )
    model = unique("gpt-gateway")
    fake_provider.program(model, then={"text": "served through the gateway"})
    process, url = start_service(tmp_path, env)
    log = tmp_path / "service.log"
    try:
        wait_up(url, process, log)
        with httpx.Client(base_url=url, headers=HEADERS, timeout=120) as api:
            api.post("apikeys", json={"provider": "openai", "api_key": "sk-" + "g" * 30})
            project = api.post("projects", json={"name": "on the gateway"}).json()
            agent = api.post(
                f"projects/{project['id']}/agents",
                json={
                    "name": "gateway agent",
                    "configuration": {"defaults": {"model": f"openai:{model}"}},
                    "substeps": [{"id": "answer", "prompt": "hello"}],
                },
            ).json()
            execution = api.post(f"agents/{agent['id']}/execute").json()
            finished = wait_finished(api, execution["id"], timeout=150)
        assert finished["status"] == "COMPLETED", finished
        assert finished["steps"][0]["output"] == "served through the gateway"

        (started,) = gateway.running_clusters() - before
        workers = cluster_workers(gateway, started)
        events = step_events_on_scheduler(gateway, started, execution["id"])
        assert {e["worker"] for e in events if e["type"] == "step_started"} <= workers
        assert any(e["type"] == "step_finished" for e in events)
    finally:
        _stop(process)
    assert process.returncode == 0, log.read_text(errors="replace")[-3000:]
    assert gateway.status(started) in {"STOPPING", "STOPPED"}


def test_service_refuses_to_start_when_the_gateway_is_unreachable(
    tmp_path: Path, fake_provider: FakeProvider
) -> None:
    address = f"http://127.0.0.1:{free_port()}"
    env = service_env(
        tmp_path, fake_provider, WORKBENCH_DASK_GATEWAY=address, JUPYTERHUB_API_TOKEN="token"
    )
    process, _ = start_service(tmp_path, env)
    try:
        process.wait(120)
    finally:
        _stop(process)
    output = (tmp_path / "service.log").read_text(errors="replace")
    assert process.returncode != 0
    assert f"Dask Gateway at {address} cannot be reached" in output
    assert "WORKBENCH_DASK_GATEWAY" in output


# ---- configuration -----------------------------------------------------------------------------


def test_gateway_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_DASK_SCHEDULER", raising=False)
    monkeypatch.setenv("WORKBENCH_DASK_GATEWAY", "http://gateway.example/services/dask-gateway/")
    monkeypatch.setenv("WORKBENCH_DASK_GATEWAY_PROXY", "gateway://gateway.example:80")
    monkeypatch.setenv("WORKBENCH_DASK_GATEWAY_MAX_WORKERS", "8")
    monkeypatch.setenv("WORKBENCH_DASK_GATEWAY_ADAPTIVE", "false")
    monkeypatch.setenv("WORKBENCH_DASK_GATEWAY_OPTIONS", '{"worker_memory": 4}')
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "the-service-token")
    settings = WorkbenchApp().gateway_settings()
    assert settings == GatewaySettings(
        "http://gateway.example/services/dask-gateway",
        proxy_address="gateway://gateway.example:80",
        auth="jupyterhub",
        api_token="the-service-token",
        min_workers=1,
        max_workers=8,
        adaptive=False,
        cluster_options={"worker_memory": 4},
    )
    assert "the-service-token" not in repr(settings)


def test_gateway_config_file_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_DASK_SCHEDULER", raising=False)
    monkeypatch.setenv("WORKBENCH_DASK_GATEWAY", "http://from-env")
    monkeypatch.setenv("WORKBENCH_DASK_GATEWAY_MAX_WORKERS", "8")
    config = Config()
    config.WorkbenchApp.dask_gateway = "http://from-config"
    config.WorkbenchApp.dask_gateway_max_workers = 3
    config.WorkbenchApp.dask_gateway_cluster = "shared"
    config.WorkbenchApp.dask_gateway_api_token = "configured-token"
    settings = WorkbenchApp(config=config).gateway_settings()
    assert settings is not None
    assert (settings.address, settings.max_workers, settings.cluster_name, settings.api_token) == (
        "http://from-config",
        3,
        "shared",
        "configured-token",
    )


def test_no_gateway_means_no_gateway_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_DASK_GATEWAY", raising=False)
    assert WorkbenchApp().gateway_settings() is None


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"WORKBENCH_DASK_SCHEDULER": "tcp://127.0.0.1:8786"}, "WORKBENCH_DASK_GATEWAY"),
        ({"JUPYTERHUB_API_TOKEN": ""}, "JUPYTERHUB_API_TOKEN"),
        ({"WORKBENCH_DASK_GATEWAY_MIN_WORKERS": "5"}, "WORKBENCH_DASK_GATEWAY_MIN_WORKERS"),
        ({"WORKBENCH_DASK_GATEWAY_MAX_WORKERS": "four"}, "WORKBENCH_DASK_GATEWAY_MAX_WORKERS"),
    ],
    ids=["scheduler-too", "no-hub-token", "min-above-max", "not-a-number"],
)
def test_gateway_misconfiguration_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], field: str
) -> None:
    monkeypatch.delenv("WORKBENCH_DASK_SCHEDULER", raising=False)
    monkeypatch.setenv("WORKBENCH_DASK_GATEWAY", "http://gateway.example")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "the-service-token")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        WorkbenchApp().gateway_settings()
    assert caught.value.field == field
