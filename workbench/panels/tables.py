"""Tables of the dashboard: Tabulator with translated headings, links and status colours.

Cell text is rendered by Tabulator's plain-text and link formatters, which escape it, so names
and outputs written by people or models stay text (S9).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import panel as pn

from workbench.i18n import Translator
from workbench.panels.visuals import STATUS_COLOURS, status_cell_style

NAME_MAX_WIDTH_PX = 360


def table(
    frame: pd.DataFrame,
    t: Translator,
    *,
    titles: Mapping[str, str],
    links: Mapping[str, str] | None = None,
    hidden: Sequence[str] = (),
    status_columns: Sequence[str] = (),
    **params: Any,
) -> pn.widgets.Tabulator:
    """`frame` as a read-only table.

    `titles` maps each shown column to its catalogue key; `links` maps a column to the column
    holding its URL (the cell becomes a link to our own page); `status_columns` are coloured by
    status, their values translated.
    """
    shown = frame.copy()
    for column in status_columns:
        shown[column] = shown[column].map(lambda value: _status_text(t, value))
    formatters: dict[str, Any] = {
        column: {"type": "link", "urlField": url_column, "target": "_self"}
        for column, url_column in (links or {}).items()
    }
    # A long name is cut short (shown whole on hover) rather than push the other columns away.
    params.setdefault(
        "configuration",
        {
            "columns": [
                {"field": column, "maxWidth": NAME_MAX_WIDTH_PX, "tooltip": True}
                for column in links or {}
            ]
        },
    )
    params.setdefault("sizing_mode", "stretch_width")
    params.setdefault("layout", "fit_data_stretch")
    params.setdefault("show_index", False)
    params.setdefault("disabled", True)
    widget = pn.widgets.Tabulator(
        shown,
        titles={column: t(key) for column, key in titles.items()},
        formatters=formatters,
        hidden_columns=[
            *hidden,
            *[c for c in shown.columns if c not in titles and c not in hidden],
        ],
        **params,
    )
    if status_columns:
        by_text = {_status_text(t, status): status for status in STATUS_COLOURS}
        widget.style.map(
            lambda text: status_cell_style(by_text.get(text)), subset=list(status_columns)
        )
    return widget


def _status_text(t: Translator, value: object) -> str:
    return t(f"status.{getattr(value, 'value', value)}")
