"""The agent editor, without a browser: validation as you type, the form, starters, saving."""

from __future__ import annotations

import re

import pytest

from tests.panels.conftest import shown_text
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


# ---- in the visitor's language -----------------------------------------------------------------


def test_problems_are_described_in_japanese_with_their_path_and_names(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, "ja", project=str(project.id)))
    page.spec_text = SPEC.replace("{{ summary }}", "{{ summery }}").replace("demo:echo", "nope:x")
    shown = shown_text(page._problem_list())
    assert "仕様に 2 件の問題があります" in shown
    assert "substeps.1.prompt: 'summery' を参照していますが" in shown
    assert "defaults.model: プロバイダー 'nope' は不明です" in shown
    assert "行目:" in shown
    assert "which is neither an input" not in shown and "is unknown" not in shown
    gutter = [a["text"] for a in page._editor.annotations]
    assert any(text.startswith("substeps.1.prompt: 'summery' を参照") for text in gutter)


def test_a_syntax_error_is_described_in_japanese(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, "ja", project=str(project.id)))
    page.spec_text = "name: x\nsubsteps: [\n"
    shown = shown_text(page._problem_list())
    assert "YAML として正しくありません（3 行 1 列）" in shown
    assert "not valid YAML" not in shown


def test_structural_problems_are_described_in_japanese(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, "ja", project=str(project.id)))
    page.spec_text = SPEC.replace("inputs: {text: text}", "inputs: {text: text}\ntypo: 1")
    shown = shown_text(page._problem_list())
    assert "typo: 不明なフィールドです" in shown and "unknown field" not in shown


def test_english_visitors_read_the_english_sentences(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, project=str(project.id)))
    page.spec_text = SPEC.replace("{{ summary }}", "{{ summery }}")
    shown = shown_text(page._problem_list())
    assert "substeps.1.prompt: refers to 'summery', which is neither an input (text)" in shown


@pytest.mark.parametrize("starter", STARTERS)
def test_every_starter_is_written_in_japanese_for_japanese_visitors(
    alice, project, page_context, starter
):
    page = AgentEditorPage(page_context(alice, "ja", project=str(project.id)))
    page.use_starter(starter)
    assert page.problems == [], page.problems
    english = AgentEditorPage(page_context(alice, project=str(project.id)))
    english.use_starter(starter)
    for japanese, original in zip(page.spec.substeps, english.spec.substeps, strict=True):
        assert japanese.prompt != original.prompt
        assert re.search(r"[\u3040-\u30ff]", japanese.prompt), japanese.prompt
        # the template still names the same inputs and steps
        assert re.findall(r"{{ (\w+) }}", japanese.prompt) == re.findall(
            r"{{ (\w+) }}", original.prompt
        )
    assert page.spec.name == page.t(f"agent.starter.{starter}")


def test_the_draft_starter_reads_japanese_in_the_editor(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, "ja", project=str(project.id)))
    page.use_starter("draft_critique_refine")
    assert "についての記事の短いアウトラインを書いてください。" in page.spec_text
    assert "アウトラインに沿っていること" in page.spec_text
    assert "Write a short outline" not in page.spec_text and "Clear, correct" not in page.spec_text
    assert page.step_prompt == "{{ topic }} についての記事の短いアウトラインを書いてください。"


def test_a_new_japanese_agent_starts_from_a_japanese_prompt(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, "ja", project=str(project.id)))
    assert page.spec.substeps[0].prompt == "3 つの箇条書きで要約してください:\n{{ text }}"
    assert "Summarise" not in page.spec_text


def test_a_new_step_is_prompted_in_japanese(alice, project, page_context):
    page = AgentEditorPage(page_context(alice, "ja", project=str(project.id)))
    page.spec_text = SPEC
    page.add_step()
    assert page.spec.step("step_3").prompt == "これを改善してください:\n{{ title }}"
    assert page.spec.dependencies()["step_3"] == ("title",)
    page.spec_text = "name: empty\ndefaults: {model: 'demo:echo'}\nsubsteps: []\n"
    page.add_step()
    assert page.spec.step("step_1").prompt == "こんにちはと挨拶してください。"
