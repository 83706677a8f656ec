"""Building a page for a visitor: the shared frame, and readable errors instead of tracebacks."""

from __future__ import annotations

import dataclasses
import re

import panel as pn
import pytest

from workbench.panels.base import Page
from workbench.panels.context import Urls
from workbench.panels.pages import PAGES, render_page
from workbench.panels.project_detail import ProjectDetailPage


def alerts(view: pn.template.BaseTemplate) -> list[str]:
    """The texts of the message boxes in the page's main area."""
    return [
        str(alert.object) for item in view.main for alert in pn.panel(item).select(pn.pane.Alert)
    ]


def test_every_page_builds_for_a_new_user(alice, page_context):
    for slug, page_class in PAGES.items():
        if slug in ("/project", "/agent", "/execution"):
            continue  # these show one resource and need its id
        view = render_page(page_class, page_context(alice), slug)
        assert isinstance(view, pn.template.BootstrapTemplate), slug
        assert alerts(view) == [], (slug, alerts(view))


def test_another_users_project_reads_as_not_found(services, alice, bob, page_context):
    project = services.projects.create_project(alice, {"name": "Private"})
    view = render_page(ProjectDetailPage, page_context(bob, "ja", id=str(project.id)), "/project")
    [message] = alerts(view)
    assert "見つかりません" in message
    assert "Private" not in message


def test_an_unexpected_failure_shows_a_generic_message(alice, page_context, caplog):
    class Broken(Page):
        def __init__(self, context, **params):
            raise RuntimeError("secret internals")

    view = render_page(Broken, page_context(alice), "/")
    [message] = alerts(view)
    assert "secret internals" not in message and "Traceback" not in message
    assert "unexpected" in message
    assert "secret internals" in caplog.text  # logged for the operator


@pytest.mark.parametrize(
    ("language", "texts"),
    [("en", ["Notebooks", "MLflow", "Log out"]), ("ja", ["ノートブック", "MLflow", "ログアウト"])],
)
def test_the_header_leads_to_jupyterlab_mlflow_and_logout(alice, page_context, language, texts):
    context = dataclasses.replace(
        page_context(alice, language),
        urls=Urls(prefix="/services/workbench/ui", mlflow="/services/workbench/mlflow/"),
    )
    view = render_page(PAGES["/"], context, "/")
    header = " ".join(
        str(pane.object) for item in view.header for pane in pn.panel(item).select(pn.pane.HTML)
    )
    links = dict(re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', header))
    assert links["/hub/spawn"].startswith(texts[0])  # starts the user's JupyterLab, or opens it
    assert links["/services/workbench/mlflow/"].startswith(texts[1])
    assert links["/services/workbench/logout"] == texts[2]  # the service's, then the hub's


def test_without_the_mlflow_ui_the_header_does_not_link_to_it(alice, page_context):
    view = render_page(PAGES["/"], page_context(alice), "/")
    header = " ".join(
        str(pane.object) for item in view.header for pane in pn.panel(item).select(pn.pane.HTML)
    )
    assert "mlflow" not in header.lower() and "/hub/spawn" in header
