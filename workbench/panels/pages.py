"""The dashboard's pages by URL, and how one is built for a browser session.

Each page is served at `<base_url>ui<slug>`; a page that shows one resource takes its id as a
query argument (`ui/project?id=...`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import panel as pn

from workbench.errors import WorkbenchError
from workbench.panels.agent_editor import AgentEditorPage
from workbench.panels.analysis import AnalysisPage
from workbench.panels.base import Page
from workbench.panels.chat import ChatPage
from workbench.panels.context import PageContext, PageDependencies, Urls, context_from_request
from workbench.panels.dashboard import DashboardPage
from workbench.panels.execution import ExecutionPage
from workbench.panels.keys import KeysPage
from workbench.panels.layout import error_view, shell
from workbench.panels.messages import PageProblem
from workbench.panels.project_detail import ProjectDetailPage
from workbench.panels.projects import ProjectListPage

log = logging.getLogger(__name__)

EXTENSIONS = ("tabulator", "codeeditor")

PAGES: dict[str, type[Page]] = {
    "/": DashboardPage,
    "/projects": ProjectListPage,
    "/project": ProjectDetailPage,
    "/agent": AgentEditorPage,
    "/execution": ExecutionPage,
    "/chat": ChatPage,
    "/analysis": AnalysisPage,
    "/keys": KeysPage,
}


def page_builder(
    slug: str, page_class: type[Page], dependencies: PageDependencies, urls: Urls
) -> Callable[[], pn.viewable.Viewable]:
    """The function Panel calls once per browser session to build `page_class` for its visitor."""

    def build() -> pn.viewable.Viewable:
        # Load the front-end code of components that may appear only after the page is shown.
        pn.extension(*EXTENSIONS)
        request = pn.state.curdoc.session_context.request
        context = context_from_request(request, dependencies, urls, path=urls.page(slug))
        if context is None:  # the authentication hook guarantees a user; never serve without one
            raise RuntimeError("a dashboard session was created without an authenticated user")
        return render_page(page_class, context, slug)

    return build


def render_page(page_class: type[Page], context: PageContext, slug: str) -> pn.viewable.Viewable:
    """The page inside the shared layout; a page that cannot be built shows why, not a traceback."""
    try:
        body: pn.viewable.Viewable = page_class(context)
        title = context.t(page_class.title_key)
    except (WorkbenchError, PageProblem) as error:
        body, title = error_view(context.t, error), context.t("error.title")
    except Exception:
        log.exception("building dashboard page %s failed", page_class.__name__)
        body, title = error_view(context.t, None), context.t("error.title")
    return shell(context, slug=slug, title=title, body=body)
