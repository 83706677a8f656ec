"""The project detail page, without a browser, against the real service layer."""

from __future__ import annotations

import dataclasses

import pytest

from agents.events import ExecutionFinished, ExecutionStarted
from tests.panels.test_analysis import MLFLOW_UI, track
from tracking.store import find_project_experiment
from workbench.errors import NotFound
from workbench.panels.analysis_source import TrackingAnalysis
from workbench.panels.project_detail import ProjectDetailPage

SPEC = {
    "configuration": {"defaults": {"model": "demo:echo"}, "inputs": {"text": {"type": "text"}}},
    "substeps": [{"id": "answer", "kind": "prompt", "prompt": "{{ text }}"}],
}


@pytest.fixture
def project(services, alice):
    return services.projects.create_project(alice, {"name": "Alpha", "description": "**bold**"})


def test_lists_agents_with_edit_and_run_links(services, alice, project, page_context):
    agent = services.agents.create_agent(alice, project.id, {"name": "summarise", **SPEC})
    page = ProjectDetailPage(page_context(alice, id=str(project.id)))
    frame = page.agents_frame()
    assert list(frame["name"]) == ["summarise"]
    assert frame["edit_url"][0].endswith(f"/agent?id={agent.id}")
    assert frame["run_url"][0].endswith(f"/execution?agent={agent.id}")


def test_recent_executions_show_their_status(services, alice, project, page_context):
    agent = services.agents.create_agent(alice, project.id, {"name": "summarise", **SPEC})
    first = services.executions.create_execution(alice, agent.id, {"text": "a"})
    services.executions.create_execution(alice, agent.id, {"text": "b"})
    services.executions.record_event(ExecutionStarted(str(first.id), step_ids=("answer",)))
    services.executions.record_event(ExecutionFinished(str(first.id), status="COMPLETED"))
    page = ProjectDetailPage(page_context(alice, id=str(project.id)))
    frame = page.recent_frame()
    assert list(frame["number"]) == ["#2", "#1"]
    assert list(frame["status"]) == ["PENDING", "COMPLETED"]


def test_another_users_project_is_not_found(bob, project, page_context):
    with pytest.raises(NotFound):
        ProjectDetailPage(page_context(bob, id=str(project.id)))


def test_the_mlflow_link_opens_this_projects_experiment(
    services, alice, project, page_context, mlflow_store
):
    other = services.projects.create_project(alice, {"name": "Beta"})
    for each in (project, other):
        agent = services.agents.create_agent(alice, each.id, {"name": "summarise", **SPEC})
        track(mlflow_store, services, alice, agent, ["An answer."], {"text": "a"})
    client = mlflow_store.client()
    experiment = find_project_experiment(client, str(project.id))
    elsewhere = find_project_experiment(client, str(other.id))
    assert experiment.experiment_id != elsewhere.experiment_id

    analysis = TrackingAnalysis(services, mlflow_store.tracking_uri, MLFLOW_UI)
    context = dataclasses.replace(page_context(alice, id=str(project.id)), analysis=analysis)
    page = ProjectDetailPage(context)
    expected = f"{MLFLOW_UI}/#/experiments/{experiment.experiment_id}"
    assert page.experiment_url == expected
    markup = page._links().object
    assert f'href="{expected}"' in markup and page.t("project.mlflow") in markup


def test_without_tracked_runs_there_is_no_mlflow_link(
    services, alice, project, page_context, mlflow_store
):
    analysis = TrackingAnalysis(services, mlflow_store.tracking_uri, MLFLOW_UI)
    context = dataclasses.replace(page_context(alice, id=str(project.id)), analysis=analysis)
    page = ProjectDetailPage(context)
    assert page.experiment_url is None
    assert page.t("project.mlflow") not in page._links().object
