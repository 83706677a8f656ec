"""The result-analysis page without a browser: the line diff, choosing what to see, and a
project's runs read from a real MLflow store the tracker wrote."""

from __future__ import annotations

import dataclasses

import pytest

from tests.tracking.scenarios import START, context_for, plain_execution
from tracking import Tracker
from workbench.panels.analysis import AnalysisPage, diff_rows
from workbench.panels.analysis_source import TrackingAnalysis

MLFLOW_UI = "/services/workbench/mlflow"
AGENT = {
    "configuration": {"defaults": {"model": "openai:gpt-4o-mini"}},
    "substeps": [{"id": "outline", "prompt": "hello"}],
}


def test_diff_rows_align_lines_and_tag_changes():
    frame = diff_rows("same\nold line\ngone", "same\nnew line")
    assert list(frame["change"]) == ["equal", "replace", "delete"]
    assert list(frame["a"]) == ["same", "old line", "gone"]
    assert list(frame["b"]) == ["same", "new line", ""]


def test_diff_rows_of_equal_texts_are_all_equal():
    assert set(diff_rows("a\nb", "a\nb")["change"]) == {"equal"}


def test_without_a_project_the_page_asks_for_one(services, alice, page_context):
    services.projects.create_project(alice, {"name": "Alpha"})
    page = AnalysisPage(page_context(alice))
    assert page.project is None
    [(_, projects)] = page.chooser_links()
    assert [(name, chosen) for name, _, chosen in projects] == [("Alpha", False)]


def test_a_chosen_project_lists_its_agents_to_choose_from(services, alice, page_context):
    project = services.projects.create_project(alice, {"name": "Alpha"})
    agent = services.agents.create_agent(
        alice,
        project.id,
        {
            "name": "picked",
            "configuration": {"defaults": {"model": "demo:x"}},
            "substeps": [{"id": "a", "prompt": "hello"}],
        },
    )
    page = AnalysisPage(page_context(alice, agent=str(agent.id)))
    (_, projects), (_, agents) = page.chooser_links()
    assert [chosen for _, _, chosen in projects] == [True]
    assert [(name, chosen) for name, _, chosen in agents] == [
        (page.t("analysis.all_agents"), False),
        ("picked", True),
    ]
    assert agents[1][1].endswith(f"/analysis?agent={agent.id}")


# ---- a project's runs, from MLflow -------------------------------------------------------------


def track(store, services, actor, agent, answers, inputs=None) -> list[str]:
    """Record one finished execution of `agent` per answer, the way the runner's tracker does."""
    project = services.projects.get_project(actor, agent.project_id)
    ids = []
    with Tracker(store.tracking_uri, artifact_root=store.artifact_root) as tracker:
        for offset, answer in enumerate(answers):
            execution = services.executions.create_execution(actor, agent.id, inputs)
            context = context_for(
                str(execution.id),
                project_id=str(project.id),
                project_name=project.name,
                owner_name=actor.name,
                agent_id=str(agent.id),
                agent_name=agent.name,
                user_name=actor.name,
            )
            start = START + 60 * len(ids) + offset
            tracker.record(
                context, plain_execution(str(execution.id), answer=answer, start_at=start)
            )
            ids.append(str(execution.id))
    return ids


@pytest.fixture
def analysed(services, alice, page_context, mlflow_store):
    """`analysed(**args)`: the analysis page of alice with a real MLflow store behind it."""
    analysis = TrackingAnalysis(services, mlflow_store.tracking_uri, MLFLOW_UI)

    def page(**args):
        return AnalysisPage(dataclasses.replace(page_context(alice, **args), analysis=analysis))

    return page


def test_a_projects_analysis_lists_the_runs_of_all_its_agents(
    services, alice, mlflow_store, analysed
):
    project = services.projects.create_project(alice, {"name": "Research"})
    writer = services.agents.create_agent(alice, project.id, {"name": "writer", **AGENT})
    critic = services.agents.create_agent(alice, project.id, {"name": "critic", **AGENT})
    other = services.projects.create_project(alice, {"name": "Elsewhere"})
    stranger = services.agents.create_agent(alice, other.id, {"name": "stranger", **AGENT})
    written = track(mlflow_store, services, alice, writer, ["Tides.", "Tides and moon."])
    critiqued = track(mlflow_store, services, alice, critic, ["Too short."])
    track(mlflow_store, services, alice, stranger, ["Not here."])

    page = analysed(project=str(project.id))
    frame = page.runs_frame()
    assert sorted(frame["agent"]) == ["critic", "writer", "writer"]
    assert set(page.runs["execution_id"]) == {*written, *critiqued}
    assert set(frame["status"]) == {"COMPLETED"}
    assert all(url.startswith(page.context.urls.page("/execution")) for url in frame["url"])
    shown = page._runs_table()
    assert sorted(shown.value["agent"]) == ["critic", "writer", "writer"]
    # "all agents" is what is chosen: the project's table
    (_, _), (_, agents) = page.chooser_links()
    everything, *each = agents
    assert everything[0] == page.t("analysis.all_agents") and everything[2] is True
    assert sorted((name, chosen) for name, _, chosen in each) == [
        ("critic", False),
        ("writer", False),
    ]
    assert page.compare_link is not None and page.compare_link.startswith(f"{MLFLOW_UI}/#/")


def test_an_agents_analysis_lists_only_its_own_runs(services, alice, mlflow_store, analysed):
    project = services.projects.create_project(alice, {"name": "Research"})
    writer = services.agents.create_agent(alice, project.id, {"name": "writer", **AGENT})
    critic = services.agents.create_agent(alice, project.id, {"name": "critic", **AGENT})
    written = track(mlflow_store, services, alice, writer, ["Tides."])
    track(mlflow_store, services, alice, critic, ["Too short."])
    page = analysed(agent=str(writer.id))
    assert list(page.runs_frame()["agent"]) == ["writer"]
    assert list(page.runs["execution_id"]) == written
