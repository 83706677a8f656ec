"""Project detail: its agents (edit, run), its recent executions, links to analysis and MLflow."""

from __future__ import annotations

from html import escape

import pandas as pd
import panel as pn
import param

from workbench.errors import WorkbenchError
from workbench.panels.base import Page
from workbench.panels.tables import table
from workbench.panels.text import heading, literal, markdown
from workbench.panels.visuals import format_cost, format_latency
from workbench.services import MAX_LIMIT, Execution, Project

RECENT_COUNT = 20
PER_AGENT = 20

LINK_CSS = """
.wb-links { display: flex; gap: 10px; flex-wrap: wrap; }
.wb-links a { padding: 6px 14px; border-radius: 6px; background: #1f3a5f; color: white;
              text-decoration: none; font-weight: 600; }
.wb-links a.wb-secondary { background: #e8eef6; color: #1f3a5f; }
"""


class ProjectDetailPage(Page):
    title_key = "project.title"

    agents = param.List(default=[])
    recent = param.List(default=[])
    experiment_url = param.String(default=None, allow_None=True)

    def __init__(self, context, **params) -> None:
        super().__init__(context, **params)
        self.project: Project = self.services.projects.get_project(
            self.actor, context.arg("id") or ""
        )
        self.refresh()

    def refresh(self) -> None:
        with self.guard():
            self.agents = list(
                self.services.agents.list_agents(self.actor, self.project.id, limit=MAX_LIMIT).items
            )
            executions: list[Execution] = []
            for agent in self.agents:
                executions.extend(
                    self.services.executions.list_executions(
                        self.actor, agent_id=agent.id, limit=PER_AGENT
                    ).items
                )
            executions.sort(key=lambda e: e.created_at, reverse=True)
            self.recent = executions[:RECENT_COUNT]
        if self.context.analysis is not None:
            try:
                self.experiment_url = self.context.analysis.experiment_url(
                    self.actor, self.project.id
                )
            except (WorkbenchError, OSError, LookupError, ValueError):
                self.experiment_url = None  # MLflow unreachable: the page works without the link

    # -- view ----------------------------------------------------------------------------------

    def agents_frame(self) -> pd.DataFrame:
        urls, t = self.context.urls, self.t
        return pd.DataFrame(
            [
                {
                    "name": a.name,
                    "description": a.description,
                    "steps": len(a.substeps),
                    "updated": a.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
                    "run": t("project.run"),
                    "edit_url": urls.page("/agent", id=a.id),
                    "run_url": urls.page("/execution", agent=a.id),
                }
                for a in self.agents
            ],
            columns=["name", "description", "steps", "updated", "run", "edit_url", "run_url"],
        )

    def recent_frame(self) -> pd.DataFrame:
        names = {a.id: a.name for a in self.agents}
        return pd.DataFrame(
            [
                {
                    "agent": names.get(e.task_agent_id, ""),
                    "number": f"#{e.number}",
                    "status": e.status.value,
                    "created": e.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                    "latency": format_latency(e.latency_ms),
                    "cost": format_cost(e.cost_usd),
                    "url": self.context.urls.page("/execution", id=e.id),
                }
                for e in self.recent
            ],
            columns=["agent", "number", "status", "created", "latency", "cost", "url"],
        )

    @param.depends("agents")
    def _agents_table(self) -> pn.viewable.Viewable:
        if not self.agents:
            return literal(self.t("project.no_agents"))
        return table(
            self.agents_frame(),
            self.t,
            titles={
                "name": "common.agent",
                "description": "projects.description",
                "steps": "project.steps",
                "updated": "common.updated",
                "run": "project.run_column",
            },
            links={"name": "edit_url", "run": "run_url"},
        )

    @param.depends("recent")
    def _recent_table(self) -> pn.viewable.Viewable:
        if not self.recent:
            return literal(self.t("project.no_executions"))
        return table(
            self.recent_frame(),
            self.t,
            titles={
                "agent": "common.agent",
                "number": "common.run",
                "status": "common.status",
                "created": "common.created",
                "latency": "common.latency",
                "cost": "common.cost",
            },
            links={"number": "url"},
            status_columns=["status"],
        )

    @param.depends("experiment_url")
    def _links(self) -> pn.pane.HTML:
        urls, t = self.context.urls, self.t
        links = [
            (urls.page("/agent", project=self.project.id), t("project.new_agent"), ""),
            (urls.page("/analysis", project=self.project.id), t("project.analyse"), ""),
        ]
        if self.experiment_url:
            links.append((self.experiment_url, t("project.mlflow"), "wb-secondary"))
        markup = "".join(
            f'<a class="{css}" href="{escape(url)}">{escape(label)}</a>'
            for url, label, css in links
        )
        return pn.pane.HTML(f'<div class="wb-links">{markup}</div>', stylesheets=[LINK_CSS])

    def __panel__(self) -> pn.viewable.Viewable:
        t = self.t
        return pn.Column(
            self.messages,
            heading(self.project.name, level=2),
            markdown(self.project.description),
            self._links,
            heading(t("project.agents"), level=4),
            self._agents_table,
            heading(t("project.recent"), level=4),
            self._recent_table,
            sizing_mode="stretch_width",
        )
