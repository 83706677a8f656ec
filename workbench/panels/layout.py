"""The frame around every page: navigation, the language switch, the user, readable errors."""

from __future__ import annotations

from html import escape

import panel as pn

from workbench.errors import WorkbenchError
from workbench.i18n import LANGUAGES, Translator
from workbench.panels.context import PageContext
from workbench.panels.messages import PageProblem, error_message
from workbench.panels.text import alert

NAVIGATION: tuple[tuple[str, str], ...] = (
    ("/", "nav.dashboard"),
    ("/projects", "nav.projects"),
    ("/chat", "nav.chat"),
    ("/analysis", "nav.analysis"),
    ("/keys", "nav.keys"),
)

HEADER_BACKGROUND = "#1f3a5f"

NAVIGATION_CSS = """
.wb-nav { display: flex; flex-direction: column; gap: 2px; font-size: 1.02em; }
.wb-nav a { padding: 8px 12px; border-radius: 6px; color: #1f3a5f; text-decoration: none; }
.wb-nav a:hover { background: #e8eef6; }
.wb-nav a.wb-active { background: #1f3a5f; color: white; font-weight: 600; }
"""

HEADER_CSS = """
.wb-header-items { display: flex; gap: 10px; align-items: center; justify-content: flex-end;
                   color: white; width: 100%; padding-right: 12px; }
.wb-header-items a { color: #dbe7f5; text-decoration: none; padding: 2px 8px;
                     border: 1px solid transparent; border-radius: 4px; }
.wb-header-items a:hover { color: white; border-color: #5d7ea6; }
.wb-header-items a.wb-current { border-color: #dbe7f5; color: white; font-weight: 600; }
.wb-header-items .wb-group { display: flex; gap: 4px; align-items: center; }
.wb-header-items .wb-divider { width: 1px; height: 22px; background: #5d7ea6; }
.wb-user { font-weight: 600; }
"""


def navigation(context: PageContext, slug: str) -> pn.pane.HTML:
    t = context.t
    links = "".join(
        f'<a href="{escape(context.urls.page(target))}" class="{_active(target == slug)}">'
        f"{escape(t(key))}</a>"
        for target, key in NAVIGATION
    )
    return pn.pane.HTML(
        f'<nav class="wb-nav">{links}</nav>',
        stylesheets=[NAVIGATION_CSS],
        sizing_mode="stretch_width",
    )


def header_items(context: PageContext) -> pn.pane.HTML:
    """Where else to go (JupyterLab, the MLflow UI), who is logged in, the language, log out."""
    t, urls = context.t, context.urls
    tools = [(urls.lab(), "header.lab", "header.lab_hint")]
    if urls.mlflow:
        tools.append((urls.mlflow, "header.mlflow", "header.mlflow_hint"))
    elsewhere = "".join(
        f'<a href="{escape(href)}" target="_blank" rel="noopener" title="{escape(t(hint))}">'
        f"{escape(t(label))} ↗</a>"
        for href, label, hint in tools
    )
    switch = "".join(
        f'<a lang="{code}" hreflang="{code}" class="{_current(code == context.language)}"'
        f' href="{escape(context.urls.language(code, context.current_url))}">{escape(label)}</a>'
        for code, label in LANGUAGES.items()
    )
    user = escape(context.actor.name)
    logout = f'<a href="{escape(urls.logout())}" class="wb-logout">{escape(t("header.logout"))}</a>'
    return pn.pane.HTML(
        '<div class="wb-header-items">'
        f'<span class="wb-group">{elsewhere}</span><span class="wb-divider"></span>'
        f'<span class="wb-user">{user}</span><span class="wb-group">{switch}</span>'
        f"{logout}</div>",
        stylesheets=[HEADER_CSS],
        sizing_mode="stretch_width",
    )


def _active(is_active: bool) -> str:
    return "wb-active" if is_active else ""


def _current(is_current: bool) -> str:
    return "wb-current" if is_current else ""


def shell(
    context: PageContext, *, slug: str, title: str, body: pn.viewable.Viewable
) -> pn.template.BootstrapTemplate:
    """The page inside the shared frame. `title` must be our own text (templates do not escape)."""
    return pn.template.BootstrapTemplate(
        site=context.t("app.name"),
        site_url=context.urls.page("/"),
        title=title,
        header_background=HEADER_BACKGROUND,
        sidebar_width=220,
        sidebar=[navigation(context, slug)],
        header=[header_items(context)],
        main=[body],
    )


def error_view(t: Translator, error: WorkbenchError | PageProblem | None) -> pn.viewable.Viewable:
    """A readable message in place of a page that could not be shown; never a traceback."""
    return alert(error_message(t, error), kind="danger")
