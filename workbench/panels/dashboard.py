"""Dashboard: recent executions (running ones update live), counts by status, spend and tokens
per provider over the last 7 or 30 days, and quick links."""

from __future__ import annotations

import uuid
from html import escape

import hvplot.pandas  # noqa: F401  (registers DataFrame.hvplot)
import pandas as pd
import panel as pn
import param

from agents.events import Event, ExecutionFinished, StepToken
from workbench.panels.base import Page
from workbench.panels.live import LiveFeed
from workbench.panels.tables import table
from workbench.panels.text import heading, literal
from workbench.panels.usage import usage_frame, window_start
from workbench.panels.visuals import (
    format_cost,
    format_latency,
    format_tokens,
    status_colour,
    status_label,
)
from workbench.services import Execution, ExecutionStatus

RECENT_COUNT = 20
REFRESH_MS = 10_000
PROVIDER_COLOURS = {
    "openai": "#10a37f",
    "anthropic": "#d97757",
    "google": "#4285f4",
    "openai-compatible": "#7b1fa2",
    "demo": "#9e9e9e",
}

CARD_CSS = """
.wb-cards { display: flex; gap: 12px; flex-wrap: wrap; }
.wb-card { min-width: 120px; padding: 10px 16px; border-radius: 8px; background: #f7f9fc;
           border-left: 6px solid var(--wb-colour); }
.wb-card .wb-count { font-size: 1.8em; font-weight: 700; color: var(--wb-colour); }
.wb-links { display: flex; gap: 10px; flex-wrap: wrap; }
.wb-links a { padding: 8px 14px; border-radius: 6px; background: #1f3a5f; color: white;
              text-decoration: none; font-weight: 600; }
"""


class DashboardPage(Page):
    title_key = "dashboard.title"

    window_days = param.Selector(objects=[7, 30], default=7)
    recent = param.List(default=[])  # The visitor's latest executions, newest first.
    counts = param.Dict(default={})  # Status -> how many of the visitor's executions have it.
    usage = param.DataFrame(default=None, allow_None=True)  # by day and provider (`usage_frame`)

    def __init__(self, context, **params) -> None:
        super().__init__(context, **params)
        self._agent_names: dict[uuid.UUID, str] = {}
        self.live = LiveFeed(context.runner, self.actor, in_server=context.in_server)
        self._window = pn.widgets.RadioButtonGroup(
            options={self.t("dashboard.days", days=d): d for d in self.param.window_days.objects},
            value=self.window_days,
            color="primary",
            variant="outline",
            align="center",
        )
        self._window.link(self, value="window_days")
        self.refresh()
        self.load_usage()
        if self.in_server:
            pn.state.add_periodic_callback(self.refresh, period=REFRESH_MS)

    # -- data ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        with self.guard():
            executions = self.services.executions.list_executions(self.actor, limit=RECENT_COUNT)
            self.recent = list(executions.items)
            self.counts = {
                status.value: self.services.executions.list_executions(
                    self.actor, status=status, limit=1
                ).total
                for status in ExecutionStatus
            }
            for execution in self.recent:
                if not execution.is_finished:
                    self.live.follow(execution.id, self._on_event)

    @param.depends("window_days", watch=True)
    def load_usage(self) -> None:
        """Spend and tokens per day and provider over the chosen window (summed by the service)."""
        with self.guard():
            since = window_start(self.window_days)
            self.usage = usage_frame(self.services.usage.daily_usage(self.actor, since=since))

    def agent_name(self, agent_id: uuid.UUID) -> str:
        if agent_id not in self._agent_names:
            self._agent_names[agent_id] = self.services.agents.get_agent(self.actor, agent_id).name
        return self._agent_names[agent_id]

    def _on_event(self, event: Event) -> None:
        if isinstance(event, StepToken):
            return  # the dashboard shows statuses, not streamed text
        execution_id = uuid.UUID(event.execution_id)
        with self.guard():
            fresh = self.services.executions.get_execution(self.actor, execution_id)
            self.recent = [fresh if e.id == execution_id else e for e in self.recent]
        if isinstance(event, ExecutionFinished):
            self.live.unfollow(execution_id)
            self.refresh()

    # -- view ----------------------------------------------------------------------------------

    def recent_frame(self) -> pd.DataFrame:
        rows = []
        for e in self.recent:
            rows.append(
                {
                    "agent": self.agent_name(e.task_agent_id),
                    "number": f"#{e.number}",
                    "status": e.status.value,
                    "created": e.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                    "latency": format_latency(e.latency_ms),
                    "tokens": format_tokens(_total_tokens(e)),
                    "cost": format_cost(e.cost_usd),
                    "url": self.context.urls.page("/execution", id=e.id),
                }
            )
        columns = ["agent", "number", "status", "created", "latency", "tokens", "cost", "url"]
        return pd.DataFrame(rows, columns=columns)

    @param.depends("recent")
    def _recent_table(self) -> pn.viewable.Viewable:
        if not self.recent:
            return literal(self.t("dashboard.no_executions"))
        return table(
            self.recent_frame(),
            self.t,
            titles={
                "agent": "common.agent",
                "number": "common.run",
                "status": "common.status",
                "created": "common.created",
                "latency": "common.latency",
                "tokens": "common.tokens",
                "cost": "common.cost",
            },
            links={"agent": "url"},
            status_columns=["status"],
        )

    @param.depends("counts")
    def _count_cards(self) -> pn.pane.HTML:
        cards = "".join(
            f'<div class="wb-card" style="--wb-colour:{status_colour(status)}">'
            f'<div class="wb-count">{count}</div><div>{escape(status_label(self.t, status))}</div>'
            "</div>"
            for status, count in self.counts.items()
        )
        return pn.pane.HTML(
            f'<div class="wb-cards">{cards}</div>',
            stylesheets=[CARD_CSS],
            sizing_mode="stretch_width",
        )

    def usage_by_day(self, measure: str) -> pd.DataFrame:
        """Days of the window × providers, `measure` summed, missing days as zero."""
        days = pd.date_range(window_start(self.window_days).date(), periods=self.window_days)
        usage = self.usage if self.usage is not None else pd.DataFrame()
        if usage.empty:
            return pd.DataFrame(index=days.date)
        pivot = usage.pivot_table(
            index="day", columns="provider", values=measure, aggfunc="sum", fill_value=0
        )
        return pivot.reindex(days.date, fill_value=0)

    @param.depends("usage")
    def _usage_plots(self) -> pn.viewable.Viewable:
        t = self.t
        if self.usage is None or self.usage.empty:
            return literal(t("dashboard.no_usage", days=self.window_days))
        plots = []
        for measure, title_key, axis_key, axis_format in (
            ("cost_usd", "dashboard.spend", "dashboard.spend_axis", "%.4f"),
            ("tokens", "dashboard.tokens", "dashboard.tokens_axis", "%d"),
        ):
            frame = self.usage_by_day(measure)
            frame.index = [day.strftime("%m-%d") for day in frame.index]
            plots.append(
                frame.hvplot.bar(
                    stacked=True,
                    title=t(title_key),
                    xlabel=t("dashboard.day"),
                    ylabel=t(axis_key),
                    color=[PROVIDER_COLOURS.get(c, "#607d8b") for c in frame.columns],
                    legend="top_left",
                    rot=45,
                    height=300,
                    responsive=True,
                    shared_axes=False,
                    yformatter=axis_format,
                    ylim=(0, _axis_top(frame)),
                ).opts(legend_opts={"title": t("common.provider")}, toolbar=None)
            )
        return pn.Column(
            pn.Row(*plots, sizing_mode="stretch_width"),
            *self._usage_notes(),
            sizing_mode="stretch_width",
        )

    def _usage_notes(self) -> list[pn.viewable.Viewable]:
        """What the spend plot leaves out: calls without a known price, and failed calls."""
        t, notes = self.t, []
        by_provider = self.usage.groupby("provider")[["unpriced_calls", "failed_calls"]].sum()
        unpriced = by_provider[by_provider["unpriced_calls"] > 0]["unpriced_calls"]
        if not unpriced.empty:
            counts = ", ".join(f"{provider}: {int(n)}" for provider, n in unpriced.items())
            notes.append(t("dashboard.unpriced", calls=int(unpriced.sum()), providers=counts))
        failed = int(by_provider["failed_calls"].sum())
        if failed:
            notes.append(t("dashboard.failed_calls", calls=failed))
        style = {"font-size": "0.9em", "opacity": "0.85"}
        return [literal(note, styles=style) for note in notes]

    def _quick_links(self) -> pn.pane.HTML:
        urls, t = self.context.urls, self.t
        links = "".join(
            f'<a href="{escape(urls.page(slug))}">{escape(t(key))}</a>'
            for slug, key in (
                ("/projects", "dashboard.link_projects"),
                ("/chat", "dashboard.link_chat"),
                ("/analysis", "dashboard.link_analysis"),
                ("/keys", "dashboard.link_keys"),
            )
        )
        return pn.pane.HTML(f'<div class="wb-links">{links}</div>', stylesheets=[CARD_CSS])

    def __panel__(self) -> pn.viewable.Viewable:
        t = self.t
        return pn.Column(
            self.messages,
            self._quick_links(),
            heading(t("dashboard.counts"), level=4),
            self._count_cards,
            heading(t("dashboard.recent"), level=4),
            self._recent_table,
            pn.Row(heading(t("dashboard.usage"), level=4, align="center"), self._window),
            self._usage_plots,
            sizing_mode="stretch_width",
        )


def _total_tokens(execution: Execution) -> int | None:
    if execution.input_tokens is None and execution.output_tokens is None:
        return None
    return (execution.input_tokens or 0) + (execution.output_tokens or 0)


def _axis_top(frame: pd.DataFrame) -> float:
    """Room above the tallest stacked bar; with nothing but zeros, an axis from 0 to 1 (left to
    itself, Bokeh centres an all-zero plot on 0 and shows negative spend)."""
    top = float(frame.sum(axis=1).max()) if not frame.empty else 0.0
    return top * 1.1 if top > 0 else 1.0
