"""Prompt templates: Jinja2 in a sandbox, so a template written by a user cannot reach Python.

A template names the agent's inputs and earlier steps' outputs by name: `{{ topic }}`,
`{{ outline }}`. Jinja gives users filters, conditions and loops over list inputs; the
`SandboxedEnvironment` blocks attribute access to Python internals (templates are user input
and are rendered on Dask workers). Undefined names fail loudly (`StrictUndefined`) instead of
rendering as empty text, and nothing is HTML-escaped: the result is a prompt, not a page.

`references()` lists the names a template reads, which is how a step's `depends_on` is derived.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment


class TemplateProblem(ValueError):
    """A template that cannot be parsed or rendered; the message says where and why."""


_environment = SandboxedEnvironment(
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
)


@functools.lru_cache(maxsize=1024)
def _parse(source: str) -> nodes.Template:
    try:
        tree = _environment.parse(source)
    except TemplateSyntaxError as e:
        raise TemplateProblem(f"template syntax error on line {e.lineno}: {e.message}") from None
    if next(tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)), None):
        raise TemplateProblem("templates cannot include, import or extend other templates")
    return tree


def _is_literal(source: str) -> bool:
    """No Jinja markup at all: the text is its own rendering (and needs no compiling)."""
    return "{{" not in source and "{%" not in source and "{#" not in source


@functools.lru_cache(maxsize=1024)
def references(source: str) -> frozenset[str]:
    """The names `source` reads from its context (inputs and step ids)."""
    if _is_literal(source):
        return frozenset()
    return frozenset(meta.find_undeclared_variables(_parse(source)))


@functools.lru_cache(maxsize=1024)
def _compile(source: str) -> Any:
    _parse(source)  # raises a readable TemplateProblem first
    return _environment.from_string(source)


def check(source: str) -> None:
    """Raise `TemplateProblem` if `source` does not parse."""
    if not _is_literal(source):
        _parse(source)


def render(source: str, context: Mapping[str, Any]) -> str:
    """Render `source` with `context`; a missing name or a failing expression is a
    `TemplateProblem` naming it."""
    if _is_literal(source):
        return source
    try:
        return str(_compile(source).render(**context))
    except TemplateProblem:
        raise
    except TemplateError as e:
        raise TemplateProblem(f"template could not be rendered: {e.message or e}") from None
    except Exception as e:  # a template expression raised: 1/0, "a" + 1, ...
        raise TemplateProblem(f"template could not be rendered: {type(e).__name__}: {e}") from None
