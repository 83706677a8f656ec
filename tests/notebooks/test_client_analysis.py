"""Analysing tracked executions from a notebook: DataFrames from the workbench's MLflow (through
the workbench, with the notebook's hub token), per-model figures, output diffs, MLflow links."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from tests.fixtures.hub import RunningHub
from tests.notebooks.conftest import unique
from tracking.analysis import EXECUTION_COLUMNS, MODEL_COLUMNS, STEP_COLUMNS
from workbench.client import Agent, Client, ConfigurationError, Execution, NotFound
from workbench.client.mlflow_store import token_for

pytestmark = pytest.mark.hub

BRIEF = {
    "name": "brief",
    "defaults": {"model": "demo:writer"},
    "inputs": {"topic": "string"},
    "substeps": [
        {"id": "outline", "prompt": "Outline {{ topic }}"},
        {
            "id": "titles",
            "kind": "compare",
            "models": ["demo:fast", "demo:careful"],
            "prompt": "A title for {{ outline }}",
        },
    ],
}


@pytest.fixture(scope="module")
def tracked(client: Client) -> tuple[Agent, list[Execution]]:
    """An agent of a project of its own with two finished executions (newest first)."""
    project = client.projects.create(unique("analysis"))
    agent = client.agents.create(project, BRIEF)
    for topic in ("reefs", "kelp"):
        agent.run({"topic": topic}, progress=False)
    return agent, agent.executions()


def test_executions_come_from_mlflow_with_their_step_metrics(
    client: Client, tracked: tuple[Agent, list[Execution]]
) -> None:
    agent, executions = tracked
    frame = client.analysis.executions(agent)
    assert list(frame["execution_id"]) == [e.id for e in executions]
    assert list(frame["run_id"]) == [
        e.mlflow_run_id for e in client.analysis.wait_tracked(executions)
    ]
    assert list(frame.columns[: len(EXECUTION_COLUMNS)]) == list(EXECUTION_COLUMNS)
    assert {"step/outline/latency_ms", "step/titles/calls"} <= set(frame.columns)
    assert list(frame["status"]) == ["COMPLETED", "COMPLETED"]


def test_steps_of_one_execution_come_from_its_run(
    client: Client, tracked: tuple[Agent, list[Execution]]
) -> None:
    _, executions = tracked
    steps = client.analysis.steps(executions[0])
    assert list(steps.columns) == list(STEP_COLUMNS)
    assert list(steps["step_id"]) == ["outline", "titles"]
    assert list(steps["models"]) == [["demo:writer"], ["demo:fast", "demo:careful"]]


def test_models_are_compared_over_every_call(
    client: Client, tracked: tuple[Agent, list[Execution]]
) -> None:
    agent, _ = tracked
    models = client.analysis.models(agent).set_index("model")
    assert list(models.columns) == list(MODEL_COLUMNS[1:])
    assert models.loc["demo:writer", "calls"] == 2  # one outline per execution
    assert models.loc["demo:fast", "executions"] == 2
    assert (models["success_rate"] == 1.0).all()


def test_diff_shows_how_two_executions_outputs_differ(
    client: Client, tracked: tuple[Agent, list[Execution]]
) -> None:
    _, (newest, oldest) = tracked
    diff = client.analysis.diff(oldest, newest)
    assert "=== step outline ===" in diff and "=== step titles ===" in diff
    assert "-" in diff and "reefs" in diff and "kelp" in diff


def test_compare_url_names_the_runs_and_their_experiment(
    hub: RunningHub, notebook_user, client: Client, tracked: tuple[Agent, list[Execution]]
) -> None:
    _, executions = tracked
    url = client.analysis.compare_url(executions)
    assert url.startswith(hub.service_url + "mlflow/#/compare-runs?")
    query = parse_qs(urlsplit(url).fragment.split("?", 1)[1])
    runs = json.loads(unquote(query["runs"][0]))
    (experiment,) = json.loads(unquote(query["experiments"][0]))
    assert runs == [e.mlflow_run_id for e in client.analysis.wait_tracked(executions)]
    with httpx.Client(headers=notebook_user.headers, timeout=30) as http:
        for run_id in runs:
            answer = http.get(
                hub.service_url + "mlflow/api/2.0/mlflow/runs/get", params={"run_id": run_id}
            )
            assert answer.json()["run"]["info"]["experiment_id"] == experiment
    project = client.projects.get(str(tracked[0].project_id))
    assert client.analysis.experiment_url(project).endswith(f"#/experiments/{experiment}")


def test_s1_another_user_reads_none_of_it(
    notebook_user,
    client: Client,
    other_client: Client,
    tracked: tuple[Agent, list[Execution]],
) -> None:
    agent, executions = tracked
    with pytest.raises(NotFound):
        other_client.analysis.executions(agent.id)
    run_id = client.analysis.wait_tracked(executions)[0].mlflow_run_id
    with pytest.raises(MlflowException):
        other_client.analysis.mlflow_client().get_run(run_id)
    names = [e.name for e in other_client.analysis.mlflow_client().search_experiments()]
    assert not [name for name in names if name.startswith(f"{notebook_user.name}/")]


def test_mlflow_gets_the_token_only_for_its_workbench(client: Client) -> None:
    uri = client.analysis.tracking_uri
    assert uri == "workbench+" + client.service_url + "mlflow"
    assert MlflowClient(uri).search_experiments(max_results=5) is not None
    with pytest.raises(ConfigurationError, match="no hub token"):
        token_for("http://127.0.0.1:9/services/workbench/mlflow")
