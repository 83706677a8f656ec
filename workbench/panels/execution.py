"""Execution: run an agent with a form built from its inputs, then watch it live.

`ui/execution?agent=<id>` shows the run form; `ui/execution?id=<id>` shows one execution. While it
runs, the DAG fills in (queued, running, done, failed per step), running steps stream their text,
and each step shows its latency, tokens and cost, and its error in full. Events come from the
runner on the page's own loop (`LiveFeed`); the page never waits for the engine.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import panel as pn
import param

from agents.events import (
    CallFinished,
    Event,
    ExecutionFinished,
    ExecutionStarted,
    StepFailed,
    StepFinished,
    StepQueued,
    StepRetrying,
    StepSkipped,
    StepStarted,
    StepToken,
)
from agents.spec import AgentSpec, InputSpec, SpecValidationError
from workbench.errors import FieldError, InvalidInput
from workbench.panels.base import Page
from workbench.panels.dag import DagPicture, DagStep
from workbench.panels.live import LiveFeed
from workbench.panels.messages import PageProblem
from workbench.panels.tables import table
from workbench.panels.text import alert, escape_markdown, heading, literal, markdown
from workbench.panels.visuals import (
    format_cost,
    format_latency,
    format_tokens,
    status_badge,
)
from workbench.services import Execution, ExecutionStatus, ExecutionStep, TaskAgent

STREAM_FLUSH_MS = 150
TERMINAL_STEP = {"COMPLETED", "FAILED", "SKIPPED", "CANCELLED"}
PROGRESS_COLOURS = {"COMPLETED": "success", "FAILED": "danger", "CANCELLED": "warning"}


@dataclass
class StepView:
    """What the page knows of one step: from the database when it opens, then from events."""

    step_id: str
    kind: str = "prompt"
    depends_on: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    status: str = "QUEUED"
    output: Any = None
    error: str | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    retries: int = 0
    note: str = ""  # e.g. why it was skipped, or the retry under way
    calls: list[dict[str, Any]] = field(default_factory=list)
    streams: dict[str, str] = field(default_factory=dict)  # model -> streamed text so far

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STEP

    def shown(self) -> tuple[Any, ...]:
        """What the step's card shows (streams aside): a card is rebuilt when this changes."""
        return (
            self.status,
            repr(self.output),
            self.error,
            self.latency_ms,
            self.input_tokens,
            self.output_tokens,
            self.cost_usd,
            self.retries,
            self.note,
            len(self.calls),
            self.models,
        )

    def absorb_row(self, row: ExecutionStep) -> None:
        self.status = row.status.value
        self.models = tuple(row.models) or self.models
        self.output, self.error = row.output, row.error
        self.latency_ms, self.cost_usd = row.latency_ms, row.cost_usd
        self.input_tokens, self.output_tokens = row.input_tokens, row.output_tokens
        self.retries = row.retries
        self.calls = list((row.details or {}).get("calls", []))
        self.note = str((row.details or {}).get("reason") or "")


class ExecutionPage(Page):
    title_key = "execution.title"

    execution = param.ClassSelector(class_=Execution, default=None, allow_None=True)
    watching = param.Boolean(default=False)  # an execution is shown (not the run form)
    version = param.Integer(default=0)  # bumped whenever what the page shows changed

    def __init__(self, context, **params) -> None:
        super().__init__(context, **params)
        self.live = LiveFeed(context.runner, self.actor, in_server=context.in_server)
        self.steps: dict[str, StepView] = {}
        self.picture: DagPicture | None = None
        self._cards: dict[str, pn.Column] = {}  # step id -> the place of its card
        self._card_list = pn.Column(sizing_mode="stretch_width")
        self._dirty_streams: set[str] = set()
        self._stream_panes: dict[tuple[str, str], pn.pane.Markdown] = {}
        execution_id, agent_id = context.arg("id"), context.arg("agent")
        if execution_id:
            execution = self.services.executions.get_execution(self.actor, execution_id)
            self.agent: TaskAgent = self.services.agents.get_agent(
                self.actor, execution.task_agent_id
            )
            self.open(execution)
        elif agent_id:
            self.agent = self.services.agents.get_agent(self.actor, agent_id)
        else:
            raise PageProblem(self.t("execution.needs_agent"))
        self.spec = AgentSpec.from_columns(
            self.agent.configuration, self.agent.substeps, name=self.agent.name
        )
        self._inputs = {name: _input_widget(name, spec) for name, spec in self.spec.inputs.items()}
        self._run_button = pn.widgets.Button(
            label=self.t("execution.run"),
            color="primary",
            on_click=self._on_run,
            disabled=context.runner is None,
        )
        self._cancel_button = pn.widgets.Button(
            label=self.t("execution.cancel"),
            align="center",
            color="danger",
            variant="outline",
            on_click=self._on_cancel,
        )

    # -- opening and running -------------------------------------------------------------------

    def open(self, execution: Execution) -> None:
        """Show `execution`: its steps as stored, then live events while it runs."""
        if not execution.is_finished:
            # Subscribe first, then read: an event in between is applied twice, never lost.
            self.live.follow(execution.id, self.apply_event)
            execution = self.services.executions.get_execution(self.actor, execution.id)
        self.execution = execution
        spec = AgentSpec.from_columns(
            execution.spec.get("configuration", {}),
            execution.spec.get("substeps", []),
            name=self.agent.name,
        )
        dependencies = _safe_dependencies(spec)
        for step in spec.substeps:
            self.steps.setdefault(
                step.id,
                StepView(
                    step.id,
                    kind=step.kind,
                    depends_on=dependencies.get(step.id, ()),
                    models=tuple(m for m in step.model_refs(spec.defaults).values() if m),
                ),
            )
        for row in execution.steps:
            self.steps.setdefault(row.step_id, StepView(row.step_id, kind=row.kind))
            self.steps[row.step_id].absorb_row(row)
        self.picture = DagPicture(
            [DagStep(s.step_id, s.kind, s.depends_on, s.models) for s in self.steps.values()],
            self.t,
        )
        self._changed()
        self.watching = True

    def _changed(self, step_ids: Iterable[str] | None = None) -> None:
        """Show the new state: statuses patched into the picture, the summary rebuilt, and the
        cards of `step_ids` (of every step when None)."""
        if self.picture is not None:
            self.picture.show_statuses({s.step_id: s.status for s in self.steps.values()})
        for changed in list(self.steps) if step_ids is None else step_ids:
            card = self._cards.get(changed)
            if card is None:
                self._cards[changed] = card = pn.Column(sizing_mode="stretch_width")
                self._card_list.append(card)
            if changed in self.steps:
                card[:] = [self._step_card(self.steps[changed])]
        self.version += 1

    def input_values(self) -> dict[str, Any]:
        """The form's values, typed as the agent declares; a bad value names its input."""
        values: dict[str, Any] = {}
        for name, widget in self._inputs.items():
            kind, value = self.spec.inputs[name].type, widget.value
            if kind in ("list", "object") and str(value or "").strip():
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as e:
                    message = self.t("execution.not_json", reason=e.msg)
                    raise InvalidInput(message, field=f"inputs.{name}") from None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue  # the default applies, or the check below says it is missing
            values[name] = value
        problems = self.spec.input_problems(values)
        if problems:
            raise InvalidInput(
                "; ".join(str(p) for p in problems),
                errors=[FieldError(p.path, p.message) for p in problems],
            )
        return values

    def run(self) -> Execution | None:
        """Start the agent with the form's inputs and watch it (blocking: tests call this)."""
        if self.context.runner is None:
            self.show_warning(self.t("execution.no_runner"))
            return None
        with self.guard():
            inputs = self.input_values()
            execution = self.context.runner.start_execution(self.actor, self.agent.id, inputs)
            self._watch_started(execution)
            return execution
        return None

    async def _on_run(self, _event: object) -> None:
        # The runner blocks (it may wait for the engine to start): never on the page's loop.
        if self.context.runner is None:
            self.show_warning(self.t("execution.no_runner"))
            return
        self._run_button.loading = True
        try:
            with self.guard():
                inputs = self.input_values()
                start = self.context.runner.start_execution
                self._watch_started(
                    await asyncio.to_thread(start, self.actor, self.agent.id, inputs)
                )
        finally:
            self._run_button.loading = False

    def _watch_started(self, execution: Execution) -> None:
        self.steps.clear()
        self._cards.clear()
        self._card_list.clear()
        self._stream_panes.clear()
        self.open(execution)
        self.clear_messages()
        if self.in_server and pn.state.location is not None:
            pn.state.location.search = f"?id={execution.id}"

    def cancel(self) -> None:
        """Cancel the execution (blocking until its status is final)."""
        if self.execution is None or self.context.runner is None:
            return
        with self.guard():
            self.context.runner.cancel_execution(self.actor, self.execution.id)
            self.refresh_from_database()

    async def _on_cancel(self, _event: object) -> None:
        if self.execution is None or self.context.runner is None:
            return
        self._cancel_button.loading = True
        try:
            with self.guard():
                cancel = self.context.runner.cancel_execution
                await asyncio.to_thread(cancel, self.actor, self.execution.id)
                self.refresh_from_database()
        finally:
            self._cancel_button.loading = False

    def refresh_from_database(self) -> None:
        if self.execution is None:
            return
        execution = self.services.executions.get_execution(self.actor, self.execution.id)
        self.execution = execution
        changed = []
        for row in execution.steps:
            step = self.steps.setdefault(row.step_id, StepView(row.step_id, kind=row.kind))
            before = step.shown()
            step.absorb_row(row)
            if step.shown() != before or row.step_id not in self._cards:
                changed.append(row.step_id)
        self._changed(changed)

    # -- live events ---------------------------------------------------------------------------

    def apply_event(self, event: Event) -> None:
        """Update what the page shows from one engine event (runs on the page's loop)."""
        if self.execution is None or event.execution_id != str(self.execution.id):
            return
        if isinstance(event, StepToken):
            step = self.steps.setdefault(event.step_id, StepView(event.step_id))
            key = event.model or "answer"
            step.streams[key] = step.streams.get(key, "") + event.text
            first = not self._dirty_streams
            self._dirty_streams.add(event.step_id)
            if first:  # one update of the page per {STREAM_FLUSH_MS}, not one per token
                self.live.soon(self.flush_streams, STREAM_FLUSH_MS)
            return
        if isinstance(event, (ExecutionStarted, StepStarted)):
            self._mark_running()
        if isinstance(event, ExecutionStarted):
            for step_id in event.step_ids:
                self.steps.setdefault(step_id, StepView(step_id))
        elif isinstance(event, StepQueued):
            step = self.steps.setdefault(event.step_id, StepView(event.step_id))
            step.depends_on = tuple(event.depends_on) or step.depends_on
            step.status = "QUEUED"
        elif isinstance(event, StepStarted):
            step = self.steps.setdefault(event.step_id, StepView(event.step_id))
            step.status, step.kind = "RUNNING", event.kind
            step.models = tuple(event.models) or step.models
        elif isinstance(event, StepRetrying):
            step = self.steps.setdefault(event.step_id, StepView(event.step_id))
            step.note = self.t(
                "execution.retrying", model=event.model, attempt=event.attempt, delay=event.delay_s
            )
        elif isinstance(event, CallFinished) and event.call is not None:
            self.steps.setdefault(event.step_id, StepView(event.step_id)).calls.append(
                event.call.to_dict()
            )
        elif isinstance(event, StepFinished):
            step = self.steps.setdefault(event.step_id, StepView(event.step_id))
            step.status, step.output, step.note = "COMPLETED", event.output, ""
            step.latency_ms, step.cost_usd = event.latency_ms, event.cost_usd
            step.input_tokens, step.output_tokens = event.input_tokens, event.output_tokens
            step.retries = event.retries
            step.calls = [c.to_dict() for c in event.calls] or step.calls
        elif isinstance(event, StepFailed):
            step = self.steps.setdefault(event.step_id, StepView(event.step_id))
            step.status = "CANCELLED" if event.error_type == "cancelled" else "FAILED"
            step.error, step.latency_ms, step.retries = event.error, event.latency_ms, event.retries
            step.calls = [c.to_dict() for c in event.calls] or step.calls
        elif isinstance(event, StepSkipped):
            step = self.steps.setdefault(event.step_id, StepView(event.step_id))
            step.status, step.note = "SKIPPED", event.reason
        elif isinstance(event, ExecutionFinished):
            self.live.unfollow(self.execution.id)
            self.flush_streams()
            self.refresh_from_database()
            return
        step_id = getattr(event, "step_id", None)
        self._changed([step_id] if step_id else None)

    def _mark_running(self) -> None:
        # The row read on opening may predate the start; the events say it runs now.
        if self.execution is not None and self.execution.status == ExecutionStatus.PENDING:
            self.execution = replace(self.execution, status=ExecutionStatus.RUNNING)

    def flush_streams(self) -> None:
        """Push the text streamed since the last flush into the running steps' panes."""
        for step_id in list(self._dirty_streams):
            for model, text in self.steps[step_id].streams.items():
                pane = self._stream_panes.get((step_id, model))
                if pane is not None and pane.object != text:
                    pane.object = text
        self._dirty_streams.clear()

    # -- derived -------------------------------------------------------------------------------

    @property
    def status(self) -> str:
        return self.execution.status.value if self.execution else "PENDING"

    @property
    def progress(self) -> tuple[int, int]:
        """(finished steps, all steps)."""
        return sum(1 for s in self.steps.values() if s.finished), len(self.steps)

    def stream_text(self, step_id: str, model: str | None = None) -> str:
        streams = self.steps[step_id].streams
        return streams.get(model or "answer", "") if model else "".join(streams.values())

    # -- view ----------------------------------------------------------------------------------

    @param.depends("version")
    def _summary(self) -> pn.viewable.Viewable:
        t = self.t
        if self.execution is None:
            return pn.Spacer(height=0)
        e = self.execution
        done, total = self.progress
        progress = pn.indicators.Progress(
            value=done,
            max=max(total, 1),
            bar_color=PROGRESS_COLOURS.get(self.status, "primary"),
            sizing_mode="stretch_width",
            height=18,
        )
        figures = literal(
            t(
                "execution.figures",
                done=done,
                total=total,
                latency=format_latency(e.latency_ms),
                tokens=format_tokens(_sum(e.input_tokens, e.output_tokens)),
                cost=format_cost(e.cost_usd),
            )
        )
        inputs = "  \n".join(
            f"**{escape_markdown(name)}**: {escape_markdown(_as_text(value))}"
            for name, value in e.inputs.items()
        )
        parts: list[pn.viewable.Viewable] = [
            pn.Row(
                heading(
                    t("execution.run_number", agent=self.agent.name, number=e.number),
                    3,
                    align="center",
                ),
                status_badge(t, self.status, align="center"),
                self._cancel_button if not e.is_finished else pn.Spacer(width=0),
            ),
            progress,
            figures,
        ]
        if inputs:
            parts.append(pn.Card(markdown(inputs), title=t("execution.inputs"), collapsed=True))
        if e.error:
            parts.append(alert(e.error, kind="danger"))
        return pn.Column(*parts, sizing_mode="stretch_width")

    def _step_card(self, step: StepView) -> pn.viewable.Viewable:
        t = self.t
        figures = t(
            "execution.step_figures",
            latency=format_latency(step.latency_ms),
            tokens=format_tokens(_sum(step.input_tokens, step.output_tokens)),
            cost=format_cost(step.cost_usd),
            retries=step.retries,
        )
        body: list[pn.viewable.Viewable] = [
            pn.Row(
                status_badge(t, step.status),
                literal(", ".join(step.models)),
                literal(figures),
            )
        ]
        if step.note:
            body.append(alert(step.note, kind="warning" if step.status != "SKIPPED" else "light"))
        if step.error:
            body.append(alert(step.error, kind="danger"))
        if step.status == "RUNNING" or (step.streams and step.output is None):
            body.append(self._streams(step))
        elif step.output is not None:
            body.append(_output_view(step.output))
        if step.calls:
            body.append(self._calls_table(step))
        return pn.Card(
            *body,
            title=f"{step.step_id} · {t(f'agent.kind.{step.kind}')}",
            collapsed=False,
            sizing_mode="stretch_width",
        )

    def _streams(self, step: StepView) -> pn.viewable.Viewable:
        models = list(step.streams) or list(step.models) or ["answer"]
        columns = []
        for model in models:
            key = (step.step_id, model)
            pane = self._stream_panes.get(key)
            if pane is None:
                waiting = f"*{escape_markdown(self.t('execution.waiting'))}*"
                pane = markdown(step.streams.get(model) or waiting, sizing_mode="stretch_width")
                self._stream_panes[key] = pane
            header = [] if model == "answer" else [literal(model, styles={"font-weight": "600"})]
            columns.append(pn.Column(*header, pane, sizing_mode="stretch_width"))
        return pn.Row(*columns, sizing_mode="stretch_width")

    def _calls_table(self, step: StepView) -> pn.viewable.Viewable:
        frame = pd.DataFrame(
            [
                {
                    "model": c.get("model", ""),
                    "role": c.get("role", ""),
                    "round": c.get("round") or "",
                    "verdict": c.get("verdict") or "",
                    "latency": format_latency(c.get("latency_ms")),
                    "tokens": format_tokens(_sum(c.get("input_tokens"), c.get("output_tokens"))),
                    "cost": format_cost(c.get("cost_usd")),
                    "error": c.get("error") or "",
                }
                for c in step.calls
            ]
        )
        return pn.Card(
            table(
                frame,
                self.t,
                titles={
                    "model": "common.model",
                    "role": "execution.role",
                    "round": "execution.round",
                    "verdict": "execution.verdict",
                    "latency": "common.latency",
                    "tokens": "common.tokens",
                    "cost": "common.cost",
                    "error": "execution.error",
                },
            ),
            title=self.t("execution.calls", count=len(step.calls)),
            collapsed=True,
            sizing_mode="stretch_width",
        )

    def _form(self) -> pn.viewable.Viewable:
        t = self.t
        parts: list[pn.viewable.Viewable] = [heading(t("execution.inputs"), 4)]
        parts += list(self._inputs.values()) or [literal(t("execution.no_inputs"))]
        parts.append(self._run_button)
        if self.context.runner is None:
            parts.append(alert(t("execution.no_runner"), kind="warning"))
        return pn.Column(*parts, width=420)

    @param.depends("watching")
    def _body(self) -> pn.viewable.Viewable:
        if not self.watching or self.picture is None:
            dependencies = _safe_dependencies(self.spec)
            steps = [DagStep(s.id, s.kind, dependencies.get(s.id, ())) for s in self.spec.substeps]
            return pn.Row(self._form(), DagPicture(steps, self.t).pane, sizing_mode="stretch_width")
        return pn.Column(
            self._summary, self.picture.pane, self._card_list, sizing_mode="stretch_width"
        )

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self.messages, self._body, sizing_mode="stretch_width")


def _input_widget(name: str, spec: InputSpec) -> pn.widgets.Widget:
    label = name if not spec.description else f"{name} — {spec.description}"
    default = spec.default
    if spec.type == "text":
        return pn.widgets.TextAreaInput(label=label, value=default or "", height=120)
    if spec.type == "integer":
        return pn.widgets.IntInput(label=label, value=default)
    if spec.type == "number":
        return pn.widgets.FloatInput(label=label, value=default)
    if spec.type == "boolean":
        return pn.widgets.Checkbox(label=label, value=bool(default))
    if spec.type in ("list", "object"):
        shown = json.dumps(default, ensure_ascii=False) if default is not None else ""
        return pn.widgets.TextAreaInput(label=label, value=shown, height=80)
    return pn.widgets.TextInput(label=label, value=default or "")


def _output_view(output: Any) -> pn.viewable.Viewable:
    """A step's output as text: side by side per model for a comparison."""
    if isinstance(output, dict):
        return pn.Row(
            *[
                pn.Column(
                    literal(str(model), styles={"font-weight": "600"}),
                    markdown(_as_text(text), sizing_mode="stretch_width"),
                    sizing_mode="stretch_width",
                )
                for model, text in output.items()
            ],
            sizing_mode="stretch_width",
        )
    return markdown(_as_text(output), sizing_mode="stretch_width")


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)


def _sum(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


def _safe_dependencies(spec: AgentSpec) -> dict[str, tuple[str, ...]]:
    try:
        return spec.dependencies()
    except (SpecValidationError, KeyError):
        return {}
