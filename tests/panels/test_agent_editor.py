"""The agent editor, without a browser: validation as you type, the form, starters, saving."""

from __future__ import annotations

import pytest

from workbench.errors import NotFound
from workbench.panels.agent_editor import AgentEditorPage
from workbench.panels.starters import STARTERS

SPEC = """\
name: summarise
defaults: {model: "demo:echo"}
inputs: {text: text}
substeps:
  - id: summary
    prompt: "Summarise: {{ text }}"
  - id: title
    prompt: "A title for: {{ summary }}"
"""


@pytest.fixture
def project(services, alice):
    return services.projects.create_project(alice, {"name": "Alpha"})


def test_a_new_agent_starts_from_a_valid_single_prompt(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    assert page.problems == []
    assert page.spec is not None and len(page.spec.substeps) == 1


@pytest.mark.parametrize("starter", STARTERS)
def test_every_starter_is_a_valid_spec(alice, project, page_context, starter):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.use_starter(starter)
    assert page.problems == [], page.problems


def test_the_step_form_follows_a_new_template(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.use_starter("compare_models")
    assert page._step_select.options == ["answers"] and page._step_select.value == "answers"
    assert (page.step_kind, page.step_prompt) == ("compare", "Answer concisely:\n{{ question }}")
    assert page.step_models == "demo:echo, demo:reverse"


def test_compare_starter_uses_the_visitors_providers(services, alice, project, page_context):
    for provider, key in (("openai", "sk-test-key-1234567890"), ("anthropic", "ak-1234567890ab")):
        services.keys.create_key(alice, {"provider": provider, "api_key": key})
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.use_starter("compare_models")
    models = page.spec.substeps[0].models
    assert [m.split(":")[0] for m in models] == ["anthropic", "openai"]


def test_problems_are_marked_at_their_line_as_you_type(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.spec_text = SPEC.replace("{{ summary }}", "{{ summery }}")
    assert len(page.problems) == 1
    problem = page.problems[0]
    assert problem.path == "substeps.1.prompt" and "summery" in problem.message
    assert problem.line == SPEC.splitlines().index('    prompt: "A title for: {{ summary }}"')
    assert page._editor.annotations[0]["row"] == problem.line


def test_a_syntax_error_is_marked_where_it_is(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.spec_text = "name: x\nsubsteps: [\n"
    assert page.spec is None
    assert page.problems[0].line is not None


def test_json_and_yaml_hold_the_same_spec(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.spec_text = SPEC
    yaml_spec = page.spec
    page.switch_format("json")
    assert page.spec_text.lstrip().startswith("{")
    assert page.spec == yaml_spec


def test_the_form_edits_a_step_and_the_text_follows(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.spec_text = SPEC
    page.pick_step("title")
    assert page.step_prompt == "A title for: {{ summary }}"
    page.step_kind = "compare"
    page.step_models = "demo:echo, demo:reverse"
    page.apply_step_form()
    assert page.problems == []
    assert page.spec.step("title").models == ("demo:echo", "demo:reverse")
    assert "demo:reverse" in page.spec_text


def test_the_form_adds_inputs_and_steps(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.spec_text = SPEC
    page.form_inputs = "text:text, tone:string"
    page.apply_agent_form()
    page.add_step()
    assert list(page.spec.inputs) == ["text", "tone"]
    assert page.spec.step_ids() == ("summary", "title", "step_3")
    assert page.spec.dependencies()["step_3"] == ("title",)


def test_saving_creates_then_updates_the_agent(services, alice, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.spec_text = SPEC
    created = page.save()
    assert created is not None and created.name == "summarise"
    page.spec_text = SPEC.replace("name: summarise", "name: summarise v2")
    page.save()
    agents = services.agents.list_agents(alice, project.id).items
    assert [a.name for a in agents] == ["summarise v2"]


def test_a_spec_with_problems_is_not_saved(services, alice, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.spec_text = SPEC.replace("demo:echo", "nope:model")
    assert page.save() is None
    assert services.agents.list_agents(alice, project.id).total == 0
    assert page.message_text


def test_editing_an_existing_agent_loads_its_spec(services, alice, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.spec_text = SPEC
    agent = page.save()
    again = AgentEditorPage(page_context(alice, id=str(agent.id)))
    assert again.spec.step_ids() == ("summary", "title")


def test_another_users_agent_is_not_found(services, alice, bob, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.spec_text = SPEC
    agent = page.save()
    with pytest.raises(NotFound):
        AgentEditorPage(page_context(bob, id=str(agent.id)))
    with pytest.raises(NotFound):
        AgentEditorPage(page_context(bob, project=str(project.id)))
