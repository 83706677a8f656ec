"""Result analysis: the executions of an agent or a project, compared.

A table of runs; latency, tokens and cost by model as plots; two executions' outputs side by side
with the lines that differ highlighted; and the same runs in the MLflow compare UI. Figures come
from MLflow through `tracking.analysis` (the page reads them off its loop, after it is shown).
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import uuid
from html import escape

import hvplot.pandas  # noqa: F401  (registers DataFrame.hvplot)
import pandas as pd
import panel as pn
import param

from tracking.analysis import compare_models
from workbench.errors import WorkbenchError
from workbench.panels.base import Page
from workbench.panels.messages import PageProblem
from workbench.panels.tables import table
from workbench.panels.text import alert, heading, literal
from workbench.panels.visuals import STATUS_COLOURS, format_cost, format_latency, format_tokens
from workbench.services import MAX_LIMIT, Project, TaskAgent

log = logging.getLogger(__name__)

DIFF_COLOURS = {
    "replace": "background-color: #fff3cd",
    "delete": "background-color: #f8d7da",
    "insert": "background-color: #d1e7dd",
    "equal": "",
}
CHOOSER_CSS = """
.wb-choose { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 4px 0; }
.wb-choose span { font-weight: 600; min-width: 90px; }
.wb-choose a { padding: 3px 10px; border-radius: 14px; border: 1px solid #1f3a5f;
               color: #1f3a5f; text-decoration: none; }
.wb-choose a.wb-chosen { background: #1f3a5f; color: white; }
"""
LINK_CSS = """
.wb-links { display: flex; gap: 10px; flex-wrap: wrap; margin: 6px 0; }
.wb-links a { padding: 6px 14px; border-radius: 6px; background: #1f3a5f; color: white;
              text-decoration: none; font-weight: 600; }
"""


def diff_rows(a: str, b: str) -> pd.DataFrame:
    """Two texts line by line, aligned, each pair tagged equal / replace / delete / insert."""
    left, right = a.splitlines() or [""], b.splitlines() or [""]
    rows = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for offset in range(max(i2 - i1, j2 - j1)):
            in_a, in_b = i1 + offset < i2, j1 + offset < j2
            change = tag if in_a and in_b else ("delete" if in_a else "insert")
            rows.append(
                {
                    "a": left[i1 + offset] if in_a else "",
                    "b": right[j1 + offset] if in_b else "",
                    "change": change,
                }
            )
    return pd.DataFrame(rows, columns=["a", "b", "change"])


class AnalysisPage(Page):
    title_key = "analysis.title"

    project_choice = param.Selector(objects=[], default=None, allow_None=True)
    agent_choice = param.Selector(objects=[], default=None, allow_None=True)
    runs = param.DataFrame(default=None, allow_None=True)
    models = param.DataFrame(default=None, allow_None=True)
    calls = param.DataFrame(default=None, allow_None=True)
    loading = param.Boolean(default=False)
    run_a = param.Selector(objects=[], default=None, allow_None=True)
    run_b = param.Selector(objects=[], default=None, allow_None=True)
    diff = param.List(default=[])  # [(step id, frame of aligned lines)]
    compare_link = param.String(default=None, allow_None=True)

    def __init__(self, context, **params) -> None:
        super().__init__(context, **params)
        t = self.t
        self.project: Project | None = None
        self.agent: TaskAgent | None = None
        agent_id, project_id = context.arg("agent"), context.arg("project")
        if agent_id:
            self.agent = self.services.agents.get_agent(self.actor, agent_id)
            project_id = str(self.agent.project_id)
        if project_id:
            self.project = self.services.projects.get_project(self.actor, project_id)
        self._projects = list(
            self.services.projects.list_projects(self.actor, limit=MAX_LIMIT).items
        )
        self._agents = (
            list(
                self.services.agents.list_agents(self.actor, self.project.id, limit=MAX_LIMIT).items
            )
            if self.project is not None
            else []
        )
        self._run_a = pn.widgets.Select.from_param(self.param.run_a, label=t("analysis.run_a"))
        self._run_b = pn.widgets.Select.from_param(self.param.run_b, label=t("analysis.run_b"))
        self._diff_button = pn.widgets.Button(
            label=t("analysis.show_diff"), on_click=self._on_diff, color="primary", align="end"
        )
        if self.project is not None:
            if self.in_server:
                self.loading = True
                pn.state.onload(self._load_off_loop)
            else:
                self.load()

    # -- choosing ------------------------------------------------------------------------------

    def chooser_links(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """(label, [(name, url, chosen)]) for the projects, then the chosen project's agents."""
        urls, t = self.context.urls, self.t
        chosen_project = self.project.id if self.project else None
        rows = [
            (
                t("analysis.project"),
                [
                    (p.name, urls.page("/analysis", project=p.id), p.id == chosen_project)
                    for p in self._projects
                ],
            )
        ]
        if self.project is not None:
            everything = (
                t("analysis.all_agents"),
                urls.page("/analysis", project=self.project.id),
                self.agent is None,
            )
            agents = [
                (a.name, urls.page("/analysis", agent=a.id), self.agent is not None
                 and a.id == self.agent.id)
                for a in self._agents
            ]  # fmt: skip
            rows.append((t("analysis.agent"), [everything, *agents]))
        return rows

    def _chooser(self) -> pn.viewable.Viewable:
        # Links, not selects: choosing opens the analysis of what was chosen, bookmarkable.
        if not self._projects:
            link = f'<a href="{escape(self.context.urls.page("/projects"))}">'
            text = escape(self.t("analysis.no_projects"))
            return pn.pane.HTML(
                f'<div class="wb-choose">{text} {link}{escape(self.t("nav.projects"))}</a></div>',
                stylesheets=[CHOOSER_CSS],
                sizing_mode="stretch_width",
            )
        lines = []
        for label, links in self.chooser_links():
            pills = "".join(
                f'<a class="{"wb-chosen" if chosen else ""}" href="{escape(url)}">'
                f"{escape(name)}</a>"
                for name, url, chosen in links
            )
            lines.append(f'<div class="wb-choose"><span>{escape(label)}</span>{pills}</div>')
        return pn.pane.HTML("".join(lines), stylesheets=[CHOOSER_CSS], sizing_mode="stretch_width")

    # -- loading -------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the runs, the model calls and the MLflow link (blocking)."""
        if self.context.analysis is None or self.project is None:
            return
        with self.guard():
            self._show(*self._read())

    async def _load_off_loop(self) -> None:
        try:
            if self.context.analysis is not None and self.project is not None:
                with self.guard():
                    self._show(*await asyncio.to_thread(self._read))
        finally:
            self.loading = False

    def _read(self) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
        """Everything the page shows from MLflow; runs on a worker thread when served."""
        analysis = self.context.analysis
        assert analysis is not None and self.project is not None
        agent_id = self.agent.id if self.agent else None
        try:
            if agent_id is not None:
                runs = analysis.agent_executions(self.actor, agent_id)
            else:
                runs = analysis.project_executions(self.actor, self.project.id)
            calls = analysis.call_records(self.actor, self.project.id, agent_id)
        except (OSError, LookupError, ValueError) as error:
            log.warning("result analysis could not read MLflow: %s", error)
            raise PageProblem(self.t("analysis.unavailable")) from error
        link = None
        if not runs.empty:
            try:
                run_ids = list(runs["run_id"].dropna()[:20])
                link = analysis.compare_url(self.actor, self.project.id, run_ids)
            except (WorkbenchError, OSError, LookupError, ValueError):
                link = None  # the page is useful without the link
        return runs, calls, link

    def _show(self, runs: pd.DataFrame, calls: pd.DataFrame, link: str | None) -> None:
        self.calls = calls
        self.models = compare_models(calls)
        self.compare_link = link
        labels = {self.run_label(row): row.execution_id for row in runs.itertuples()}
        self.param.run_a.objects = self.param.run_b.objects = list(labels.values())
        self._run_a.options = self._run_b.options = labels
        if len(labels) >= 2:
            newest, previous, *_ = labels.values()
            self.run_a, self.run_b = previous, newest
        self.runs = runs

    def run_label(self, row) -> str:
        started = row.start_time.strftime("%m-%d %H:%M:%S") if pd.notna(row.start_time) else ""
        short = str(row.execution_id)[:8]
        return f"{row.agent_name} · {started} · {self.t(f'status.{row.status}')} · {short}"

    # -- the diff ------------------------------------------------------------------------------

    def compute_diff(self) -> None:
        """Each step's output of run A beside run B's, lines that differ highlighted (blocking)."""
        if self.run_a is None or self.run_b is None or self.context.analysis is None:
            return
        with self.guard():
            analysis = self.context.analysis
            a = analysis.step_outputs(self.actor, uuid.UUID(self.run_a))
            b = analysis.step_outputs(self.actor, uuid.UUID(self.run_b))
            self.diff = [
                (step, diff_rows(a.get(step, ""), b.get(step, "")))
                for step in dict.fromkeys([*a, *b])
            ]

    async def _on_diff(self, _event: object) -> None:
        self._diff_button.loading = True
        try:
            await asyncio.to_thread(self.compute_diff)
        finally:
            self._diff_button.loading = False

    # -- view ----------------------------------------------------------------------------------

    def runs_frame(self) -> pd.DataFrame:
        runs = self.runs if self.runs is not None else pd.DataFrame()
        rows = [
            {
                "agent": row.agent_name,
                "status": row.status,
                "started": row.start_time.strftime("%Y-%m-%d %H:%M:%S")
                if pd.notna(row.start_time)
                else "",
                "latency": format_latency(_number(row.latency_ms)),
                "tokens": format_tokens(
                    _integer(_number(row.input_tokens), _number(row.output_tokens))
                ),
                "cost": format_cost(_number(row.cost_usd)),
                "url": self.context.urls.page("/execution", id=row.execution_id),
            }
            for row in runs.itertuples()
        ]
        return pd.DataFrame(
            rows, columns=["agent", "status", "started", "latency", "tokens", "cost", "url"]
        )

    def models_frame(self) -> pd.DataFrame:
        models = self.models if self.models is not None else pd.DataFrame()
        rows = [
            {
                "model": row.model,
                "calls": int(row.calls),
                "success": f"{row.success_rate:.0%}",
                "latency_p50": format_latency(_number(row.latency_p50_ms)),
                "latency_p95": format_latency(_number(row.latency_p95_ms)),
                "tokens": format_tokens(
                    _integer(_number(row.input_tokens), _number(row.output_tokens))
                ),
                "cost": format_cost(_number(row.cost_usd)),
            }
            for row in models.itertuples()
        ]
        return pd.DataFrame(
            rows,
            columns=["model", "calls", "success", "latency_p50", "latency_p95", "tokens", "cost"],
        )

    @param.depends("runs", "loading")
    def _runs_table(self) -> pn.viewable.Viewable:
        t = self.t
        if self.loading:
            return pn.Row(
                pn.indicators.LoadingSpinner(value=True, size=24), literal(t("analysis.loading"))
            )
        if self.project is None:
            return literal(t("analysis.pick_project"))
        if self.context.analysis is None:
            return alert(t("analysis.not_configured"), kind="warning")
        if self.runs is None or self.runs.empty:
            return literal(t("analysis.no_runs"))
        return table(
            self.runs_frame(),
            t,
            titles={
                "agent": "common.agent",
                "status": "common.status",
                "started": "analysis.started",
                "latency": "common.latency",
                "tokens": "common.tokens",
                "cost": "common.cost",
            },
            links={"agent": "url"},
            status_columns=["status"],
            page_size=15,
            pagination="local",
        )

    @param.depends("models")
    def _models_table(self) -> pn.viewable.Viewable:
        if self.models is None or self.models.empty:
            return pn.Spacer(height=0)
        return pn.Column(heading(self.t("analysis.by_model"), 4), self._model_figures())

    def _model_figures(self) -> pn.widgets.Tabulator:
        return table(
            self.models_frame(),
            self.t,
            titles={
                "model": "common.model",
                "calls": "analysis.calls",
                "success": "analysis.success",
                "latency_p50": "analysis.latency_p50",
                "latency_p95": "analysis.latency_p95",
                "tokens": "common.tokens",
                "cost": "common.cost",
            },
        )

    @param.depends("models", "calls")
    def _plots(self) -> pn.viewable.Viewable:
        t = self.t
        if self.models is None or self.models.empty:
            return pn.Spacer(height=0)
        models = self.models.set_index("model")
        latency = models[["latency_p50_ms", "latency_p95_ms"]].rename(
            columns={"latency_p50_ms": "p50", "latency_p95_ms": "p95"}
        )
        tokens = models[["input_tokens", "output_tokens"]].rename(
            columns={"input_tokens": t("analysis.input"), "output_tokens": t("analysis.output")}
        )
        cost = models[["cost_usd"]].fillna(0).rename(columns={"cost_usd": "USD"})
        common = {
            "height": 280,
            "responsive": True,
            "rot": 20,
            "xlabel": t("common.model"),
            "shared_axes": False,
            "toolbar": None,
        }
        return pn.Row(
            latency.hvplot.bar(
                title=t("analysis.latency_by_model"), ylabel="ms", color=["#1e88e5", "#90caf9"],
                **common,
            ),
            tokens.hvplot.bar(
                stacked=True, title=t("analysis.tokens_by_model"), ylabel=t("common.tokens"),
                color=["#7b1fa2", "#ce93d8"], **common,
            ),
            cost.hvplot.bar(
                title=t("analysis.cost_by_model"), ylabel="USD", color=STATUS_COLOURS["COMPLETED"],
                yformatter="%.5f", **common,
            ),
            sizing_mode="stretch_width",
        )  # fmt: skip

    @param.depends("compare_link")
    def _mlflow_link(self) -> pn.viewable.Viewable:
        if not self.compare_link:
            return pn.Spacer(height=0)
        label = escape(self.t("analysis.open_in_mlflow"))
        return pn.pane.HTML(
            f'<div class="wb-links"><a href="{escape(self.compare_link)}">{label}</a></div>',
            stylesheets=[LINK_CSS],
        )

    @param.depends("diff")
    def _diff_view(self) -> pn.viewable.Viewable:
        if not self.diff:
            return pn.Spacer(height=0)
        sections: list[pn.viewable.Viewable] = []
        for step, frame in self.diff:
            changed = int((frame["change"] != "equal").sum())
            sections.append(heading(self.t("analysis.step_diff", step=step, changed=changed), 5))
            widget = table(
                frame,
                self.t,
                titles={"a": "analysis.run_a", "b": "analysis.run_b"},
                layout="fit_columns",
                widths={"a": "50%", "b": "50%"},
            )
            widget.style.apply(lambda row: [DIFF_COLOURS[row["change"]]] * len(row), axis=1)
            sections.append(widget)
        return pn.Column(*sections, sizing_mode="stretch_width")

    @param.depends("runs")
    def _diff_controls(self) -> pn.viewable.Viewable:
        if self.runs is None or len(self.runs) < 2:
            return pn.Spacer(height=0)
        return pn.Column(
            heading(self.t("analysis.outputs_side_by_side"), 4),
            pn.Row(self._run_a, self._run_b, self._diff_button),
            self._diff_view,
            sizing_mode="stretch_width",
        )

    def __panel__(self) -> pn.viewable.Viewable:
        parts: list[pn.viewable.Viewable] = [self.messages, self._chooser()]
        if self.project is None:
            if self._projects:
                parts.append(literal(self.t("analysis.pick_project")))
            return pn.Column(*parts, sizing_mode="stretch_width")
        parts += [
            self._mlflow_link,
            heading(self.t("analysis.runs"), 4),
            self._runs_table,
            self._models_table,
            self._plots,
            self._diff_controls,
        ]
        return pn.Column(*parts, sizing_mode="stretch_width")


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else number


def _integer(a: float | None, b: float | None) -> int | None:
    return None if a is None and b is None else int((a or 0) + (b or 0))
