"""Agent specs: round trips, derived dependencies, every kind of problem reported with its path."""

from __future__ import annotations

import pytest

from agents import templates
from agents.spec import AgentSpec, SpecProblem, SpecValidationError

WRITER_YAML = """
name: writer
description: Outline, compare, then polish an essay.
defaults: {model: "openai:gpt-4o-mini", temperature: 0.2, max_tokens: 400}
inputs:
  topic: string
  points: {type: integer, default: 3, description: how many points}
substeps:
  - id: outline
    system: You are a careful editor.
    prompt: "Outline {{ topic }} in {{ points }} points."
  - id: opinions
    kind: compare
    models: ["openai:gpt-4o-mini", "anthropic:claude-sonnet-4", "google:gemini-2.5-flash"]
    prompt: "Which point of this outline is weakest?\\n{{ outline }}"
  - id: essay
    kind: feedback_loop
    judge: "anthropic:claude-sonnet-4"
    criteria: "Under 200 words; every point of the outline is covered."
    max_rounds: 2
    prompt: "Write the essay.\\n{{ outline }}\\nCritiques: {{ opinions }}"
"""


def paths(problems: list[SpecProblem]) -> list[str]:
    return [p.path for p in problems]


def spec_with(*steps: dict, inputs: dict | None = None, model: str = "demo:echo") -> AgentSpec:
    return AgentSpec.parse(
        {"name": "t", "defaults": {"model": model}, "inputs": inputs or {}, "substeps": list(steps)}
    )


@pytest.fixture
def writer() -> AgentSpec:
    return AgentSpec.from_yaml(WRITER_YAML)


# ---- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "round_trip",
    [
        lambda s: AgentSpec.from_json(s.to_json()),
        lambda s: AgentSpec.from_yaml(s.to_yaml()),
        lambda s: AgentSpec.from_columns(*s.to_columns()),
        lambda s: AgentSpec.parse(s.to_dict()),
    ],
    ids=["json", "yaml", "columns", "dict"],
)
def test_spec_round_trips_unchanged(writer: AgentSpec, round_trip) -> None:
    assert round_trip(writer) == writer
    assert writer.problems() == []


def test_columns_split_substeps_from_configuration(writer: AgentSpec) -> None:
    configuration, substeps = writer.to_columns()
    assert "substeps" not in configuration
    assert configuration["defaults"]["model"] == "openai:gpt-4o-mini"
    assert [s["id"] for s in substeps] == ["outline", "opinions", "essay"]
    assert [s["kind"] for s in substeps] == ["prompt", "compare", "feedback_loop"]


def test_from_columns_takes_the_agent_name_column_first(writer: AgentSpec) -> None:
    configuration, substeps = writer.to_columns()
    assert AgentSpec.from_columns(configuration, substeps, name="renamed").name == "renamed"


def test_input_shorthand_means_a_typed_input(writer: AgentSpec) -> None:
    assert writer.inputs["topic"].type == "string"
    assert writer.inputs["topic"].required
    assert not writer.inputs["points"].required


# ---- the graph ---------------------------------------------------------------------------------


def test_depends_on_is_derived_from_template_references(writer: AgentSpec) -> None:
    assert writer.dependencies() == {
        "outline": (),
        "opinions": ("outline",),
        "essay": ("outline", "opinions"),
    }


def test_explicit_depends_on_adds_ordering_without_references() -> None:
    spec = spec_with(
        {"id": "a", "prompt": "first"},
        {"id": "b", "prompt": "second", "depends_on": ["a"]},
    )
    assert spec.problems() == []
    assert spec.dependencies()["b"] == ("a",)
    assert spec.order() == ("a", "b")


def test_order_puts_dependencies_first_and_keeps_spec_order_otherwise() -> None:
    spec = spec_with(
        {"id": "late", "prompt": "{{ early }}"},
        {"id": "x", "prompt": "x"},
        {"id": "early", "prompt": "e"},
    )
    assert spec.order() == ("x", "early", "late")


# ---- problems, one kind at a time --------------------------------------------------------------


def test_cycle_is_reported_with_its_steps() -> None:
    spec = spec_with(
        {"id": "a", "prompt": "{{ c }}"},
        {"id": "b", "prompt": "{{ a }}"},
        {"id": "c", "prompt": "{{ b }}"},
    )
    [problem] = spec.problems()
    assert problem.path == "substeps.0"
    assert "cycle" in problem.message
    assert all(name in problem.message for name in ("a", "b", "c"))


def test_reference_to_unknown_name_names_inputs_and_steps() -> None:
    spec = spec_with({"id": "a", "prompt": "{{ topc }}"}, inputs={"topic": "string"})
    [problem] = spec.problems()
    assert problem.path == "substeps.0.prompt"
    assert "'topc'" in problem.message and "topic" in problem.message


def test_unknown_provider_lists_the_known_ones() -> None:
    spec = spec_with({"id": "a", "model": "opnai:gpt-4o", "prompt": "hi"})
    [problem] = spec.problems()
    assert problem == SpecProblem(
        "substeps.0.model",
        "provider 'opnai' is unknown (known: openai, anthropic, google, openai-compatible, demo)",
    )


def test_bad_default_model_is_reported_once_at_defaults() -> None:
    spec = spec_with({"id": "a", "prompt": "1"}, {"id": "b", "prompt": "2"}, model="gpt-4o")
    assert paths(spec.problems()) == ["defaults.model"]


def test_missing_model_says_where_to_set_it() -> None:
    spec = AgentSpec.parse({"name": "t", "substeps": [{"id": "a", "prompt": "hi"}]})
    [problem] = spec.problems()
    assert problem.path == "substeps.0.model"
    assert "defaults.model" in problem.message


def test_unknown_dependency_and_self_dependency() -> None:
    spec = spec_with({"id": "a", "prompt": "hi", "depends_on": ["nope", "a"]})
    assert paths(spec.problems()) == ["substeps.0.depends_on.0", "substeps.0.depends_on.1"]


def test_explicit_depends_on_must_cover_template_references() -> None:
    spec = spec_with(
        {"id": "a", "prompt": "hi"},
        {"id": "b", "prompt": "{{ a }}", "depends_on": []},
    )
    [problem] = spec.problems()
    assert problem.path == "substeps.1.depends_on"
    assert "'a'" in problem.message


def test_duplicate_step_ids_and_input_clash() -> None:
    spec = spec_with(
        {"id": "a", "prompt": "1"},
        {"id": "a", "prompt": "2"},
        {"id": "topic", "prompt": "3"},
        inputs={"topic": "string"},
    )
    assert paths(spec.problems()) == ["substeps.1.id", "substeps.2.id"]


def test_template_syntax_error_points_at_the_field() -> None:
    spec = spec_with({"id": "a", "system": "{% if %}", "prompt": "fine"})
    [problem] = spec.problems()
    assert problem.path == "substeps.0.system"
    assert "syntax error" in problem.message


def test_compare_listing_a_model_twice() -> None:
    spec = spec_with({"id": "c", "kind": "compare", "models": ["demo:a", "demo:a"], "prompt": "x"})
    assert paths(spec.problems()) == ["substeps.0.models.1"]


def test_feedback_loop_judge_with_unknown_provider() -> None:
    spec = spec_with(
        {"id": "e", "kind": "feedback_loop", "judge": "claude:x", "criteria": "ok", "prompt": "x"}
    )
    assert paths(spec.problems()) == ["substeps.0.judge"]


# ---- inputs ------------------------------------------------------------------------------------


def test_missing_unknown_and_mistyped_inputs(writer: AgentSpec) -> None:
    problems = writer.problems({"points": "three", "tone": "dry"})
    assert paths(problems) == ["inputs.topic", "inputs.points", "inputs.tone"]
    assert "missing" in problems[0].message
    assert "integer" in problems[1].message
    assert "not an input" in problems[2].message


def test_resolve_inputs_fills_defaults(writer: AgentSpec) -> None:
    assert writer.resolve_inputs({"topic": "tides"}) == {"topic": "tides", "points": 3}


def test_check_raises_with_every_problem(writer: AgentSpec) -> None:
    with pytest.raises(SpecValidationError) as caught:
        writer.check({})
    assert paths(list(caught.value.problems)) == ["inputs.topic"]
    assert "inputs.topic" in str(caught.value)


# ---- several at once, structural ---------------------------------------------------------------


def test_several_meaning_problems_are_reported_together() -> None:
    spec = spec_with(
        {"id": "a", "model": "nope:x", "prompt": "{{ ghost }}"},
        {"id": "b", "prompt": "{{ b }}"},
        {"id": "c", "prompt": "ok", "depends_on": ["zz"]},
    )
    assert paths(spec.problems()) == [
        "substeps.0.model",
        "substeps.0.prompt",
        "substeps.1.prompt",
        "substeps.2.depends_on.0",
    ]


def test_structural_problems_are_all_reported_with_paths() -> None:
    with pytest.raises(SpecValidationError) as caught:
        AgentSpec.parse(
            {
                "name": "",
                "substeps": [
                    {"id": "1st", "prompt": "x", "dependson": ["a"]},
                    {"id": "c", "kind": "compare", "prompt": "x"},
                    {"id": "d", "kind": "loop", "prompt": "x"},
                    {"id": "e", "prompt": "x", "params": {"temperature": 7}},
                ],
            }
        )
    assert paths(list(caught.value.problems)) == [
        "name",
        "substeps.0.id",
        "substeps.0.dependson",
        "substeps.1.models",
        "substeps.2",
        "substeps.3.params.temperature",
    ]


@pytest.mark.parametrize(
    ("loader", "text", "expected"),
    [
        (AgentSpec.from_yaml, "name: [unclosed", "not valid YAML"),
        (AgentSpec.from_json, "{", "not valid JSON"),
        (AgentSpec.from_yaml, "- just\n- a list", "is a mapping"),
    ],
)
def test_unreadable_documents_say_so(loader, text: str, expected: str) -> None:
    with pytest.raises(SpecValidationError, match=expected):
        loader(text)


def test_column_paths_name_the_stored_column() -> None:
    assert SpecProblem("defaults.model", "x").column_path == "configuration.defaults.model"
    assert SpecProblem("substeps.2.prompt", "x").column_path == "substeps.2.prompt"


# ---- templates ---------------------------------------------------------------------------------


def test_template_renders_inputs_and_outputs_without_escaping() -> None:
    context = {"topic": "a & b", "outline": "<x>"}
    text = templates.render("{{ topic }} <b>{{ outline }}</b>", context)
    assert text == "a & b <b><x></b>"


def test_template_loops_over_list_inputs() -> None:
    assert templates.render("{% for p in points %}- {{ p }}\n{% endfor %}", {"points": [1, 2]}) == (
        "- 1\n- 2\n"
    )


def test_template_missing_name_is_an_error_not_empty_text() -> None:
    with pytest.raises(templates.TemplateProblem, match="'topic' is undefined"):
        templates.render("About {{ topic }}", {})


def test_template_cannot_reach_python_internals() -> None:
    with pytest.raises(templates.TemplateProblem):
        templates.render("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})
