"""Status as colour, and the small pictures every page shares (badges, metric cards)."""

from __future__ import annotations

from html import escape

import panel as pn

from workbench.i18n import Translator

# One colour per status, the same on every page and in every plot.
STATUS_COLOURS: dict[str, str] = {
    "PENDING": "#9e9e9e",
    "QUEUED": "#9e9e9e",
    "RUNNING": "#1e88e5",
    "COMPLETED": "#2e7d32",
    "FAILED": "#c62828",
    "CANCELLED": "#ef6c00",
    "SKIPPED": "#bdbdbd",
}

BADGE_CSS = """
.wb-badge { display: inline-block; padding: 2px 10px; border-radius: 12px; color: white;
            font-size: 0.85em; font-weight: 600; letter-spacing: 0.02em; }
"""


def status_colour(status: object) -> str:
    return STATUS_COLOURS.get(str(getattr(status, "value", status)), "#757575")


def status_label(t: Translator, status: object) -> str:
    return t(f"status.{getattr(status, 'value', status)}")


def status_badge(t: Translator, status: object, **params) -> pn.pane.HTML:
    """A coloured pill naming the status in the visitor's language."""
    return pn.pane.HTML(
        f'<span class="wb-badge" style="background:{status_colour(status)}">'
        f"{escape(status_label(t, status))}</span>",
        stylesheets=[BADGE_CSS],
        **params,
    )


def status_cell_style(value: object) -> str:
    """Pandas Styler CSS for a status cell: the status colour behind white text."""
    colour = STATUS_COLOURS.get(str(value))
    return f"background-color: {colour}; color: white" if colour else ""


def format_cost(value: float | None) -> str:
    return "—" if value is None else f"${value:,.4f}"


def format_tokens(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def format_latency(value_ms: float | None) -> str:
    if value_ms is None:
        return "—"
    return f"{value_ms / 1000:,.2f} s" if value_ms >= 1000 else f"{value_ms:,.0f} ms"
