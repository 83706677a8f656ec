"""Agent create / edit: a form for the common case, a YAML/JSON editor for the rest, the DAG.

The spec text is the source of truth. It is checked with the engine's own validation as it is
typed, and each problem is marked in the editor's gutter at the line it is about, described in the
visitor's language (`spec_text.describe_problem`). The form edits the same data (name, default
model, inputs, and one step at a time) and rewrites the text. Starters give a first spec, in the
visitor's language: a single prompt, a comparison of models, draft–critique–refine.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

import panel as pn
import param
import yaml

from agents.spec import STEP_KINDS, AgentSpec
from workbench.panels.base import Page
from workbench.panels.dag import DagPicture, steps_of_spec
from workbench.panels.messages import PageProblem
from workbench.panels.spec_text import PlacedProblem, check, render
from workbench.panels.starters import STARTERS, starter_spec, suggested_models
from workbench.panels.text import alert, alert_list, heading, literal
from workbench.services import MAX_LIMIT, Project, TaskAgent

INPUT_TYPES = ("string", "text", "integer", "number", "boolean", "list", "object")


class AgentEditorPage(Page):
    title_key = "agent.title"

    spec_format = param.Selector(objects=["yaml", "json"], default="yaml")
    spec_text = param.String(default="")
    problems = param.List(default=[], item_type=PlacedProblem)
    spec = param.ClassSelector(class_=AgentSpec, default=None, allow_None=True)
    description = param.String(default="")
    agent = param.ClassSelector(class_=TaskAgent, default=None, allow_None=True)
    # The form: the agent as a whole ...
    form_name = param.String(default="")
    form_default_model = param.String(default="")
    form_inputs = param.String(default="")  # name:type, comma separated
    # ... and one step at a time.
    step_choice = param.String(default=None, allow_None=True)  # the step the form edits
    step_id = param.String(default="")
    step_kind = param.Selector(objects=list(STEP_KINDS), default="prompt")
    step_models = param.String(default="")  # one model, or several comma separated
    step_prompt = param.String(default="")
    step_depends_on = param.String(default="")  # comma separated; empty: derived
    step_criteria = param.String(default="")

    def __init__(self, context, **params) -> None:
        super().__init__(context, **params)
        self.project: Project = self._load()
        t = self.t
        self._editor = pn.widgets.CodeEditor(
            value=self.spec_text,
            language=self.spec_format,
            sizing_mode="stretch_width",
            height=420,
            on_keyup=True,
        )
        self._editor.param.watch(self._on_typed, "value_input")
        self._editor.param.watch(self._on_typed, "value")
        self._format = pn.widgets.RadioButtonGroup(
            options={"YAML": "yaml", "JSON": "json"}, value=self.spec_format
        )
        self._format.param.watch(lambda e: self.switch_format(e.new), "value")
        self._starter = pn.widgets.Select(
            label=t("agent.starter"),
            options={t(f"agent.starter.{kind}"): kind for kind in STARTERS},
        )
        self._use_starter = pn.widgets.Button(
            label=t("agent.use_starter"),
            on_click=lambda _: self.use_starter(self._starter.value),
            align="end",
        )
        self._description = pn.widgets.TextAreaInput.from_param(
            self.param.description, label=t("projects.description"), height=70
        )
        self._save = pn.widgets.Button(
            label=t("agent.save"), color="primary", on_click=lambda _: self.save()
        )
        self._form_widgets = self._build_form()
        self.validate()

    # -- loading -------------------------------------------------------------------------------

    def _load(self) -> Project:
        agent_id, project_id = self.context.arg("id"), self.context.arg("project")
        if agent_id:
            self.agent = self.services.agents.get_agent(self.actor, agent_id)
            project = self.services.projects.get_project(self.actor, self.agent.project_id)
            spec = AgentSpec.from_columns(
                self.agent.configuration, self.agent.substeps, name=self.agent.name
            )
            self.description = self.agent.description
            self.spec_text = render(spec.to_dict(), self.spec_format)
            return project
        if not project_id:
            raise PageProblem(self.t("agent.needs_project"))
        project = self.services.projects.get_project(self.actor, project_id)
        self.spec_text = render(self._starter_data("single_prompt"), self.spec_format)
        return project

    def _starter_data(self, kind: str) -> dict[str, Any]:
        keys = self.services.keys.list_keys(self.actor, limit=MAX_LIMIT).items
        models = suggested_models(k.provider for k in keys)
        return starter_spec(kind, self.t(f"agent.starter.{kind}"), models, self.t)

    # -- the text ------------------------------------------------------------------------------

    def _on_typed(self, event: param.parameterized.Event) -> None:
        if event.new != self.spec_text:
            self.spec_text = event.new

    @param.depends("spec_text", watch=True)
    def validate(self) -> None:
        """Check the text with the engine's validation; mark each problem at its line."""
        spec, problems = check(self.spec_text, self.spec_format)
        self.problems = problems
        if spec is not None and not problems:
            self.spec = spec
        elif spec is None:
            self.spec = None
        if hasattr(self, "_editor"):
            if self._editor.value != self.spec_text:
                self._editor.value = self.spec_text
            self._editor.annotations = [p.annotation(self.t) for p in problems]
            self._fill_form()

    def raw_data(self) -> dict[str, Any] | None:
        """The text as plain data, problems or not; None when it is not YAML/JSON at all."""
        try:
            data = (
                json.loads(self.spec_text)
                if self.spec_format == "json"
                else yaml.safe_load(self.spec_text)
            )
        except (json.JSONDecodeError, yaml.YAMLError):
            return None
        return data if isinstance(data, dict) else None

    def _write(self, data: dict[str, Any]) -> None:
        self.spec_text = render(data, self.spec_format)

    def switch_format(self, fmt: str) -> None:
        data = self.raw_data()
        if data is None:
            self.show_error(PageProblem(self.t("agent.fix_syntax_first")))
            self._format.value = self.spec_format
            return
        self.spec_format = fmt
        self._editor.language = fmt
        self._write(data)

    def use_starter(self, kind: str) -> None:
        self._write(self._starter_data(kind))

    # -- the form ------------------------------------------------------------------------------

    def _build_form(self) -> dict[str, pn.viewable.Viewable]:
        t = self.t
        # Not linked with from_param: its options and value change together, in one update.
        self._step_select = pn.widgets.Select(label=t("agent.step"), options=[])
        self._step_select.param.watch(self._on_step_picked, "value")
        return {
            "name": pn.widgets.TextInput.from_param(self.param.form_name, label=t("agent.name")),
            "model": pn.widgets.TextInput.from_param(
                self.param.form_default_model,
                label=t("agent.default_model"),
                placeholder=t("agent.default_model_hint"),
            ),
            "inputs": pn.widgets.TextInput.from_param(
                self.param.form_inputs, label=t("agent.inputs"), placeholder=t("agent.inputs_hint")
            ),
            "apply_agent": pn.widgets.Button(
                label=t("agent.apply"), on_click=lambda _: self.apply_agent_form()
            ),
            "step": self._step_select,
            "step_id": pn.widgets.TextInput.from_param(
                self.param.step_id, label=t("agent.step_id")
            ),
            "kind": pn.widgets.Select.from_param(
                self.param.step_kind,
                label=t("agent.step_kind"),
                options={t(f"agent.kind.{kind}"): kind for kind in STEP_KINDS},
            ),
            "models": pn.widgets.TextInput.from_param(
                self.param.step_models, label=t("agent.step_models")
            ),
            "prompt": pn.widgets.TextAreaInput.from_param(
                self.param.step_prompt, label=t("agent.step_prompt"), height=110
            ),
            "depends_on": pn.widgets.TextInput.from_param(
                self.param.step_depends_on, label=t("agent.step_depends_on")
            ),
            "criteria": pn.widgets.TextInput.from_param(
                self.param.step_criteria, label=t("agent.step_criteria")
            ),
            "apply_step": pn.widgets.Button(
                label=t("agent.apply_step"), on_click=lambda _: self.apply_step_form()
            ),
            "add_step": pn.widgets.Button(
                label=t("agent.add_step"), on_click=lambda _: self.add_step()
            ),
            "remove_step": pn.widgets.Button(
                label=t("agent.remove_step"),
                color="danger",
                variant="outline",
                on_click=lambda _: self.remove_step(),
            ),
        }

    def _fill_form(self) -> None:
        data = self.raw_data()
        if data is None:
            return
        self.form_name = str(data.get("name", ""))
        defaults = data.get("defaults") if isinstance(data.get("defaults"), dict) else {}
        self.form_default_model = str(defaults.get("model") or "")
        inputs = data.get("inputs") if isinstance(data.get("inputs"), dict) else {}
        self.form_inputs = ", ".join(
            f"{name}:{spec.get('type', 'string') if isinstance(spec, dict) else spec}"
            for name, spec in inputs.items()
        )
        ids = [str(s.get("id", "")) for s in _steps(data)]
        if self.step_choice not in ids:
            self.step_choice = ids[0] if ids else None
        if hasattr(self, "_step_select"):
            self._step_select.param.update(options=ids, value=self.step_choice)
        self._fill_step()

    def _on_step_picked(self, event: param.parameterized.Event) -> None:
        if event.new is not None and event.new != self.step_choice:
            self.step_choice = event.new
            self._fill_step()

    def pick_step(self, step_id: str) -> None:
        """Edit `step_id` in the form."""
        self.step_choice = step_id
        self._fill_form()

    def _fill_step(self) -> None:
        step = self._step_data(self.step_choice)
        if step is None:
            return
        self.step_id = str(step.get("id", ""))
        self.step_kind = step.get("kind", "prompt") if step.get("kind") in STEP_KINDS else "prompt"
        models = step.get("models") if self.step_kind == "compare" else [step.get("model")]
        self.step_models = ", ".join(str(m) for m in (models or []) if m)
        self.step_prompt = str(step.get("prompt", ""))
        depends = step.get("depends_on")
        self.step_depends_on = ", ".join(depends) if isinstance(depends, list) else ""
        self.step_criteria = str(step.get("criteria", ""))

    def _step_data(self, step_id: str | None) -> dict[str, Any] | None:
        data = self.raw_data()
        if data is None or step_id is None:
            return None
        return next((s for s in _steps(data) if s.get("id") == step_id), None)

    def apply_agent_form(self) -> None:
        data = self.raw_data()
        if data is None:
            self.show_error(PageProblem(self.t("agent.fix_syntax_first")))
            return
        data["name"] = self.form_name.strip()
        defaults = dict(data.get("defaults") or {})
        if self.form_default_model.strip():
            defaults["model"] = self.form_default_model.strip()
        else:
            defaults.pop("model", None)
        data["defaults"] = defaults
        inputs: dict[str, str] = {}
        for item in _split(self.form_inputs):
            name, _, kind = item.partition(":")
            inputs[name.strip()] = kind.strip() or "string"
        data["inputs"] = inputs
        self._write(_ordered(data))

    def apply_step_form(self) -> None:
        data = self.raw_data()
        if data is None or self.step_choice is None:
            self.show_error(PageProblem(self.t("agent.fix_syntax_first")))
            return
        steps = _steps(data)
        index = next(i for i, s in enumerate(steps) if s.get("id") == self.step_choice)
        step: dict[str, Any] = {"id": self.step_id.strip(), "kind": self.step_kind}
        models = _split(self.step_models)
        if self.step_kind == "compare":
            step["models"] = models
        elif models:
            step["model"] = models[0]
        if self.step_kind == "feedback_loop":
            step["criteria"] = self.step_criteria
            keep = {k: v for k, v in steps[index].items() if k in ("judge", "max_rounds")}
            step.update(keep)
        step["prompt"] = self.step_prompt
        if _split(self.step_depends_on):
            step["depends_on"] = _split(self.step_depends_on)
        for key in ("system", "params", "description", "timeout", "retries", "cache"):
            if key in steps[index]:
                step[key] = steps[index][key]
        steps[index] = step
        data["substeps"] = steps
        self.step_choice = step["id"]
        self._write(data)

    def add_step(self) -> None:
        data = self.raw_data()
        if data is None:
            self.show_error(PageProblem(self.t("agent.fix_syntax_first")))
            return
        steps = _steps(data)
        taken = {s.get("id") for s in steps}
        number = len(steps) + 1
        while f"step_{number}" in taken:
            number += 1
        previous = steps[-1].get("id") if steps else None
        prompt = (
            self.t("agent.new_step_prompt", previous=f"{{{{ {previous} }}}}")
            if previous
            else self.t("agent.new_step_first_prompt")
        )
        steps.append({"id": f"step_{number}", "kind": "prompt", "prompt": prompt})
        data["substeps"] = steps
        self.step_choice = f"step_{number}"
        self._write(data)

    def remove_step(self) -> None:
        data = self.raw_data()
        if data is None or self.step_choice is None:
            return
        data["substeps"] = [s for s in _steps(data) if s.get("id") != self.step_choice]
        self._write(data)

    # -- saving --------------------------------------------------------------------------------

    def save(self) -> TaskAgent | None:
        if self.spec is None or self.problems:
            self.show_error(PageProblem(self.t("agent.fix_problems_first")))
            return None
        configuration, substeps = self.spec.to_columns()
        data = {
            "name": self.spec.name,
            "description": self.description,
            "configuration": configuration,
            "substeps": substeps,
        }
        with self.guard():
            if self.agent is None:
                self.agent = self.services.agents.create_agent(self.actor, self.project.id, data)
            else:
                self.agent = self.services.agents.update_agent(self.actor, self.agent.id, data)
            self.show_success(self.t("agent.saved", name=self.agent.name))
            return self.agent
        return None

    # -- view ----------------------------------------------------------------------------------

    @param.depends("problems")
    def _problem_list(self) -> pn.viewable.Viewable:
        if not self.problems:
            return alert(self.t("agent.valid"), kind="success")
        lines = [
            f"{self.t('agent.line', line=p.line + 1) if p.line is not None else ''} "
            f"{p.describe(self.t)}".strip()
            for p in self.problems
        ]
        return alert_list(self.t("agent.problems", count=len(self.problems)), lines, kind="danger")

    @param.depends("spec")
    def _dag(self) -> pn.viewable.Viewable:
        if self.spec is None:
            return literal(self.t("agent.no_picture"))
        return DagPicture(steps_of_spec(self.spec), self.t).pane

    @param.depends("step_kind")
    def _step_fields(self) -> pn.viewable.Viewable:
        w = self._form_widgets
        fields = [w["step"], w["step_id"], w["kind"], w["models"], w["prompt"], w["depends_on"]]
        if self.step_kind == "feedback_loop":
            fields.append(w["criteria"])
        buttons = (w["apply_step"], w["add_step"], w["remove_step"])
        # Wraps: the Japanese labels are wider than the form.
        fields.append(pn.FlexBox(*buttons, flex_wrap="wrap", sizing_mode="stretch_width"))
        return pn.Column(*fields, sizing_mode="stretch_width")

    @param.depends("agent")
    def _links(self) -> pn.viewable.Viewable:
        urls, t = self.context.urls, self.t
        links = [(urls.page("/project", id=self.project.id), t("agent.back_to_project"))]
        if self.agent is not None:
            links.insert(0, (urls.page("/execution", agent=self.agent.id), t("agent.run")))
        return pn.pane.HTML(
            " ".join(
                f'<a class="wb-button" href="{escape(u)}">{escape(label)}</a>' for u, label in links
            ),
            stylesheets=[LINK_CSS],
        )

    def __panel__(self) -> pn.viewable.Viewable:
        t = self.t
        w = self._form_widgets
        form = pn.Column(
            heading(t("agent.form"), level=4),
            w["name"],
            w["model"],
            w["inputs"],
            w["apply_agent"],
            pn.layout.Divider(),
            self._step_fields,
            width=380,
        )
        editor = pn.Column(
            pn.Row(heading(t("agent.spec"), level=4), self._format),
            pn.Row(self._starter, self._use_starter),
            self._editor,
            self._problem_list,
            sizing_mode="stretch_width",
        )
        return pn.Column(
            self.messages,
            heading(t("agent.in_project", project=self.project.name), level=3),
            self._links,
            pn.Row(form, editor, sizing_mode="stretch_width"),
            heading(t("agent.dag"), level=4),
            self._dag,
            self._description,
            self._save,
            sizing_mode="stretch_width",
        )


LINK_CSS = """
a.wb-button { display: inline-block; padding: 6px 14px; margin-right: 8px; border-radius: 6px;
              background: #1f3a5f; color: white; text-decoration: none; font-weight: 600; }
"""


def _steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    steps = data.get("substeps")
    return [dict(s) for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    """name, description, defaults, inputs first, then the rest: how people read a spec."""
    first = ("name", "version", "description", "defaults", "inputs")
    ordered = {key: data[key] for key in first if key in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    return ordered
