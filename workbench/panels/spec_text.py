"""An agent spec as text (YAML or JSON), its problems, and where in the text each one is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from agents.spec import AgentSpec, SpecProblem, SpecValidationError

SpecFormat = Literal["yaml", "json"]


@dataclass(frozen=True)
class PlacedProblem:
    """A spec problem and the 0-based line of the text it is about (None: the whole spec)."""

    path: str
    message: str
    line: int | None

    def annotation(self) -> dict[str, Any]:
        """The code editor's gutter marker for this problem."""
        return {"row": self.line or 0, "column": 0, "text": self.describe(), "type": "error"}

    def describe(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


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
