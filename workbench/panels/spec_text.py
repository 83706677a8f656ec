"""An agent spec as text (YAML or JSON), its problems, and where in the text each one is.

The engine words its problems in English and gives each a path, not a code. `problem_kind` tells
which kind a problem is from its wording (the patterns below follow `agents.spec`, pydantic and
`agents.modelref`), so `describe` can say it in the visitor's language from the catalogue
(`spec.problem.<kind>`), keeping the names and values the engine quoted; a problem of a kind not
known here is shown in the engine's words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from agents.spec import AgentSpec, SpecProblem, SpecValidationError
from workbench.i18n import Translator

SpecFormat = Literal["yaml", "json"]

_QUOTED = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""  # a Python repr of a string
_WHERE = r"\(line (?P<line>\d+), column (?P<column>\d+)\)"

# kind -> the engine's wording; named groups are the values the translated sentence keeps.
PROBLEM_PATTERNS: dict[str, re.Pattern[str]] = {
    kind: re.compile(f"^(?:{pattern})$", re.DOTALL)
    for kind, pattern in {
        # structure (pydantic, worded by agents.spec)
        "unknown_field": r"unknown field \(check its spelling\)",
        "required": r"required",
        "identifier": r"use letters, digits and underscores, not starting with a digit"
        r"|input names are letters, digits and underscores, not starting with a digit",
        "expected_value": r"input should be a valid (?P<expected>\w+)(?: or instance of \w+)?"
        r"(?:, .*)?",
        "choice": r"input should be (?P<choices>'[^']*'(?:, '[^']*')* or '[^']*')",
        "step_kind": r"kind must be one of: (?P<choices>.+)",
        "greater_than": r"input should be greater than (?P<limit>-?[\d.]+)",
        "at_least": r"input should be greater than or equal to (?P<limit>-?[\d.]+)",
        "at_most": r"input should be less than or equal to (?P<limit>-?[\d.]+)",
        "text_too_short": r"string should have at least (?P<count>\d+) characters?",
        "text_too_long": r"string should have at most (?P<count>\d+) characters?",
        "too_few_items": r"(?:tuple|list) should have at least (?P<count>\d+) items?"
        r"(?: after validation)?(?:, not \d+)?",
        "too_many_items": r"(?:tuple|list) should have at most (?P<count>\d+) items?"
        r"(?: after validation)?(?:, not \d+)?",
        "spec_not_mapping": r"an agent spec is a mapping, not (?P<got>\w+)",
        "configuration_not_mapping": r"configuration must be a mapping",
        "substeps_not_list": r"substeps must be a list",
        "json_syntax": rf"not valid JSON {_WHERE}: (?P<detail>.*)",
        "yaml_syntax": rf"not valid YAML {_WHERE}: (?P<detail>.*)",
        "yaml_syntax_anywhere": r"not valid YAML: (?P<detail>.*)",
        # meaning (AgentSpec.problems)
        "version_newer": r"spec version (?P<version>\d+) is newer than this engine reads "
        r"\((?P<supported>\d+)\); upgrade the workbench",
        "wrong_type": r"expected .+ \((?P<type>\w+)\), got (?P<got>\w+) (?P<value>.*)",
        "unknown_provider": rf"provider (?P<provider>{_QUOTED}) is unknown "
        r"\(known: (?P<known>.*)\)",
        "no_provider": rf"model (?P<model>{_QUOTED}) has no provider: write 'provider:model', "
        rf"e\.g\. (?P<example>{_QUOTED})",
        "model_format": rf"a model is written 'provider:model', e\.g\. (?P<example>{_QUOTED})",
        "no_model": r"no model: set one here or in defaults\.model",
        "duplicate_id": rf"duplicate step id (?P<id>{_QUOTED}) \(also (?P<other>[\w.]+)\)",
        "id_is_input": rf"step id (?P<id>{_QUOTED}) is also an input name; rename one of them",
        "listed_twice": rf"(?P<model>{_QUOTED}) is listed twice",
        "template_syntax": r"template syntax error on line (?P<line>\d+): (?P<detail>.*)",
        "template_import": r"templates cannot include, import or extend other templates",
        "own_step": rf"refers to its own step (?P<name>{_QUOTED})",
        "unknown_reference": rf"refers to (?P<name>{_QUOTED}), which is neither an input "
        r"\((?P<inputs>.*)\) nor a step \((?P<steps>.*)\)",
        "depends_on_itself": r"a step cannot depend on itself",
        "unknown_step": rf"unknown step (?P<name>{_QUOTED}) \(steps: (?P<steps>.*)\)",
        "missing_dependency": rf"the templates use step (?P<name>{_QUOTED}), which is not in "
        r"depends_on \(add it, or leave depends_on out to derive it\)",
        "cycle": r"the steps form a cycle: (?P<cycle>.+)",
        "cycle_somewhere": r"the steps form a cycle",
        # given inputs (AgentSpec.input_problems)
        "inputs_not_mapping": r"inputs must be a mapping of input name to value",
        "input_missing": r"missing \(the agent requires it\)",
        "not_an_input": r"not an input of this agent \(inputs: (?P<inputs>.*)\)",
    }.items()
}
# Lists the engine writes as "none" when they are empty.
_LISTS = {"inputs", "steps"}
# Value words of pydantic's "input should be a valid …" -> catalogue key.
_VALUE_WORDS = {
    "string": "spec.value.string",
    "integer": "spec.value.integer",
    "number": "spec.value.number",
    "boolean": "spec.value.boolean",
    "dictionary": "spec.value.mapping",
    "list": "spec.value.list",
    "tuple": "spec.value.list",
}


def problem_kind(message: str) -> tuple[str, dict[str, str]] | None:
    """(kind, the values it quotes) of an engine problem's `message`; None for an unknown kind."""
    for kind, pattern in PROBLEM_PATTERNS.items():
        match = pattern.match(message)
        if match:
            return kind, {k: v for k, v in match.groupdict().items() if v is not None}
    return None


def describe_problem(message: str, t: Translator | None = None) -> str:
    """`message` in `t`'s language (the engine's English without `t`, or for an unknown kind)."""
    found = problem_kind(message) if t is not None else None
    if found is None or t is None:
        return message
    kind, values = found
    if kind == "expected_value":
        key = _VALUE_WORDS.get(values["expected"])
        if key is None:
            return message
        values["expected"] = t(key)
    if kind == "choice":
        values["choices"] = ", ".join(re.findall(r"'[^']*'", values["choices"]))
    for name in _LISTS & values.keys():
        if values[name] == "none":
            values[name] = t("spec.problem.none")
    return t(f"spec.problem.{kind}", **values)


@dataclass(frozen=True)
class PlacedProblem:
    """A spec problem and the 0-based line of the text it is about (None: the whole spec)."""

    path: str
    message: str
    line: int | None

    def annotation(self, t: Translator | None = None) -> dict[str, Any]:
        """The code editor's gutter marker for this problem."""
        return {"row": self.line or 0, "column": 0, "text": self.describe(t), "type": "error"}

    def describe(self, t: Translator | None = None) -> str:
        """ "path: what is wrong", in `t`'s language (the engine's English without `t`)."""
        text = describe_problem(self.message, t)
        return f"{self.path}: {text}" if self.path else text


class _SpecDumper(yaml.SafeDumper):
    """Writes multi-line strings (prompts) as literal blocks, the way people write them."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SpecDumper.add_representer(str, _represent_text)


def render(data: dict[str, Any], fmt: SpecFormat) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False)
    return yaml.dump(data, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True)


def parse(text: str, fmt: SpecFormat) -> AgentSpec:
    """The spec in `text`; raises `SpecValidationError` with every structural problem."""
    return AgentSpec.from_json(text) if fmt == "json" else AgentSpec.from_yaml(text)


def check(text: str, fmt: SpecFormat) -> tuple[AgentSpec | None, list[PlacedProblem]]:
    """Parse and check `text`: the spec (if it parses) and every problem, placed in the text."""
    try:
        spec = parse(text, fmt)
    except SpecValidationError as error:
        return None, place(text, error.problems)
    return spec, place(text, spec.problems())


def place(text: str, problems: tuple[SpecProblem, ...] | list[SpecProblem]) -> list[PlacedProblem]:
    lines = _line_index(text)
    return [PlacedProblem(p.path, p.message, _line_of(lines, p.path, p.message)) for p in problems]


def _line_of(lines: dict[str, int], path: str, message: str) -> int | None:
    if not path:
        return _line_from_message(message)
    parts = path.split(".")
    while parts:  # the closest enclosing node that exists in the text
        line = lines.get(".".join(parts))
        if line is not None:
            return line
        parts.pop()
    return None


def _line_from_message(message: str) -> int | None:
    # Syntax errors say "(line 3, column 5)"; the editor counts from 0.
    marker = "(line "
    if marker not in message:
        return None
    digits = message.split(marker, 1)[1].split(",", 1)[0].split(")", 1)[0]
    return int(digits) - 1 if digits.isdigit() else None


def _line_index(text: str) -> dict[str, int]:
    """Dotted path -> 0-based line where its key (or list item) starts; empty if unparsable.

    JSON is a subset of YAML's flow style, so one composer serves both formats.
    """
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    found: dict[str, int] = {}

    def walk(node: yaml.Node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{path}.{key.value}" if path else str(key.value)
                found.setdefault(child, key.start_mark.line)
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = f"{path}.{index}"
                found.setdefault(child, item.start_mark.line)
                walk(item, child)

    if root is not None:
        walk(root, "")
    return found
