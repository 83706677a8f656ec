"""Showing what people and models wrote: always as text, never as markup (SECURITY.md S9).

Every Markdown pane of the dashboard is made here, with markdown-it's raw HTML switched off (a
`<script>` or `<img onerror>` in the source is shown as those characters) and images off (no
remote fetches a model could plant). `literal()` shows a name exactly as typed, Markdown syntax
included. Nothing in `workbench/panels` builds an HTML pane from user or model text; the few
HTML panes it has hold only our own markup with every value passed through `html.escape`.
"""

from __future__ import annotations

import re
from typing import Any

import panel as pn

# Characters with a meaning in CommonMark; escaping them shows a name exactly as typed.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def _no_images(md: Any) -> None:
    md.disable("image")


SAFE_RENDERER_OPTIONS = {"html": False}


def markdown(text: str, **params: Any) -> pn.pane.Markdown:
    """Markdown written by a person or a model: formatting kept, raw HTML shown as text."""
    params.setdefault("disable_anchors", True)
    return pn.pane.Markdown(
        text or "",
        renderer="markdown-it",
        renderer_options=SAFE_RENDERER_OPTIONS,
        plugins=[_no_images],
        **params,
    )


def escape_markdown(text: str) -> str:
    """`text` with every Markdown control character backslash-escaped."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text or "")


def literal(text: str, **params: Any) -> pn.pane.Markdown:
    """A name or value exactly as typed (no formatting, no markup)."""
    return markdown(escape_markdown(text), **params)


# Explicit sizes: panes made in callbacks get Bootstrap's larger headings, those of the first
# render do not; the same size either way keeps a page steady while it updates.
HEADING_CSS = """
h2 { font-size: 1.45em; font-weight: 600; margin: 0.3em 0; }
h3 { font-size: 1.2em; font-weight: 600; margin: 0.3em 0; }
h4 { font-size: 1.02em; font-weight: 600; margin: 0.5em 0 0.2em; }
h5 { font-size: 0.95em; font-weight: 600; margin: 0.4em 0 0.1em; }
"""


def heading(text: str, level: int = 2, **params: Any) -> pn.pane.Markdown:
    """A heading whose words may come from a user (a project's name)."""
    params.setdefault("stylesheets", [HEADING_CSS])
    return markdown(f"{'#' * level} {escape_markdown(text)}", **params)


def alert_list(
    headline: str, items: list[str], *, kind: str = "info", **params: Any
) -> pn.pane.Alert:
    """A coloured message box: a headline, then a bulleted list; all of it shown as text."""
    params.setdefault("sizing_mode", "stretch_width")
    bullets = "\n".join(f"- {escape_markdown(item)}" for item in items)
    return pn.pane.Alert(
        f"{escape_markdown(headline)}\n\n{bullets}",
        alert_type=kind,
        renderer_options=SAFE_RENDERER_OPTIONS,
        plugins=[_no_images],
        **params,
    )


def alert(text: str, *, kind: str = "info", **params: Any) -> pn.pane.Alert:
    """A coloured message box; its text is shown as text, like `markdown`."""
    params.setdefault("sizing_mode", "stretch_width")
    return pn.pane.Alert(
        escape_markdown(text),
        alert_type=kind,
        renderer_options=SAFE_RENDERER_OPTIONS,
        plugins=[_no_images],
        **params,
    )
