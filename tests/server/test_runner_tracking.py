"""The runner when MLflow is down: executions complete, tracking waits, then catches up by itself.

A real runner on its own SQLite database, the session's Dask engine and a real `Tracker` whose
MLflow store cannot be opened at first (a file stands where its folder should be). The store
comes back while the service keeps running; no restart is needed for the backfill.
"""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.engine import SharedEngine
from tests.fixtures.mlflow import sqlite_uri
from tracking import keys
from workbench.db import Database, upgrade
from workbench.keyvault import KeyVault, generate_master_key
from workbench.runner import ExecutionRunner, tracking_context
from workbench.services import Actor, Execution, ExecutionStatus, Services, TrackingStatus

DEMO_AGENT = {
    "name": "echo",
    "configuration": {"defaults": {"model": "demo:echo"}, "inputs": {"word": "string"}},
    "substeps": [{"id": "answer", "prompt": "say {{ word }}"}],
}


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


@pytest.fixture
def services(tmp_path: Path) -> Services:
    url = f"sqlite:///{tmp_path / 'workbench.sqlite'}"
    upgrade(url)
    return Services(Database.from_url(url).session_factory, KeyVault([generate_master_key()]))


@pytest.fixture
def alice(services: Services) -> Actor:
    return services.users.actor_for(services.users.ensure_user("alice", admin=False))


@pytest.fixture
def store_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mlflow"
    folder.write_text("a file where the store's folder should be: MLflow cannot open it")
    return folder


@pytest.fixture
def runner(
    services: Services, engine: Any, store_folder: Path, tmp_path: Path
) -> Iterator[ExecutionRunner]:
    from tracking import Tracker

    tracker = Tracker(
        sqlite_uri(store_folder / "mlflow.db"),
        artifact_root=str(tmp_path / "artifacts"),
        on_status=lambda status: runner.on_tracking_status(status),
        retry_delays_s=(),  # the live writer gives up at once: the backfill's turn
    )
    runner = ExecutionRunner(
        services,
        lambda: SharedEngine(engine),
        tracker=tracker,
        context_factory=functools.partial(tracking_context, services),
        backfill_interval_s=0.5,
        backfill_after_s=0.0,
    )
    runner.start()
    yield runner
    runner.close()


def test_mlflow_down_the_execution_completes_and_is_tracked_once_mlflow_is_back(
    services: Services,
    alice: Actor,
    runner: ExecutionRunner,
    store_folder: Path,
    mlflow_template_db: Path,
) -> None:
    project = services.projects.create_project(alice, {"name": "Notes"})
    agent = services.agents.create_agent(alice, project.id, DEMO_AGENT)
    started = runner.start_execution(alice, agent.id, {"word": "tides"})

    def current() -> Execution:
        return services.executions.get_execution(alice, started.id)

    wait_until(lambda: current().status.is_terminal)
    assert current().status is ExecutionStatus.COMPLETED
    wait_until(lambda: current().tracking_status is TrackingStatus.FAILED)
    assert current().mlflow_run_id is None

    store_folder.unlink()  # MLflow is back, the service still running
    store_folder.mkdir()
    shutil.copyfile(mlflow_template_db, store_folder / "mlflow.db")
    wait_until(lambda: current().tracking_status is TrackingStatus.SYNCED)

    from mlflow import MlflowClient

    run_id = current().mlflow_run_id
    assert run_id is not None
    run = MlflowClient(sqlite_uri(store_folder / "mlflow.db")).get_run(run_id)
    assert run.data.tags[keys.EXECUTION_ID_TAG] == str(started.id)
    assert run.data.tags["workbench.status"] == "COMPLETED"
