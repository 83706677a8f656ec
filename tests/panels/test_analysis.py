"""Pieces of the result-analysis page that need no MLflow: the line diff, choosing what to see."""

from __future__ import annotations

from workbench.panels.analysis import AnalysisPage, diff_rows


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
