"""S11: kill the service mid-execution (SIGKILL), start it again: the execution is FAILED with the
reason, the step that had finished keeps its output, and the server takes new work.

The service runs on PostgreSQL without the hub (`workbench serve` with a stub hub identity), so
only the service process dies and comes back, as it does when the hub restarts it. Both ways
of running executions: in the service's execution process (the default; it must die with the
service, not go on writing) and on the service's own threads.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest

from tests.fakes.behaviour import Behaviour
from tests.fakes.provider_server import FakeProvider
from tests.fixtures.database import PostgresServer
from tests.fixtures.hub import ROOT, free_port, provider_base_urls
from tests.server.helpers import unique, wait_finished
from workbench.db import upgrade
from workbench.keyvault import generate_master_key

pytestmark = pytest.mark.postgres

SERVER_CONFIG = """\
from tests.server.stub_identity import StubHubIdentityProvider
c.WorkbenchServerApp.identity_provider_class = StubHubIdentityProvider
c.WorkbenchServerApp.ip = "127.0.0.1"
c.WorkbenchServerApp.port = {port}
c.WorkbenchServerApp.base_url = "/"
"""
HEADERS = {"Authorization": "token user:crash-tester"}


@contextmanager
def service(config: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench.cli", "serve", "--config", str(config)],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def wait_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(url + "api/", timeout=2).status_code == 401:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the service did not start:\n" + log.read_text(errors="replace")[-3000:])


def wait_running_step(api: httpx.Client, execution_id: str, step_id: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        steps = api.get(f"executions/{execution_id}/status").json()["steps"]
        if any(s["step_id"] == step_id and s["status"] == "RUNNING" for s in steps):
            return
        time.sleep(0.2)
    raise AssertionError(f"step {step_id} never started")


@pytest.mark.parametrize("executions_in", ["process", "server"])
def test_s11_killed_service_leaves_no_execution_running(
    tmp_path: Path, postgres_server: PostgresServer, fake_provider: FakeProvider, executions_in: str
) -> None:
    database_url = postgres_server.create_database("workbench_crash")
    try:
        upgrade(database_url)
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        config = tmp_path / "server_config.py"
        config.write_text(SERVER_CONFIG.format(port=port))
        env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
        env.update(
            {
                "WORKBENCH_DATA_DIR": str(tmp_path / "data"),
                "WORKBENCH_DATABASE_URL": database_url,
                "WORKBENCH_SECRET_KEYS": generate_master_key(),
                "WORKBENCH_PROVIDER_BASE_URLS": provider_base_urls(fake_provider),
                "WORKBENCH_SEED_DEMO": "false",
                "WORKBENCH_LOG_FORMAT": "json",  # as in production
                # The default (a process of their own), and threads of the service.
                "WORKBENCH_EXECUTION_PROCESS": str(executions_in == "process").lower(),
                # Pages need the hub's OAuth, which the stub identity does not offer.
                "WORKBENCH_DASHBOARD": "false",
                "WORKBENCH_MLFLOW_UI": "false",
                "PYTHONPATH": str(ROOT),
            }
        )
        log = tmp_path / "service.log"
        slow = unique("gpt-stuck")
        fake_provider.program(slow, then=Behaviour(latency=120.0, text="never seen"))
        agent_body = {
            "name": "two steps",
            "configuration": {"defaults": {"model": "demo:fast"}},
            "substeps": [
                {"id": "quick", "prompt": "a quick answer"},
                {"id": "stuck", "model": f"openai:{slow}", "prompt": "after: {{ quick }}"},
            ],
        }
        with service(config, env, log) as first:
            wait_up(url, first, log)
            with httpx.Client(base_url=url + "api/", headers=HEADERS, timeout=60) as api:
                api.post("apikeys", json={"provider": "openai", "api_key": "sk-" + "k" * 30})
                project = api.post("projects", json={"name": "crash"}).json()
                agent = api.post(f"projects/{project['id']}/agents", json=agent_body).json()
                execution = api.post(f"agents/{agent['id']}/execute").json()
                wait_running_step(api, execution["id"], "stuck")
            # The execution process (and its tracking process) must not outlive the service.
            children = psutil.Process(first.pid).children(recursive=True)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            _, alive = psutil.wait_procs(children, timeout=10)

        with service(config, env, log) as second:
            wait_up(url, second, log)
            with httpx.Client(base_url=url + "api/", headers=HEADERS, timeout=60) as api:
                after = api.get(f"executions/{execution['id']}").json()
                steps = {s["step_id"]: s for s in after["steps"]}
                # The restarted server takes new work.
                fake_provider.program(slow, then=Behaviour(text="fine now"))
                again = api.post(f"agents/{agent['id']}/execute").json()
                finished = wait_finished(api, again["id"])
    finally:
        postgres_server.drop_database(database_url)

    assert after["status"] == "FAILED"
    assert after["error"] == "interrupted by server restart"
    assert steps["quick"]["status"] == "COMPLETED"
    assert "Demo model" in steps["quick"]["output"]
    assert steps["stuck"]["status"] == "FAILED"
    assert steps["stuck"]["error"] == "interrupted by server restart"
    assert finished["status"] == "COMPLETED", finished["error"]
    assert children and not alive, alive
    entries = [
        entry
        for entry in map(json_or_none, log.read_text(errors="replace").splitlines())
        if entry and entry.get("event") == "audit"
    ]
    audit = [entry for entry in entries if entry.get("action") == "execution.create"]
    assert len(audit) == 2
    assert all(entry["request_id"] and entry["user_id"] for entry in audit)
    # The keys are decrypted in the execution process; its audit lines name the same requests.
    uses = [entry for entry in entries if entry.get("action") == "key.use"]
    assert {entry["request_id"] for entry in uses} == {entry["request_id"] for entry in audit}


def json_or_none(line: str) -> dict | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
