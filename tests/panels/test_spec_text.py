"""Spec problems in the visitor's language: every kind the engine reports is known and translated.

The engine words its problems in English only; `spec_text.problem_kind` recognises each kind from
its wording. These tests make the real engine report every kind, so a change of its wording fails
here instead of quietly showing English to Japanese visitors.
"""

from __future__ import annotations

import pytest

from agents.spec import AgentSpec, SpecProblem, SpecValidationError
from tests.panels.test_i18n import placeholders
from workbench.i18n import Translator, messages
from workbench.panels.spec_text import PROBLEM_PATTERNS, describe_problem, problem_kind

# Kinds the engine words but no spec below can make it report.
UNREACHABLE = {"yaml_syntax_anywhere"}  # a YAML error without a position

BROKEN_STRUCTURES = [
    {"name": "", "substeps": []},
    {"name": "x", "substeps": [{"id": "1a", "prompt": ""}], "bogus": 1},
    {
        "name": "x",
        "defaults": {"temperature": 5, "timeout": -1, "retries": "a", "cache": "maybe"},
        "substeps": [{"id": "a", "prompt": "p", "kind": "nope"}],
    },
    {
        "name": "x",
        "inputs": {"a": "strin"},
        "substeps": [{"id": "a", "kind": "compare", "models": [], "prompt": "p"}],
    },
    {"name": "x", "defaults": 5, "substeps": "abc"},
    {"name": "x", "version": 0, "substeps": [{"id": "a", "prompt": "p"}]},
    {"name": "x" * 201, "substeps": [{"id": f"s{i}", "prompt": "p"} for i in range(501)]},
    {
        "name": "x",
        "substeps": [
            {
                "id": "a",
                "kind": "compare",
                "prompt": "p",
                "models": [f"demo:m{i}" for i in range(21)],
            }
        ],
    },
    {"name": "x", "substeps": [{"id": "a", "prompt": "p", "retries": 3.5}], "inputs": []},
    {"substeps": [{"prompt": "p"}]},
    [1, 2],
]

MEANINGS = {
    "name": "x",
    "version": 2,
    "inputs": {"9x": "string", "a": {"type": "integer", "default": "s"}, "b": "string"},
    "defaults": {"model": "nope:x"},
    "substeps": [
        {"id": "a", "prompt": "{{ a }}"},
        {"id": "b2", "prompt": "{{ b2 }} {{ zz }} {% include 'x' %}"},
        {"id": "c", "prompt": "{{ a2 }}{{ d }}", "depends_on": ["c", "q"]},
        {"id": "d", "prompt": "{{ c }}", "model": "gpt-4o"},
        {"id": "d", "prompt": "{{ ", "model": "openai:x"},
        {"id": "e", "kind": "compare", "models": ["openai:x", "openai:x"], "prompt": "{{ e }}"},
        {"id": "f", "prompt": "{{ c }}", "depends_on": []},
        {"id": "g", "model": " ", "prompt": "p"},
    ],
}
CYCLE = {
    "name": "x",
    "substeps": [{"id": "a", "prompt": "{{ b }}"}, {"id": "b", "prompt": "{{ a }}"}],
}


def engine_problems() -> list[SpecProblem]:
    """What the real engine reports for a collection of broken specs, texts and inputs."""
    found: list[SpecProblem] = []

    def collect(build) -> None:
        try:
            build()
        except SpecValidationError as error:
            found.extend(error.problems)

    for data in BROKEN_STRUCTURES:
        collect(lambda data=data: AgentSpec.parse(data))
    collect(lambda: AgentSpec.from_yaml("name: x\nsubsteps: [\n"))
    collect(lambda: AgentSpec.from_json('{"name": }'))
    collect(lambda: AgentSpec.from_columns([], []))  # type: ignore[arg-type]
    collect(lambda: AgentSpec.from_columns({}, "x"))  # type: ignore[arg-type]
    spec = AgentSpec.parse(MEANINGS)
    found.extend(spec.problems({"zz": 1, "b": 3}))
    found.extend(spec.input_problems([]))  # type: ignore[arg-type]
    cyclic = AgentSpec.parse(CYCLE)
    found.extend(cyclic.problems())
    collect(cyclic.order)
    no_model = AgentSpec.parse({"name": "x", "substeps": [{"id": "a", "prompt": "p"}]})
    found.extend(no_model.problems())
    return found


def test_every_problem_the_engine_reports_is_of_a_known_kind():
    problems = engine_problems()
    unknown = [str(p) for p in problems if problem_kind(p.message) is None]
    assert not unknown, unknown
    seen = {problem_kind(p.message)[0] for p in problems}
    assert seen == set(PROBLEM_PATTERNS) - UNREACHABLE


@pytest.mark.parametrize("kind", sorted(PROBLEM_PATTERNS))
def test_every_kind_has_a_sentence_in_both_languages(kind):
    assert f"spec.problem.{kind}" in messages()
    named = set(PROBLEM_PATTERNS[kind].groupindex)
    assert placeholders(messages()[f"spec.problem.{kind}"]["en"]) <= named


def test_japanese_visitors_read_every_engine_problem_in_japanese():
    t = Translator("ja")
    for problem in engine_problems():
        described = describe_problem(problem.message, t)
        assert described != problem.message, problem
        assert any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in described)


def test_the_names_and_values_the_engine_quotes_are_kept():
    t = Translator("ja")
    message = "duplicate step id 'draft' (also substeps.0)"
    assert (
        describe_problem(message, t)
        == "ステップID 'draft' が重複しています（substeps.0 にもあります）"
    )
    message = "refers to 'topic', which is neither an input (none) nor a step (a, b)"
    assert describe_problem(message, t) == (
        "'topic' を参照していますが、入力（なし）にもステップ（a, b）にもありません"
    )


def test_a_problem_of_an_unknown_kind_keeps_the_engines_words():
    assert describe_problem("a brand new kind of problem", Translator("ja")) == (
        "a brand new kind of problem"
    )
    assert describe_problem("input should be a valid uuid", Translator("ja")) == (
        "input should be a valid uuid"
    )
